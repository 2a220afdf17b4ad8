// Regression tests for what FuzzIdentification found (Fuzz/README.md, "Findings").
// Each replays the minimized crasher bytes (Fuzz/Regressions/) through the
// same code path as the fuzz target, without libFuzzer.
import Foundation
import TestSupport
import Testing
@testable import Decoding
@testable import Flows
@testable import Inspection

/// Replays a FuzzIdentification input (format: Fuzz/Sources/FuzzIdentification/FuzzIdentification.swift)
/// and returns what AppIdentifier identified with the chunks as given, and
/// what it identifies when the first direction's bytes before any gap or end
/// arrive as one chunk (the fuzz target's "segmentation" check).
func replayIdentification(_ input: [UInt8]) -> (chunked: AppProtocol, whole: AppProtocol) {
    var i = 0
    func u8() -> UInt8 {
        guard i < input.count else { return 0 }
        defer { i += 1 }
        return input[i]
    }
    func u16() -> UInt16 { UInt16(u8()) | UInt16(u8()) << 8 }
    let transport: TransportProtocol = u8() & 1 == 0 ? .tcp : .udp
    let port = u16()
    var identifier = AppIdentifier(serverPort: port, transport: transport)
    var offsets: [UInt64] = [0, 0]
    var first: Direction?
    var closed = false
    var joined: [UInt8] = []
    while i < input.count {
        let e = u8()
        switch e & 3 {
        case 0, 1:
            let direction: Direction = e & 3 == 0 ? .toServer : .toClient
            var length = Int(e >> 2)
            if length == 0 { length = Int(u16() & 0x3ff) }
            let bytes = Array(input[min(i, input.count)..<min(i + length, input.count)])
            i += bytes.count
            _ = bytes.withUnsafeBytes { identifier.ingest($0, direction: direction, offset: offsets[direction.rawValue]) }
            offsets[direction.rawValue] += UInt64(bytes.count)
            if !bytes.isEmpty {
                if first == nil { first = direction }
                if !closed && first == direction { joined += bytes }
            }
        case 2:
            let direction: Direction = e >> 2 & 1 == 0 ? .toServer : .toClient
            let length = UInt64(u16())
            _ = identifier.gap(direction: direction, offset: offsets[direction.rawValue], length: length)
            offsets[direction.rawValue] += length
            if first == nil || first == direction { closed = true }
        default:
            let direction: Direction = e >> 2 & 1 == 0 ? .toServer : .toClient
            identifier.end(direction: direction)
            if first == nil || first == direction { closed = true }
        }
    }
    var whole = AppIdentifier(serverPort: port, transport: transport)
    if let first { _ = joined.withUnsafeBytes { whole.ingest($0, direction: first, offset: 0) } }
    return (identifier.app, whole.app)
}

/// One FuzzIdentification input: TCP, a server port, and data chunks to the client.
func serverChunks(port: UInt16, _ chunks: [String]) -> [UInt8] {
    var out: [UInt8] = [0, UInt8(port & 0xff), UInt8(port >> 8)]
    for chunk in chunks {
        let bytes = Array(chunk.utf8)
        precondition((1...63).contains(bytes.count))
        out.append(UInt8(bytes.count) << 2 | 1)
        out += bytes
    }
    return out
}

@Suite("Fuzz regressions: protocol identification")
struct IdentificationRegressionTests {
    /// Fuzz/Regressions/FuzzIdentification-split-ftp-banner.bin: a `220 ` reply
    /// line whose "FTP" arrives in the next chunk (server port 15705).
    static let splitFTPBanner: [UInt8] = [
        0x00, 0x59, 0x3d, 0x71, 0x32, 0x32, 0x30, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x43, 0x6f, 0x6d,
        0x70, 0x61, 0x72, 0x61, 0x62, 0x6c, 0x65, 0xc0, 0xc0, 0x94, 0x00, 0x00, 0x00, 0x00, 0x00, 0x70,
        0x79, 0x66, 0x74, 0x70,
    ]

