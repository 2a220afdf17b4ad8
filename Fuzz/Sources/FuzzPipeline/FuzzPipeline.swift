// FuzzPipeline: frames end to end through the Auditor (decode, flow table,
// reassembly, identification, flow records, stats), with small caps and
// timeouts, so eviction, idle sweeps, the held-byte caps and fragment expiry
// all happen within one input. The report is checked: JSON Lines that parse,
// one flow record per flow created, the final stats record last.
//
// Input format (make_corpus.py writes it):
//   byte 0      link type: index into LinkType.supported (modulo its count)
//   byte 1      options: bit 0 text output (else JSON), bits 1-2 maxFlows
//               (16, 8, 4, 2), bits 3-4 maxHeldBytesPerDirection (2048, 512,
//               4096, 1024; the total cap is 4x that), bits 5-6 the analyzers'
//               shared budget (maxAnalyzerBytes 65536, 4096, 512, 16 MiB),
//               bit 7 the content scanner with the built-in rules (raw streams,
//               decoded bodies, binary sniffing; a 4 KiB scan depth)
//   then frames exactly as in FuzzDecoder:
//     u16 LE    captured length;  u8 time step (0x00-0x7f ms, 0x80-0xfe
//               (b & 0x7f) * 250 ms, 0xff 5 s backwards);  u8 wire length
//               (0 = captured, 1-253 = captured + b, 254 = captured / 2,
//               255 = captured + 60000);  the frame bytes
//   Timeouts are short (opening 2 s, established 10 s, closed 1 s, UDP 5 s,
//   fragments 2 s) so a few large time steps expire flows.
//
// Checked (precondition) after every frame: the table holds at most maxFlows
// flows; the reassembly budget equals what the tracked flows hold; every
// stream holds at most maxHeldBytesPerDirection + 65535 and the budget at most
// maxHeldBytesTotal + 65535 (the Auditor drains after each packet); the
// analyzers' shared budget (InspectionContext) stays within its cap and holds
// at least what the flows' TLS analyzers hold (the cleartext analyzers hold
// the rest; FuzzCleartext checks them exactly) ("analyzer-budget"); after
// finish(): no flow, no held byte, no analyzer byte and no byte the content
// scanner kept is left, and the stats agree. The TLS analyzer runs with TLSAssessor (mozilla-intermediate, no
// trust store) and the cleartext analyzers with CleartextAssessor, so
// handshakes and sightings are judged and their findings are in the report.
//
// FUZZ_IGNORE (environment, comma-separated): held-cap, budget-cap,
// analyzer-budget, json, records, text.
//
// Reporter output: an OutputFile on an unlinked temporary file the harness
// opens itself, not `OutputFile(path: "/dev/null")`: as root that fchmods
// /dev/null to 0600 (see README.md, "Findings").

@testable import Decoding
@testable import Findings
@testable import Flows
@testable import Inspection
@testable import Pipeline
@testable import Reporting

import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif





