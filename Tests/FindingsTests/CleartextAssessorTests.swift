import PatternFiles
import Crypto
import Foundation
import Testing
@testable import Decoding
@testable import Findings
@testable import Flows
@testable import Inspection

/// The cleartext rule set, redaction, keyed fingerprints and deduplication.
struct CleartextRulesTests {
    @Test func theShippedRulesCoverEveryMechanismAndTheUpgradeLapses() throws {
        let rules = try CleartextRules.load(patterns: patternsURL)
        for mechanism in CredentialMechanism.allCases {
            let rule = try #require(rules[CleartextRules.credentialRule(mechanism)], "\(mechanism)")
            #expect(!rule.remediation.isEmpty)
        }
        #expect(rules[CleartextRules.startTLSNotUsed]?.severity == .medium)
        #expect(rules.exposureRule(for: .telnet)?.rule.severity == .high)
        #expect(rules.exposureRule(for: .http)?.rule.severity == .low)
        #expect(rules.exposureRule(for: .http)?.rule.withCredentials == .high)
        #expect(rules.exposureRule(for: .ftp)?.rule.references.contains("PCI DSS 4.0 req. 8.3.2") == true)
        // Brokers and SOCKS: every one that can carry a password is high once one crossed it.
        for app: AppProtocol in [.mqtt, .kafka, .amqp, .nats, .socks] {
            #expect(rules.exposureRule(for: app)?.rule.withCredentials == .high, "\(app)")
        }
        #expect(rules.exposureRule(for: .socks)?.rule.severity == .low)
        #expect(rules[CleartextRules.credentialRule(.natsToken)]?.severity == .high)
        #expect(CredentialMechanism.natsToken.grade == .token && CredentialMechanism.socksPassword.grade == .plaintext)
        // Encrypted protocols have no exposure rule.
        #expect(rules.exposureRule(for: .tls) == nil)
        #expect(rules.exposureRule(for: .ssh) == nil)
    }

    /// The shipped rules file with one edit, parsed: the error it gives (nil: none).
    static func parseError(replacing old: String, with new: String) throws -> String? {
        let text = try String(contentsOf: patternsURL.appendingPathComponent("cleartext/rules.yaml"), encoding: .utf8)
        let edited = text.replacingOccurrences(of: old, with: new)
        #expect(edited != text, "the edit found nothing to replace")
        do {
            _ = try CleartextRules.parse(edited, source: "edited.yaml")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aMissingRuleIsNamed() throws {
        let error = try Self.parseError(replacing: "credential.cram-md5:", with: "credential.cram-md5-renamed:")
        #expect(error == "edited.yaml: missing rules: credential.cram-md5")
    }

    @Test func aBadSeverityIsNamedWithItsField() throws {
        let error = try #require(
            try Self.parseError(
                replacing: "  severity: high\n  with_credentials: high\n  title: Telnet",
                with: "  severity: severe\n  with_credentials: high\n  title: Telnet"))
        #expect(error.contains("cleartext.telnet.severity") && error.contains("'severe'"))
    }

    @Test func aMisspeltFieldIsNamed() throws {
        let error = try #require(
            try Self.parseError(
                replacing: "  with_credentials: high\n  title: Telnet", with: "  with_credential: high\n  title: Telnet"))
        #expect(error.hasPrefix("edited.yaml:") && error.contains("field cleartext.telnet.with_credential: unknown"))
    }
}

struct RedactionTests {
    @Test func passwordsAreEightStarsWhateverTheirLength() {
        #expect(Redaction.mask(Array("a".utf8)) == "********")
        #expect(Redaction.mask(Array("demo-password".utf8)) == "********")
        #expect(Redaction.mask(Array("nineteen-characters".utf8)) == "********")
    }

    @Test func aLongPasswordIsStillEightStars() {
        #expect(Redaction.mask(Array("correct horse battery staple".utf8), isToken: false) == "********")
    }

