// FuzzTLS: a script of chunks, gaps and ends on ONE FlowInspection (selection
// `tls`: identification, then TLS or a STARTTLS watch that hands over to TLS;
// the cleartext readers are FuzzCleartext's)
// with ONE InspectionContext whose byte budget is small, so the cap paths of
// the handshake reassembly run. After the script both directions end, the
// handshake (if the flow became TLS) is judged by TLSAssessor with the
// mozilla-intermediate policy, and the inspection is released.
//
// Input format (make_corpus.py writes it):
//   byte 0      options: bits 0-1 the budget (maxBufferedBytes 65536, 16384,
//               2048, 200); bits 2-3 the time the handshake is judged at
//               (fuzzJudgeTimes: 2024, 2010, 1970, 9999-12-31); bit 4 which
//               direction ends first after the script (0: to the server)
//   bytes 1-2   server port (u16 LE)
//   bytes 3-4   stream offsets where the direct TLSAnalyzer run (check
//               "analyzer-segmentation") starts reading, to the server and to
//               the client (u8 each; a STARTTLS-style start inside the stream)
//   then events, each a byte `e`:
//     e & 3 == 0  data to the server, 1: data to the client; length e >> 2
//                 (1...63), or when that is 0 a u16 LE (0...65535); the bytes
//     e & 3 == 2  gap in direction e >> 2 & 1, length max(1, u16 LE)
//     e & 3 == 3  end of direction e >> 2 & 1 (later events of that direction
//                 are skipped, as the pipeline sends nothing after an end)
//   Offsets are kept per direction: each chunk starts where the previous
//   chunk or gap of its direction ended.
//
// Checked (precondition) after every event: the shared budget stays within
// 0...maxBufferedBytes ("budget-cap") and equals the bytes the TLS analyzer's
// two readers hold ("accounting"); FlowInspection.isDone and TLSAnalyzer.isDone
// never go back to false; at most TLSAnalyzer.maxCertificates certificates.
// After the script: every byte is released when both directions ended
// ("end-releases") and after release() nothing is left; TLSAssessor's summary
// agrees with the handshake, and a second assessment by the same assessor
// (its CertificateCache now warm) gives the same summary and findings.
// "done-holds": once the flow is done (and the pipeline bypasses it) the
// analyzers hold no budget bytes (nothing would release them before the flow ends).
//
// Segmentation (the handshake reassembly across chunks and records):
//   "segmentation" / "segmentation-state": the script up to the event that
//     made the flow done (FlowInspection stops reading there) is replayed on
//     a fresh FlowInspection with each run of consecutive same-direction
//     chunks merged into one chunk (the order of the directions is kept).
//     When both runs made the flow TLS with the same app and neither hit the
//     budget cap, the handshakes must agree: hellos, HelloRetryRequest,
//     certificates, Certificate/ServerHelloDone seen, first fatal alert
//     ("segmentation"); problem == nil and isDone ("segmentation-state").
//   "analyzer-segmentation" / "analyzer-segmentation-state": a TLSAnalyzer
//     alone (no identification; starting at the offsets of bytes 3-4) fed each
//     direction's data up to its first gap or end, chunk by chunk in script
//     order until it says done, against one fed the same chunks with the runs
//     of same-direction chunks merged; same facts, when neither hit the cap.
//     (Merged runs, not one chunk per direction: the analyzer depends on the
//     order of the directions — a ChangeCipherSpec after a HelloRetryRequest
//     does not start encryption.)
//
// FUZZ_IGNORE (environment, comma-separated): budget-cap, accounting,
// end-releases, done-holds, segmentation, segmentation-state,
// analyzer-segmentation, analyzer-segmentation-state, oversized-deferred (a
// state difference where only one run reported an oversized message).

@testable import Decoding
@testable import Findings
@testable import Flows
@testable import Inspection

import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

let budgets = [65_536, 16_384, 2048, 200]