/// The report goes to an unlinked temporary file, emptied before each input
/// and read back after it (nothing is left on disk). Not OutputFile(path:):
/// as root that would fchmod the file, and /dev/null, to 0600.
let outputFD: Int32 = {
    var template = Array("/tmp/plainsight-fuzz-pipeline-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    precondition(fd >= 0, "cannot create the output file")
    _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
    return fd
}()
nonisolated(unsafe) let output = OutputFile(fd: outputFD, owns: false)

/// Everything written to `output` since the last reset.
func readOutput() -> [UInt8] {
    let size = Int(lseek(outputFD, 0, SEEK_END))
    var bytes = [UInt8](repeating: 0, count: size)
    let n = bytes.withUnsafeMutableBytes { pread(outputFD, $0.baseAddress, size, 0) }
    precondition(n == size, "short read of the output")
    return bytes
}

// MARK: JSON Lines check (RFC 8259 syntax, UTF-8, no duplicate keys)

struct JSONChecker {
    let b: [UInt8]
    var i: Int
    var error: String?

    init(_ bytes: [UInt8], from start: Int) { b = bytes; i = start }

    var peek: UInt8? { i < b.count ? b[i] : nil }

    mutating func fail(_ message: String) -> Bool {
        if error == nil { error = "\(message) at byte \(i)" }
        return false
    }

    mutating func whitespace() { while let c = peek, c == 0x20 || c == 0x09 || c == 0x0d { i += 1 } }

    mutating func literal(_ word: StaticString) -> Bool {
        let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard i + w.count <= b.count, Array(b[i..<(i + w.count)]) == Array(w) else { return fail("bad literal") }
        i += w.count
        return true
    }

    mutating func value(depth: Int) -> Bool {
        guard depth < 64 else { return fail("nested too deep") }
        whitespace()
        switch peek {
        case UInt8(ascii: "{")?: return object(depth: depth)
        case UInt8(ascii: "[")?:
            i += 1
            whitespace()
            if peek == UInt8(ascii: "]") { i += 1; return true }
            while true {
                guard value(depth: depth + 1) else { return false }
                whitespace()
                if peek == UInt8(ascii: ",") { i += 1; continue }
                if peek == UInt8(ascii: "]") { i += 1; return true }
                return fail("expected , or ]")
            }
        case UInt8(ascii: "\"")?: return string() != nil
        case UInt8(ascii: "t")?: return literal("true")
        case UInt8(ascii: "f")?: return literal("false")
        case UInt8(ascii: "n")?: return literal("null")
        default: return number()
        }
    }

    mutating func object(depth: Int) -> Bool {
        i += 1
        var keys = Set<[UInt8]>()
        whitespace()
        if peek == UInt8(ascii: "}") { i += 1; return true }
        while true {
            whitespace()
            guard peek == UInt8(ascii: "\""), let key = string() else { return fail("expected a key") }
            guard keys.insert(key).inserted else { return fail("duplicate key \(String(decoding: key, as: UTF8.self))") }
            whitespace()
            guard peek == UInt8(ascii: ":") else { return fail("expected :") }
            i += 1
            guard value(depth: depth + 1) else { return false }
            whitespace()
            if peek == UInt8(ascii: ",") { i += 1; continue }
            if peek == UInt8(ascii: "}") { i += 1; return true }
            return fail("expected , or }")
        }
    }

    /// A string token; returns its raw bytes between the quotes.
    mutating func string() -> [UInt8]? {
        let start = i + 1
        i += 1
        while let c = peek {
            switch c {
            case UInt8(ascii: "\""):
                i += 1
                return Array(b[start..<(i - 1)])
            case UInt8(ascii: "\\"):
                i += 1
                guard let e = peek else { _ = fail("unterminated escape"); return nil }
                if e == UInt8(ascii: "u") {
                    for k in 1...4 {
                        guard i + k < b.count, (b[i + k] >= 0x30 && b[i + k] <= 0x39) || (b[i + k] | 0x20 >= 0x61 && b[i + k] | 0x20 <= 0x66)
                        else { _ = fail("bad \\u escape"); return nil }
                    }
                    i += 5
                } else {
                    guard "\"\\/bfnrt".utf8.contains(e) else { _ = fail("bad escape"); return nil }
                    i += 1
                }
            case 0..<0x20:
                _ = fail("control character in a string"); return nil
            case 0x80...:
                // One UTF-8 sequence: lead byte, then continuation bytes.
                let n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0
                guard n > 0, c < 0xf5, i + n <= b.count else { _ = fail("invalid UTF-8"); return nil }
                for k in 1..<n where b[i + k] & 0xc0 != 0x80 { _ = fail("invalid UTF-8"); return nil }
                if (c == 0xe0 && b[i + 1] < 0xa0) || (c == 0xed && b[i + 1] >= 0xa0) || (c == 0xf0 && b[i + 1] < 0x90)
                    || (c == 0xf4 && b[i + 1] >= 0x90)
                {
                    _ = fail("invalid UTF-8"); return nil
                }
                i += n
            default:
                i += 1
            }
        }
        _ = fail("unterminated string")
        return nil
    }

    mutating func number() -> Bool {
        func digits(_ c: inout JSONChecker) -> Int {
            var n = 0
            while let d = c.peek, d >= 0x30 && d <= 0x39 { c.i += 1; n += 1 }
            return n
        }
        if peek == UInt8(ascii: "-") { i += 1 }
        if peek == UInt8(ascii: "0") {
            i += 1
        } else {
            guard digits(&self) > 0 else { return fail("expected a value") }
        }
        if peek == UInt8(ascii: ".") {
            i += 1
            guard digits(&self) > 0 else { return fail("bad fraction") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            i += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { return fail("bad exponent") }
        }
        return true
    }
}

/// Checks the report of one input: every line one JSON object; one flow record
/// per flow created; the final stats record last.
func checkJSONLines(_ bytes: [UInt8], flowsCreated: UInt64) {
    var start = 0
    var flows: UInt64 = 0
    var statsLines = 0
    var lines = 0
    while start < bytes.count {
        guard let newline = bytes[start...].firstIndex(of: 0x0a) else {
            check("json", false, "the output does not end with a newline")
            return
        }
        lines += 1
        var checker = JSONChecker(Array(bytes[start..<newline]), from: 0)
        let ok = checker.peek == UInt8(ascii: "{") && checker.value(depth: 0) && checker.i == checker.b.count
        check("json", ok, "line \(lines) is not one JSON object (\(checker.error ?? "trailing bytes")): "
              + String(decoding: bytes[start..<newline], as: UTF8.self))
        let line = bytes[start..<newline]
        if line.starts(with: Array("{\"type\":\"flow\"".utf8)) { flows += 1 }
        if line.starts(with: Array("{\"type\":\"stats\"".utf8)) {
            statsLines += 1
            check("json", newline == bytes.count - 1, "a stats record before the end of the output")
        }
        start = newline + 1
    }
    check("records", flows == flowsCreated, "\(flows) flow records for \(flowsCreated) flows created")
    check("records", statsLines == 1, "\(statsLines) stats records")
}

func checkAuditor(_ a: Auditor, _ options: AuditorOptions) {
    let t = a.table
    precondition(t.count <= options.flows.maxFlows, "\(t.count) flows, cap \(options.flows.maxFlows)")
    precondition(a.inspections.count >= t.slotCapacity, "fewer inspection slots than flow slots")
    var held = 0
    var live = 0
    for slot in 0..<t.slotCapacity where t.isOccupied(Int32(slot)) {
        live += 1
        let f = t.flows[slot]
        for s in [f.toServer, f.toClient] {
            precondition(s.heldBytes >= 0, "negative heldBytes")
            check("held-cap", s.heldBytes <= options.flows.maxHeldBytesPerDirection + 65_535,
                  "a stream holds \(s.heldBytes) bytes after its packet, cap \(options.flows.maxHeldBytesPerDirection)")
            held += s.heldBytes
        }
        if f.bypassed { precondition(f.toServer.heldBytes == 0 && f.toClient.heldBytes == 0, "bypassed flow holds data") }
    }
    precondition(live == t.count, "\(live) occupied slots, count \(t.count)")
    precondition(a.budget.bufferedBytes == held, "budget says \(a.budget.bufferedBytes) bytes held, flows hold \(held)")
    var analyzerHeld = 0
    for i in a.inspections.indices {
        if let tls = a.inspections[i].tls { analyzerHeld += tls.toServer.pending.count + tls.toClient.pending.count }
    }
    check("analyzer-budget", a.context.bufferedBytes >= analyzerHeld && a.context.bufferedBytes <= a.context.maxBufferedBytes,
          "analyzer budget says \(a.context.bufferedBytes) bytes (cap \(a.context.maxBufferedBytes)), TLS analyzers hold \(analyzerHeld)")
    check("budget-cap", a.budget.bufferedBytes <= options.flows.maxHeldBytesTotal + 65_535,
          "\(a.budget.bufferedBytes) bytes held in total, cap \(options.flows.maxHeldBytesTotal)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return -1 }
    var input = FuzzInput(data, size)
    let linkType = LinkType.supported[Int(input.u8()) % LinkType.supported.count]
    let config = input.u8()
    var options = AuditorOptions()
    options.decoding.maxFragmentedDatagrams = 4
    options.decoding.maxFragmentBytes = 8192
    options.decoding.fragmentTimeout = 2_000_000
    options.flows.maxFlows = [16, 8, 4, 2][Int(config >> 1 & 3)]
    options.flows.maxHeldBytesPerDirection = [2048, 512, 4096, 1024][Int(config >> 3 & 3)]
    options.flows.maxHeldBytesTotal = 4 * options.flows.maxHeldBytesPerDirection
    options.flows.openingTimeout = 2_000_000
    options.flows.establishedTimeout = 10_000_000
    options.flows.closedTimeout = 1_000_000
    options.flows.udpTimeout = 5_000_000
    options.maxAnalyzerBytes = [65_536, 4096, 512, 16 << 20][Int(config >> 5 & 3)]
    options.tls = makeAssessor()
    if config & 0x80 != 0 {
        options.scanner = builtInScanner
        options.scanDepth = 4096
        options.cleartext = makeCleartextAssessor(content: ContentReporting(rules: builtInScanner.rules))
    } else {
        options.cleartext = makeCleartextAssessor()
    }

    _ = ftruncate(outputFD, 0)
    _ = lseek(outputFD, 0, SEEK_SET)
    let format: OutputFormat = config & 1 == 0 ? .json : .text
    let reporter = Reporter(format: format, output: output)
    var auditor = Auditor(options: options, reporter: reporter, hasher: FlowHasher(seed: (1, 2, 3)))
    auditor.setInputs(["fuzz"])
    var timestamp: Microseconds = 1_700_000_000_000_000
    var latest = timestamp
    var frames: UInt64 = 0

    while let frame = input.nextFrame(after: timestamp) {
        defer { frame.deallocate() }
        timestamp = frame.timestamp
        latest = max(latest, timestamp)
        auditor.process(frame.bytes, wireLength: frame.wireLength, linkType: linkType, timestamp: timestamp)
        frames += 1
        precondition(auditor.stats.packets == frames, "packets \(auditor.stats.packets), frames \(frames)")
        checkAuditor(auditor, options)
    }

    auditor.finish()
    let stats = auditor.stats
    precondition(auditor.table.count == 0, "\(auditor.table.count) flows left after finish()")
    precondition(auditor.budget.bufferedBytes == 0, "\(auditor.budget.bufferedBytes) bytes held after finish()")
    check("analyzer-budget", auditor.context.bufferedBytes == 0,
          "\(auditor.context.bufferedBytes) analyzer bytes left after finish()")
    precondition(auditor.context.scanBudget.bytes == 0, "\(auditor.context.scanBudget.bytes) scanner bytes kept after finish()")
    precondition(auditor.context.pieceScans.isEmpty, "\(auditor.context.pieceScans.count) decoded streams still scanned after finish()")
    precondition(stats.decodedPackets <= stats.packets, "more decoded packets than packets")
    precondition(stats.flowCounters.peakFlows <= options.flows.maxFlows, "peak flows over the cap")
    check("budget-cap", stats.peakHeldBytes <= options.flows.maxHeldBytesTotal + 65_535,
          "peak held bytes \(stats.peakHeldBytes), cap \(options.flows.maxHeldBytesTotal)")
    reporter.stats(stats, final: true, now: latest)
    _ = stats.warnings
    let report = readOutput()
    if verbose { print(String(decoding: report, as: UTF8.self), terminator: "") }
    switch format {
    case .json: checkJSONLines(report, flowsCreated: stats.flowCounters.flowsCreated)
    case .text: check("text", String(validating: report, as: UTF8.self) != nil, "the text summary is not valid UTF-8")
    }
    return 0
}
