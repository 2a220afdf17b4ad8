// FuzzCleartext: a script of chunks, gaps and ends on ONE cleartext analyzer
// (any of `apps`; for a UDP protocol each chunk is a datagram) with ONE
// InspectionContext whose byte budget may be tiny, then the sightings through
// CleartextAssessor (fingerprints, redaction, deduplication) as the output
// stage runs it.
//
// Input format (make_cleartext_corpus.py writes it):
//   byte 0      the analyzer: an index into `apps` below (modulo its
//               length; nil there is the WebSocket frame reader; the corpus
//               generator names them the same way)
//   byte 1      bits 0-1 the budget (maxBufferedBytes 65536, 4096, 512, 64);
//               bit 2 which direction ends first after the script (0: to the
//               server); bit 3 the depth (1 MiB, or 300); bit 4 the flow is
//               UDP, for the protocols read over both (Kerberos, SIP: each
//               chunk a datagram), else TCP; for WebSocket, permessage-deflate
//               was not negotiated (frames from offset 0 in both directions);
//               bit 5, for WebSocket, the `mqtt` subprotocol was chosen (the
//               binary messages are read by the MQTT login reader too); bit
//               6, a STOMP one (the messages go to the STOMP login reader)
//   (A gap before a direction's first chunk is a flow picked up mid-stream:
//   that direction is first seen past offset 0.)
//   then events, each a byte `e`:
//     e & 3 == 0  data to the server, 1: data to the client; length e >> 2
//                 (1...63), or when that is 0 a u16 LE (0...65535); the bytes
//     e & 3 == 2  gap in direction e >> 2 & 1, length max(1, u16 LE)
//     e & 3 == 3  end of direction e >> 2 & 1 (later events of that direction
//                 are skipped, as the pipeline sends nothing after an end)
//
// Checked (precondition) after every event: the shared budget stays within
// 0...maxBufferedBytes ("budget-cap"); once the analyzer answered `.done` it
// keeps answering it ("done-monotonic"). After the script: both directions
// end and every budget byte is released ("end-releases").
// "segmentation": the same script with each run of consecutive
// same-direction chunks merged into one chunk (the order of the directions
// kept) gives the same sightings, when neither run hit the budget cap and the
// depth is the default (a depth cut lands at another place inside a merged
// chunk); not over UDP, whose chunks are datagrams.
// Content (the readers run with a recording content sink): pieces of a
// stream arrive contiguous from offset 0 and each stream ends once
// ("content-contiguous"); after both directions end no stream is open
// ("content-ended"); chunked and merged give the same streams under the
// "segmentation" conditions ("content-segmentation").
// The assessor: no finding's evidence, fingerprint or key holds a secret of
// 8 bytes or more in clear ("redaction"; the message and username fields
// name the user, which may be anything).
//
// FUZZ_IGNORE (environment, comma-separated): budget-cap, done-monotonic,
// end-releases, segmentation, redaction, content-contiguous, content-ended,
// content-segmentation.

@testable import Decoding
@testable import Findings
@testable import Flows
@testable import Inspection

import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

let budgets = [65_536, 4096, 512, 64]
let depths: [UInt64] = [1 << 20, 300]
/// The analyzers, by the index in byte 0. Append new ones at the end (and
/// to ANALYZERS in make_cleartext_corpus.py): existing seeds keep their
/// meaning. nil: the WebSocket frame reader, as FlowInspection starts it after a `101`.
let apps: [AppProtocol?] = [
    .http,
    .smtp,
    .pop3,
    .imap,
    .ftp,
    .redis,
    .mysql,
    .postgresql,
    .telnet,
    .ldap,
    .snmp,
    .mqtt,
    .kafka,
    .amqp,
    .nats,
    .socks,
    .smb,
    .kerberos,
    .sip,  // over TCP, or UDP with bit 4 of byte 1
    .rtsp,
    .irc,
    .vnc,
    .rsh,
    .rlogin,
    .http2,
    .mssql,
    .mongodb,
    .cassandra,
    .memcached,
    .nntp,
    .snmpv3,
    .radius,
    .tacacs,
    nil,
    .stomp,
]

/// Protocols read over UDP only, datagram by datagram: merging chunks changes the input.
let udpOnlyApps = Set<AppProtocol?>(AnalyzerRegistry.udp.map(\.app)).subtracting(AnalyzerRegistry.tcp.map(\.app))
/// Protocols read over UDP or TCP (Kerberos, SIP): bit 4 of byte 1 chooses.
let bothTransportApps = Set<AppProtocol?>(AnalyzerRegistry.udp.map(\.app)).intersection(AnalyzerRegistry.tcp.map(\.app))

/// One analyzer and its context, with the per-event checks.
struct Run {
    let label: String
    let analyzer: CleartextAnalyzer
    var context: InspectionContext
    var offsets: [UInt64] = [0, 0]
    var ended = [false, false]
    var done = false
    var sightings: [Sighting] = []
    /// Decoded content, kept up to 64 KiB per stream.
    let content = ContentRecorder(keep: 1 << 16)