/// Bytes the analyzer's two readers hold (what they charged to the budget).
func heldBytes(_ tls: TLSAnalyzer?) -> Int {
    guard let tls else { return 0 }
    return tls.toServer.pending.count + tls.toClient.pending.count
}

/// One FlowInspection and its context, with the per-event checks.
struct Run {
    let label: String
    var inspection: FlowInspection
    var context: InspectionContext
    var offsets: [UInt64] = [0, 0]
    var ended = [false, false]
    var wasDone = false
    var tlsWasDone = false

    init(_ label: String, port: UInt16, budget: Int) {
        self.label = label
        // `tls` alone: the cleartext readers (which also hold budget bytes) are FuzzCleartext's.
        inspection = FlowInspection(serverPort: port, transport: .tcp, selection: AnalyzerSelection(parsing: "tls")!)
        context = InspectionContext(maxBufferedBytes: budget)
    }

    /// Applies one event. Returns nil when it was skipped (its direction had
    /// ended, or an empty chunk), else whether the flow was done before it.
    mutating func apply(_ event: StreamEvent) -> Bool? {
        let doneBefore = inspection.isDone
        switch event {
        case .data(let d, let bytes):
            guard !ended[d.rawValue], !bytes.isEmpty else { return nil }
            let offset = offsets[d.rawValue]
            withChunk(bytes) { inspection.ingest($0, direction: d, offset: offset, context: &context) }
            offsets[d.rawValue] += UInt64(bytes.count)
        case .gap(let d, let length):
            guard !ended[d.rawValue] else { return nil }
            inspection.gap(direction: d, offset: offsets[d.rawValue], length: length, context: &context)
            offsets[d.rawValue] += length
        case .end(let d):
            guard !ended[d.rawValue] else { return nil }
            ended[d.rawValue] = true
            inspection.end(direction: d, context: &context)
        }
        afterEvent()
        return doneBefore
    }

    mutating func afterEvent() {
        let buffered = context.bufferedBytes
        check("budget-cap", buffered >= 0 && buffered <= context.maxBufferedBytes,
              "\(label): \(buffered) bytes buffered, budget \(context.maxBufferedBytes)")
        let held = heldBytes(inspection.tls)
        check("accounting", buffered == held, "\(label): the budget says \(buffered) bytes, the TLS readers hold \(held)")
        if wasDone { precondition(inspection.isDone, "\(label): FlowInspection.isDone went back to false") }
        wasDone = inspection.isDone
        if let tls = inspection.tls {
            if tlsWasDone { precondition(tls.isDone, "\(label): TLSAnalyzer.isDone went back to false") }
            tlsWasDone = tls.isDone
            precondition(tls.handshake.certificates.count <= TLSAnalyzer.maxCertificates,
                         "\(label): \(tls.handshake.certificates.count) certificates kept, cap \(TLSAnalyzer.maxCertificates)")
        }
        if inspection.isDone {
            check("done-holds", buffered == 0,
                  "\(label): the flow is done (the pipeline bypasses it until it ends) but still holds \(buffered) budget bytes "
                  + "(to the server \(inspection.tls?.toServer.pending.count ?? 0), to the client \(inspection.tls?.toClient.pending.count ?? 0))")
        }
    }

    mutating func endBoth(clientFirst: Bool) {
        for d in clientFirst ? [Direction.toClient, .toServer] : [.toServer, .toClient] { _ = apply(.end(d)) }
        check("end-releases", context.bufferedBytes == 0,
              "\(label): \(context.bufferedBytes) bytes still buffered after both directions ended")
    }
}

/// What the segmentation checks compare.
struct Facts: Equatable {
    var clientHello: ClientHello?
    var serverHello: ServerHello?
    var helloRetryRequest: ServerHello?
    var certificates: [[UInt8]]
    var certificateMessageSeen: Bool
    var serverHelloDoneSeen: Bool
    var fatalAlert: String?

