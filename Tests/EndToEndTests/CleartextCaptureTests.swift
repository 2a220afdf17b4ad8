import Foundation
import Testing

/// `plainsight read` on the loopback recordings of logins in clear
/// (Captures/README.md lists what each connection sent and how the server
/// answered): each credential is found once per server endpoint with its
/// user, mechanism and outcome, each protocol in clear is named once, and
/// no password, token or cookie value appears anywhere in the output.
@Suite struct CleartextCaptureTests {
    /// One finding reduced to what these tests compare.
    struct Seen: Hashable, CustomStringConvertible {
        var rule: String
        var port: Int
        var username: String?
        var outcome: String?
        var count: Int
        var description: String { "\(rule) :\(port) \(username ?? "-") \(outcome ?? "-") ×\(count)" }
    }

    static func findings(_ sample: String, _ extra: [String] = []) throws -> (Set<Seen>, PlainSightRun) {
        try findings(at: Paths.captures.appendingPathComponent(sample), extra)
    }

    static func findings(at capture: URL, _ extra: [String] = []) throws -> (Set<Seen>, PlainSightRun) {
        let run = try plainsight(["read", capture.path, "--format", "json"] + extra)
        #expect(run.status == 0, "\(run.stderr)")
        // PII and secret findings have their own suites (ContentCorpusTests).
        let seen = run.records.filter {
            $0["type"] as? String == "finding" && !["pii", "secret"].contains($0["category"] as? String ?? "")
        }.map { r -> Seen in
            let details = r["details"] as? [String: Any] ?? [:]
            let server = (r["flow"] as! [String: Any])["server"] as! [String: Any]
            return Seen(
                rule: r["rule"] as! String, port: server["port"] as! Int, username: details["username"] as? String,
                outcome: details["outcome"] as? String, count: r["count"] as? Int ?? 0)
        }
        return (Set(seen), run)
    }

    /// Every value the recordings sent as a secret, as sent and base64-encoded.
    static let secrets = [
        "demo-password", "wrong-password", "demo-api-key-0123456789abcdef", "5f2b9c0e7d4a4e1f9a3c6b8d2e7f1a0c",
        "ZmFrZS1zaWduYXR1cmUtbm90LWEtcmVhbC1obWFjISE", "ZGVtbzpkZW1vLXBhc3N3b3Jk", "AGRlbW8AZGVtby1wYXNzd29yZA",
        "d3JvbmctcGFzc3dvcmQ", "h2c-demo-token-7f3a9c1e5b", "wrong-h2c-token", "wrong-grpc-token",
    ]

    static let samples = ["http-auth-curl.pcap", "smtp-auth.pcap", "ftp-rejected.pcap", "pop3-imap-auth.pcap",
                          "ftp-python.pcap", "pop3-python.pcap", "imap-python.pcap", "redis-auth.pcap", "mqtt-auth.pcap",
                          "h2c-curl.pcap"]