    init(
        _ label: String, app: AppProtocol?, transport: TransportProtocol, budget: Int, depth: UInt64, deflate: Bool,
        carries: AppProtocol?
    ) {
        self.label = label
        if let app {
            analyzer = CleartextAnalyzer.make(for: app, depth: depth, transport: transport)!
        } else {
            let upgrade = WebSocketUpgrade(toServer: 0, toClient: 0, deflate: deflate, carries: carries, nextContentStream: 0)
            analyzer = .webSocket(WebSocketAnalyzer(maxDepth: depth, upgrade: upgrade))
        }
        context = InspectionContext(maxBufferedBytes: budget, cleartextDepth: depth)
        context.content = .recording(content)
    }

    mutating func apply(_ event: StreamEvent) {
        var verdict: AnalyzerVerdict?
        switch event {
        case .data(let d, let bytes):
            guard !ended[d.rawValue], !bytes.isEmpty else { return }
            let offset = offsets[d.rawValue]
            verdict = withChunk(bytes) { analyzer.ingest($0, direction: d, offset: offset, context: &context) }
            offsets[d.rawValue] += UInt64(bytes.count)
        case .gap(let d, let length):
            guard !ended[d.rawValue] else { return }
            verdict = analyzer.gap(direction: d, offset: offsets[d.rawValue], length: length, context: &context)
            offsets[d.rawValue] += length
        case .end(let d):
            guard !ended[d.rawValue] else { return }
            ended[d.rawValue] = true
            analyzer.end(direction: d, context: &context)
        }
        analyzer.collect(into: &sightings)
        let buffered = context.bufferedBytes
        check("budget-cap", buffered >= 0 && buffered <= context.maxBufferedBytes,
              "\(label): \(buffered) bytes buffered, budget \(context.maxBufferedBytes)")
        check("content-contiguous", content.violations.isEmpty, "\(label): \(content.violations)")
        if let verdict {
            if done { check("done-monotonic", verdict == .done, "\(label): .done, then .needMore") }
            done = done || verdict == .done
        }
    }

    mutating func endBoth(clientFirst: Bool) {
        for d in clientFirst ? [Direction.toClient, .toServer] : [.toServer, .toClient] { apply(.end(d)) }
        check("end-releases", context.bufferedBytes == 0,
              "\(label): \(context.bufferedBytes) bytes still buffered after both directions ended")
        check("content-ended", content.open.isEmpty, "\(label): streams still open: \(content.open.map(\.id))")
    }
}

/// The secrets, as text, to look for in the output.
func secrets(_ sightings: [Sighting]) -> [String] {
    sightings.compactMap {
        guard case .credential(let c) = $0, c.secret.count >= 4,
              let text = String(validating: c.secret, as: UTF8.self), !text.contains("*") else { return nil }
        return text
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let reader = apps[Int(input.u8()) % apps.count]
    // The WebSocket reader stands for HTTP where an app is needed (the assessor's).
    let app = reader ?? .http
    let options = input.u8()
    let deflate = options & 0x10 == 0
    let carries: AppProtocol? = options & 0x20 != 0 ? .mqtt : options & 0x40 != 0 ? .stomp : nil
    let budget = budgets[Int(options & 3)]
    let clientFirst = options & 4 == 0
    let depth = depths[Int(options >> 3 & 1)]
    let udp = udpOnlyApps.contains(reader) || (options & 0x10 != 0 && bothTransportApps.contains(reader))
    let transport: TransportProtocol = udp ? .udp : .tcp

    let events = input.streamEvents(limit: 512)

    var run = Run("chunked", app: reader, transport: transport, budget: budget, depth: depth, deflate: deflate, carries: carries)
    for event in events { run.apply(event) }
    run.endBoth(clientFirst: clientFirst)

    if depth == depths[0] && !udp {
        var whole = Run("merged", app: reader, transport: transport, budget: budget, depth: depth, deflate: deflate, carries: carries)
        for event in merged(events) { whole.apply(event) }
        whole.endBoth(clientFirst: clientFirst)
        if run.context.counters.bufferCapHits == 0 && whole.context.counters.bufferCapHits == 0 {
            check("segmentation", run.sightings == whole.sightings,
                  "chunked \(run.sightings) vs merged \(whole.sightings)")
            check("content-segmentation", run.content.streams == whole.content.streams,
                  "chunked \(run.content.streams.map { ($0.id, $0.bytes.count) }) vs merged \(whole.content.streams.map { ($0.id, $0.bytes.count) })")
        }
    }

    // The output stage's side: judge, deduplicate, write nothing in clear.
    let assessor = makeCleartextAssessor()
    let flow = fuzzFlowIdentity(serverPort: 8080)
    for (i, sighting) in run.sightings.enumerated() {
        assessor.note(sighting, slot: 1, flow: flow, app: app, at: Int64(i))
    }
    let hidden = secrets(run.sightings)
    for (finding, _) in assessor.takeChanged() {
        // The fingerprint without its fixed `hmac-sha256:` prefix (a secret
        // may well be "hmac-sha").
        let written = [finding.evidence ?? ""]
            + finding.details.filter { ["fingerprint", "key", "secret_length"].contains($0.key) }
            .map { $0.value.hasPrefix("hmac-sha256:") ? String($0.value.dropFirst(12)) : $0.value }
        // Compared as bytes: Foundation's `String.contains` stops at a NUL,
        // so a secret "a" + NULs was "found" in any fingerprint with an "a".
        for secret in hidden where secret.count >= 8 {
            let bytes = Array(secret.utf8)
            check("redaction", !written.contains { Array($0.utf8).firstRange(of: bytes) != nil },
                  "\(finding.rule) shows \(bytes)")
        }
    }
    return 0
}