    init(_ h: TLSHandshake) {
        clientHello = h.clientHello
        serverHello = h.serverHello
        helloRetryRequest = h.helloRetryRequest
        certificates = h.certificates
        certificateMessageSeen = h.certificateMessageSeen
        serverHelloDoneSeen = h.serverHelloDoneSeen
        fatalAlert = h.fatalAlert.map { "\($0.description) from \($0.sentBy)" }
    }

    /// The first field that differs, for the failure message.
    func difference(_ o: Facts) -> String {
        if clientHello != o.clientHello { return "ClientHello \(String(describing: clientHello)) vs \(String(describing: o.clientHello))" }
        if serverHello != o.serverHello { return "ServerHello \(String(describing: serverHello)) vs \(String(describing: o.serverHello))" }
        if helloRetryRequest != o.helloRetryRequest { return "HelloRetryRequest differs" }
        if certificates != o.certificates {
            return "certificates: \(certificates.count) (\(certificates.map(\.count))) vs \(o.certificates.count) (\(o.certificates.map(\.count)))"
        }
        if certificateMessageSeen != o.certificateMessageSeen { return "certificateMessageSeen \(certificateMessageSeen) vs \(o.certificateMessageSeen)" }
        if serverHelloDoneSeen != o.serverHelloDoneSeen { return "serverHelloDoneSeen \(serverHelloDoneSeen) vs \(o.serverHelloDoneSeen)" }
        return "fatal alert \(fatalAlert ?? "none") vs \(o.fatalAlert ?? "none")"
    }
}

func describe(_ h: TLSHandshake) -> String {
    "CH \(h.clientHello != nil) SH \(h.serverHello?.version.description ?? "-") certs \(h.certificates.count) problem \(h.problem ?? "none")"
}

/// The name of a segmentation check: "oversized-deferred" when the two runs
/// did not count the same oversized handshake messages (finding 5: a message
/// length that completes at the end of a chunk is checked only when more bytes
/// of that direction arrive), so FUZZ_IGNORE can skip that known difference
/// and keep the rest of the check.
func segmentationCheck(_ name: String, _ a: InspectionContext, _ b: InspectionContext) -> String {
    a.counters.tlsOversizedMessages == b.counters.tlsOversizedMessages ? name : "oversized-deferred"
}

/// A TLSAnalyzer fed `chunks` in order at consistent per-direction offsets
/// until it says `.done` (as FlowInspection feeds it); also returns how many
/// chunks it was fed.
func analyzerRun(_ chunks: [(Direction, [UInt8])], start: (UInt64, UInt64), budget: Int, label: String)
    -> (TLSAnalyzer, InspectionContext, Int)
{
    let tls = TLSAnalyzer(startingAt: start)
    var context = InspectionContext(maxBufferedBytes: budget)
    var offsets: [UInt64] = [0, 0]
    var wasDone = false
    var fed = 0
    for (d, bytes) in chunks where !wasDone {
        fed += 1
        let offset = offsets[d.rawValue]
        let verdict = withChunk(bytes) { tls.ingest($0, direction: d, offset: offset, context: &context) }
        offsets[d.rawValue] += UInt64(bytes.count)
        precondition((verdict == .done) == tls.isDone, "\(label): verdict \(verdict), isDone \(tls.isDone)")
        if wasDone { precondition(tls.isDone, "\(label): TLSAnalyzer.isDone went back to false") }
        wasDone = tls.isDone
        check("budget-cap", context.bufferedBytes >= 0 && context.bufferedBytes <= budget,
              "\(label): \(context.bufferedBytes) bytes buffered, budget \(budget)")
        check("accounting", context.bufferedBytes == heldBytes(tls),
              "\(label): the budget says \(context.bufferedBytes) bytes, the readers hold \(heldBytes(tls))")
        if tls.isDone { check("done-holds", context.bufferedBytes == 0, "\(label): done, but \(context.bufferedBytes) bytes held") }
        precondition(tls.handshake.certificates.count <= TLSAnalyzer.maxCertificates, "\(label): too many certificates")
        if verbose {
            print("  \(label): \(bytes.count) bytes \(d) at \(offset): \(describe(tls.handshake)), done \(tls.isDone), "
                  + "pending \(tls.toServer.pending.count)/\(tls.toClient.pending.count), "
                  + "finished \(tls.toServer.isFinished)/\(tls.toClient.isFinished)\n    to the server \(tls.toServer)\n    to the client \(tls.toClient)")
        }
    }
    return (tls, context, fed)
}

