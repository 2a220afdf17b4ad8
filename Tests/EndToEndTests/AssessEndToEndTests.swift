import Foundation
import Testing

/// A classic pcap rewritten for a test: its packets moved to another day, and
/// the TCP connections of some client ports left out (Ethernet, IPv4 only).
enum PcapRewrite {
    static func write(_ source: URL, to target: URL, day: String, hour: Int = 10, dropClientPorts: Set<UInt16> = []) throws {
        let bytes = [UInt8](try Data(contentsOf: source))
        precondition(bytes.count >= 24 && bytes[0...3] == [0xd4, 0xc3, 0xb2, 0xa1] && bytes[20] == 1, "little-endian Ethernet pcap")
        func u32(_ at: Int) -> UInt32 { UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24 }
        let dayStart = UInt32(ISO8601DateFormatter().date(from: day + "T00:00:00Z")!.timeIntervalSince1970) + UInt32(hour * 3600)
        var out = Array(bytes[0..<24])
        var at = 24
        var first: UInt32?
        while at + 16 <= bytes.count {
            let length = Int(u32(at + 8))
            let packet = Array(bytes[(at + 16)..<(at + 16 + length)])
            let seconds = u32(at)
            first = first ?? seconds
            if !dropped(packet, dropClientPorts) {
                let moved = dayStart + (seconds - first!)
                out += withUnsafeBytes(of: moved.littleEndian, Array.init) + bytes[(at + 4)..<(at + 16)] + packet
            }
            at += 16 + length
        }
        try Data(out).write(to: target)
    }

    /// A TCP/IPv4 packet to or from one of `ports`.
    static func dropped(_ p: [UInt8], _ ports: Set<UInt16>) -> Bool {
        guard !ports.isEmpty, p.count >= 14 + 20, p[12] == 0x08, p[13] == 0x00, p[23] == 6 else { return false }
        let tcp = 14 + Int(p[14] & 0x0f) * 4
        guard p.count >= tcp + 4 else { return false }
        let source = UInt16(p[tcp]) << 8 | UInt16(p[tcp + 1]), destination = UInt16(p[tcp + 2]) << 8 | UInt16(p[tcp + 3])
        return ports.contains(source) || ports.contains(destination)
    }
}

/// `plainsight assess` over two nights of captures made from `Captures/`, and `plainsight report`.
@Suite(.serialized) struct AssessEndToEndTests {
    /// A site: day folders of captures, a configuration, reports and state folders.
    struct Site {
        let root = Paths.temporaryDirectory()
        var config: URL { root.appendingPathComponent("assess.yaml") }
        var state: URL { root.appendingPathComponent("state") }
        var reports: URL { root.appendingPathComponent("reports") }

        /// Night one (2026-11-30): the content capture (card, e-mail, SSN; AWS key, GitHub token)
        /// and TLS with bad certificates. Night two (2026-12-01): the content capture without the
        /// connection that carried the card, e-mail and SSN (its server still answers the other one),
        /// TLS as before, and new: HTTP logins.
        init(extraConfig: String = "") throws {
            let captures = root.appendingPathComponent("captures")
            for day in ["2026-11-30", "2026-12-01"] {
                try FileManager.default.createDirectory(at: captures.appendingPathComponent(day), withIntermediateDirectories: true)
            }
            func make(_ name: String, _ day: String, drop: Set<UInt16> = []) throws {
                try PcapRewrite.write(
                    Paths.captures.appendingPathComponent(name + ".pcap"),
                    to: captures.appendingPathComponent(day).appendingPathComponent(name + ".pcap"), day: day, dropClientPorts: drop)
            }
            try make("content-http", "2026-11-30")
            try make("tls12-bad-certs", "2026-11-30")
            try make("content-http", "2026-12-01", drop: [Site.cardConnection])
            try make("tls12-bad-certs", "2026-12-01")
            try make("http-auth-curl", "2026-12-01")
            try """
                inputs:
                  captures:
                    - captures/{date}
                output_dir: reports
                state_dir: state
                fail_on: high
                \(extraConfig)
                """.write(to: config, atomically: true, encoding: .utf8)
        }

        /// The client port of the content capture's connection with the card, e-mail and SSN.
        static let cardConnection: UInt16 = 46224

