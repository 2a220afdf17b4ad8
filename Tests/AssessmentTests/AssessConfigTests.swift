import Foundation
import Testing
@testable import Assessment

@Suite struct AssessConfigTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/assess.example.yaml")

    @Test func theShippedExampleLoads() throws {
        let config = try AssessConfig.load(path: Self.example.path)
        #expect(config.jsonl == ["/var/lib/plainsight/sensor-{date}.jsonl", "/var/lib/plainsight/sensor-{day_after}.jsonl"])
        #expect(config.captures.isEmpty)
        #expect(config.failOn == .high && config.window == "yesterday" && config.formats.count == 3)
        #expect(config.keepRuns == 90)
    }

    @Test func keepRunsIsOptional() throws {
        let base = "inputs:\n  jsonl: [a]\noutput_dir: o\nstate_dir: s\n"
        #expect(try AssessConfig.parse(base, source: "a.yaml").keepRuns == 90)
        #expect(try AssessConfig.parse(base + "keep_runs: 7\n", source: "a.yaml").keepRuns == 7)
    }

    @Test func relativePathsAreTakenFromTheFilesFolder() throws {
        let config = try AssessConfig.parse(
            "inputs:\n  captures: [caps/*.pcap]\noutput_dir: out\nstate_dir: /var/state\nfail_on: never\n",
            source: "/etc/plainsight/assess.yaml")
        #expect(config.captures == ["/etc/plainsight/caps/*.pcap"])
        #expect(config.outputDir == "/etc/plainsight/out" && config.stateDir == "/var/state")
        #expect(config.failOn == nil)
    }

    @Test func mistakesAreNamedWithTheirLine() {
        let cases: [(String, String)] = [
            ("inputs:\n  jsonl: [a]\noutput_dir: o\nstate_dir: s\nwindow: lastweek\n", "a.yaml:5: field window"),
            ("inputs:\n  jsonl: [a]\noutput_dir: o\nstate_dir: s\nfail_on: severe\n", "a.yaml:5: field fail_on"),
            ("inputs:\n  jsonl: [a]\noutput_dir: o\nstate_dir: s\nformats: [pdf]\n", "a.yaml:5: field formats"),
            ("inputs:\n  jsonl: [a]\noutput_dir: o\nstate_dir: s\nthreshold: high\n", "a.yaml:5: unknown field threshold"),
            ("inputs:\n  jsonl: [a]\noutput_dir: o\nstate_dir: s\nkeep_runs: 0\n", "a.yaml:5: field keep_runs: expected 1 to 36500 runs"),
            ("inputs:\n  pcaps: [a]\noutput_dir: o\nstate_dir: s\n", "a.yaml:2: unknown field inputs.pcaps"),
            ("inputs: {}\noutput_dir: o\nstate_dir: s\n", "inputs: give captures, jsonl or both"),
            ("inputs:\n  jsonl: [a]\nstate_dir: s\n", "missing field output_dir"),
        ]
        for (yaml, expected) in cases {
            do {
                _ = try AssessConfig.parse(yaml, source: "a.yaml")
                Issue.record("accepted: \(yaml)")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
    }

    @Test func windowsAndDatePatterns() throws {
        var config = try AssessConfig.parse("inputs:\n  jsonl: [a]\noutput_dir: o\nstate_dir: s\n", source: "a.yaml")
        let now = microseconds("2026-12-05T02:30:00Z")
        #expect(config.timeWindow(at: now)?.label == "2026-12-04")
        config.window = "today"
        #expect(config.timeWindow(at: now)?.label == "2026-12-05")
        config.window = "all"
        #expect(config.timeWindow(at: now) == nil)
        config.window = "2026-02-28"
        #expect(config.timeWindow(at: now)?.to == microseconds("2026-03-01"))

        let folder = temporaryFolder()
        for name in ["sensor-2026-12-03.jsonl", "sensor-2026-12-04.jsonl", "sensor-2026-12-04T01.jsonl"] {
            FileManager.default.createFile(atPath: folder.appendingPathComponent(name).path, contents: Data())
        }
        let window = TimeWindow.day("2026-12-03")
        let found = AssessConfig.expand(
            [folder.path + "/sensor-{date}*.jsonl", folder.path + "/sensor-{day_after}.jsonl", folder.path + "/none-{date}"],
            window: window)
        #expect(found.files.map { ($0 as NSString).lastPathComponent } == ["sensor-2026-12-03.jsonl", "sensor-2026-12-04.jsonl"])
        #expect(found.unmatched == [folder.path + "/none-2026-12-03"])
        let all = AssessConfig.expand([folder.path + "/sensor-{date}.jsonl"], window: nil)
        #expect(all.files.count == 3, "no window: every file the pattern matches")
        let both = AssessConfig.expand([folder.path + "/sensor-{date}.jsonl", folder.path + "/sensor-{day_after}.jsonl"], window: nil)
        #expect(both.files.count == 3, "a file two patterns name is read once (not 6)")
    }
}
