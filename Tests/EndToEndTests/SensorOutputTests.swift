import Capture
@testable import Decoding
import Foundation
import Pipeline
import Reporting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A wall clock the test moves by hand (read on the test's thread only).
final class ManualClock: @unchecked Sendable {
    var now: Microseconds
    init(_ now: Microseconds) { self.now = now }
}

/// The JSON Lines of a file: each line, parsed (nil for a line that does not parse).
func jsonLines(_ path: String) throws -> (lines: [[String: Any]?], endsWithNewline: Bool) {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
    return (
        lines.map { (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any] },
        data.last == UInt8(ascii: "\n")
    )
}

func permissions(_ path: String) -> mode_t? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return st.st_mode & 0o7777
}

/// A live sensor's output, rotated at a wall-clock boundary and reopened
/// after logrotate renamed it, driven in process with a clock the test sets:
/// the Auditor, its output thread and the files are the ones `live` uses.
@Suite struct SensorOutputTests {
    /// Feeds every packet of a capture from `Captures/`, then lets all its
    /// flows go idle so their records are queued before the next step.
    static func feed(_ name: String, to auditor: inout Auditor) throws {
        let source = try CaptureSource.openFile(Paths.captures.appendingPathComponent(name).path)
        let linkType = LinkType(rawValue: source.linkType)
        var last: Microseconds = 0
        while case .packet(let p) = source.next() {
            auditor.process(p.bytes, wireLength: p.wireLength, linkType: linkType, timestamp: p.timestamp)
            last = p.timestamp
        }
        auditor.sweep(now: last + 3_600_000_000)
    }

    /// The endpoints of the flows `plainsight read` reports for a capture.
    static func flowsRead(_ name: String) throws -> [String] {
        let run = try plainsight(["read", Paths.captures.appendingPathComponent(name).path, "--format", "json"])
        return run.flows.map(endpoints).sorted()
    }

    @Test func rotationAtMidnightAndReopenAfterRenameLoseAndRepeatNoRecord() throws {
        let dir = Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = dir.appendingPathComponent("sensor.jsonl").path
        let midnight = CivilDate(year: 2027, month: 1, day: 1).daysSinceEpoch * 86_400_000_000
        let clock = ManualClock(midnight - 2_000_000)  // 2026-12-31T23:59:58Z
        var output = SensorOutput(path: base, rotate: .daily, clock: { clock.now })
        let yesterday = dir.appendingPathComponent("sensor-2026-12-31.jsonl").path
        let today = dir.appendingPathComponent("sensor-2027-01-01.jsonl").path
        let renamed = today + ".1"
        #expect(output.path == yesterday)

        let reporter = Reporter(format: .json, output: try OutputFile(path: output.path, appending: true))
        var auditor = Auditor(options: AuditorOptions(), reporter: reporter)
        try Self.feed("tls12-weak-ciphers.pcap", to: &auditor)
        let beforeMidnight = output.due(reopenRequested: false)
        #expect(beforeMidnight == nil)

        clock.now = midnight + 1_000_000  // past midnight: the next file
        let due = output.due(reopenRequested: false)
        let rotation = try #require(due)
        #expect(rotation == .rotate(to: today))
        auditor.switchOutput(rotation, now: clock.now)
        let again = output.due(reopenRequested: false)
        #expect(again == nil, "one rotation per boundary")
        try Self.feed("tls12-bad-certs.pcap", to: &auditor)
        auditor.flushOutput()

        // logrotate renames the file (once the output thread has made it),
        // then SIGHUP asks for a reopen: the records still queued or
        // buffered go to the renamed file, later ones to a new one.
        let deadline = Date().addingTimeInterval(10)
        while permissions(today) == nil && Date() < deadline { usleep(10_000) }
        #expect(rename(today, renamed) == 0)
        let hangup = output.due(reopenRequested: true)
        let reopen = try #require(hangup)
        #expect(reopen == .reopen(today))
        auditor.switchOutput(reopen, now: clock.now)
        try Self.feed("http-curl.pcap", to: &auditor)
        auditor.finish()
        reporter.stats(auditor.stats, final: true, now: clock.now)

        var flowsByFile: [[String]] = []
        for path in [yesterday, renamed, today] {
            #expect(permissions(path) == 0o600, "\(path)")
            let (lines, endsWithNewline) = try jsonLines(path)
            #expect(endsWithNewline, "\(path) ends mid-line")
            #expect(lines.allSatisfy { $0 != nil }, "\(path): a line is not JSON")
            let records = lines.compactMap { $0 }
            flowsByFile.append(records.filter { $0["type"] as? String == "flow" }.map(endpoints).sorted())
            let last = try #require(records.last, "\(path) is empty")
            if path == yesterday {
                // The day's file closes with the counters as they stood at midnight.
                #expect(last["type"] as? String == "stats")
                #expect(last["final"] as? Bool == false)
                #expect(last["ts"] as? String == "2027-01-01T00:00:01.000000Z")
            }
            if path == today { #expect(last["type"] as? String == "stats" && last["final"] as? Bool == true) }
        }
        #expect(flowsByFile[0] == (try Self.flowsRead("tls12-weak-ciphers.pcap")))
        #expect(flowsByFile[1] == (try Self.flowsRead("tls12-bad-certs.pcap")))
        #expect(flowsByFile[2] == (try Self.flowsRead("http-curl.pcap")))
        #expect(flowsByFile.map(\.count) == [5, 4, 1])
    }

    @Test func rotateNeedsAFileAndAPeriod() throws {
        let noFile = try plainsight(["live", "-i", "lo", "--rotate", "daily"])
        #expect(noFile.status == 2)
        #expect(noFile.stderr.contains("--rotate needs --output FILE"))
        let badPeriod = try plainsight(["live", "-i", "lo", "--rotate", "weekly", "--output", "/tmp/x.jsonl"])
        #expect(badPeriod.status == 2)
        #expect(badPeriod.stderr.contains("--rotate is hourly or daily"))
        let text = try plainsight(["live", "-i", "lo", "--rotate", "hourly", "--output", "/tmp/x.jsonl", "--format", "text"])
        #expect(text.status == 2)
        #expect(text.stderr.contains("--rotate writes JSON Lines"))
    }
}