        func assess(night: String, timeout: Double = 120, whileRunning: ((Process) -> Void)? = nil) throws -> PlainSightRun {
            try plainsight(["assess", "--config", config.path, "--now", night + "T02:30:00Z"], timeout: timeout, whileRunning: whileRunning)
        }

        /// The JSON report of the latest run.
        func latestReport() throws -> [String: Any] {
            let runs = try FileManager.default.contentsOfDirectory(atPath: reports.path).sorted()
            let data = try Data(contentsOf: reports.appendingPathComponent(runs.last!).appendingPathComponent("report.json"))
            return try JSONSerialization.jsonObject(with: data) as! [String: Any]
        }

        /// What `read` finds in one night's captures, as `rule service` (the report's service naming).
        func exposuresRead(night: String) throws -> Set<String> {
            let folder = root.appendingPathComponent("captures").appendingPathComponent(night)
            let run = try plainsight(["read", folder.path, "--format", "json"])
            return Set(run.records.filter { $0["type"] as? String == "finding" }.map { finding in
                let flow = finding["flow"] as! [String: Any], server = flow["server"] as! [String: Any]
                return "\(finding["rule"]!) \(flow["transport"]!) \(server["ip"]!):\(server["port"]!)"
            })
        }
    }

    static func rules(_ report: [String: Any], _ section: String) -> Set<String> {
        Set((report[section] as! [[String: Any]]).map { $0["rule"] as! String })
    }

    /// A report section as `rule service`.
    static func exposures(_ report: [String: Any], _ section: String) -> Set<String> {
        Set((report[section] as! [[String: Any]]).map { "\($0["rule"]!) \($0["service"]!)" })
    }

    @Test func twoNightsGiveNewStillOpenAndResolved() throws {
        let site = try Site()
        let first = try site.assess(night: "2026-12-01")
        #expect(first.status == 1, "new high exposures on the first night: \(first.stderr)")
        let night1 = try site.latestReport()
        let read1 = try site.exposuresRead(night: "2026-11-30")
        #expect(Self.exposures(night1, "new_exposures") == read1, "everything read is new on the first night")
        #expect((night1["window"] as! [String: Any])["label"] as? String == "2026-11-30")
        #expect(night1["baseline"] == nil)

        let second = try site.assess(night: "2026-12-02")
        #expect(second.status == 1, "the HTTP logins are new and high: \(second.stderr)")
        let night2 = try site.latestReport()
        let read2 = try site.exposuresRead(night: "2026-12-01")
        let gone = Set(["pii.payment-card", "pii.email", "pii.us-ssn"].map { "\($0) tcp 127.0.0.1:18097" })
        #expect(night2["baseline"] as? String == "2026-12-01T02:30:00Z")
        #expect(Self.exposures(night2, "resolved") == gone)
        #expect(Self.exposures(night2, "new_exposures") == read2.subtracting(read1))
        #expect(Self.rules(night2, "new_exposures").isSuperset(of: ["credential.http-basic", "cleartext.http"]))
        #expect(Self.exposures(night2, "still_open") == read1.subtracting(gone))
        let summary = night2["summary"] as! [String: Any]
        #expect(summary["resolved"] as? Int == 3)
        #expect((night2["trend"] as! [[String: Any]]).count == 2)

        // Every file the runs wrote is private.
        let written = FileManager.default.enumerator(atPath: site.root.path)!.compactMap { $0 as? String }
            .filter { !$0.hasPrefix("captures") && !$0.hasSuffix(".yaml") }
        for path in written {
            let attributes = try FileManager.default.attributesOfItem(atPath: site.root.appendingPathComponent(path).path)
            let mode = (attributes[.posixPermissions] as! NSNumber).intValue
            let isFolder = attributes[.type] as? FileAttributeType == .typeDirectory
            #expect(mode == (isFolder ? 0o700 : 0o600), "\(path): \(String(mode, radix: 8))")
        }
        #expect(written.contains { $0.hasSuffix("report.html") } && written.contains { $0.hasSuffix("report.md") })
    }

