import Capture
@testable import Decoding
import Findings
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

/// Whether this process has `path` open (its output thread switched to it).
func isOpenHere(_ path: String) -> Bool {
    let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return descriptors.contains { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == path }
}

/// A live sensor's output, rotated at a wall-clock boundary and reopened
/// after logrotate renamed it, driven in process with a clock the test sets:
/// the Auditor, its output thread and the files are the ones `live` uses.
@Suite struct SensorOutputTests {
    /// Feeds every packet of a capture from `Captures/`, then lets all its
    /// flows go idle so their records are queued before the next step.
    static func feed(_ name: String, to auditor: inout Auditor) throws {
        try feed(file: Paths.captures.appendingPathComponent(name).path, to: &auditor)
    }

    static func feed(file: String, to auditor: inout Auditor) throws {
        let source = try CaptureSource.openFile(file)
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

        // logrotate renames the file (once the output thread has it open),
        // then SIGHUP asks for a reopen: the records still queued or
        // buffered go to the renamed file, later ones to a new one.
        let deadline = Date().addingTimeInterval(10)
        while !isOpenHere(today) && Date() < deadline { usleep(10_000) }
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

    /// The new day's file cannot be made (here: a symbolic link is where it
    /// goes, which the sensor refuses): the day does not start, records go on
    /// to yesterday's file, and the switch is made at the next check once the
    /// way is clear, not at the next midnight or SIGHUP.
    @Test func aRotationWhoseFileCannotBeMadeIsTriedAgain() throws {
        let dir = Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = dir.appendingPathComponent("sensor.jsonl").path
        let midnight = CivilDate(year: 2027, month: 1, day: 1).daysSinceEpoch * 86_400_000_000
        let clock = ManualClock(midnight - 2_000_000)
        var output = SensorOutput(path: base, rotate: .daily, clock: { clock.now })
        let yesterday = dir.appendingPathComponent("sensor-2026-12-31.jsonl").path
        let today = dir.appendingPathComponent("sensor-2027-01-01.jsonl").path
        let elsewhere = dir.appendingPathComponent("elsewhere.jsonl").path
        #expect(symlink(elsewhere, today) == 0)

        let reporter = Reporter(format: .json, output: try OutputFile(path: output.path, appending: true))
        var auditor = Auditor(options: AuditorOptions(), reporter: reporter)
        try Self.feed("tls12-weak-ciphers.pcap", to: &auditor)
        clock.now = midnight + 1_000_000
        let refused = output.due(reopenRequested: false)
        #expect(refused == nil, "no rotation to a file that cannot be made")
        #expect(output.path == yesterday)
        #expect(!FileManager.default.fileExists(atPath: elsewhere), "the link was not followed")
        let hangup = output.due(reopenRequested: true)
        #expect(hangup == nil, "a SIGHUP with the open file still in place has nothing to reopen")
        try Self.feed("tls12-bad-certs.pcap", to: &auditor)

        #expect(unlink(today) == 0)
        clock.now += 1_000_000
        let retried = output.due(reopenRequested: false)
        #expect(retried == .rotate(to: today), "tried again at the next check")
        #expect(output.path == today)
        if let retried { auditor.switchOutput(retried, now: clock.now) }
        let again = output.due(reopenRequested: false)
        #expect(again == nil)
        try Self.feed("http-curl.pcap", to: &auditor)
        auditor.finish()
        reporter.stats(auditor.stats, final: true, now: clock.now)

        var flowsByFile: [Int] = []
        for path in [yesterday, today] {
            #expect(permissions(path) == 0o600, "\(path)")
            let records = try jsonLines(path).lines.compactMap { $0 }
            flowsByFile.append(records.filter { $0["type"] as? String == "flow" }.count)
        }
        #expect(flowsByFile == [9, 1], "yesterday's file holds what came before the switch")
    }

    /// SIGHUP after logrotate renamed the file, but the new one cannot be
    /// made yet: the reopen waits (records go on to the renamed file) and is
    /// made at the first check once it can, without another signal. A SIGHUP
    /// with the file still in place reopens nothing.
    @Test func aReopenWhoseFileCannotBeMadeIsTriedAgain() throws {
        let dir = Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("sensor.jsonl").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        var output = SensorOutput(path: path, rotate: nil)
        let first = output.due(reopenRequested: false)
        #expect(first == nil)
        let inPlace = output.due(reopenRequested: true)
        #expect(inPlace == nil, "the file was not renamed: nothing to reopen")

        let elsewhere = dir.appendingPathComponent("elsewhere.jsonl").path
        #expect(rename(path, path + ".1") == 0)
        #expect(symlink(elsewhere, path) == 0)
        let blocked = output.due(reopenRequested: true)
        #expect(blocked == nil)
        #expect(!FileManager.default.fileExists(atPath: elsewhere), "the link was not followed")
        #expect(unlink(path) == 0)
        let retried = output.due(reopenRequested: false)
        #expect(retried == .reopen(path), "tried again at the next check, without another SIGHUP")
        #expect(permissions(path) == 0o600)
        let after = output.due(reopenRequested: false)
        #expect(after == nil, "once")
    }

    /// A sensor's deduplicated findings (one per credential or exposure, with a
    /// count) count, in each rotated file, what happened while that file was
    /// open: the same logins before and after the sensor's midnight give the
    /// same counts in both days' files, and a report over both adds them up.
    @Test func eachRotatedFileCountsWhatHappenedWhileItWasOpen() throws {
        let dir = Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let logins = Paths.captures.appendingPathComponent("http-auth-curl.pcap")
        let before = dir.appendingPathComponent("before.pcap"), after = dir.appendingPathComponent("after.pcap")
        try PcapRewrite.write(logins, to: before, day: "2026-12-31", hour: 10)
        try PcapRewrite.write(logins, to: after, day: "2026-12-31", hour: 14)
        let base = dir.appendingPathComponent("sensor.jsonl").path
        let midnight = CivilDate(year: 2027, month: 1, day: 1).daysSinceEpoch * 86_400_000_000
        let clock = ManualClock(midnight - 2_000_000)
        var output = SensorOutput(path: base, rotate: .daily, clock: { clock.now })
        let yesterday = output.path
        let reporter = Reporter(format: .json, output: try OutputFile(path: output.path, appending: true))
        var options = AuditorOptions()
        options.cleartext = CleartextAssessor(
            rules: try CleartextRules.load(patterns: Paths.root.appendingPathComponent("Patterns")),
            fingerprints: FingerprintKey.ephemeral())
        var auditor = Auditor(options: options, reporter: reporter)
        try Self.feed(file: before.path, to: &auditor)
        clock.now = midnight + 1_000_000
        let due = output.due(reopenRequested: false)
        let rotation = try #require(due)
        auditor.switchOutput(rotation, now: clock.now)
        try Self.feed(file: after.path, to: &auditor)
        auditor.finish()
        reporter.stats(auditor.stats, final: true, now: clock.now)

        /// `rule count` of each deduplicated finding's last line in a file (it supersedes the earlier ones).
        func counts(_ records: [[String: Any]]) -> [String] {
            var last: [String: [String: Any]] = [:]
            for r in records where r["type"] as? String == "finding" && r["count"] != nil {
                last[(r["details"] as! [String: Any])["key"] as! String] = r
            }
            return last.values.map { "\($0["rule"]!) \($0["count"]!)" }.sorted()
        }
        let alone = counts(try plainsight(["read", logins.path, "--format", "json", "--analyzers", "flows,cleartext"]).records)
        #expect(alone.contains("cleartext.http 6"), "\(alone)")
        let todays = try jsonLines(output.path).lines.compactMap { $0 }
        #expect(counts(try jsonLines(yesterday).lines.compactMap { $0 }) == alone)
        #expect(counts(todays) == alone, "the second file counts from zero")
        let firstSeen = todays.compactMap { $0["first_seen"] as? String }
        #expect(!firstSeen.isEmpty && firstSeen.allSatisfy { $0.hasPrefix("2026-12-31T14:") }, "\(firstSeen)")

        // The nightly side: the two files' counts add up to what happened over both.
        let report = try plainsight(["report", yesterday, output.path, "--json", "-"])
        #expect(report.status == 0, "\(report.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as! [String: Any]
        let rows = json["new_exposures"] as! [[String: Any]]
        let twice = alone.map { line in
            let (rule, count) = (line.split(separator: " ")[0], Int(line.split(separator: " ")[1])!)
            return "\(rule) \(2 * count)"
        }
        #expect(rows.map { "\($0["rule"]!) \($0["count"]!)" }.sorted() == twice.sorted())
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