    @Test func longTokensKeepFourCharactersAtEachEnd() {
        #expect(Redaction.mask(Array("AKIAIOSFODNN7EXAMPLE".utf8)) == "AKIA************MPLE")
        let jwt = Array("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJl".utf8)
        let masked = Redaction.mask(jwt)
        #expect(masked == "eyJh" + String(repeating: "*", count: 12) + "dXJl")
        #expect(!masked.contains("ZW1v"))
        // Unprintable ends are not written as they are.
        #expect(Redaction.mask([0x0a] + Array(repeating: 0x41, count: 30) + [0x00]) == "?AAA************AAA?")
    }
}

struct FingerprintKeyTests {
    @Test func theKeyFileIsCreatedOnceWithMode0600() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("state/plainsight/fingerprint.key").path
        let first = try FingerprintKey.loadOrCreate(at: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let folderMode = try FileManager.default.attributesOfItem(
            atPath: (path as NSString).deletingLastPathComponent)[.posixPermissions] as? Int
        #expect(folderMode == 0o700)
        #expect(FileManager.default.contents(atPath: path)?.count == 32)
        let again = try FingerprintKey.loadOrCreate(at: path)
        let secret = Array("demo-password".utf8)
        #expect(first.fingerprint(secret) == again.fingerprint(secret))
        #expect(first.fingerprint(secret) != FingerprintKey.ephemeral().fingerprint(secret))
    }

    @Test func fingerprintsAreHMACsOfLengthPrefixedParts() {
        let key = FingerprintKey(bytes: Array(repeating: 7, count: 32))
        let a = key.fingerprint(Array("ab".utf8), Array("c".utf8))
        let b = key.fingerprint(Array("a".utf8), Array("bc".utf8))
        #expect(a != b)
        #expect(a.hasPrefix("hmac-sha256:") && a.count == "hmac-sha256:".count + 24)
        #expect(a == key.fingerprint(Array("ab".utf8), Array("c".utf8)))
    }

    @Test func fingerprintsAreStandardHMACSHA256() {
        // RFC 2104 via swift-crypto's own HMAC, against the precomputed states.
        let keyBytes = (0..<32).map { UInt8($0 * 7 & 0xff) }
        let key = FingerprintKey(bytes: keyBytes)
        let message: [UInt8] = [0, 0, 0, 4] + Array("demo".utf8) + [0, 0, 0, 2] + Array("pw".utf8)
        let reference = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: keyBytes))
        let hex = Array(reference).prefix(12).map { String(format: "%02x", $0) }.joined()
        #expect(key.fingerprint(Array("demo".utf8), Array("pw".utf8)) == "hmac-sha256:" + hex)
    }

    @Test func aKeyFileOfTheWrongSizeIsRefused() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("short.key").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])))
        #expect(throws: PatternError.self) { _ = try FingerprintKey.loadOrCreate(at: path) }
    }

    @Test func theDefaultPathFollowsXDGStateHome() {
        #expect(FingerprintKey.defaultPath(environment: ["XDG_STATE_HOME": "/var/lib/x", "HOME": "/root"])
            == "/var/lib/x/plainsight/fingerprint.key")
        #expect(FingerprintKey.defaultPath(environment: ["HOME": "/home/a"]) == "/home/a/.local/state/plainsight/fingerprint.key")
    }
}

struct CleartextAssessorTests {
    static let key = FingerprintKey(bytes: Array(repeating: 1, count: 32))

    func makeAssessor(redactUsernames: Bool = false) throws -> CleartextAssessor {
        CleartextAssessor(
            rules: try CleartextRules.load(patterns: patternsURL), fingerprints: Self.key, redactUsernames: redactUsernames)
    }

    func ftpLogin(_ password: String, outcome: LoginOutcome) -> Sighting {
        .credential(CredentialSighting(
            mechanism: .ftp, username: Array("demo".utf8), secret: Array(password.utf8), outcome: outcome))
    }