    @Test func anAcceptedRiskSuppressesUntilItExpires() throws {
        let site = try Site()
        try """
            allow:
              - rule: credential.http-basic
                server: 127.0.0.1
                port: 18090
                reason: Test kiosk until its TLS proxy ships
                expires: 2026-12-01
            """.write(to: site.root.appendingPathComponent("allow.yaml"), atomically: true, encoding: .utf8)
        try """
            inputs:
              captures: [captures/2026-12-01/*.pcap]
            window: 2026-12-01
            output_dir: reports
            state_dir: state
            fail_on: high
            allowlist: allow.yaml
            """.write(to: site.config, atomically: true, encoding: .utf8)
        // Judged on the entry's last day: it is in force, suppresses and is counted.
        var run = try plainsight(["assess", "--config", site.config.path, "--now", "2026-12-01T23:00:00Z"])
        var report = try site.latestReport()
        #expect(!Self.rules(report, "new_exposures").contains("credential.http-basic"), "\(run.stderr)")
        #expect(Self.rules(report, "new_exposures").contains("credential.http-bearer"), "other rules are not suppressed")
        var risk = try #require((report["accepted_risks"] as? [[String: Any]])?.first)
        #expect((risk["suppressed"] as? Int ?? 0) >= 1)
        #expect(risk["expired"] as? Bool == false)
        #expect((report["summary"] as! [String: Any])["suppressed"] as? Int == risk["suppressed"] as? Int)

        // The day after its expiry it suppresses nothing, and the run says so.
        try FileManager.default.removeItem(at: site.state)
        run = try plainsight(["assess", "--config", site.config.path, "--now", "2026-12-02T02:30:00Z"])
        report = try site.latestReport()
        #expect(Self.rules(report, "new_exposures").contains("credential.http-basic"))
        risk = try #require((report["accepted_risks"] as? [[String: Any]])?.first)
        #expect(risk["expired"] as? Bool == true && risk["suppressed"] as? Int == 0)
        #expect(run.stderr.contains("accepted risk 'Test kiosk until its TLS proxy ships' expired on 2026-12-01"), "\(run.stderr)")
    }

    @Test func aKilledRunLeavesTheBaselineAsItWas() throws {
        let site = try Site()
        _ = try site.assess(night: "2026-12-01")
        let before = try Data(contentsOf: site.state.appendingPathComponent("state.json"))
        // The second night also reads a sensor file that never ends (a FIFO): the run is
        // killed while it waits there, after the captures were read.
        let fifo = site.root.appendingPathComponent("sensor-2026-11-30.jsonl")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        var config = try String(contentsOf: site.config, encoding: .utf8)
        config = config.replacingOccurrences(of: "inputs:\n", with: "inputs:\n  jsonl:\n    - sensor-{date}.jsonl\n")
        try config.write(to: site.config, atomically: true, encoding: .utf8)
        let run = try site.assess(night: "2026-12-01", timeout: 30) { process in
            // Wait until the run opened the FIFO (it blocks there), then kill it hard.
            var writer: Int32 = -1
            let deadline = Date().addingTimeInterval(20)
            while writer < 0 && process.isRunning && Date() < deadline {
                writer = open(fifo.path, O_WRONLY | O_NONBLOCK)  // fails (ENXIO) until a reader has it open
                if writer < 0 { usleep(20_000) }
            }
            let line = Array("{\"type\":\"stats\"}\n".utf8)
            _ = write(writer, line, line.count)
            usleep(200_000)
            kill(process.processIdentifier, SIGKILL)
            close(writer)
        }
        #expect(run.status != 0)
        #expect(try Data(contentsOf: site.state.appendingPathComponent("state.json")) == before, "the baseline is untouched")
        #expect(try FileManager.default.contentsOfDirectory(atPath: site.state.path).sorted() == ["lock", "state.json"])
        // The next run is not locked out by the dead one.
        try FileManager.default.removeItem(at: fifo)
        let next = try site.assess(night: "2026-12-02")
        #expect(next.status == 1, "\(next.stderr)")
    }

