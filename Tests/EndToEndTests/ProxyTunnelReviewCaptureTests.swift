import Foundation
import Testing

/// Review of commit 5decdce (proxy tunnels followed), through the binary: each test failed on that commit.
struct ProxyTunnelReviewCaptureTests {
    static let proxyConnect = Paths.captures.appendingPathComponent("proxy-connect.pcap")
    static let socksTunnels = Paths.captures.appendingPathComponent("socks-tunnels.pcap")

    /// Defect: `FlowInspection.inspectCleartext` bumped one counter for every
    /// tunnel — SOCKS5 ones too — and `Reporter` wrote it as
    /// `stats.http.connect_tunnels`: a capture with no HTTP at all (two SOCKS5
    /// CONNECTs, TLS inside each) reported two HTTP CONNECT tunnels (its third,
    /// SOCKS4, was added with SOCKS4 tunnels later).
    @Test func socksTunnelsAreNotCountedAsHTTPConnectTunnels() throws {
        let run = try plainsight(["read", Self.socksTunnels.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.flows.allSatisfy { $0["app"] as? String != "http" }, "no HTTP in this capture")
        let stats = try #require(run.stats)
        #expect((stats["tls"] as? [String: Any])?["in_proxy_tunnels"] as? Int == 3)
        #expect((stats["http"] as? [String: Any])?["connect_tunnels"] as? Int == 0)
        #expect((stats["cleartext"] as? [String: Any])?["socks_tunnels"] as? Int == 3)
    }

    /// Defect: with `--analyzers flows,tls` the tunnel of curl's CONNECT to
    /// openssl s_server is `encrypted: false` with no `tls` object, while
    /// with `all` it is `encrypted: true` with `tls.tunnel: http-connect`:
    /// the flow record's `encrypted` (a `flows` fact) and the TLS posture
    /// depend on whether the cleartext readers run (see the unit test
    /// `tunnelledTLSIsReadWithTheTLSAnalyzerAlone`).
    @Test func theTunnelledHandshakeIsReadWithFlowsAndTLSOnly() throws {
        let run = try plainsight(["read", Self.proxyConnect.path, "--format", "json", "--analyzers", "flows,tls"])
        #expect(run.status == 0, "\(run.stderr)")
        let tunnelled = run.flows.filter { ($0["tls"] as? [String: Any])?["tunnel"] as? String == "http-connect" }
        #expect(tunnelled.count == 1)
        #expect(tunnelled.first?["encrypted"] as? Bool == true)
        let stats = try #require(run.stats)
        #expect((stats["tls"] as? [String: Any])?["in_proxy_tunnels"] as? Int == 1)
    }
}