    /// FuzzCleartext's `redaction` check flagged a Kafka SASL/PLAIN password
    /// of "a" and eleven NUL bytes (Fuzz/Regressions/FuzzCleartext-nul-secret.bin)
    /// as shown in its fingerprint: the check's `String.contains` stopped at the
    /// first NUL. It compares bytes now; here the same holds for the product.
    @Test func aPasswordWithNULBytesIsMaskedAndInNoWrittenField() throws {
        let a = try makeAssessor()
        let secret: [UInt8] = [0x61] + Array(repeating: 0, count: 11)
        let flow = makeFlowIdentity(serverPort: 9092)
        let sighting = Sighting.credential(
            CredentialSighting(mechanism: .saslPlain, username: Array("alice".utf8), secret: secret, outcome: .unknown))
        a.note(sighting, slot: 1, flow: flow, app: .kafka, at: flow.start)
        let finding = try #require(a.takeChanged().first?.finding)
        #expect(finding.rule == "credential.sasl-plain")
        #expect(finding.evidence == "********")
        let written = [finding.evidence ?? "", finding.message] + finding.details.map(\.value)
        #expect(written.allSatisfy { Array($0.utf8).firstRange(of: secret) == nil })
        #expect(finding.detailMap["secret_length"] == "12")
    }

    @Test func theSameLoginOnTheSameServerIsOneFindingWithACount() throws {
        let a = try makeAssessor()
        let t0 = utc(2026, 11, 28, 10)
        for i in 0..<3 {
            let flow = makeFlowIdentity(serverPort: 21, start: t0 + Int64(i) * 1_000_000)
            a.note(ftpLogin("demo-password", outcome: .accepted), slot: Int32(i), flow: flow, app: .ftp, at: flow.start + 10)
            #expect(a.flowEnded(slot: Int32(i), record: makeRecord(flow, app: .ftp, end: flow.start + 20)) == 2)
        }
        let findings = a.takeChanged()
        #expect(findings.map(\.finding.rule) == ["credential.ftp-password", "cleartext.ftp"])
        #expect(findings.allSatisfy { $0.isNew })
        let login = findings[0].finding
        #expect(login.occurrences?.count == 3)
        #expect(login.occurrences?.first == t0 + 10)
        #expect(login.occurrences?.last == t0 + 2_000_000 + 10)
        #expect(login.severity == .high)
        #expect(login.evidence == "********")
        #expect(login.detailMap["username"] == "demo")
        #expect(login.detailMap["outcome"] == "accepted")
        #expect(login.detailMap["exposure"] == "plaintext")
        #expect(login.detailMap["secret_length"] == "13")
        #expect(login.detailMap["fingerprint"] == Self.key.fingerprint(Array("ftp-password".utf8), Array("demo".utf8), Array("demo-password".utf8)))
        #expect(login.message == "FTP login in clear for user 'demo' (accepted by the server)")
        // The flow-level exposure counts flows and spans them; a login raises its severity.
        let exposure = findings[1].finding
        #expect(exposure.occurrences?.count == 3)
        #expect(exposure.occurrences?.last == t0 + 2_000_000 + 20)
        #expect(exposure.severity == .high)
        // Nothing changed since: nothing to hand over.
        #expect(a.takeChanged().isEmpty)
        // The password never appears in any written field.
        for f in findings.map(\.finding) {
            #expect(!(f.evidence ?? "").contains("demo-password"))
            #expect(!f.details.contains { $0.value.contains("demo-password") })
        }
    }

    @Test func aDifferentPasswordOrServerIsAnotherFinding() throws {
        let a = try makeAssessor()
        let f1 = makeFlowIdentity(serverPort: 21)
        let f2 = makeFlowIdentity(serverPort: 2121)
        a.note(ftpLogin("demo-password", outcome: .accepted), slot: 1, flow: f1, app: .ftp, at: 1)
        a.note(ftpLogin("wrong-password", outcome: .rejected), slot: 1, flow: f1, app: .ftp, at: 2)
        a.note(ftpLogin("demo-password", outcome: .unknown), slot: 2, flow: f2, app: .ftp, at: 3)
        let findings = a.takeChanged().map(\.finding)
        #expect(findings.count == 3)
        #expect(findings.map { $0.detailMap["outcome"] } == ["accepted", "rejected", "unknown"])
        #expect(Set(findings.map { $0.detailMap["key"]! }).count == 3)
        #expect(findings[0].detailMap["fingerprint"] == findings[2].detailMap["fingerprint"])
    }

