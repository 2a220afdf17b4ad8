import Foundation
import Testing

/// The PII/secret corpus (Tests/Corpus): a generated capture with planted fake
/// items and decoys over HTTP, SMTP, FTP, Telnet, syslog and a custom TCP
/// protocol — split across segments, out of order, gzip, base64, quoted-
/// printable. Precision and recall must reach the targets, and nothing planted
/// may appear in clear in any output without `--reveal`.
@Suite(.enabled(if: pythonIsInstalled(), "python3 is not installed: content corpus skipped"))
struct ContentCorpusTests {
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ToolRun {
        try runTool(
            "/usr/bin/env", arguments, environment: environment.merging(["XDG_STATE_HOME": Paths.stateHome.path]) { a, _ in a },
            withErrors: true)
    }

    @Test func meetsThePrecisionAndRecallTargetsAndLeaksNothing() throws {
        let out = Paths.temporaryDirectory()
        let corpus = Paths.root.appendingPathComponent("Tests/Corpus")
        let run = try Self.run(
            ["sh", corpus.appendingPathComponent("run.sh").path, Paths.binary.path], environment: ["CORPUS_OUT": out.path])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("**overall**"))
        // The leak check can fail: the revealed findings hold the planted values.
        let control = try Self.run([
            "python3", corpus.appendingPathComponent("check_redaction.py").path, "--truth",
            out.appendingPathComponent("content-corpus.truth.json").path,
            out.appendingPathComponent("findings-revealed.jsonl").path,
        ])
        #expect(control.status != 0, "the revealed output must trip the leak check")
    }
}

/// `Captures/content-http.pcap`, recorded on loopback (curl against a Python
/// server, `RECORD_ONLY=content Captures/record.sh`): a JSON order with a card
/// number, a gzip-compressed customer record with an e-mail address and an
/// SSN, and a plain-text deployment file with an AWS key id and a GitHub token.
struct ContentRecordedCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("content-http.pcap")
    static let planted = [
        "pii.payment-card": "4069006792188143", "pii.email": "dana.whitfield@corp-mail.io",
        "pii.us-ssn": "600-69-6960", "secret.aws-access-key-id": "AKIA2E4GQJ5NMWZRK7TP",
        "secret.github-pat": "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",
    ]

    static func findings(_ extra: [String] = []) throws -> [[String: Any]] {
        let run = try plainsight(["read", capture.path, "--format", "json"] + extra)
        #expect(run.status == 0, "\(run.stderr)")
        return run.records.filter { ["pii", "secret"].contains($0["category"] as? String ?? "") }
    }

    @Test func everyPlantedValueIsFoundWhereItTravelled() throws {
        let found = try Self.findings()
        #expect(Set(found.compactMap { $0["rule"] as? String }) == Set(Self.planted.keys))
        for f in found {
            let details = try #require(f["details"] as? [String: Any])
            let rule = f["rule"] as? String ?? ""
            // The order goes to the server; the answers come back, the record gzip-compressed.
            #expect((f["direction"] as? String) == (rule == "pii.payment-card" ? "to_server" : "to_client"), "\(rule)")
            #expect(details["source"] as? String == (rule == "pii.payment-card" ? "http-request-body" : "http-response-body"))
            #expect(!(f["evidence"] as? String ?? "").contains(Self.planted[rule] ?? "?"), "\(rule) evidence in clear")
        }
        // Each value's field: the JSON keys of the order and the record, the `.env` file's names.
        let fields = Dictionary(
            found.map { ($0["rule"] as? String ?? "", ($0["details"] as? [String: Any])?["field"] as? String ?? "-") },
            uniquingKeysWith: { a, _ in a })
        #expect(
            fields == [
                "pii.payment-card": "card_number", "pii.email": "email", "pii.us-ssn": "ssn",
                "secret.aws-access-key-id": "AWS_ACCESS_KEY_ID", "secret.github-pat": "GITHUB_TOKEN",
            ])
        let card = try #require(found.first { $0["rule"] as? String == "pii.payment-card" })
        #expect(card["evidence"] as? String == "************8143")
        #expect((card["details"] as? [String: Any])?["brand"] as? String == "visa")
    }

    @Test func revealShowsTheValues() throws {
        let found = try Self.findings(["--reveal"])
        for f in found {
            let rule = f["rule"] as? String ?? ""
            #expect(f["evidence"] as? String == Self.planted[rule], "\(rule)")
        }
        #expect(found.count == Self.planted.count)
    }
}

/// `plainsight patterns test`: a rule author sees each match masked, with
/// the field it was found in and the validator that passed.
struct PatternsTestCommandTests {
    @Test func matchesShowTheirFieldMasked() throws {
        let file = Paths.scratch.appendingPathComponent("patterns-test-\(UUID().uuidString).txt")
        try Data(#"{"order": 17, "card_number": "4069006792188143"}"#.utf8).write(to: file)
        let run = try plainsight(["patterns", "test", file.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("match  pii.payment-card at 30: ************8143 field card_number validator payment-card passed"), "\(run.stdout)")
        #expect(!run.stdout.contains("4069006792188143"))
    }
}