func endAnalyzer(_ tls: TLSAnalyzer, _ context: inout InspectionContext, label: String) {
    tls.end(direction: .toServer, context: &context)
    tls.end(direction: .toClient, context: &context)
    check("end-releases", context.bufferedBytes == 0, "\(label): \(context.bufferedBytes) bytes buffered after both ends")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 5 else { return -1 }
    var input = FuzzInput(data, size)
    let options = input.u8()
    let budget = budgets[Int(options & 3)]
    let judgeAt = fuzzJudgeTimes[Int(options >> 2 & 3)]
    let clientEndsFirst = options & 0x10 != 0
    let port = input.u16()
    let analyzerStart = (UInt64(input.u8()), UInt64(input.u8()))

    let events = input.streamEvents(limit: 4096)

    // The script, as given.
    var run = Run("script", port: port, budget: budget)
    var untilDone: [StreamEvent] = []
    for event in events {
        if let doneBefore = run.apply(event), !doneBefore { untilDone.append(event) }
    }
    run.endBoth(clientFirst: clientEndsFirst)

    // Judge the handshake as the pipeline does when the flow ends.
    if let tls = run.inspection.tls {
        let h = tls.handshake
        let assessor = makeAssessor()
        let flow = fuzzFlowIdentity(serverPort: port)
        let (summary, findings) = assessor.assess(h, flow: flow, app: run.inspection.app, at: judgeAt)
        // Again with the same assessor: now from its CertificateCache.
        let (again, againFindings) = assessor.assess(h, flow: flow, app: run.inspection.app, at: judgeAt)
        precondition(again.certificate?.sha256 == summary.certificate?.sha256 && again.problem == summary.problem
                     && againFindings.map(\.rule) == findings.map(\.rule), "a second assessment (cached certificates) differs")
        precondition(summary.chainLength <= h.certificates.count, "chain length \(summary.chainLength) of \(h.certificates.count) certificates")
        precondition(summary.certificate == nil || !h.certificates.isEmpty, "a certificate summary without certificates")
        if h.certificateEncrypted { precondition(summary.certificateStatus == "encrypted", "TLS 1.3 chain not marked encrypted") }
        precondition((summary.ja3 != nil) == (h.clientHello.map { !$0.isSSLv2Format } ?? false), "JA3 present iff a TLS-format ClientHello")
        for f in findings { precondition(!f.rule.isEmpty && !f.message.isEmpty, "a finding without rule or message") }
        if verbose {
            print("FuzzTLS: port \(port) app \(run.inspection.app) upgraded \(h.upgradedFrom?.description ?? "-") \(describe(h)) "
                  + "done \(run.inspection.isDone) findings \(findings.map(\.rule)) counters \(run.context.counters) "
                  + "peak \(run.context.peakBufferedBytes)")
        }
    } else if verbose {
        print("FuzzTLS: port \(port) app \(run.inspection.app), no TLS; done \(run.inspection.isDone)")
    }

    // Segmentation through FlowInspection: the script up to done, with same-direction runs merged.
    let whole = merged(untilDone)
    if verbose {
        print("  segmentation: \(untilDone.count) events until done, \(whole.count) merged, cap hits \(run.context.counters.bufferCapHits), "
              + "TLS \(run.inspection.tls != nil)")
    }
    if whole.count < untilDone.count, run.context.counters.bufferCapHits == 0, let tlsA = run.inspection.tls {
        var other = Run("merged", port: port, budget: budget)
        for event in whole { _ = other.apply(event) }
        if other.context.counters.bufferCapHits == 0, let tlsB = other.inspection.tls, other.inspection.app == run.inspection.app {
            let a = Facts(tlsA.handshake), b = Facts(tlsB.handshake)
            if verbose { print("  segmentation: compared \(untilDone.count) events with \(whole.count) merged") }
            check(segmentationCheck("segmentation", run.context, other.context), a == b,
                  "split vs merged chunks (\(untilDone.count) vs \(whole.count) events): \(a.difference(b))")
            check(segmentationCheck("segmentation-state", run.context, other.context),
                  (tlsA.handshake.problem == nil) == (tlsB.handshake.problem == nil) && run.inspection.isDone == other.inspection.isDone,
                  "split: \(describe(tlsA.handshake)), done \(run.inspection.isDone); merged: \(describe(tlsB.handshake)), done \(other.inspection.isDone)")
        }
        other.endBoth(clientFirst: clientEndsFirst)
    }

    // Segmentation of TLSAnalyzer alone: each direction's data up to its first gap or end.
    var closed = [false, false]
    var chunks: [(Direction, [UInt8])] = []
    for event in events {
        switch event {
        case .data(let d, let bytes):
            guard !closed[d.rawValue], !bytes.isEmpty else { continue }
            chunks.append((d, bytes))
        case .gap(let d, _), .end(let d):
            closed[d.rawValue] = true
        }
    }
    // Fed chunk by chunk until done; then the same chunks with the runs of
    // consecutive chunks of one direction merged (the analyzer depends on the
    // order of the directions: a CCS after a HelloRetryRequest is ignored).
    let (split, splitEnd, fed) = analyzerRun(chunks, start: analyzerStart, budget: budget, label: "analyzer, split")
    var splitContext = splitEnd
    var runs: [(Direction, [UInt8])] = []
    for (d, bytes) in chunks[..<fed] {
        if let last = runs.last, last.0 == d { runs[runs.count - 1].1 += bytes } else { runs.append((d, bytes)) }
    }
    if runs.count < fed {
        let (one, oneEnd, _) = analyzerRun(runs, start: analyzerStart, budget: budget, label: "analyzer, merged")
        var oneContext = oneEnd
        if splitContext.counters.bufferCapHits == 0 && oneContext.counters.bufferCapHits == 0 {
            let a = Facts(split.handshake), b = Facts(one.handshake)
            if verbose { print("  analyzer-segmentation: compared \(fed) chunks with \(runs.count) merged") }
            check(segmentationCheck("analyzer-segmentation", splitContext, oneContext), a == b,
                  "TLSAnalyzer from \(analyzerStart), \(fed) chunks vs \(runs.count) merged: \(a.difference(b))")
            check(segmentationCheck("analyzer-segmentation-state", splitContext, oneContext),
                  (split.handshake.problem == nil) == (one.handshake.problem == nil) && split.isDone == one.isDone,
                  "TLSAnalyzer from \(analyzerStart), split: \(describe(split.handshake)), done \(split.isDone); "
                  + "merged: \(describe(one.handshake)), done \(one.isDone)")
        }
        endAnalyzer(one, &oneContext, label: "analyzer, merged")
    }
    endAnalyzer(split, &splitContext, label: "analyzer, split")

    // Release, as the pipeline does after writing the flow record.
    run.inspection.release(&run.context)
    precondition(run.inspection.tls == nil && run.inspection.isDone, "release() left the analyzer")
    precondition(run.context.bufferedBytes == 0, "\(run.context.bufferedBytes) bytes buffered after release()")
    precondition(run.context.keptBytes == 0, "\(run.context.keptBytes) bytes of handshake facts kept after release()")
    return 0
}
