import Findings
import Foundation
import Testing
@testable import Assessment

/// Records as `read` writes them (output-contract.md), built field by field.
enum Lines {
    static func finding(
        rule: String, category: String, severity: String = "high", server: String = "192.0.2.10", port: Int = 80,
        client: String = "10.0.0.5", ts: String = "2026-12-04T10:00:00.000000Z", evidence: String? = nil,
        count: Int? = nil, key: String? = nil, extra: [String: String] = [:]
    ) -> String {
        var details = extra
        if let key { details["key"] = key }
        var object: [String: Any] = [
            "type": "finding", "ts": ts, "rule": rule, "category": category, "severity": severity,
            "flow": ["id": "C1", "transport": "tcp", "client": ["ip": client, "port": 50000], "server": ["ip": server, "port": port]],
            "app": "http", "message": "\(rule) on \(server)", "details": details,
        ]
        if let evidence { object["evidence"] = evidence }
        if let count {
            object["count"] = count
            object["first_seen"] = ts
            object["last_seen"] = ts
        }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func flow(
        server: String = "192.0.2.10", port: Int = 80, app: String = "http", encrypted: Bool? = false,
        ts: String = "2026-12-04T10:00:00.000000Z", tls: [String: Any]? = nil
    ) -> String {
        var object: [String: Any] = [
            "type": "flow", "ts_start": ts, "ts_end": ts,
            "flow": ["id": "C1", "transport": "tcp", "client": ["ip": "10.0.0.5", "port": 50000], "server": ["ip": server, "port": port]],
            "app": app, "findings": 0,
        ]
        if let encrypted { object["encrypted"] = encrypted }
        if let tls { object["tls"] = tls }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func write(_ lines: [String], to name: String, in folder: URL) -> String {
        let path = folder.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: path, contents: Data((lines.joined(separator: "\n") + "\n").utf8))
        return path
    }
}

/// A new folder inside `assessScratch`, which is removed when the test process exits.
func temporaryFolder() -> URL {
    let url = assessScratch.appendingPathComponent(UUID().uuidString)
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

let assessScratch: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("assess-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(at: assessScratch) }
    return url
}()

func microseconds(_ text: String) -> Int64 { Timestamp.parse(text)! }

/// One run over lines, against a previous state.
func assess(
    _ files: [[String]], now: String = "2026-12-05T02:30:00Z", previous: AssessmentState = AssessmentState(),
    configure: (inout AssessmentOptions) -> Void = { _ in }
) throws -> (report: AssessmentReport, state: AssessmentState, skipped: [String]) {
    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    var options = AssessmentOptions(now: microseconds(now))
    configure(&options)
    var assessor = Assessor(options: options)
    var skipped: [String] = []
    for (i, lines) in files.enumerated() {
        try AuditRecords.read(Lines.write(lines, to: "f\(i).jsonl", in: folder), skipped: { skipped.append($0) }) { assessor.add($0) }
        assessor.nextFile()
    }
    let (report, state) = assessor.report(against: previous)
    return (report, state, skipped)
}

@Suite struct AssessorTests {
    static let basic = Lines.finding(
        rule: "credential.http-basic", category: "credential", evidence: "********", count: 2, key: "E0000000000000001",
        extra: ["fingerprint": "hmac-sha256:aa", "remediation": "Use HTTPS.", "references": "PCI DSS 4.0 req. 8.3.2; SOC 2 CC6.1"])

    @Test func aDeduplicatedFindingCountsItsLargestCountPerFileAndFilesAddUp() throws {
        let again = Self.basic.replacingOccurrences(of: "\"count\":2", with: "\"count\":5")
        let run = try assess([[Self.basic, again], [Self.basic]])
        let row = try #require(run.report.newExposures.first)
        #expect(run.report.newExposures.count == 1)
        #expect(row.count == 7, "5 (the later line of the first file) + 2")
        #expect(row.references == ["PCI DSS 4.0 req. 8.3.2", "SOC 2 CC6.1"])
        #expect(run.report.credentials.map(\.fingerprint) == ["hmac-sha256:aa"])
    }

    @Test func findingsWithoutAKeyAreKeptPerRuleServiceAndEvidence() throws {
        let weak = { (server: String) in
            Lines.finding(rule: "tls.weak-cipher", category: "tls", server: server, port: 443, evidence: "TLS_RSA_WITH_RC4_128_SHA")
        }
        let run = try assess([[weak("192.0.2.1"), weak("192.0.2.1"), weak("192.0.2.2")]])
        #expect(run.report.newExposures.map(\.count).sorted() == [1, 2])
        #expect(run.report.summary.bySeverity["high"] == 2)
    }

    /// TLS inside a proxy's tunnel: the service is the proxy, so the server
    /// the client asked for (`details.sni`) keeps origins apart.
    @Test func tunnelledTLSFindingsAreKeptPerServerName() throws {
        let weak = { (sni: String) in
            Lines.finding(
                rule: "tls.weak-cipher", category: "tls", server: "192.0.2.1", port: 3128, evidence: "TLS_RSA_WITH_RC4_128_SHA",
                extra: ["tunnel": "http-connect", "sni": sni])
        }
        let run = try assess([[weak("a.example"), weak("a.example"), weak("b.example")]])
        #expect(run.report.newExposures.map(\.count).sorted() == [1, 2])
    }

    @Test func theDiffSaysNewStillOpenResolvedAndNotObserved() throws {
        let card = Lines.finding(rule: "pii.payment-card", category: "pii", server: "192.0.2.20", evidence: "4111 **** **** 1111", key: "E0000000000000002")
        let day1 = try assess([[Self.basic, card, Lines.flow(), Lines.flow(server: "192.0.2.20")]], now: "2026-12-05T02:30:00Z")
        #expect(day1.report.newExposures.count == 2 && day1.report.baseline == nil)
        // Day 2: the Basic credential is still sent, the card is gone though its server was seen,
        // a new secret appears; day 3: the card's server sends nothing at all.
        let key = Lines.finding(rule: "secret.aws-access-key-id", category: "secret", server: "192.0.2.30", evidence: "AKIA************WXYZ", key: "E0000000000000003")
        let day2 = try assess(
            [[Self.basic, key, Lines.flow(ts: "2026-12-05T10:00:00.000000Z"), Lines.flow(server: "192.0.2.20")]],
            now: "2026-12-06T02:30:00Z", previous: day1.state)
        #expect(day2.report.baseline == "2026-12-05T02:30:00Z")
        #expect(day2.report.newExposures.map(\.rule) == ["secret.aws-access-key-id"])
        #expect(day2.report.stillOpen.map(\.rule) == ["credential.http-basic"])
        #expect(day2.report.stillOpen.first?.firstReported == "2026-12-05T02:30:00Z", "first reported on day 1")
        #expect(day2.report.resolved.map(\.rule) == ["pii.payment-card"])
        #expect(day2.report.trend.map(\.exposures) == [2, 2])
        let service = try #require(day2.report.services.first { $0.service == "tcp 192.0.2.10:80" })
        #expect(service.firstSeen == "2026-12-04T10:00:00.000000Z", "first seen on day 1")
        #expect(service.lastSeen == "2026-12-05T10:00:00.000000Z")
        let day3 = try assess([[Self.basic, Lines.flow()]], now: "2026-12-07T02:30:00Z", previous: day2.state)
        #expect(day3.report.unobserved.map(\.rule) == ["secret.aws-access-key-id"], "its server sent nothing: not judged")
        #expect(day3.report.resolved.isEmpty, "the card was resolved on day 2 already")
        #expect(day3.state.exposures["E0000000000000003"]?.status == .open)
        // The card comes back on day 4: new again.
        let day4 = try assess([[card, Lines.flow(server: "192.0.2.20")]], now: "2026-12-08T02:30:00Z", previous: day3.state)
        #expect(day4.report.newExposures.map(\.rule) == ["pii.payment-card"])
    }

    /// This run's exposures and the baseline's rows sort alike (worst first,
    /// then rule, service name, key): a UDP service on a lower address comes
    /// after a TCP one in both lists, as its name says.
    @Test func newAndResolvedListsSortAlike() throws {
        let udp = Lines.finding(rule: "cleartext.syslog", category: "cleartext", server: "192.0.2.1", port: 514, key: "E0000000000000051")
            .replacingOccurrences(of: "\"transport\":\"tcp\"", with: "\"transport\":\"udp\"")
        let tcp = Lines.finding(rule: "cleartext.syslog", category: "cleartext", server: "192.0.2.2", port: 514, key: "E0000000000000052")
        let flows = [
            Lines.flow(server: "192.0.2.1", port: 514).replacingOccurrences(of: "\"transport\":\"tcp\"", with: "\"transport\":\"udp\""),
            Lines.flow(server: "192.0.2.2", port: 514),
        ]
        let day1 = try assess([[udp, tcp]], now: "2026-12-05T02:30:00Z")
        let day2 = try assess([flows], now: "2026-12-06T02:30:00Z", previous: day1.state)
        let order = ["tcp 192.0.2.2:514", "udp 192.0.2.1:514"]
        #expect(day1.report.newExposures.map(\.service) == order)
        #expect(day2.report.resolved.map(\.service) == order)
    }

    /// A sensor restarted into its day's file counts from zero again after
    /// its final stats record: the two writers' counts add up.
    @Test func countsAfterAFinalStatsRecordAddUpInTheSameFile() throws {
        let again = Self.basic.replacingOccurrences(of: "\"count\":2", with: "\"count\":1")
        let final = #"{"type":"stats","final":true,"tls_policy":"mozilla-intermediate"}"#
        let periodic = #"{"type":"stats","final":false}"#
        let run = try assess([[Self.basic, periodic, final, again]])
        #expect(run.report.newExposures.map(\.count) == [3], "2 before the restart, 1 after")
        #expect(run.report.policy == "mozilla-intermediate")
        let oneWriter = try assess([[again, periodic, Self.basic]])
        #expect(oneWriter.report.newExposures.map(\.count) == [2], "a periodic stats record ends nothing")
    }

    @Test func anAcceptedRiskSuppressesAndCountsUntilItExpires() throws {
        let yaml = """
            allow:
              - rule: credential.*
                server: 192.0.2.0/24
                reason: Legacy kiosk, replaced in Q1
                expires: 2026-12-05
            """
        let list = try Allowlist.parse(yaml, source: "allow.yaml")
        let inForce = try assess([[Self.basic, Self.basic]], now: "2026-12-05T23:00:00Z") { $0.allowlist = list }
        #expect(inForce.report.newExposures.isEmpty)
        #expect(inForce.report.summary.suppressed == 2)
        #expect(inForce.report.acceptedRisks.map(\.suppressed) == [2])
        #expect(inForce.report.acceptedRisks.first?.expired == false)
        let lapsed = try assess([[Self.basic]], now: "2026-12-06T00:00:01Z") { $0.allowlist = list }
        #expect(lapsed.report.newExposures.map(\.rule) == ["credential.http-basic"])
        #expect(lapsed.report.acceptedRisks.first?.expired == true)
        #expect(lapsed.report.acceptedRisks.first?.expires == "2026-12-05")
    }

    @Test func anExposureAcceptedAfterItWasReportedIsNotCalledResolved() throws {
        let day1 = try assess([[Self.basic, Lines.flow()]], now: "2026-12-05T02:30:00Z")
        let list = try Allowlist.parse("allow:\n  - rule: credential.http-basic\n    reason: accepted\n", source: "a.yaml")
        let day2 = try assess([[Self.basic, Lines.flow()]], now: "2026-12-06T02:30:00Z", previous: day1.state) { $0.allowlist = list }
        #expect(day2.report.resolved.isEmpty)
        #expect(day2.state.exposures["E0000000000000001"]?.status == .accepted)
        // The entry removed (or expired): the exposure is new again and counts against the threshold.
        let day3 = try assess([[Self.basic, Lines.flow()]], now: "2026-12-07T02:30:00Z", previous: day2.state) { $0.threshold = .high }
        #expect(day3.report.newExposures.map(\.rule) == ["credential.http-basic"])
        #expect(day3.report.summary.newAtOrAboveThreshold == 1)
        // Accepted and then gone while its service still talks: resolved, not kept for ever.
        let day3b = try assess([[Lines.flow()]], now: "2026-12-07T02:30:00Z", previous: day2.state)
        #expect(day3b.report.resolved.map(\.rule) == ["credential.http-basic"])
    }

    @Test func onlyRecordsInsideTheWindowCount() throws {
        let inside = Lines.finding(rule: "tls.weak-version", category: "tls", ts: "2026-12-04T23:59:59.999999Z", evidence: "TLSv1.0")
        let before = Lines.finding(rule: "tls.weak-version", category: "tls", server: "192.0.2.99", ts: "2026-12-03T23:59:59.999999Z", evidence: "TLSv1.0")
        let after = Lines.flow(ts: "2026-12-05T00:00:00.000000Z")
        let run = try assess([[inside, before, after]]) { $0.window = TimeWindow.yesterday(before: $0.now) }
        #expect(run.report.window?.label == "2026-12-04")
        #expect(run.report.newExposures.map(\.service) == ["tcp 192.0.2.10:80"])
        #expect(run.report.summary.flows == 0)
    }

    @Test func certificatesAreJudgedByTheRunsClock() throws {
        func cert(_ sha: String, _ notAfter: String) -> [String: Any] {
            ["version": "TLSv1.2", "cipher": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "sni": "a.example",
             "certificate": ["sha256": sha, "subject": "CN=a.example", "issuer": "CN=CA", "not_before": "2026-01-01T00:00:00.000000Z", "not_after": notAfter]]
        }
        let run = try assess([[
            Lines.flow(server: "192.0.2.4", port: 443, app: "tls", encrypted: true, tls: cert("dd", "someday")),
            Lines.flow(server: "192.0.2.1", port: 443, app: "tls", encrypted: true, tls: cert("aa", "2026-12-01T00:00:00.000000Z")),
            Lines.flow(server: "192.0.2.2", port: 443, app: "tls", encrypted: true, tls: cert("bb", "2026-12-20T00:00:00.000000Z")),
            Lines.flow(server: "192.0.2.3", port: 443, app: "tls", encrypted: true, tls: cert("cc", "2027-12-20T00:00:00.000000Z")),
        ]])
        #expect(run.report.certificates.map(\.status) == ["expired", "unknown", "expiring", "valid"])
        #expect(run.report.certificates.map(\.daysLeft) == [-5, 0, 14, 379])
        #expect(run.report.summary.expiringCertificates == 2, "an unknown expiry is not counted")
        #expect(run.report.tls.map(\.certificate) == ["aa", "bb", "cc", "dd"])
        #expect(run.report.services.allSatisfy { $0.encrypted == true })
    }

    @Test func valuesWrittenWithRevealAreMaskedAgain() throws {
        let revealed = Lines.finding(rule: "pii.payment-card", category: "pii", evidence: "4111111111111111", key: "E0000000000000009")
        let run = try assess([[revealed]])
        let evidence = try #require(run.report.newExposures.first?.evidence)
        #expect(!evidence.contains("4111111111111111"))
        #expect(evidence.contains("*"))
    }

    @Test func aRevealedValueWithAStarInItIsMaskedAgain() throws {
        let revealed = Lines.finding(
            rule: "secret.url-password", category: "secret", evidence: "alice:S3cr*tPassw0rd!", key: "E0000000000000010",
            extra: ["revealed": "true"])
        let run = try assess([[revealed]])
        let evidence = try #require(run.report.newExposures.first?.evidence)
        #expect(!evidence.contains("S3cr*tPassw0rd"))
        #expect(!String(decoding: try JSONEncoder().encode(run.state), as: UTF8.self).contains("Passw0rd"))
    }

    @Test func absurdCountsSaturateInsteadOfTrapping() throws {
        let huge = AssessorTests.basic.replacingOccurrences(of: "\"count\":2", with: "\"count\":9223372036854775807")
        let plain = AssessorTests.basic.replacingOccurrences(of: "\"count\":2,", with: "")
        let run = try assess([[huge, plain], [huge]])
        #expect(run.report.newExposures.first?.count == Int.max)
        let negative = AssessorTests.basic.replacingOccurrences(of: "\"count\":2", with: "\"count\":-5")
        #expect(try assess([[negative]]).report.newExposures.first?.count == 1, "a count below 1 is not a count")
    }

    @Test func aLineThatIsNotARecordIsSkippedWithItsPlaceAndTheRestCounts() throws {
        let cut = String(Self.basic.prefix(40))
        let run = try assess([[Lines.flow(), "{not json", Self.basic, cut]])
        #expect(run.skipped.count == 2)
        #expect(run.skipped[0].hasSuffix("f0.jsonl:2: not a JSON object (cut short?)"))
        #expect(run.skipped[1].contains("f0.jsonl:4:"))
        #expect(run.report.newExposures.count == 1)
    }

    @Test func aLineOverTheCapIsSkippedWithoutKeepingIt() throws {
        let huge = String(repeating: "\u{0}", count: AuditRecords.maxLine + 1_000)
        let run = try assess([[huge, AssessorTests.basic]])
        #expect(run.skipped.count == 1)
        #expect(run.skipped.first?.hasSuffix("f0.jsonl:1: a line over 16 MiB, skipped") == true, "\(run.skipped.map { String($0.suffix(80)) })")
        #expect(run.report.newExposures.count == 1, "the line after it counts")
    }

    @Test func aFolderIsNotAJSONLinesFile() {
        #expect(throws: AssessmentError.self) {
            try AuditRecords.read(temporaryFolder().path, skipped: { _ in }) { _ in }
        }
    }

    @Test func thresholdCountsNewExposuresAtOrAboveIt() throws {
        let low = Lines.finding(rule: "pii.email", category: "pii", severity: "low", evidence: "a***@b.org", key: "E00000000000000aa")
        let run = try assess([[Self.basic, low]]) { $0.threshold = .high }
        #expect(run.report.summary.threshold == "high")
        #expect(run.report.summary.newAtOrAboveThreshold == 1)
    }
}

@Suite struct AssessmentStateTests {
    @Test func stateIsWrittenPrivatelyAndReadBack() throws {
        let folder = temporaryFolder().appendingPathComponent("state")
        let run = try assess([[AssessorTests.basic, Lines.flow()]])
        try run.state.save(to: folder.path)
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("state.json").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let folderAttributes = try FileManager.default.attributesOfItem(atPath: folder.path)
        #expect((folderAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        #expect(try AssessmentState.load(from: folder.path) == run.state)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["state.json"], "no temporary file left")
    }