    @Test("fuzz crasher: a banner split after the reply code identifies as when whole")
    func splitBannerCrasher() {
        let result = replayIdentification(Self.splitFTPBanner)
        #expect(result.chunked == result.whole)
        // The line has not ended, so the SMTP probe (earlier in the registry)
        // still waits; when the direction ends, the first match (FTP) wins.
        var whole = AppIdentifier(serverPort: 15705, transport: .tcp)
        // The input's two chunks to the client: 28 bytes ("220 …p"), then "ftp".
        let bytes = Array(Self.splitFTPBanner[4..<32]) + Array(Self.splitFTPBanner[33...])
        _ = bytes.withUnsafeBytes { whole.ingest($0, direction: .toClient, offset: 0) }
        whole.end(direction: .toClient)
        #expect(whole.app == .ftp)
    }

    /// Fuzz/Regressions/FuzzIdentification-socks4-exact-length.bin: `04 01`,
    /// port 0, address 0.0.63.0 and an empty user id ended a 9-byte chunk (the
    /// SOCKS probe matched on the exact length) and 22 more bytes followed
    /// (as one chunk: no match). The probe now judges the request's fields.
    @Test("fuzz crasher: SOCKS4 judged by its fields, not by where the chunk ends")
    func socks4ExactLengthCrasher() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions/FuzzIdentification-socks4-exact-length.bin")
        let input = try [UInt8](Data(contentsOf: url))
        let result = replayIdentification(input)
        #expect(result.chunked == result.whole)
        #expect(result.whole == .unknown)
    }

    @Test("SOCKS4 and SOCKS5 requests are identified however they are cut and whatever follows", arguments: [
        [0x04, 0x01, 0x00, 0x50, 0x0a, 0x00, 0x00, 0x01] + Array("bob".utf8) + [0x00],
        [0x04, 0x01, 0x01, 0xbb, 0x00, 0x00, 0x00, 0x07, 0x00] + Array("example.org".utf8) + [0x00],
        [0x05, 0x02, 0x00, 0x02],
        [0x05, 0x01, 0x02, 0x01, 0x03] + Array("bob".utf8) + [0x02] + Array("pw".utf8),
    ] as [[UInt8]])
    func socksRequests(request: [UInt8]) {
        for trailing in [[], [0x47, 0x45, 0x54]] as [[UInt8]] {
            let bytes = request + trailing
            var whole = AppIdentifier(serverPort: 31080, transport: .tcp)
            _ = bytes.withUnsafeBytes { whole.ingest($0, direction: .toServer, offset: 0) }
            #expect(whole.app == .socks, "\(bytes)")
            for cut in 1..<bytes.count {
                var split = AppIdentifier(serverPort: 31080, transport: .tcp)
                _ = bytes[..<cut].withUnsafeBytes { split.ingest($0, direction: .toServer, offset: 0) }
                _ = bytes[cut...].withUnsafeBytes { split.ingest($0, direction: .toServer, offset: UInt64(cut)) }
                #expect(split.app == whole.app, "cut at \(cut)")
            }
        }
    }

    /// The same bug on realistic banners: servers (or the network) split the
    /// greeting after the reply code. AppIdentifier's contract says a banner
    /// split over segments is probed again as more arrives.
    @Test("a 220 greeting split over segments is still identified", arguments: [
        (UInt16(12121), ["220 ", "pyftpdlib 1.5.7 ready.\r\n"], AppProtocol.ftp),
        (UInt16(12121), ["220 pyftp", "dlib 1.5.7 ready.\r\n"], AppProtocol.ftp),
        (UInt16(2526), ["220 ", "mail.plainsight.test ESMTP Postfix\r\n"], AppProtocol.smtp),
    ])
    func splitGreeting(port: UInt16, chunks: [String], expected: AppProtocol) {
        let result = replayIdentification(serverChunks(port: port, chunks))
        #expect(result.whole == expected)
        #expect(result.chunked == expected)
    }
}
