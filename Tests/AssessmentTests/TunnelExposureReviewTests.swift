import Decoding
import Findings
import Flows
import Foundation
import Inspection
import TestSupport
import Testing

/// Review of commit 3e5a937 (tunnelled TLS findings name the tunnel and the server name): each test failed on that commit.
@Suite("Tunnelled TLS findings review")
struct TunnelExposureReviewTests {
    /// ec256.der from Tests/FindingsTests/CertificateFixtures.swift: CN and DNS ec256.plainsight.test,
    /// valid 2024-06-01 .. 2025-06-01.
    static let ecP256Base64 = """
        MIIBgTCCASegAwIBAgICEAMwCgYIKoZIzj0EAwIwIDEeMBwGA1UEAwwVZWMyNTYucGxhaW5zaWdo
        dC50ZXN0MB4XDTI0MDYwMTEyMDAwMFoXDTI1MDYwMTEyMDAwMFowIDEeMBwGA1UEAwwVZWMyNTYu
        cGxhaW5zaWdodC50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAErd0k2EPWW4FysCdbgX9Z
        9Au0m/9mj+xHIlZvNo94upsznWOD2uD5rUjHeGKT3btcRwvvGMZa2XYvPk4BqJ48jKNRME8wDAYD
        VR0TAQH/BAIwADAgBgNVHREEGTAXghVlYzI1Ni5wbGFpbnNpZ2h0LnRlc3QwHQYDVR0OBBYEFDFe
        eCRYKCtVShMTB+ncfUe416bHMAoGCCqGSM49BAMCA0gAMEUCIDhogPMoePPsGThtvvYw0fUEObTl
        LoydvQY3DryVfbwzAiEAguY/ab4gOgt+bKU30RGlXADZDQFkPlggNR6mqnF81CI=
        """

    static let patterns = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Patterns")

    static func flow() -> FlowIdentity {
        var p = DecodedPacket()
        p.source = IPAddress("10.0.0.5")!
        p.destination = IPAddress("192.0.2.1")!
        p.sourcePort = 51_234
        p.destinationPort = 1080
        p.transport = .tcp
        p.tcpFlags = [.syn]
        p.timestamp = 1_717_243_200_000_000  // 2024-06-01T12:00:00Z
        var sentByLow = false
        let key = FlowKey(p, sentByLow: &sentByLow)
        return FlowIdentity(Flow(key: key, first: p, sentByLow: sentByLow))
    }

    /// A TLS 1.2 handshake read inside a proxy tunnel, asking for `sni`, answered with the ec256 certificate.
    static func tunnelled(_ kind: TunnelKind, sni: String) throws -> TLSHandshake {
        var c = TLSBytes.ClientHelloSpec()
        c.cipherSuites = [0xc02b, 0xc02f]
        c.extensions = [TLSBytes.sni(sni), TLSBytes.supportedGroups([0x001d]), TLSBytes.ecPointFormats([0])]
        var s = TLSBytes.ServerHelloSpec()
        s.cipherSuite = 0xc02b
        var h = TLSHandshake()
        h.clientHello = try TLSBytes.clientHelloBody(c).withUnsafeBytes { try ClientHello(parsing: $0) }
        h.serverHello = try TLSBytes.serverHelloBody(s).withUnsafeBytes { try ServerHello(parsing: $0) }
        h.certificates = [[UInt8](Data(base64Encoded: ecP256Base64, options: .ignoreUnknownCharacters)!)]
        h.certificateMessageSeen = true
        h.tunnel = kind
        return h
    }

    /// Defect: `TLSAssessor.assess` appends `("sni", …)` to the details of every
    /// tunnelled finding, but `certificate.name-mismatch` already carries its
    /// own `sni` detail: the finding gets the key twice, and `Reporter` writes
    /// both into one JSON object (`"details":{"sni":…,…,"sni":…}`). RFC 8259
    /// §4: "The names within an object SHOULD be unique" — with duplicates,
    /// "the behavior of software that receives such an object is unpredictable";
    /// the test suite's own `detailMap` says "keys are unique within a finding".
    @Test func aTunnelledNameMismatchHasOneSNIDetail() throws {
        let policy = try TLSPolicy.load("mozilla-intermediate", patterns: Self.patterns)
        for kind in [TunnelKind.httpConnect, .socks5, .socks4] {
            let h = try Self.tunnelled(kind, sni: "other.example")
            let findings = TLSAssessor(policy: policy).assess(h, flow: Self.flow(), app: .socks, at: 1_717_243_200_000_000).1
            let mismatch = try #require(findings.first { $0.rule == "certificate.name-mismatch" }, "\(kind)")
            let keys = mismatch.details.map(\.key)
            #expect(keys.filter { $0 == "sni" }.count == 1, "\(kind): \(keys)")
            #expect(Set(keys).count == keys.count, "\(kind): duplicate detail keys \(keys)")
        }
    }
}