    @Test func aDamagedStateIsAnErrorNotAnEmptyBaseline() throws {
        let folder = temporaryFolder()
        FileManager.default.createFile(atPath: folder.appendingPathComponent("state.json").path, contents: Data("{\"runs\": [".utf8))
        #expect(throws: AssessmentError.self) { try AssessmentState.load(from: folder.path) }
        #expect(try AssessmentState.load(from: folder.appendingPathComponent("none").path) == AssessmentState())
    }
}

@Suite struct TimestampParsingTests {
    @Test func parsesWhatPlainSightWrites() {
        #expect(Timestamp.parse("1970-01-01T00:00:00Z") == 0)
        #expect(Timestamp.parse("1970-01-01T00:00:01.5Z") == 1_500_000)
        #expect(Timestamp.parse("2026-03-02T09:00:00.021094Z") == 1_772_442_000_021_094)
        #expect(Timestamp.parse("2026-03-02") == 1_772_409_600_000_000)
        for bad in ["2026-02-30", "2026-04-31", "2026-13-01", "2026-03-02T09:00:00", "2026-03-02T09:00:00.1234567Z", "yesterday", "2026-3-2", ""] {
            #expect(Timestamp.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func yesterdayIsTheUTCDayBefore() {
        let w = TimeWindow.yesterday(before: microseconds("2026-01-01T00:30:00Z"))
        #expect(w.label == "2025-12-31")
        #expect(w.from == microseconds("2025-12-31") && w.to == microseconds("2026-01-01"))
    }
}