    @Test func httpBasicBearerAPIKeyFormAndCookie() throws {
        let (seen, run) = try Self.findings("http-auth-curl.pcap")
        #expect(seen == [
            Seen(rule: "credential.http-basic", port: 18090, username: "demo", outcome: "accepted", count: 1),
            Seen(rule: "credential.http-basic", port: 18090, username: "demo", outcome: "rejected", count: 1),
            Seen(rule: "credential.http-bearer", port: 18090, username: nil, outcome: "accepted", count: 1),
            Seen(rule: "credential.http-api-key", port: 18090, username: nil, outcome: "accepted", count: 1),
            Seen(rule: "credential.http-form-password", port: 18090, username: "demo", outcome: "accepted", count: 1),
            // Set by the login's 302, sent back with the next request: one cookie, seen twice.
            Seen(rule: "credential.http-session-cookie", port: 18090, username: nil, outcome: "accepted", count: 2),
            // Six connections to one server: one exposure, high because credentials crossed it.
            Seen(rule: "cleartext.http", port: 18090, username: nil, outcome: nil, count: 6),
        ])
        let exposure = try #require(run.records.first { $0["rule"] as? String == "cleartext.http" })
        #expect(exposure["severity"] as? String == "high")
        let bearer = try #require(run.records.first { $0["rule"] as? String == "credential.http-bearer" })
        #expect(bearer["evidence"] as? String == "eyJh************jISE")
        #expect(bearer["direction"] as? String == "to_server")
        let details = try #require(bearer["details"] as? [String: Any])
        #expect(details["exposure"] as? String == "token")
        #expect((details["fingerprint"] as? String)?.hasPrefix("hmac-sha256:") == true)
        // The 401 challenge without credentials and the page that says "password" raise nothing more.
        let findings = run.records.filter { $0["type"] as? String == "finding" }
        #expect(findings.filter { !["pii", "secret"].contains($0["category"] as? String ?? "") }.count == 7)
        // The bearer token is a JWT: reported as such too (its algorithm and
        // lifetime), the API key's generic match is not (the credential says it all).
        let secrets = findings.filter { $0["category"] as? String == "secret" }
        #expect(secrets.map { $0["rule"] as? String } == ["secret.jwt"])
        #expect((secrets.first?["details"] as? [String: Any])?["jwt_alg"] as? String == "HS256")
        // Each flow record counts the findings it contributed to.
        #expect(run.flows.map { $0["findings"] as! Int }.sorted() == [1, 2, 2, 2, 3, 3])
    }

    @Test func smtpAuthWithoutTheOfferedStartTLS() throws {
        let (seen, _) = try Self.findings("smtp-auth.pcap")
        #expect(seen == [
            Seen(rule: "credential.sasl-plain", port: 12526, username: "demo", outcome: "accepted", count: 1),
            Seen(rule: "credential.sasl-login", port: 12526, username: "demo", outcome: "rejected", count: 1),
            Seen(rule: "cleartext.starttls-not-used", port: 12526, username: nil, outcome: nil, count: 2),
            Seen(rule: "cleartext.smtp", port: 12526, username: nil, outcome: nil, count: 2),
        ])
    }

    @Test func ftpRejectedAndLoggedInAfterFEATOfferedTLS() throws {
        let (seen, _) = try Self.findings("ftp-rejected.pcap")
        #expect(seen == [
            Seen(rule: "credential.ftp-password", port: 12123, username: "demo", outcome: "rejected", count: 1),
            Seen(rule: "credential.ftp-password", port: 12124, username: "demo", outcome: "accepted", count: 1),
            Seen(rule: "cleartext.starttls-not-used", port: 12124, username: nil, outcome: nil, count: 1),
            Seen(rule: "cleartext.ftp", port: 12123, username: nil, outcome: nil, count: 1),
            Seen(rule: "cleartext.ftp", port: 12124, username: nil, outcome: nil, count: 1),
        ])
    }

    /// `sample` without its packets at the (0-based) `indices`, written to a temporary file.
    static func capture(_ sample: String, dropping indices: Set<Int>) throws -> URL {
        let bytes = Array(try Data(contentsOf: Paths.captures.appendingPathComponent(sample)))
        var kept = Array(bytes[0..<24])  // the pcap file header
        var offset = 24, index = 0
        while offset + 16 <= bytes.count {
            let caplen = Int(bytes[offset + 8]) | Int(bytes[offset + 9]) << 8 | Int(bytes[offset + 10]) << 16
            if !indices.contains(index) { kept += bytes[offset..<(offset + 16 + caplen)] }
            offset += 16 + caplen
            index += 1
        }
        let path = Paths.temporaryDirectory().appendingPathComponent("dropped-\(indices.sorted())-" + sample)
        try Data(kept).write(to: path)
        return path
    }

    @Test func smtpServerGapCostsALineNotTheSession() throws {
        // smtp-auth.pcap without its 8th packet, the first line of the first
        // session's EHLO reply ("250-mail.plainsight.test", 26 bytes): its
        // server stream has a hole there. The reader goes on after the next
        // line feed, so the STARTTLS offer, AUTH's 235 and the lapse are still
        // read. (Before, the gap stopped that direction: AUTH PLAIN's outcome
        // was unknown and the first session's lapse went unseen.)
        let (seen, run) = try Self.findings(at: Self.capture("smtp-auth.pcap", dropping: [7]))
        #expect(seen == [
            Seen(rule: "credential.sasl-plain", port: 12526, username: "demo", outcome: "accepted", count: 1),
            Seen(rule: "credential.sasl-login", port: 12526, username: "demo", outcome: "rejected", count: 1),
            Seen(rule: "cleartext.starttls-not-used", port: 12526, username: nil, outcome: nil, count: 2),
            Seen(rule: "cleartext.smtp", port: 12526, username: nil, outcome: nil, count: 2),
        ])
        #expect(run.flows.compactMap { $0["gap_bytes"] as? Int } == [26], "the dropped packet is a hole in one stream")
    }

    @Test func ftpPickedUpAfterTheHandshake() throws {
        // ftp-python.pcap without the control connection's SYN, SYN-ACK and
        // ACK: picked up mid-way, at the greeting. The login and both data
        // connections are found as in the whole capture.
        let (seen, run) = try Self.findings(at: Self.capture("ftp-python.pcap", dropping: [0, 1, 2]))
        #expect(seen == (try Self.findings("ftp-python.pcap")).0)
        #expect(seen.contains(Seen(rule: "credential.ftp-password", port: 12121, username: "demo", outcome: "accepted", count: 1)))
        let control = try #require(run.flows.first { $0["app"] as? String == "ftp" })
        #expect(control["midstream"] as? Bool == true)
    }

    @Test func pop3AndIMAPSASLAndARejectedLogin() throws {
        let (seen, _) = try Self.findings("pop3-imap-auth.pcap")
        #expect(seen == [
            Seen(rule: "credential.sasl-plain", port: 11112, username: "demo", outcome: "accepted", count: 1),
            Seen(rule: "credential.sasl-plain", port: 11145, username: "demo", outcome: "accepted", count: 1),
            Seen(rule: "credential.imap-login", port: 11145, username: "demo", outcome: "rejected", count: 1),
            Seen(rule: "cleartext.starttls-not-used", port: 11112, username: nil, outcome: nil, count: 1),
            Seen(rule: "cleartext.starttls-not-used", port: 11145, username: nil, outcome: nil, count: 2),
            Seen(rule: "cleartext.pop3", port: 11112, username: nil, outcome: nil, count: 1),
            Seen(rule: "cleartext.imap", port: 11145, username: nil, outcome: nil, count: 2),
        ])
    }

    @Test func theEarlierMailAndFTPSamples() throws {
        #expect(try Self.findings("ftp-python.pcap").0 == [
            Seen(rule: "credential.ftp-password", port: 12121, username: "demo", outcome: "accepted", count: 1),
            Seen(rule: "cleartext.ftp", port: 12121, username: nil, outcome: nil, count: 1),
            // Two passive transfers, both announced on pyftpdlib's passive port.
            Seen(rule: "cleartext.ftp-data", port: 12138, username: nil, outcome: nil, count: 2),
        ])
        #expect(try Self.findings("pop3-python.pcap").0 == [
            Seen(rule: "credential.pop3-password", port: 11110, username: "demo", outcome: "accepted", count: 1),
            Seen(rule: "cleartext.pop3", port: 11110, username: nil, outcome: nil, count: 1),
        ])
        #expect(try Self.findings("imap-python.pcap").0 == [
            Seen(rule: "credential.imap-login", port: 11143, username: "demo", outcome: "accepted", count: 1),
            Seen(rule: "cleartext.imap", port: 11143, username: nil, outcome: nil, count: 1),
        ])
        // Mail without AUTH: the protocol is in clear, low.
        let (smtp, run) = try Self.findings("smtp-python.pcap")
        #expect(smtp == [Seen(rule: "cleartext.smtp", port: 12525, username: nil, outcome: nil, count: 1)])
        #expect(run.records.first { $0["rule"] as? String == "cleartext.smtp" }?["severity"] as? String == "low")
    }

    @Test func redisAuthAcceptedAndRefused() throws {
        let (seen, _) = try Self.findings("redis-auth.pcap")
        #expect(seen == [
            Seen(rule: "credential.redis-auth", port: 16379, username: nil, outcome: "accepted", count: 1),
            Seen(rule: "credential.redis-auth", port: 16379, username: nil, outcome: "rejected", count: 1),
            Seen(rule: "cleartext.redis", port: 16379, username: nil, outcome: nil, count: 2),
        ])
    }

    @Test func mqttConnectPasswordsOfEveryVersion() throws {
        // mosquitto: MQTT 5 and 3.1 accepted (CONNACK 0), 3.1.1 refused with 5, MQTT 5 with 0x87.
        // The same password twice is one finding per outcome, with its count.
        let (seen, run) = try Self.findings("mqtt-auth.pcap")
        #expect(seen == [
            Seen(rule: "credential.mqtt-password", port: 11883, username: "plant", outcome: "accepted", count: 2),
            Seen(rule: "credential.mqtt-password", port: 11883, username: "plant", outcome: "rejected", count: 2),
            Seen(rule: "cleartext.mqtt", port: 11883, username: nil, outcome: nil, count: 4),
        ])
        #expect(run.records.first { $0["rule"] as? String == "cleartext.mqtt" }?["severity"] as? String == "high")
        #expect(run.flows.allSatisfy { $0["app"] as? String == "mqtt" })
    }

    /// HTTP/2 without TLS: two prior-knowledge connections (the right and a
    /// wrong bearer token: 200, 401), one HTTP/1.1 `Upgrade: h2c` whose API key
    /// is answered on HTTP/2 stream 1, and a gRPC-style call whose trailers say
    /// grpc-status 16 under `:status 200`.
    @Test func http2CleartextPriorKnowledgeUpgradeAndGRPC() throws {
        let (seen, run) = try Self.findings("h2c-curl.pcap")
        #expect(seen == [
            Seen(rule: "credential.http-bearer", port: 18095, username: nil, outcome: "accepted", count: 1),
            // Two different tokens (wrong-h2c-token: 401; wrong-grpc-token: grpc-status 16), one line each below.
            Seen(rule: "credential.http-bearer", port: 18095, username: nil, outcome: "rejected", count: 1),
            Seen(rule: "credential.http-api-key", port: 18095, username: nil, outcome: "accepted", count: 1),
            Seen(rule: "cleartext.http2", port: 18095, username: nil, outcome: nil, count: 3),
            // The upgraded connection was identified as HTTP/1.1.
            Seen(rule: "cleartext.http", port: 18095, username: nil, outcome: nil, count: 1),
        ])
        #expect(run.records.filter { $0["type"] as? String == "finding" }.count == 6)
        let exposure = try #require(run.records.first { $0["rule"] as? String == "cleartext.http2" })
        #expect(exposure["severity"] as? String == "high")
        #expect(run.flows.compactMap { $0["app"] as? String }.sorted() == ["http", "http2", "http2", "http2"])
        let http2 = try #require(run.stats?["http2"] as? [String: Any])
        #expect(http2["h2c_upgrades"] as? Int == 1)
        #expect(http2["malformed"] as? Int == 0)
    }

    @Test func loginsInsideStartTLSAreNotCleartext() throws {
        for sample in ["starttls-mail.pcap", "starttls-smtp.pcap", "starttls-postgres.pcap"] {
            let (seen, _) = try Self.findings(sample)
            #expect(seen.filter { $0.rule.hasPrefix("credential.") || $0.rule.hasPrefix("cleartext.") }.isEmpty, "\(sample)")
        }
    }

    @Test(arguments: CleartextCaptureTests.samples)
    func noSecretIsWrittenInAnyFormat(sample: String) throws {
        let file = Paths.captures.appendingPathComponent(sample).path
        for format in ["json", "text"] {
            let run = try plainsight(["read", file, "--format", format])
            for secret in Self.secrets {
                #expect(!run.stdout.contains(secret), "\(sample) \(format) shows \(secret)")
                #expect(!run.stderr.contains(secret))
            }
        }
    }

    @Test func usernamesCanBeRedactedAndFingerprintsFollowTheKeyFile() throws {
        let dir = Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = dir.appendingPathComponent("k/fingerprint.key").path
        let args = ["--redact-usernames", "--fingerprint-key", key]
        let (seen, first) = try Self.findings("ftp-python.pcap", args)
        #expect(seen.contains { $0.rule == "credential.ftp-password" && $0.username == "(redacted)" })
        #expect(!first.stdout.contains("\"demo\""))
        #expect((try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int) == 0o600)
        func fingerprint(_ run: PlainSightRun) -> String? {
            (run.records.first { $0["rule"] as? String == "credential.ftp-password" }?["details"] as? [String: Any])?["fingerprint"] as? String
        }
        // The same key: the same fingerprint in a later run; another key: another one.
        let (_, again) = try Self.findings("ftp-python.pcap", args)
        #expect(fingerprint(first) != nil && fingerprint(first) == fingerprint(again))
        let (_, other) = try Self.findings("ftp-python.pcap", ["--fingerprint-key", "none"])
        #expect(fingerprint(other) != fingerprint(first))
    }

    @Test func withoutTheCleartextAnalyzerThereAreNoSuchFindings() throws {
        let (seen, run) = try Self.findings("http-auth-curl.pcap", ["--analyzers", "flows,tls"])
        #expect(seen.isEmpty)
        #expect(run.flows.allSatisfy { $0["app"] as? String == "http" })
    }

    @Test func aBrokenRulesFileIsAnInputError() throws {
        let dir = Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A copy of the Patterns folder whose cleartext rules are cut short.
        try FileManager.default.copyItem(
            at: Paths.root.appendingPathComponent("Patterns/tls"), to: dir.appendingPathComponent("tls"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("cleartext"), withIntermediateDirectories: true)
        try "cleartext.http: [".write(to: dir.appendingPathComponent("cleartext/rules.yaml"), atomically: true, encoding: .utf8)
        let run = try plainsight([
            "read", Paths.captures.appendingPathComponent("http-curl.pcap").path, "--analyzers", "cleartext",
            "--patterns-dir", dir.path,
        ])
        #expect(run.status == 2)
        #expect(run.stderr.contains("cleartext/rules.yaml: not valid YAML"))
    }

    @Test func anAllowlistedExposureIsCountedNotWrittenUntilItExpires() throws {
        let dir = Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("allow.yaml")
        try """
            allow:
              - rule: cleartext.http
                server: 127.0.0.0/8
                port: 18090
                reason: Test server on loopback
              - rule: credential.*
                reason: Lapsed exception
                expires: 2020-01-31
            """.write(to: file, atomically: true, encoding: .utf8)
        let (seen, run) = try Self.findings("http-auth-curl.pcap", ["--allowlist", file.path])
        #expect(!seen.contains { $0.rule == "cleartext.http" })
        #expect(seen.filter { $0.rule.hasPrefix("credential.") }.count == 6, "the expired entry suppresses nothing")
        #expect(run.stderr.contains("allowlist entry 'Lapsed exception' has expired"))
        let allowlist = try #require(run.stats?["allowlist"] as? [String: Any])
        #expect(allowlist["suppressed"] as? Int == 1)
        let entries = try #require(allowlist["entries"] as? [[String: Any]])
        #expect(entries.map { $0["suppressed"] as? Int } == [1, 0])
        #expect(entries.first?["reason"] as? String == "Test server on loopback")
        let findings = try #require(run.stats?["findings"] as? [String: Int])
        #expect(findings.values.reduce(0, +) == 7, "suppressed findings are not in the tallies (6 credentials, the JWT)")

        try "allow:\n  - rule: cleartext.http\n".write(to: file, atomically: true, encoding: .utf8)
        let bad = try plainsight(["read", Paths.captures.appendingPathComponent("http-curl.pcap").path, "--allowlist", file.path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("missing field allow[0].reason"))
    }
}