    /// A run killed while it replaced a file leaves `NAME.tmp-PID` behind; the
    /// next run removes those whose writer is gone (or whose PID was reused by
    /// a process started later), keeps a live writer's, and touches no other name.
    @Test func aKilledRunsTemporaryFilesAreRemovedButNoLiveOnes() throws {
        let site = try Site()
        _ = try site.assess(night: "2026-12-01")
        let run = site.reports.appendingPathComponent("2026-12-01T023000Z")
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = finished.processIdentifier
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["60"]
        try sleeper.run()
        defer { sleeper.terminate() }
        let live = sleeper.processIdentifier
        func plant(_ folder: URL, _ name: String, hoursAgo: Double = 0) throws -> String {
            let path = folder.appendingPathComponent(name).path
            #expect(FileManager.default.createFile(atPath: path, contents: Data("{\"half\":".utf8)))
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3600 * hoursAgo)], ofItemAtPath: path)
            return path
        }
        let other = site.reports.appendingPathComponent("drafts")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        let stale = [
            try plant(site.state, "state.json.tmp-\(dead)"),
            try plant(run, "report.html.tmp-\(dead)"),
            try plant(run, "report.json.tmp-\(live)", hoursAgo: 1),  // older than the process that has its PID now
        ]
        let kept = [
            try plant(site.state, "state.json.tmp-\(live)"),  // a live writer's
            try plant(site.state, "notes.tmp-\(dead)"),
            try plant(site.state, "state.json.tmp-\(dead)x"),
            try plant(other, "report.html.tmp-\(dead)"),  // not a run folder
        ]
        let next = try site.assess(night: "2026-12-02")
        #expect(next.status == 1, "\(next.stderr)")
        for path in stale {
            #expect(!FileManager.default.fileExists(atPath: path), "\(path) left")
            #expect(next.stderr.contains("removed \(path)"), "\(next.stderr)")
        }
        for path in kept { #expect(FileManager.default.fileExists(atPath: path), "\(path) removed") }
    }

    @Test func aRunDatedBeforeTheBaselineIsRefused() throws {
        let site = try Site()
        _ = try site.assess(night: "2026-12-02")
        let state = site.state.appendingPathComponent("state.json")
        let before = try Data(contentsOf: state)
        let runs = try FileManager.default.contentsOfDirectory(atPath: site.reports.path)
        let earlier = try site.assess(night: "2026-12-01")
        #expect(earlier.status == 2)
        #expect(earlier.stderr.contains(
            "this run's time 2026-12-01T02:30:00Z (--now or the clock) is before the baseline's last run at 2026-12-02T02:30:00Z"),
            "\(earlier.stderr)")
        #expect(earlier.stderr.contains("start a fresh baseline with another state_dir"))
        #expect(try Data(contentsOf: state) == before, "the baseline is untouched")
        #expect(try FileManager.default.contentsOfDirectory(atPath: site.reports.path) == runs, "no report folder")
        // The same time again is a re-run, not a step back (nothing new: status 0).
        let rerun = try site.assess(night: "2026-12-02")
        #expect(rerun.status == 0, "\(rerun.stderr)")
    }

    /// `keep_runs: 2`: after a run, the two newest run folders are left; folders
    /// and files not named as assess names its runs are not touched.
    @Test func oldRunFoldersBeyondKeepRunsAreDeletedAndNothingElse() throws {
        let site = try Site(extraConfig: "keep_runs: 2")
        let outside = site.root.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: site.reports, withIntermediateDirectories: true)
        let oldRuns = ["2026-11-01T023000Z", "2026-11-02T023000Z", "2026-11-03T023000Z"]
        let others = ["notes", "2026-11-04T023000Z.bak", "2026-11-31T023000Z", "2026-11-05T02:30:00Z", "2026-11-06"]
        for name in oldRuns + others {
            let folder = site.reports.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: folder.appendingPathComponent("report.md"))
        }
        try Data("x".utf8).write(to: site.reports.appendingPathComponent("2026-10-01T023000Z"))  // a file, not a folder
        try FileManager.default.createSymbolicLink(
            at: site.reports.appendingPathComponent("2026-10-02T023000Z"), withDestinationURL: outside)

        let run = try site.assess(night: "2026-12-01")
        #expect(run.status == 1, "\(run.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: site.reports.path).sorted()
        #expect(left == (others + ["2026-10-01T023000Z", "2026-10-02T023000Z", "2026-11-03T023000Z", "2026-12-01T023000Z"]).sorted())
        #expect(FileManager.default.fileExists(atPath: outside.path))
    }

    /// A sensor restarted in the middle of a day appends to that day's file and
    /// counts from zero again: the counts before and after its final stats
    /// record add up (here: the same capture read twice into one file).
    @Test func aWriterRestartedIntoTheSameFileAddsUp() throws {
        let folder = Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = Paths.captures.appendingPathComponent("http-auth-curl.pcap").path
        let once = try plainsight(["read", capture, "--format", "json"])
        #expect(once.status == 0)
        let day = folder.appendingPathComponent("sensor-2026-12-04.jsonl")
        try Data((once.stdout + once.stdout).utf8).write(to: day)
        let run = try plainsight(["report", day.path, "--json", "-"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let rows = report["new_exposures"] as! [[String: Any]]
        let http = try #require(rows.first { $0["rule"] as? String == "cleartext.http" })
        #expect(http["count"] as? Int == 12, "6 flows before the restart and 6 after")
    }

    @Test func noPlantedValueAppearsInAnyReportStateOrLog() throws {
        let site = try Site()
        var logs = ""
        for night in ["2026-12-01", "2026-12-02"] {
            let run = try site.assess(night: night)
            logs += run.stdout + run.stderr
        }
        // The values themselves, from the captures read with --reveal.
        var planted: Set<String> = []
        for name in ["content-http", "http-auth-curl"] {
            let run = try plainsight(["read", Paths.captures.appendingPathComponent(name + ".pcap").path, "--format", "json", "--reveal"])
            for record in run.records where ["pii", "secret"].contains(record["category"] as? String) {
                planted.insert(record["evidence"] as! String)
            }
        }
        #expect(planted.count >= 5, "\(planted.count)")
        // The credentials of the HTTP capture (Captures/record_helpers.py: FAKE_PASS, FAKE_API_KEY, FAKE_SESSION).
        planted.formUnion(["demo-password", "demo-api-key-0123456789abcdef", "5f2b9c0e7d4a4e1f9a3c6b8d2e7f1a0c"])
        var files: [(String, String)] = [("logs", logs)]
        for case let path as String in FileManager.default.enumerator(atPath: site.root.path)! where !path.hasPrefix("captures") {
            let url = site.root.appendingPathComponent(path)
            if let data = try? Data(contentsOf: url) { files.append((path, String(decoding: data, as: UTF8.self))) }
        }
        #expect(files.count >= 8)
        for (name, text) in files {
            for value in planted { #expect(!text.contains(value), "\(name) holds a planted value in clear") }
        }
    }

    @Test func reportTurnsJSONLinesIntoTheSameReports() throws {
        let folder = Paths.temporaryDirectory()
        let jsonl = folder.appendingPathComponent("run.jsonl")
        let read = try plainsight(["read", Paths.captures.appendingPathComponent("http-auth-curl.pcap").path, "--format", "json", "-o", jsonl.path])
        #expect(read.status == 0)
        let html = folder.appendingPathComponent("r.html"), json = folder.appendingPathComponent("r.json")
        let run = try plainsight(["report", jsonl.path, "--html", html.path, "--json", json.path, "--now", "2026-12-05"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as! [String: Any]
        let expected = Set(parseRecords(try String(contentsOf: jsonl, encoding: .utf8)).filter { $0["type"] as? String == "finding" }
            .map { $0["rule"] as! String })
        #expect(Self.rules(report, "new_exposures") == expected)
        #expect(try String(contentsOf: html, encoding: .utf8).contains("credential.http-basic"))
        let markdown = try plainsight(["report", jsonl.path])
        #expect(markdown.stdout.hasPrefix("# PlainSight report"))
        #expect(markdown.stdout.contains("credential.http-basic"))
        let missing = try plainsight(["report", folder.appendingPathComponent("none.jsonl").path])
        #expect(missing.status == 2 && missing.stderr.contains("none.jsonl: cannot read"))
    }

    @Test func configurationAndInputMistakesAreClearErrors() throws {
        let site = try Site()
        try "inputs:\n  captures:\n    - nothing-{date}/*.pcap\noutput_dir: r\nstate_dir: s\n".write(to: site.config, atomically: true, encoding: .utf8)
        let none = try site.assess(night: "2026-12-01")
        #expect(none.status == 2)
        #expect(none.stderr.contains("no input for 2026-11-30"))
        #expect(!FileManager.default.fileExists(atPath: site.root.appendingPathComponent("s/state.json").path))
        try "inputs:\n  captures: [a]\noutput_dir: r\nstate_dir: s\nfail_on: sometimes\n".write(to: site.config, atomically: true, encoding: .utf8)
        let bad = try site.assess(night: "2026-12-01")
        #expect(bad.status == 2 && bad.stderr.contains("assess.yaml:5: field fail_on"), "\(bad.stderr)")
        let missing = try plainsight(["assess", "--config", site.root.appendingPathComponent("none.yaml").path])
        #expect(missing.status == 2 && missing.stderr.contains("cannot read the configuration"))
    }
}