    @Test func aFindingSeenAgainIsHandedOverAgainWithItsNewCount() throws {
        let a = try makeAssessor()
        let flow = makeFlowIdentity(serverPort: 21)
        a.note(ftpLogin("demo-password", outcome: .rejected), slot: 1, flow: flow, app: .ftp, at: 1)
        let first = a.takeChanged()
        #expect(first.count == 1 && first[0].isNew && first[0].finding.occurrences?.count == 1)
        a.note(ftpLogin("demo-password", outcome: .accepted), slot: 2, flow: flow, app: .ftp, at: 5)
        let second = a.takeChanged()
        #expect(second.count == 1 && !second[0].isNew)
        #expect(second[0].finding.occurrences?.count == 2)
        #expect(second[0].finding.detailMap["outcome"] == "accepted")
        #expect(second[0].finding.detailMap["rejected_count"] == "1")
        #expect(second[0].finding.detailMap["key"] == first[0].finding.detailMap["key"])
    }

    /// SMB without SMB3 encryption is `cleartext.smb` (medium); a session that encrypted (the SMB reader's
    /// `payloadProtected`) is an encrypted flow and no exposure.
    @Test func smbIsCleartextUnlessTheSessionEncrypted() throws {
        let a = try makeAssessor()
        var encrypted = makeRecord(makeFlowIdentity(serverPort: 445), app: .smb, end: 5)
        encrypted.payloadProtected = true
        #expect(encrypted.encrypted == true)
        #expect(a.flowEnded(slot: 1, record: encrypted) == 0)
        #expect(a.flowEnded(slot: 2, record: makeRecord(makeFlowIdentity(serverPort: 139), app: .smb, end: 5)) == 1)
        let findings = a.takeChanged().map(\.finding)
        #expect(findings.map(\.rule) == ["cleartext.smb"])
        #expect(findings.first?.severity == .medium)
    }

    @Test func plainHTTPWithoutCredentialsIsLowAndEncryptedOrEmptyFlowsAreNothing() throws {
        let a = try makeAssessor()
        let web = makeFlowIdentity(serverPort: 8080)
        #expect(a.flowEnded(slot: 1, record: makeRecord(web, app: .http, end: 5)) == 1)
        #expect(a.flowEnded(slot: 2, record: makeRecord(makeFlowIdentity(serverPort: 443), app: .tls, end: 5)) == 0)
        #expect(a.flowEnded(slot: 3, record: makeRecord(makeFlowIdentity(serverPort: 21), app: .ftp, bytes: 0, end: 5)) == 0)
        #expect(a.flowEnded(slot: 4, record: makeRecord(makeFlowIdentity(serverPort: 9), app: .unknown, end: 5)) == 0)
        let findings = a.takeChanged().map(\.finding)
        #expect(findings.map(\.rule) == ["cleartext.http"])
        #expect(findings[0].severity == .low)
        #expect(findings[0].category == .cleartext)
        #expect(findings[0].direction == nil)
    }

    @Test func aLongPasswordIsMaskedWholeAndALongTokenKeepsItsEnds() throws {
        let a = try makeAssessor()
        let flow = makeFlowIdentity(serverPort: 21)
        a.note(ftpLogin("correct horse battery staple", outcome: .accepted), slot: 1, flow: flow, app: .ftp, at: 1)
        a.note(.credential(CredentialSighting(
            mechanism: .httpBearer, username: nil, secret: Array("abcd0123456789012345wxyz".utf8))),
            slot: 1, flow: flow, app: .http, at: 2)
        #expect(a.takeChanged().map(\.finding.evidence) == ["********", "abcd************wxyz"])
    }

    @Test func usernamesCanBeRedacted() throws {
        let a = try makeAssessor(redactUsernames: true)
        a.note(ftpLogin("demo-password", outcome: .accepted), slot: 1, flow: makeFlowIdentity(serverPort: 21), app: .ftp, at: 1)
        let f = try #require(a.takeChanged().first?.finding)
        #expect(f.detailMap["username"] == "(redacted)")
        #expect(!f.message.contains("demo"))
    }

    @Test func startTLSLapsesAreCleartextFindingsNamingTheCommand() throws {
        let a = try makeAssessor()
        let flow = makeFlowIdentity(serverPort: 587)
        a.note(.startTLSNotUsed(command: "AUTH"), slot: 1, flow: flow, app: .smtp, at: 1)
        a.note(.startTLSFailed, slot: 2, flow: flow, app: .smtp, at: 2)
        let findings = a.takeChanged().map(\.finding)
        #expect(findings.map(\.rule) == ["cleartext.starttls-not-used", "cleartext.starttls-failed"])
        #expect(findings[0].detailMap["command"] == "AUTH")
        #expect(findings[0].message.contains("sent AUTH in clear"))
    }

