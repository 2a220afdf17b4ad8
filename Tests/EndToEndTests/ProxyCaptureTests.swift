import Foundation
import Testing

/// `Captures/proxy-connect.pcap` (`RECORD_ONLY=proxy Captures/record.sh`):
/// curl 7.88 through tinyproxy 1.11 (BasicAuth) on 18170 — a CONNECT with a
/// wrong proxy password (tinyproxy answers 401), a CONNECT then TLS 1.2 with
/// AES128-SHA to openssl s_server on 18171, a CONNECT then plain HTTP to
/// python's http.server on 18172 (a JSON file with a fake SSN) — and the
/// proxy's own connections to both servers. `Captures/socks-tunnels.pcap`
/// (`RECORD_ONLY=socks`): curl through Dante's danted 1.4 on 18180 to openssl
/// s_server (TLS 1.3) on 18181 — SOCKS5 (no authentication) by address and by
/// name, SOCKS4 by address — and the proxy's own connections.
struct ProxyCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("proxy-connect.pcap")

    static func serverPort(_ r: [String: Any]) -> Int? {
        ((r["flow"] as? [String: Any])?["server"] as? [String: Any])?["port"] as? Int
    }

    @Test func tlsInTheTunnelIsTheHandshakeTheServerSaw() throws {
        let run = try plainsight(["read", Self.capture.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let flows = run.flows
        #expect(flows.map { "\(Self.serverPort($0) ?? 0) \($0["app"] as? String ?? "")" }.sorted()
            == ["18170 http", "18170 http", "18170 http", "18171 tls", "18172 http"])

        // The tunnel carries what the proxy's connection to the server carries:
        // the same hellos, read from where the tunnel starts.
        let tunnelled = flows.filter { ($0["tls"] as? [String: Any])?["tunnel"] as? String == "http-connect" }
        let direct = flows.filter { Self.serverPort($0) == 18171 }
        #expect(tunnelled.count == 1 && direct.count == 1)
        let inside = try #require(tunnelled.first?["tls"] as? [String: Any])
        let outside = try #require(direct.first?["tls"] as? [String: Any])
        #expect(tunnelled.first.map(Self.serverPort) == 18170)
        #expect(tunnelled.first?["encrypted"] as? Bool == true)
        #expect(inside["version"] as? String == "TLSv1.2")
        #expect(inside["cipher"] as? String == "TLS_RSA_WITH_AES_128_CBC_SHA")
        #expect(inside["sni"] as? String == "plainsight.test")
        for key in ["version", "cipher", "sni", "ja3", "ja3s", "ja4", "certificate_status"] {
            #expect(inside[key] as? String == outside[key] as? String, "\(key)")
        }
        #expect(outside["tunnel"] == nil)

        let findings = run.records.filter { $0["type"] as? String == "finding" }
        func ports(_ rule: String) -> Set<Int> { Set(findings.filter { $0["rule"] as? String == rule }.compactMap(Self.serverPort)) }
        #expect(ports("tls.weak-cipher") == [18170, 18171])
        #expect(ports("certificate.self-signed") == [18170, 18171])
        // In the tunnel the flow's server is the proxy: the finding names the tunnel and the origin.
        for f in findings where (f["rule"] as? String)?.hasPrefix("tls.") == true || (f["rule"] as? String)?.hasPrefix("certificate.") == true {
            let details = f["details"] as? [String: Any] ?? [:]
            let message = f["message"] as? String ?? ""
            if Self.serverPort(f) == 18170 {
                #expect(details["tunnel"] as? String == "http-connect" && details["sni"] as? String == "plainsight.test")
                #expect(message.hasSuffix(" (in an HTTP CONNECT tunnel to plainsight.test)."), "\(message)")
            } else {
                #expect(details["tunnel"] == nil && details["sni"] == nil && !message.contains("tunnel"))
            }
        }

        // The flows without TLS inside are cleartext HTTP: the refused CONNECT,
        // and the tunnel with the JSON in it (its SSN found in the raw stream).
        let exposure = findings.filter { $0["rule"] as? String == "cleartext.http" && Self.serverPort($0) == 18170 }
        #expect(exposure.count == 1 && exposure.first?["count"] as? Int == 2)
        #expect(ports("pii.us-ssn") == [18170, 18172])

        // The proxy login in clear: refused once, accepted for both tunnels.
        let logins = findings.filter { $0["rule"] as? String == "credential.http-basic" }
        let seen = Set(logins.map {
            let d = $0["details"] as? [String: Any] ?? [:]
            return "\(d["username"] as? String ?? "") \(d["outcome"] as? String ?? "") \($0["count"] as? Int ?? 0)"
        })
        #expect(seen == ["proxyuser rejected 1", "proxyuser accepted 2"])
        for secret in ["Pr0xy-Pass-2026", "wrong-password", "536-22-8741"] {
            #expect(!run.stdout.contains(secret), "\(secret) in the output")
        }
        let stats = try #require(run.stats)
        #expect((stats["http"] as? [String: Any])?["connect_tunnels"] as? Int == 2)
        #expect((stats["tls"] as? [String: Any])?["in_proxy_tunnels"] as? Int == 1)
    }

    @Test func tlsInSOCKSTunnelsIsTheHandshakeTheServerSaw() throws {
        let run = try plainsight(["read", Paths.captures.appendingPathComponent("socks-tunnels.pcap").path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let tunnels = run.flows.filter { Self.serverPort($0) == 18180 }
        let direct = run.flows.filter { Self.serverPort($0) == 18181 }
        #expect(tunnels.count == 3 && direct.count == 3)
        let kinds = tunnels.compactMap { ($0["tls"] as? [String: Any])?["tunnel"] as? String }.sorted()
        #expect(kinds == ["socks4", "socks5", "socks5"])
        // Each tunnel's handshake against the proxy's connection with the same server name.
        for flow in tunnels {
            let inside = try #require(flow["tls"] as? [String: Any])
            let sni = try #require(inside["sni"] as? String)
            let outside = try #require(direct.compactMap { $0["tls"] as? [String: Any] }.first { $0["sni"] as? String == sni })
            #expect(inside["version"] as? String == "TLSv1.3", "\(sni)")
            for key in ["version", "cipher", "ja3", "ja3s", "ja4"] {
                #expect(inside[key] as? String == outside[key] as? String, "\(sni): \(key)")
            }
        }
        #expect(Set(tunnels.compactMap { ($0["tls"] as? [String: Any])?["sni"] as? String }) == ["plainsight.test", "localhost"])
        #expect(tunnels.allSatisfy { $0["app"] as? String == "socks" && $0["encrypted"] as? Bool == true })
        let findings = run.records.filter { $0["type"] as? String == "finding" }
        #expect(!findings.contains { $0["rule"] as? String == "cleartext.socks" }, "no payload crossed the proxy in clear")
        let stats = try #require(run.stats)
        #expect((stats["cleartext"] as? [String: Any])?["socks_tunnels"] as? Int == 3)
        #expect((stats["tls"] as? [String: Any])?["in_proxy_tunnels"] as? Int == 3)
    }
}
