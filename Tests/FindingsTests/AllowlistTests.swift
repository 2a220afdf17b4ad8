import Foundation
import Testing
@testable import Decoding
@testable import Findings
@testable import Flows
@testable import Inspection

struct AllowlistTests {
    /// A finding of `rule` on the test flow 10.0.0.5 -> 192.0.2.10:`port`.
    func finding(_ rule: String, port: UInt16 = 8080) -> Finding {
        Finding(
            timestamp: 0, rule: rule, category: .cleartext, severity: .low, flow: makeFlowIdentity(serverPort: port),
            direction: nil, app: .http, message: "m")
    }

    static let file = """
        allow:
          - rule: cleartext.http
            server: 192.0.2.0/24
            port: 8080
            reason: Health checks, no credentials
          - rule: credential.*
            client: 10.0.0.5
            reason: The scanner's own test logins
            expires: 2026-12-31
          - server: 2001:db8::/32
            reason: Lab network
        """

    @Test func entriesMatchByRuleAddressAndPort() throws {
        var list = try Allowlist.parse(Self.file, source: "a.yaml")
        let now = utc(2026, 12, 1)
        func suppressed(_ f: Finding, count: Bool = true) -> Bool { list.suppresses(f, now: now, count: count) }
        #expect(suppressed(finding("cleartext.http")))
        #expect(!suppressed(finding("cleartext.http", port: 80)))
        #expect(!suppressed(finding("cleartext.ftp")))
        #expect(suppressed(finding("credential.ftp-password", port: 21)))
        #expect(!suppressed(finding("tls.weak-version", port: 443)))
        #expect(list.suppressed == [1, 1, 0])
        // Written again with a new count: not a new suppression.
        #expect(suppressed(finding("cleartext.http"), count: false))
        #expect(list.suppressed == [1, 1, 0])
    }

    @Test func anExpiredEntryStopsSuppressingAfterItsDay() throws {
        var list = try Allowlist.parse(Self.file, source: "a.yaml")
        func suppressed(at now: Int64) -> Bool { list.suppresses(finding("credential.http-basic"), now: now) }
        #expect(suppressed(at: utc(2026, 12, 31, 23, 59, 59)))
        #expect(!suppressed(at: utc(2027, 1, 1)))
        #expect(list.expired(at: utc(2027, 1, 1)).map(\.reason) == ["The scanner's own test logins"])
        #expect(list.expired(at: utc(2026, 6, 1)).isEmpty)
    }

    @Test func networksCoverIPv4AndIPv6Prefixes() throws {
        let v4 = try #require(Allowlist.Network("10.20.0.0/16"))
        #expect(v4.contains(IPAddress("10.20.255.1")!))
        #expect(!v4.contains(IPAddress("10.21.0.1")!))
        #expect(!v4.contains(IPAddress("::a14:1")!), "an IPv6 address is not in an IPv4 network")
        let all4 = try #require(Allowlist.Network("0.0.0.0/0"))
        #expect(all4.contains(IPAddress("203.0.113.9")!))
        let v6 = try #require(Allowlist.Network("2001:db8:8000::/33"))
        #expect(v6.contains(IPAddress("2001:db8:8000::1")!))
        #expect(!v6.contains(IPAddress("2001:db8:7fff::1")!))
        let one = try #require(Allowlist.Network("192.0.2.10"))
        #expect(one.contains(IPAddress("192.0.2.10")!) && !one.contains(IPAddress("192.0.2.11")!))
        #expect(Allowlist.Network("10.0.0.0/33") == nil)
        #expect(Allowlist.Network("nonsense") == nil)
    }

    @Test(arguments: [
        ("allow:\n  - rule: cleartext.http\n", "a.yaml: missing field allow[0].reason"),
        ("allow:\n  - reason: x\n    server: 10.0.0.0/40\n", "a.yaml:3: field allow[0].server: expected an address or CIDR, not '10.0.0.0/40'"),
        ("allow:\n  - reason: x\n    expires: next week\n", "a.yaml:3: field allow[0].expires: expected a date YYYY-MM-DD, not 'next week'"),
        ("allow:\n  - reason: x\n    host: a\n", "a.yaml: allow[0].host: unknown field (rule, server, port, client, reason, expires)"),
        ("allow:\n  - reason: \" \"\n", "a.yaml: allow[0].reason: an accepted risk needs a reason"),
        ("allow: everything\n", "a.yaml:1: field allow: expected a list of entries"),
    ])
    func mistakesAreNamed(text: String, message: String) {
        #expect { _ = try Allowlist.parse(text, source: "a.yaml") } throws: { "\($0)" == message }
    }
}