    @Test func pastTheCapNewFindingsAreCountedNotKept() throws {
        let a = CleartextAssessor(
            rules: try CleartextRules.load(patterns: patternsURL), fingerprints: Self.key, maxFindings: 3)
        let flow = makeFlowIdentity(serverPort: 21)
        for i in 0..<5 { a.note(ftpLogin("guess-\(i)", outcome: .rejected), slot: 1, flow: flow, app: .ftp, at: Int64(i)) }
        // A known finding still counts its repeats.
        a.note(ftpLogin("guess-0", outcome: .rejected), slot: 2, flow: flow, app: .ftp, at: 9)
        let findings = a.takeChanged().map(\.finding)
        #expect(findings.count == 3)
        #expect(a.dropped == 2)
        #expect(findings[0].occurrences?.count == 2)
    }

    @Test func challengeResponsesOfOneAccountAreOneFinding() throws {
        let a = try makeAssessor()
        let flow = makeFlowIdentity(serverPort: 389)
        for response in ["a1b2", "c3d4", "e5f6"] {
            a.note(.credential(CredentialSighting(
                mechanism: .ntlm, username: Array("agent.smith".utf8), secret: Array(response.utf8), outcome: .rejected)),
                slot: 1, flow: flow, app: .ldap, at: 1)
        }
        a.note(.credential(CredentialSighting(
            mechanism: .ntlm, username: Array("neo".utf8), secret: Array("a1b2".utf8), outcome: .accepted)),
            slot: 1, flow: flow, app: .ldap, at: 2)
        let findings = a.takeChanged().map(\.finding)
        #expect(findings.map { $0.occurrences?.count } == [3, 1])
        #expect(findings.map { $0.detailMap["username"] } == ["agent.smith", "neo"])
    }

    /// VNC Authentication has no user name: every session's challenge differs, and what repeats is the
    /// server's password, so the sessions of one endpoint are one finding.
    @Test func challengeResponsesWithoutAUserNameAreOneFindingPerEndpoint() throws {
        let a = try makeAssessor()
        for (port, secret) in [(5900, "challenge1response1"), (5900, "challenge2response2"), (5901, "challenge1response1")] {
            a.note(.credential(CredentialSighting(
                mechanism: .vncChallengeResponse, username: nil, secret: Array(secret.utf8), outcome: .accepted)),
                slot: 1, flow: makeFlowIdentity(serverPort: UInt16(port)), app: .vnc, at: 1)
        }
        let findings = a.takeChanged().map(\.finding)
        #expect(findings.map { $0.occurrences?.count } == [2, 1])
        #expect(findings.allSatisfy { $0.rule == "credential.vnc-challenge-response" && $0.severity == .high })
    }

    /// rsh's host trust and VNC's None carry no password; their findings name the mechanism and the account.
    @Test func hostTrustAndNoAuthenticationFindings() throws {
        let a = try makeAssessor()
        let flow = makeFlowIdentity(serverPort: 514)
        a.note(.credential(CredentialSighting(
            mechanism: .rhostsTrust, username: Array("root".utf8), secret: Array("lns".utf8), outcome: .rejected)),
            slot: 1, flow: flow, app: .rsh, at: 1)
        a.note(.credential(CredentialSighting(mechanism: .vncNone, username: nil, secret: [], outcome: .accepted)),
            slot: 2, flow: makeFlowIdentity(serverPort: 5900), app: .vnc, at: 2)
        let findings = a.takeChanged().map(\.finding)
        #expect(findings.map(\.rule) == ["credential.rhosts-trust", "credential.vnc-none"])
        #expect(findings[0].detailMap["username"] == "root" && findings[0].detailMap["exposure"] == "token")
        #expect(findings[0].detailMap["outcome"] == "rejected")
        #expect(findings[1].severity == .critical && findings[1].detailMap["secret_length"] == "0")
        #expect(findings.allSatisfy { $0.evidence?.contains("lns") != true })
    }
}
