import TestSupport
import Testing
@testable import Decoding
@testable import Flows
@testable import Inspection

// The TLS analyzer on byte streams built in the tests (TestSupport's
// TLSBytes, written from RFC 5246/8446 and the SSL 2.0 draft): hello
// fields, message and record boundaries anywhere, encryption, alerts,
// SSL 2.0, malformed input, the shared copy budget and when it is done.

typealias B = TLSBytes

// MARK: - Driving the analyzer

/// An analyzer with its context and the next offset of each direction.
final class TLSDrive {
    let analyzer: TLSAnalyzer
    var context: InspectionContext
    var offsets: (toServer: UInt64, toClient: UInt64)
    var verdicts: [AnalyzerVerdict] = []

    init(
        budget: Int = 16 << 20, startingAt start: (toServer: UInt64, toClient: UInt64) = (0, 0),
        upgradedFrom: AppProtocol? = nil
    ) {
        analyzer = TLSAnalyzer(startingAt: start, upgradedFrom: upgradedFrom)
        context = InspectionContext(maxBufferedBytes: budget)
        offsets = (0, 0)  // stream offsets; the analyzer skips what is before `start`
    }

    var handshake: TLSHandshake { analyzer.handshake }

    /// Sends `bytes` as one chunk at the direction's next offset.
    @discardableResult
    func send(_ bytes: [UInt8], _ d: Direction) -> AnalyzerVerdict {
        let offset = d == .toServer ? offsets.toServer : offsets.toClient
        let v = send(bytes, d, at: offset)
        return v
    }

    /// Sends `bytes` at an explicit offset (the next offset moves past them).
    @discardableResult
    func send(_ bytes: [UInt8], _ d: Direction, at offset: UInt64) -> AnalyzerVerdict {
        let v = bytes.withUnsafeBytes { analyzer.ingest($0, direction: d, offset: offset, context: &context) }
        let end = offset + UInt64(bytes.count)
        if d == .toServer { offsets.toServer = max(offsets.toServer, end) } else { offsets.toClient = max(offsets.toClient, end) }
        verdicts.append(v)
        return v
    }

    func send(chunks: [[UInt8]], _ d: Direction) {
        for c in chunks { send(c, d) }
    }

    /// One byte per call.
    func trickle(_ bytes: [UInt8], _ d: Direction) {
        for b in bytes { send([b], d) }
    }

    func gap(_ d: Direction, length: UInt64) {
        let offset = d == .toServer ? offsets.toServer : offsets.toClient
        verdicts.append(analyzer.gap(direction: d, offset: offset, length: length, context: &context))
        if d == .toServer { offsets.toServer += length } else { offsets.toClient += length }
    }

    func end(_ d: Direction) { analyzer.end(direction: d, context: &context) }
}

/// What the analyzer learnt, comparable between two deliveries of the same bytes.
struct HandshakeFacts: Equatable, CustomStringConvertible {
    var clientHello: ClientHello?
    var serverHello: ServerHello?
    var helloRetryRequest: ServerHello?
    var certificates: [[UInt8]]
    var certificateMessageSeen: Bool
    var serverHelloDoneSeen: Bool
    var alertDescription: UInt8?
    var alertSender: Direction?
    var problem: String?
    var isDone: Bool

    init(_ a: TLSAnalyzer) {
        let h = a.handshake
        clientHello = h.clientHello
        serverHello = h.serverHello
        helloRetryRequest = h.helloRetryRequest
        certificates = h.certificates
        certificateMessageSeen = h.certificateMessageSeen
        serverHelloDoneSeen = h.serverHelloDoneSeen
        alertDescription = h.fatalAlert?.description
        alertSender = h.fatalAlert?.sentBy
        problem = h.problem
        isDone = a.isDone
    }

    var description: String {
        "client \(clientHello != nil), server \(serverHello.map { "\($0.version)" } ?? "-"), "
            + "\(certificates.count) certs, done \(isDone), problem \(problem ?? "-")"
    }
}

// MARK: - Messages used throughout

enum Hellos {
    /// A browser-like TLS 1.3 ClientHello with every extension the analyzer
    /// reads and GREASE (RFC 8701) in the suites, extensions, versions,
    /// groups, signature algorithms and key shares.
    static var full: B.ClientHelloSpec {
        var s = B.ClientHelloSpec()
        s.cipherSuites = [0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xcca9, 0x009c, 0x002f, 0x00ff]
        s.extensions = [
            B.empty(0x0a0a),
            B.sni("www.example.com"),
            B.empty(B.ExtensionType.extendedMasterSecret),
            B.renegotiationInfo(),
            B.supportedGroups([0x5a5a, 0x001d, 0x0017, 0x0018]),
            B.ecPointFormats([0, 1, 2]),
            B.empty(B.ExtensionType.sessionTicket),
            B.alpn("h2", "http/1.1"),
            B.signatureAlgorithms([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]),
            B.keyShare([(0x5a5a, [0]), (0x001d, B.counting(32, from: 0x90))]),
            B.Extension(type: B.ExtensionType.pskKeyExchangeModes, data: [1, 1]),
            B.supportedVersions([0x7a7a, 0x0304, 0x0303]),
            B.heartbeat(mode: 1),
            B.Extension(type: 0xfafa, data: [0]),
            B.Extension(type: B.ExtensionType.padding, data: [UInt8](repeating: 0, count: 40)),
        ]
        return s
    }

    static var tls12: B.ClientHelloSpec {
        var s = B.ClientHelloSpec()
        s.cipherSuites = [0xc02f, 0xc030, 0x009e, 0x002f, 0x00ff]
        s.extensions = [B.sni("shop.example.net"), B.supportedGroups([0x0017]), B.ecPointFormats([0])]
        return s
    }

    static var server12: B.ServerHelloSpec {
        var s = B.ServerHelloSpec()
        s.cipherSuite = 0xc02f
        s.extensions = [B.renegotiationInfo(), B.empty(B.ExtensionType.extendedMasterSecret), B.alpn("h2"),
                        B.ecPointFormats([0])]
        return s
    }

    /// Stand-ins for DER certificates: the analyzer keeps them as bytes.
    static let leaf = B.counting(1200, from: 0x30)
    static let intermediate = B.counting(900, from: 0x80)

    /// ServerHello, Certificate, ServerHelloDone in one handshake record.
    static var serverFlight: [UInt8] {
        B.record(22, B.serverHello(server12) + B.certificate([leaf, intermediate]) + B.serverHelloDone())
    }
}

@Suite("TLS analyzer: hello fields")
struct TLSHelloFieldTests {
    @Test func clientHelloFieldsInWireOrderWithGREASEKept() throws {
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.full), .toServer)
        let h = try #require(d.handshake.clientHello)
        #expect(h.legacyVersion == .tls12)
        #expect(h.cipherSuites == [0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xcca9, 0x009c, 0x002f, 0x00ff])
        #expect(h.compressionMethods == [0])
        #expect(h.extensions == [0x0a0a, 0, 23, 0xff01, 10, 11, 35, 16, 13, 51, 45, 43, 15, 0xfafa, 21])
        #expect(h.serverName == "www.example.com")
        #expect(h.alpn == ["h2", "http/1.1"])
        #expect(h.firstALPNValue == Array("h2".utf8))
        #expect(h.supportedVersions == [0x7a7a, 0x0304, 0x0303])
        #expect(h.supportedGroups == [0x5a5a, 0x001d, 0x0017, 0x0018])
        #expect(h.ecPointFormats == [0, 1, 2])
        #expect(h.signatureAlgorithms == [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601])
        #expect(h.keyShareGroups == [0x5a5a, 0x001d])
        #expect(h.extensions.contains(B.ExtensionType.heartbeat))
        #expect(h.offersSecureRenegotiation)
        #expect(!h.isSSLv2Format)
        #expect(h.sslv2CipherKinds.isEmpty)
        // GREASE is kept in the lists but never offered as a version.
        #expect(h.offeredVersions == [.tls13, .tls12])
        #expect(h.highestVersion == .tls13)
        #expect(d.context.counters.tlsClientHellos == 1)
    }

    @Test func clientHelloParsesTheSameDirectlyAndThroughTheAnalyzer() throws {
        let body = B.clientHelloBody(Hellos.full)
        let direct = try body.withUnsafeBytes { try ClientHello(parsing: $0) }
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.full), .toServer)
        #expect(d.handshake.clientHello == direct)
    }

    @Test func supportedVersionsOverrideTheLegacyVersion() throws {
        var s = B.ClientHelloSpec()
        s.version = 0x0303
        s.extensions = [B.supportedVersions([0x0304])]
        let only13 = try B.clientHelloBody(s).withUnsafeBytes { try ClientHello(parsing: $0) }
        #expect(only13.legacyVersion == .tls12)
        #expect(only13.offeredVersions == [.tls13])
        #expect(only13.highestVersion == .tls13)

        s.extensions = [B.sni("a.example")]
        let legacyOnly = try B.clientHelloBody(s).withUnsafeBytes { try ClientHello(parsing: $0) }
        #expect(legacyOnly.offeredVersions == [.tls12])

        // A list of nothing but GREASE falls back to the legacy version.
        s.version = 0x0301
        s.extensions = [B.supportedVersions([0x3a3a])]
        let greaseOnly = try B.clientHelloBody(s).withUnsafeBytes { try ClientHello(parsing: $0) }
        #expect(greaseOnly.supportedVersions == [0x3a3a])
        #expect(greaseOnly.offeredVersions == [.tls10])
    }

    @Test func helloWithoutAnExtensionsBlock() throws {
        // SSL 3.0 hellos end after the compression methods (RFC 6101 §5.6.1.2).
        var s = B.ClientHelloSpec()
        s.version = 0x0300
        s.sessionID = []
        s.cipherSuites = [0x000a, 0x0005, 0x0004]
        s.compressionMethods = [1, 0]
        s.extensions = nil
        let h = try B.clientHelloBody(s).withUnsafeBytes { try ClientHello(parsing: $0) }
        #expect(h.extensions.isEmpty)
        #expect(h.serverName == nil)
        #expect(h.cipherSuites == [0x000a, 0x0005, 0x0004])
        #expect(h.compressionMethods == [1, 0])
        #expect(h.offeredVersions == [.sslv3])
        #expect(!h.offersSecureRenegotiation)
    }

    @Test func renegotiationSCSVAloneSignalsSecureRenegotiation() throws {
        var s = B.ClientHelloSpec()
        s.cipherSuites = [0xc02f, 0x00ff]
        s.extensions = []
        let h = try B.clientHelloBody(s).withUnsafeBytes { try ClientHello(parsing: $0) }
        #expect(h.offersSecureRenegotiation)
        s.cipherSuites = [0xc02f]
        let without = try B.clientHelloBody(s).withUnsafeBytes { try ClientHello(parsing: $0) }
        #expect(!without.offersSecureRenegotiation)
    }

    @Test func sniTakesTheFirstHostNameAndEscapesControls() throws {
        var s = B.ClientHelloSpec()
        s.extensions = [B.sni("first.example", "second.example")]
        let h = try B.clientHelloBody(s).withUnsafeBytes { try ClientHello(parsing: $0) }
        #expect(h.serverName == "first.example")
        s.extensions = [B.sni("evil\u{1b}[31m.example")]
        let escaped = try B.clientHelloBody(s).withUnsafeBytes { try ClientHello(parsing: $0) }
        #expect(escaped.serverName == "evil?[31m.example")
    }

    /// RFC 8446 §4.2 forbids repeating an extension; when a client does,
    /// the first one counts (and the wire list still shows both).
    @Test func aRepeatedExtensionCountsOnce() throws {
        var s = B.ClientHelloSpec()
        s.extensions = [B.sni("first.example"), B.supportedVersions([0x0304, 0x0303]), B.sni("second.example"),
                        B.supportedVersions([0x0301]), B.supportedGroups([0x001d]), B.supportedGroups([0x0017, 0x0018])]
        let h = try B.clientHelloBody(s).withUnsafeBytes { try ClientHello(parsing: $0) }
        #expect(h.serverName == "first.example")
        #expect(h.supportedVersions == [0x0304, 0x0303])
        #expect(h.supportedGroups == [0x001d])
        #expect(h.extensions == [0, 43, 0, 43, 10, 10])
    }

    @Test func alpnListIsCappedButTheFirstValueIsRaw() throws {
        var s = B.ClientHelloSpec()
        let names = (0..<20).map { "proto-\($0)" }
        s.extensions = [B.alpn(raw: [[0xff, 0x68]] + names.map { Array($0.utf8) })]
        let h = try B.clientHelloBody(s).withUnsafeBytes { try ClientHello(parsing: $0) }
        #expect(h.firstALPNValue == [0xff, 0x68])
        #expect(h.alpn.count == 16)
        #expect(h.alpn.first == "?h")
        #expect(h.alpn[1] == "proto-0")
    }

    @Test func serverHelloFields() throws {
        let body = B.serverHelloBody(Hellos.server12)
        let h = try body.withUnsafeBytes { try ServerHello(parsing: $0) }
        #expect(h.legacyVersion == .tls12)
        #expect(h.selectedVersion == nil)
        #expect(h.version == .tls12)
        #expect(h.cipherSuite == 0xc02f)
        #expect(h.compressionMethod == 0)
        #expect(h.extensions == [0xff01, 23, 16, 11])
        #expect(h.alpn == "h2")
        #expect(h.offersSecureRenegotiation)
        #expect(!h.isHelloRetryRequest)
        #expect(!h.isSSLv2)
    }

    @Test func serverHelloSupportedVersionsAndKeyShare() throws {
        var s = B.tls13ServerHello(cipherSuite: 0x1302, group: 0x0018)
        s.extensions! += [B.heartbeat(mode: 2)]
        let h = try B.serverHelloBody(s).withUnsafeBytes { try ServerHello(parsing: $0) }
        #expect(h.legacyVersion == .tls12)
        #expect(h.selectedVersion == .tls13)
        #expect(h.version == .tls13)
        #expect(h.cipherSuite == 0x1302)
        #expect(h.keyShareGroup == 0x0018)
        #expect(h.extensions == [43, 51, 15])
        #expect(!h.offersSecureRenegotiation)
    }

    @Test func serverHelloWithoutExtensionsAndWithCompression() throws {
        var s = B.ServerHelloSpec()
        s.version = 0x0301
        s.cipherSuite = 0x0005
        s.compressionMethod = 1  // DEFLATE (RFC 3749)
        s.extensions = nil
        let h = try B.serverHelloBody(s).withUnsafeBytes { try ServerHello(parsing: $0) }
        #expect(h.version == .tls10)
        #expect(h.compressionMethod == 1)
        #expect(h.extensions.isEmpty)
    }

    @Test func helloRetryRequestIsRecognisedByItsRandom() throws {
        let h = try B.serverHelloBody(B.helloRetryRequest(group: 0x0017)).withUnsafeBytes { try ServerHello(parsing: $0) }
        #expect(h.isHelloRetryRequest)
        #expect(h.keyShareGroup == 0x0017)
        #expect(h.version == .tls13)
        // One bit off is an ordinary random.
        var s = B.helloRetryRequest()
        s.random[31] ^= 1
        let ordinary = try B.serverHelloBody(s).withUnsafeBytes { try ServerHello(parsing: $0) }
        #expect(!ordinary.isHelloRetryRequest)
    }

    @Test func earlyTLS13DraftServerHelloHasNoSessionIDOrCompression() throws {
        // draft-ietf-tls-tls13-18 §4.1.3: version, random, cipher_suite, extensions.
        let body = B.u16(0x7f12) + B.counting(32, from: 1) + B.u16(0x1301)
            + B.extensionBlock([B.keyShareServer(group: 0x001d, key: B.counting(32))])
        let h = try body.withUnsafeBytes { try ServerHello(parsing: $0) }
        #expect(h.cipherSuite == 0x1301)
        #expect(h.version.rawValue == 0x7f12)
        #expect(h.version >= .tls13)
        #expect(h.keyShareGroup == 0x001d)
    }
}

@Suite("TLS analyzer: boundaries")
struct TLSBoundaryTests {
    static let clientStream = B.clientHelloRecord(Hellos.full)
    static let serverStream = Hellos.serverFlight

    static func whole() -> HandshakeFacts {
        let d = TLSDrive()
        d.send(clientStream, .toServer)
        d.send(serverStream, .toClient)
        return HandshakeFacts(d.analyzer)
    }

    @Test func wholeDeliveryReadsEverythingWithoutCopying() throws {
        let d = TLSDrive()
        d.send(Self.clientStream, .toServer)
        d.send(Self.serverStream, .toClient)
        let h = d.handshake
        #expect(h.clientHello?.serverName == "www.example.com")
        #expect(h.serverHello?.cipherSuite == 0xc02f)
        #expect(h.certificates == [Hellos.leaf, Hellos.intermediate])
        #expect(h.certificateMessageSeen)
        // The server's flight is complete at its Certificate: the direction
        // stops there, so the ServerHelloDone after it is not read.
        #expect(!h.serverHelloDoneSeen)
        #expect(h.problem == nil)
        #expect(d.analyzer.isDone)
        // Zero-copy: whole messages are read in place.
        #expect(d.context.peakBufferedBytes == 0)
        #expect(d.context.bufferedBytes == 0)
    }

    @Test func clientHelloSplitAtEveryByteIntoTwoChunks() {
        let expected = Self.whole()
        for cut in 1..<Self.clientStream.count {
            let d = TLSDrive()
            d.send(chunks: B.split(Self.clientStream, at: [cut]), .toServer)
            d.send(Self.serverStream, .toClient)
            #expect(HandshakeFacts(d.analyzer) == expected, "cut at \(cut)")
            #expect(d.context.bufferedBytes == 0, "cut at \(cut)")
        }
    }

    @Test func serverFlightSplitAtEveryByteIntoTwoChunks() {
        let expected = Self.whole()
        for cut in 1..<Self.serverStream.count {
            let d = TLSDrive()
            d.send(Self.clientStream, .toServer)
            d.send(chunks: B.split(Self.serverStream, at: [cut]), .toClient)
            #expect(HandshakeFacts(d.analyzer) == expected, "cut at \(cut)")
            #expect(d.context.bufferedBytes == 0, "cut at \(cut)")
        }
    }

    @Test func oneByteChunks() {
        let d = TLSDrive()
        d.trickle(Self.clientStream, .toServer)
        d.trickle(Self.serverStream, .toClient)
        #expect(HandshakeFacts(d.analyzer) == Self.whole())
        #expect(d.context.bufferedBytes == 0)
        // Split messages are assembled in a copy charged to the budget.
        // The largest message assembled is the Certificate message, header included.
        #expect(d.context.peakBufferedBytes == B.certificate([Hellos.leaf, Hellos.intermediate]).count)
    }

    @Test func severalMessagesInOneRecord() throws {
        let d = TLSDrive()
        d.send(Self.clientStream, .toServer)
        let flight = B.serverHello(Hellos.server12) + B.certificate([Hellos.leaf]) + B.serverKeyExchange()
            + B.serverHelloDone()
        d.send(B.record(22, flight), .toClient)
        #expect(d.handshake.serverHello?.alpn == "h2")
        #expect(d.handshake.certificates == [Hellos.leaf])
        #expect(d.context.counters.tlsServerHellos == 1)
        // Without a Certificate, ServerHelloDone ends the flight: SKE and SHD
        // in one record with the ServerHello.
        let anon = TLSDrive()
        anon.send(Self.clientStream, .toServer)
        anon.send(B.record(22, B.serverHello(Hellos.server12) + B.serverKeyExchange() + B.serverHelloDone()), .toClient)
        #expect(anon.handshake.serverHelloDoneSeen)
        #expect(anon.analyzer.isDone)
    }

    @Test func oneMessageSpreadOverThreeRecords() throws {
        // The Certificate message cut in three records (RFC 5246 §6.2.1:
        // handshake messages may be fragmented across records), the cuts
        // inside the handshake header and inside a certificate.
        let certificate = B.certificate([Hellos.leaf, Hellos.intermediate])
        let payload = B.serverHello(Hellos.server12) + certificate + B.serverHelloDone()
        let helloLength = B.serverHello(Hellos.server12).count
        let sizes = [helloLength + 2, 700]  // ServerHello + 2 bytes of the header; 700 more; the rest
        let stream = B.records(22, payload, fragmentSizes: sizes)
        #expect(stream.count == payload.count + 3 * 5)
        let d = TLSDrive()
        d.send(Self.clientStream, .toServer)
        d.send(stream, .toClient)
        #expect(HandshakeFacts(d.analyzer) == Self.whole())
        #expect(d.context.bufferedBytes == 0)
    }

    @Test func clientHelloSpreadOverThreeRecords() throws {
        let message = B.clientHello(Hellos.full)
        let stream = B.records(22, version: 0x0301, message, fragmentSizes: [3, 50])
        let d = TLSDrive()
        d.send(stream, .toServer)
        #expect(d.handshake.clientHello == Self.whole().clientHello)
    }

    @Test func recordsAndChunksSplitAnywhere() {
        var g = SplitMix64(seed: 0x7151_2024)
        let expected = Self.whole()
        let clientPayload = B.clientHello(Hellos.full)
        let serverPayload = B.serverHello(Hellos.server12) + B.certificate([Hellos.leaf, Hellos.intermediate])
            + B.serverHelloDone()
        for round in 0..<200 {
            func randomSizes(_ total: Int) -> [Int] {
                (0..<Int.random(in: 0...5, using: &g)).map { _ in Int.random(in: 1...max(1, total / 2), using: &g) }
            }
            func randomCuts(_ count: Int) -> [Int] {
                (0..<Int.random(in: 0...12, using: &g)).map { _ in Int.random(in: 1..<count, using: &g) }
            }
            let client = B.records(22, version: 0x0301, clientPayload, fragmentSizes: randomSizes(clientPayload.count))
            let server = B.records(22, serverPayload, fragmentSizes: randomSizes(serverPayload.count))
            let d = TLSDrive()
            // Interleave the directions chunk by chunk.
            var c = B.split(client, at: randomCuts(client.count))[...]
            var s = B.split(server, at: randomCuts(server.count))[...]
            while !c.isEmpty || !s.isEmpty {
                if let chunk = c.first, s.isEmpty || Bool.random(using: &g) {
                    d.send(chunk, .toServer)
                    c = c.dropFirst()
                } else if let chunk = s.first {
                    d.send(chunk, .toClient)
                    s = s.dropFirst()
                }
            }
            #expect(HandshakeFacts(d.analyzer) == expected, "round \(round)")
            #expect(d.context.bufferedBytes == 0, "round \(round)")
        }
    }

    @Test func retransmittedOverlappingChunksAreReadOnce() {
        let stream = Self.serverStream
        let d = TLSDrive()
        d.send(Self.clientStream, .toServer)
        d.send(Array(stream[..<700]), .toClient, at: 0)
        d.send(Array(stream[300..<1500]), .toClient, at: 300)  // 300..<700 again
        d.send(Array(stream[1500...]), .toClient, at: 1500)
        #expect(HandshakeFacts(d.analyzer) == Self.whole())
        #expect(d.context.counters.tlsServerHellos == 1)
    }

    @Test func unknownHandshakeMessagesAndHeartbeatRecordsAreSkipped() {
        let d = TLSDrive()
        d.send(Self.clientStream, .toServer)
        d.send(B.record(22, B.serverHello(Hellos.server12)), .toClient)
        d.send(B.record(24, [1, 0, 3, 0xaa, 0xbb, 0xcc]), .toClient)  // a heartbeat record in clear
        d.send(B.record(22, B.handshake(22, B.counting(10))), .toClient)  // certificate_status
        #expect(!d.analyzer.isDone)
        d.send(B.record(22, B.serverHelloDone()), .toClient)
        #expect(d.handshake.serverHelloDoneSeen)
        #expect(d.handshake.problem == nil)
        #expect(d.analyzer.isDone)
    }
}

@Suite("TLS analyzer: encryption, alerts, done")
struct TLSStateTests {
    @Test func changeCipherSpecMakesTheDirectionEncrypted() {
        // A resumed TLS 1.2 session: ServerHello, CCS, then encrypted Finished.
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.tls12), .toServer)
        d.send(B.record(22, B.serverHello(Hellos.server12)), .toClient)
        #expect(!d.analyzer.isDone)
        let verdict = d.send(B.changeCipherSpec(), .toClient)
        #expect(d.analyzer.toClient.encrypted)
        // Resumed session: done after the server's CCS (no certificate comes).
        #expect(verdict == .done)
        #expect(d.analyzer.isDone)
        // A later handshake record is ciphertext, even when it looks like a Certificate.
        d.send(B.record(22, B.certificate([Hellos.leaf])), .toClient)
        #expect(!d.handshake.certificateMessageSeen)
        #expect(d.handshake.certificates.isEmpty)
        #expect(d.handshake.problem == nil)
    }

    @Test func clientChangeCipherSpecHidesLaterClientHandshakeRecords() {
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.tls12), .toServer)
        d.send(B.changeCipherSpec(), .toServer)
        var other = Hellos.tls12
        other.extensions = [B.sni("later.example")]
        d.send(B.clientHelloRecord(other), .toServer)
        #expect(d.handshake.clientHello?.serverName == "shop.example.net")
        #expect(d.context.counters.tlsClientHellos == 1)
    }

    @Test func applicationDataMakesTheDirectionEncrypted() {
        let d = TLSDrive()
        d.send(B.applicationData(64), .toClient)
        d.send(B.record(22, B.serverHello(Hellos.server12)), .toClient)
        #expect(d.handshake.serverHello == nil)
        #expect(d.analyzer.toClient.isFinished)
    }

    @Test func tls13ServerHelloEncryptsTheRestAndIsDone() {
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.full), .toServer)
        // ServerHello followed in the same record by a message that would be
        // encrypted in TLS 1.3: not read.
        let verdict = d.send(B.record(22, B.serverHello(B.tls13ServerHello()) + B.certificate([Hellos.leaf])), .toClient)
        #expect(verdict == .done)
        #expect(d.handshake.version == .tls13)
        #expect(d.handshake.certificateEncrypted)
        #expect(!d.handshake.certificateMessageSeen)
        #expect(d.handshake.certificates.isEmpty)
        d.send(B.changeCipherSpec() + B.applicationData(100), .toClient)
        #expect(d.handshake.problem == nil)
    }

    @Test func tls12HandshakeIsNotCertificateEncrypted() {
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.tls12), .toServer)
        d.send(Hellos.serverFlight, .toClient)
        #expect(d.handshake.version == .tls12)
        #expect(!d.handshake.certificateEncrypted)
        let empty = TLSHandshake()
        #expect(!empty.certificateEncrypted)
        #expect(empty.version == nil)
    }

    @Test func helloRetryRequestThenTheRealServerHello() {
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.full), .toServer)
        d.send(B.record(22, B.serverHello(B.helloRetryRequest(group: 0x0017))), .toClient)
        #expect(d.handshake.helloRetryRequest?.isHelloRetryRequest == true)
        #expect(d.handshake.helloRetryRequest?.keyShareGroup == 0x0017)
        #expect(d.handshake.serverHello == nil)
        #expect(!d.analyzer.isDone)
        // The client's second hello (with the requested share) does not replace the first.
        var second = Hellos.full
        second.extensions = [B.sni("second.example"), B.supportedVersions([0x0304]),
                             B.keyShare([(0x0017, B.counting(65, from: 4))])]
        d.send(B.clientHelloRecord(second, recordVersion: 0x0303), .toServer)
        d.send(B.record(22, B.serverHello(B.tls13ServerHello(group: 0x0017))), .toClient)
        #expect(d.handshake.serverHello?.isHelloRetryRequest == false)
        #expect(d.handshake.serverHello?.keyShareGroup == 0x0017)
        #expect(d.handshake.version == .tls13)
        #expect(d.handshake.clientHello?.serverName == "www.example.com")
        #expect(d.context.counters.tlsClientHellos == 2)
        #expect(d.context.counters.tlsServerHellos == 2)
        #expect(d.analyzer.isDone)
    }

    @Test func helloRetryRequestWithMiddleboxCompatibilityCCS() {
        // RFC 8446 §D.4: the server sends a dummy CCS right after its first
        // handshake message, which may be a HelloRetryRequest; the client one
        // before its second ClientHello. The real ServerHello is still in clear.
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.full), .toServer)
        d.send(B.record(22, B.serverHello(B.helloRetryRequest(group: 0x0017))) + B.changeCipherSpec(), .toClient)
        d.send(B.changeCipherSpec() + B.clientHelloRecord(Hellos.full, recordVersion: 0x0303), .toServer)
        #expect(!d.analyzer.isDone)
        d.send(B.record(22, B.serverHello(B.tls13ServerHello(group: 0x0017))) + B.applicationData(80), .toClient)
        #expect(d.handshake.helloRetryRequest != nil)
        #expect(d.handshake.serverHello?.version == .tls13)
        #expect(d.handshake.serverHello?.isHelloRetryRequest == false)
        #expect(d.analyzer.isDone)
    }

    @Test func fatalAlertIsRecordedWithItsSender() {
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.tls12), .toServer)
        d.send(B.alert(level: 2, description: 40), .toClient)  // handshake_failure
        #expect(d.handshake.fatalAlert?.description == 40)
        #expect(d.handshake.fatalAlert?.sentBy == .toClient)
        // A later fatal alert from the client does not replace the first.
        d.send(B.alert(level: 2, description: 48), .toServer)
        #expect(d.handshake.fatalAlert?.description == 40)
    }

    @Test func fatalAlertSplitAcrossChunks() {
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.tls12), .toServer)
        d.send(B.record(22, B.serverHello(Hellos.server12)), .toClient)
        let alert = B.alert(level: 2, description: 70)  // protocol_version
        d.send(chunks: B.split(alert, at: [6]), .toClient)
        #expect(d.handshake.fatalAlert?.description == 70)
        #expect(d.handshake.fatalAlert?.sentBy == .toClient)
    }

    @Test func clientFatalAlertSplitAcrossChunks() {
        // A client refusing what the server sent (before the analyzer is done).
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.tls12), .toServer)
        d.send(B.record(22, B.serverHello(Hellos.server12)), .toClient)
        let alert = B.alert(level: 2, description: 48)  // unknown_ca
        d.send(chunks: B.split(alert, at: [6]), .toServer)
        #expect(d.handshake.fatalAlert?.description == 48)
        #expect(d.handshake.fatalAlert?.sentBy == .toServer)
    }

    @Test func coalescedAlertsInOneRecord() {
        // RFC 5246 §6.2.1: messages of one content type may share a record —
        // a warning then a fatal alert in the same alert record.
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.tls12), .toServer)
        d.send(B.record(21, [1, 112, 2, 40]), .toClient)  // unrecognized_name (warning), handshake_failure (fatal)
        #expect(d.handshake.fatalAlert?.description == 40)
    }

    @Test func warningAlertsAndEncryptedAlertsAreNotFatal() {
        let d = TLSDrive()
        d.send(B.alert(level: 1, description: 0), .toClient)  // close_notify, warning
        #expect(d.handshake.fatalAlert == nil)
        d.send(B.changeCipherSpec(), .toServer)
        d.send(B.alert(level: 2, description: 20), .toServer)  // after CCS: ciphertext
        #expect(d.handshake.fatalAlert == nil)
    }

    @Test func alertNamesAreIANAs() {
        let names: [UInt8: String] = [
            0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 40: "handshake_failure",
            42: "bad_certificate", 45: "certificate_expired", 48: "unknown_ca", 70: "protocol_version",
            71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback", 112: "unrecognized_name",
            116: "certificate_required", 120: "no_application_protocol",
        ]
        for (code, name) in names { #expect(TLSAlert.name(code) == name, "alert \(code)") }
        #expect(!TLSAlert.name(201).isEmpty)
        #expect(TLSAlert.name(201) != TLSAlert.name(202))
    }

    @Test func tls12NeedsCertificateOrServerHelloDone() {
        let d = TLSDrive()
        #expect(d.send(B.clientHelloRecord(Hellos.tls12), .toServer) == .needMore)
        #expect(d.send(B.record(22, B.serverHello(Hellos.server12)), .toClient) == .needMore)
        #expect(d.send(B.record(22, B.certificate([Hellos.leaf])), .toClient) == .done)
        #expect(d.analyzer.isDone)

        // An anonymous or PSK suite: no Certificate, ServerHelloDone ends the flight.
        let anon = TLSDrive()
        anon.send(B.clientHelloRecord(Hellos.tls12), .toServer)
        anon.send(B.record(22, B.serverHello(Hellos.server12) + B.serverKeyExchange()), .toClient)
        #expect(!anon.analyzer.isDone)
        #expect(anon.send(B.record(22, B.serverHelloDone()), .toClient) == .done)
        #expect(!anon.handshake.certificateMessageSeen)
    }

    @Test func serverFlightWithoutClientHelloIsNotDoneUntilTheClientSideEnds() {
        let d = TLSDrive()
        #expect(d.send(Hellos.serverFlight, .toClient) == .needMore)
        #expect(!d.analyzer.isDone)
        d.end(.toServer)
        #expect(d.analyzer.isDone)
        #expect(d.handshake.clientHello == nil)
    }

    @Test func clientHelloAloneIsDoneWhenTheServerSideEnds() {
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.tls12), .toServer)
        #expect(!d.analyzer.isDone)
        d.end(.toClient)
        #expect(d.analyzer.isDone)
    }

    @Test func certificateChainIsCapped() {
        let ders = (0..<10).map { B.counting(50 + $0, from: UInt8($0)) }
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.tls12), .toServer)
        d.send(B.record(22, B.serverHello(Hellos.server12) + B.certificate(ders) + B.serverHelloDone()), .toClient)
        #expect(d.handshake.certificates == Array(ders.prefix(TLSAnalyzer.maxCertificates)))
        #expect(TLSAnalyzer.maxCertificates == 8)
        #expect(d.context.counters.tlsCertificatesDropped == 2)
    }

    @Test func emptyCertificateMessage() {
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.tls12), .toServer)
        d.send(B.record(22, B.serverHello(Hellos.server12) + B.certificate([])), .toClient)
        #expect(d.handshake.certificateMessageSeen)
        #expect(d.handshake.certificates.isEmpty)
        #expect(d.analyzer.isDone)
    }
}

@Suite("TLS analyzer: SSL 2.0")
struct TLSSSLv2Tests {
    typealias K = TLSBytes.SSL2CipherKind

    static let v2Hello = B.sslv2ClientHello(
        version: 0x0301,
        kinds: [K.rc4_128_with_md5, K.des_192_ede3_cbc_with_md5, 0x00_0039, 0x00_002f, K.rc2_128_cbc_export40_with_md5,
                0x00_00ff])

    @Test func v2CompatibleClientHelloWithSSL2KindsAndTLSSuites() throws {
        let d = TLSDrive()
        d.send(Self.v2Hello, .toServer)
        let h = try #require(d.handshake.clientHello)
        #expect(h.isSSLv2Format)
        #expect(h.legacyVersion == .tls10)
        #expect(h.cipherSuites == [0x0039, 0x002f, 0x00ff])
        #expect(h.sslv2CipherKinds == [0x01_0080, 0x07_00c0, 0x04_0080])
        #expect(h.compressionMethods == [0])
        #expect(h.extensions.isEmpty)
        #expect(h.offeredVersions.contains(.tls10))
        #expect(h.offeredVersions.contains(.sslv2))
        #expect(h.highestVersion == .tls10)
        #expect(h.offersSecureRenegotiation)  // the SCSV among the specs
        #expect(d.context.counters.tlsClientHellos == 1)
        #expect(d.context.bufferedBytes == 0)
    }

    @Test func v2HelloOneByteAtATime() {
        let whole = TLSDrive()
        whole.send(Self.v2Hello, .toServer)
        let d = TLSDrive()
        d.trickle(Self.v2Hello, .toServer)
        #expect(d.handshake.clientHello == whole.handshake.clientHello)
        #expect(d.context.bufferedBytes == 0)
    }

    @Test func v2HelloWithOnlyTLSSuitesDoesNotOfferSSL2() throws {
        let d = TLSDrive()
        d.send(B.sslv2ClientHello(version: 0x0303, kinds: [0x00_c02f, 0x00_0035]), .toServer)
        let h = try #require(d.handshake.clientHello)
        #expect(h.offeredVersions == [.tls12])
        #expect(h.sslv2CipherKinds.isEmpty)
    }

    @Test func pureSSL2Hello() throws {
        let d = TLSDrive()
        d.send(B.sslv2ClientHello(version: 0x0002, kinds: [K.rc4_128_with_md5, K.des_64_cbc_with_md5]), .toServer)
        let h = try #require(d.handshake.clientHello)
        #expect(h.offeredVersions == [.sslv2])
        #expect(h.cipherSuites.isEmpty)
    }

    @Test func v2HelloFollowedByTLSRecords() {
        // After the v2-format hello the client goes on with TLS records (RFC 5246 appendix E.2).
        let d = TLSDrive()
        d.send(Self.v2Hello + B.record(22, B.handshake(16, B.counting(70))), .toServer)
        #expect(d.handshake.clientHello?.isSSLv2Format == true)
        #expect(d.handshake.problem == nil)
        #expect(!d.analyzer.toServer.stopped)
    }

    @Test func ssl2ServerHelloCarriesTheCertificate() throws {
        let certificate = B.counting(400, from: 0x30)
        let d = TLSDrive()
        d.send(B.sslv2ClientHello(version: 0x0002, kinds: [K.rc4_128_with_md5]), .toServer)
        let verdict = d.send(
            B.sslv2ServerHello(certificate: certificate, kinds: [K.rc4_128_with_md5, K.des_192_ede3_cbc_with_md5]),
            .toClient)
        let s = try #require(d.handshake.serverHello)
        #expect(s.isSSLv2)
        #expect(s.version == .sslv2)
        #expect(s.sslv2CipherKinds == [0x01_0080, 0x07_00c0])
        #expect(s.sslv2Certificate == certificate)
        #expect(d.handshake.certificates == [certificate])
        #expect(d.handshake.certificateMessageSeen)
        #expect(verdict == .done)
        #expect(d.analyzer.toClient.isFinished)
        #expect(d.context.bufferedBytes == 0)
    }

    @Test func ssl2ServerHelloWithoutCertificate() throws {
        let d = TLSDrive()
        d.send(B.sslv2ServerHello(certificate: [], kinds: [K.rc4_128_with_md5], sessionIDHit: 1), .toClient)
        let s = try #require(d.handshake.serverHello)
        #expect(s.sslv2Certificate == nil)
        #expect(d.handshake.certificates.isEmpty)
    }

    @Test func malformedSSL2HelloIsAProblem() {
        // Cipher specs of 4 bytes are not 3-byte kinds.
        let body: [UInt8] = [1, 0x00, 0x02] + B.u16(4) + B.u16(0) + B.u16(16) + [1, 0, 0x80, 0] + B.counting(16)
        let d = TLSDrive()
        d.send(B.sslv2Record(body), .toServer)
        #expect(d.handshake.clientHello == nil)
        #expect(d.handshake.problem != nil)
        #expect(d.context.counters.tlsMalformed == 1)
        #expect(d.context.bufferedBytes == 0)
    }
}

@Suite("TLS analyzer: bad input and limits")
struct TLSLimitTests {
    @Test func oddCipherSuiteListIsMalformed() {
        var body = B.clientHelloBody(Hellos.tls12)
        // The cipher-suite vector starts after version (2), random (32), session id (1 + 32).
        let at = 2 + 32 + 1 + 32
        #expect(Array(body[at..<(at + 2)]) == B.u16(10))
        body[at + 1] = 9  // 9 bytes: not a list of 16-bit values
        let d = TLSDrive()
        d.send(B.record(22, B.handshake(1, body)), .toServer)
        // The packet thread only keeps the hello; it is found malformed when read.
        #expect(d.context.counters.tlsClientHellos == 1)
        #expect(d.context.counters.tlsMalformed == 0)
        #expect(!d.analyzer.toServer.stopped)
        #expect(d.handshake.clientHello == nil)
        #expect(d.handshake.problem == "client handshake message 1: list of 16-bit values has an odd length")
        // Only the first hello counts: a good one afterwards is not read.
        d.send(B.clientHelloRecord(Hellos.tls12), .toServer)
        #expect(d.context.counters.tlsClientHellos == 2)
        #expect(d.handshake.clientHello == nil)
        var taken = d.analyzer.takeHandshake()
        let readWell = taken.readClientHello()
        #expect(!readWell)
        #expect(taken.clientHello == nil)
        #expect(taken.problem == "client handshake message 1: list of 16-bit values has an odd length")
    }

    @Test func extensionOverrunningItsBlockIsMalformed() {
        var s = Hellos.tls12
        s.extensions = []
        // An extensions block of 8 bytes whose one extension claims 20 bytes of data.
        let withoutBlock: [UInt8] = Array(B.clientHelloBody(s).dropLast(2))
        let body: [UInt8] = withoutBlock + B.u16(8) + B.u16(0) + B.u16(20) + B.counting(4)
        let d = TLSDrive()
        d.send(B.record(22, B.handshake(1, body)), .toServer)
        #expect(d.handshake.clientHello == nil)
        #expect(d.handshake.problem == "client handshake message 1: message shorter than its lengths say")
    }

    @Test func truncatedServerHelloIsMalformed() {
        let d = TLSDrive()
        d.send(B.record(22, B.handshake(2, B.u16(0x0303) + B.counting(20))), .toClient)
        #expect(d.handshake.serverHello == nil)
        #expect(d.handshake.problem?.contains("server") == true)
        #expect(d.context.counters.tlsMalformed == 1)
        #expect(d.analyzer.toClient.stopped)
    }

    @Test func certificateLengthOverrunIsMalformed() {
        // certificate_list says 10 bytes, the one certificate in it says 200.
        let body = B.u24(10) + B.u24(200) + B.counting(7)
        let d = TLSDrive()
        d.send(B.record(22, B.serverHello(Hellos.server12) + B.handshake(11, body)), .toClient)
        #expect(d.handshake.serverHello != nil)
        #expect(d.handshake.certificates.isEmpty)
        #expect(d.handshake.problem != nil)
        #expect(d.context.counters.tlsMalformed == 1)
    }

    @Test func invalidRecordHeadersStopTheDirection() {
        for header: [UInt8] in [
            [0x63, 0x03, 0x03, 0x00, 0x02],  // content type 99
            [0x16, 0x02, 0x00, 0x00, 0x02],  // version 2.0 in a TLS record
            [0x16, 0x03, 0x03, 0x48, 0x01],  // 18433 bytes: over 2^14 + 2048
        ] {
            let d = TLSDrive()
            d.send(B.clientHelloRecord(Hellos.tls12), .toServer)
            d.send(B.record(22, B.serverHello(Hellos.server12)), .toClient)
            d.send(header + [1, 2], .toClient)
            #expect(d.handshake.problem != nil, "\(header)")
            #expect(d.analyzer.toClient.stopped, "\(header)")
            #expect(d.handshake.serverHello != nil)
            // As the first bytes of a direction too.
            let first = TLSDrive()
            first.send(header + [1, 2], .toServer)
            #expect(first.handshake.problem != nil, "\(header) first")
            #expect(first.analyzer.toServer.stopped, "\(header) first")
        }
    }

    @Test func largestRecordIsAccepted() {
        // 2^14 + 2048 bytes of application data: a valid record.
        let d = TLSDrive()
        d.send(B.record(23, B.counting(16_384 + 2048)), .toClient)
        #expect(d.handshake.problem == nil)
        #expect(!d.analyzer.toClient.stopped)
    }

    @Test func randomBytesNeverCrash() {
        var g = SplitMix64(seed: 0x0bad_5eed)
        for _ in 0..<300 {
            let d = TLSDrive(budget: 4096)
            // Start with a plausible header so the parsers are reached.
            let n = Int.random(in: 0..<300, using: &g)
            var bytes: [UInt8] = [22, 3, 3] + B.u16(n) + [UInt8.random(in: 1...2, using: &g)]
            bytes += (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
            let cut = Int.random(in: 1..<bytes.count, using: &g)
            d.send(chunks: B.split(bytes, at: [cut]), Bool.random(using: &g) ? .toServer : .toClient)
            d.end(.toServer)
            d.end(.toClient)
            #expect(d.context.bufferedBytes == 0)
        }
    }

    @Test func oversizedHandshakeLengthSeenWhole() {
        let d = TLSDrive()
        d.send(B.record(22, [11] + B.u24(TLSAnalyzer.maxHandshakeMessage + 1) + B.counting(100)), .toClient)
        #expect(d.context.counters.tlsOversizedMessages == 1)
        #expect(d.handshake.problem != nil)
        #expect(d.analyzer.toClient.stopped)
        #expect(d.context.bufferedBytes == 0)
    }

    @Test func oversizedHandshakeLengthAssembledAcrossRecords() {
        // The 4-byte header itself is split over two records.
        let header: [UInt8] = [11] + B.u24(0x7f_ffff)
        let d = TLSDrive()
        d.send(B.record(22, B.serverHello(Hellos.server12) + Array(header[..<2])), .toClient)
        d.send(B.record(22, Array(header[2...]) + B.counting(10)), .toClient)
        #expect(d.handshake.serverHello != nil)
        #expect(d.context.counters.tlsOversizedMessages == 1)
        #expect(d.analyzer.toClient.stopped)
        #expect(d.context.bufferedBytes == 0)
    }

    @Test func messageOfExactlyTheCapIsRead() {
        // Certificate body of 65536 bytes: the list length (3), one cert length (3), 65530 bytes.
        let der = B.counting(TLSAnalyzer.maxHandshakeMessage - 6, from: 3)
        let message = B.certificate([der])
        #expect(message.count == 4 + TLSAnalyzer.maxHandshakeMessage)
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.tls12), .toServer)
        d.send(B.record(22, B.serverHello(Hellos.server12)), .toClient)
        d.send(B.records(22, message, fragmentSizes: [16_384, 16_384, 16_384, 16_384]), .toClient)
        #expect(d.context.counters.tlsOversizedMessages == 0)
        #expect(d.handshake.certificates == [der])
        #expect(d.context.bufferedBytes == 0)
        #expect(d.context.peakBufferedBytes == message.count)
    }

    @Test func budgetRefusalStopsTheDirection() {
        let stream = B.clientHelloRecord(Hellos.full)
        let d = TLSDrive(budget: 64)
        d.send(Array(stream[..<100]), .toServer)
        #expect(d.context.counters.bufferCapHits == 1)
        #expect(d.analyzer.toServer.stopped)
        #expect(d.context.bufferedBytes == 0)
        d.send(Array(stream[100...]), .toServer)
        #expect(d.handshake.clientHello == nil)
        // A whole hello needs no copy, so the same budget reads it when nothing is split.
        let whole = TLSDrive(budget: 0)
        whole.send(stream, .toServer)
        #expect(whole.handshake.clientHello != nil)
        #expect(whole.context.counters.bufferCapHits == 0)
    }

    @Test func budgetIsSharedBetweenFlows() {
        // Two analyzers, one context: the first holds half a hello, the second cannot.
        // The budget holds one whole hello (all but its record header), not two 60 % parts.
        let stream = B.clientHelloRecord(Hellos.full)
        let half = Array(stream[..<(stream.count * 3 / 5)])
        var context = InspectionContext(maxBufferedBytes: stream.count - 5)
        let a = TLSAnalyzer()
        let b = TLSAnalyzer()
        _ = half.withUnsafeBytes { a.ingest($0, direction: .toServer, offset: 0, context: &context) }
        let held = context.bufferedBytes
        #expect(held == half.count - 5)  // all but the record header
        _ = half.withUnsafeBytes { b.ingest($0, direction: .toServer, offset: 0, context: &context) }
        #expect(context.counters.bufferCapHits == 1)
        #expect(b.toServer.stopped)
        #expect(context.bufferedBytes == held)
        let rest = Array(stream[half.count...])
        _ = rest.withUnsafeBytes { a.ingest($0, direction: .toServer, offset: UInt64(half.count), context: &context) }
        #expect(a.handshake.clientHello != nil)
        #expect(context.bufferedBytes == 0)
        #expect(context.peakBufferedBytes == stream.count - 5)
    }

    @Test func endReleasesWhatIsHeld() {
        let stream = B.clientHelloRecord(Hellos.full)
        let d = TLSDrive()
        d.send(Array(stream[..<150]), .toServer)
        #expect(d.context.bufferedBytes == 145)
        d.end(.toServer)
        #expect(d.context.bufferedBytes == 0)
        #expect(d.analyzer.toServer.isFinished)
    }

    @Test func gapReleasesAndStopsTheDirection() {
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.tls12), .toServer)
        let flight = Hellos.serverFlight
        d.send(Array(flight[..<300]), .toClient)
        #expect(d.context.bufferedBytes > 0)
        d.gap(.toClient, length: 100)
        #expect(d.context.bufferedBytes == 0)
        #expect(d.analyzer.toClient.stopped)
        #expect(d.verdicts.last == .done)  // the client side is complete and the server side is over
        d.send(Array(flight[400...]), .toClient)
        #expect(d.handshake.certificates.isEmpty)
    }

    @Test func chunkAfterMissingBytesStopsTheDirection() {
        let d = TLSDrive()
        let stream = B.clientHelloRecord(Hellos.tls12)
        d.send(Array(stream[..<20]), .toServer, at: 0)
        d.send(Array(stream[30...]), .toServer, at: 30)  // bytes 20..<30 never arrived
        #expect(d.handshake.clientHello == nil)
        #expect(d.analyzer.toServer.stopped)
        #expect(d.context.bufferedBytes == 0)
    }

    @Test func startingAtAnOffsetSkipsTheCleartextBefore() throws {
        // STARTTLS: TLS starts at byte 10 to the server and byte 30 to the client.
        let preambleToServer = Array("STARTTLS\r\n".utf8)
        let preambleToClient = Array("220 2.0.0 Ready to start TLS\r\n".utf8)
        #expect(preambleToServer.count == 10 && preambleToClient.count == 30)
        let d = TLSDrive(startingAt: (10, 30), upgradedFrom: .smtp)
        d.send(preambleToServer + B.clientHelloRecord(Hellos.tls12), .toServer, at: 0)
        d.send(preambleToClient, .toClient, at: 0)
        #expect(d.handshake.problem == nil)
        d.send(Hellos.serverFlight, .toClient, at: 30)
        #expect(d.handshake.clientHello?.serverName == "shop.example.net")
        #expect(d.handshake.certificates.count == 2)
        #expect(d.handshake.upgradedFrom == .smtp)
        #expect(d.analyzer.isDone)
    }

    @Test func startingAtAnOffsetAndChunkSplitInsideThePreamble() {
        let preamble = Array("a1 STARTTLS\r\n".utf8)
        let stream = preamble + B.clientHelloRecord(Hellos.tls12)
        for cut in 1..<(preamble.count + 10) {
            let d = TLSDrive(startingAt: (UInt64(preamble.count), 0))
            d.send(chunks: B.split(stream, at: [cut]), .toServer)
            #expect(d.handshake.clientHello?.serverName == "shop.example.net", "cut at \(cut)")
        }
    }

    @Test func startingAtAnOffsetWithTheFirstChunkLate() {
        let d = TLSDrive(startingAt: (10, 0))
        d.send(B.clientHelloRecord(Hellos.tls12), .toServer, at: 12)
        #expect(d.handshake.clientHello == nil)
        #expect(d.analyzer.toServer.stopped)
    }
}

@Suite("TLS versions")
struct TLSVersionTests {
    @Test func namesAndValues() {
        let named: [(UInt16, String)] = [
            (0x0002, "SSLv2"), (0x0300, "SSLv3"), (0x0301, "TLSv1.0"), (0x0302, "TLSv1.1"), (0x0303, "TLSv1.2"),
            (0x0304, "TLSv1.3"),
        ]
        for (raw, name) in named {
            #expect(TLSVersion(rawValue: raw).description == name)
            #expect(TLSVersion(name: name)?.rawValue == raw)
        }
        #expect(TLSVersion(rawValue: 0x7f17).description == "0x7f17")
        #expect(TLSVersion(rawValue: 0x0a0a).description == "0x0a0a")
        #expect(TLSVersion(name: "TLSv1.4") == nil)
    }

    @Test func ordering() {
        let ascending: [TLSVersion] = [.sslv2, .sslv3, .tls10, .tls11, .tls12, .tls13]
        for (i, a) in ascending.enumerated() {
            for b in ascending[(i + 1)...] { #expect(a < b, "\(a) < \(b)") }
        }
        // TLS 1.3 drafts and experiments order as TLS 1.3.
        for draft: UInt16 in [0x7f12, 0x7f17, 0x7e02, 0xfb1a] {
            let v = TLSVersion(rawValue: draft)
            #expect(!(v < .tls13) && !(TLSVersion.tls13 < v), "\(v)")
            #expect(TLSVersion.tls12 < v)
        }
    }

    @Test func greaseValues() {
        #expect(TLSBytes.greaseValues.count == 16)
        #expect(TLSBytes.greaseValues.first == 0x0a0a && TLSBytes.greaseValues.last == 0xfafa)
        for v in TLSBytes.greaseValues { #expect(TLSVersion.isGREASE(v), "\(v)") }
        var count = 0
        for v in 0...UInt16.max where TLSVersion.isGREASE(v) { count += 1 }
        #expect(count == 16)
        for v: UInt16 in [0xeeee, 0x0a1a, 0x1a0a, 0x0b0b, 0xabab, 0x0000, 0x0303] { #expect(!TLSVersion.isGREASE(v), "\(v)") }
    }
}

/// Hellos and certificates stay with a flow until its record is written; they
/// are charged to their own budget so half-finished handshakes cannot grow memory.
@Suite("TLS analyzer: kept facts budget")
struct TLSKeptFactsTests {
    @Test func factsAreChargedAndReleased() {
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.full), .toServer)
        d.send(Hellos.serverFlight, .toClient)
        #expect(d.handshake.clientHello != nil)
        #expect(d.handshake.certificates.count == 2)
        let kept = d.context.keptBytes
        // The ClientHello body, the ServerHello body and both certificates.
        #expect(kept > Hellos.leaf.count + Hellos.intermediate.count)
        d.analyzer.release(&d.context)
        #expect(d.context.keptBytes == 0)
        #expect(d.context.peakKeptBytes == kept)
    }

    @Test func aFullFactsBudgetKeepsNothingAndSaysSo() {
        let d = TLSDrive()
        d.context.maxKeptBytes = 16
        d.send(B.clientHelloRecord(Hellos.full), .toServer)
        #expect(d.handshake.clientHello == nil)
        #expect(d.context.counters.keptCapHits == 1)
        #expect(d.handshake.problem?.contains("budget") == true)
        #expect(d.context.keptBytes == 0)
    }

    @Test func certificatesPastTheFactsBudgetAreDroppedAndCounted() {
        let d = TLSDrive()
        d.send(B.clientHelloRecord(Hellos.full), .toServer)
        // Room for the hellos and the leaf, not for the intermediate.
        d.context.maxKeptBytes = d.context.keptBytes + 200 + Hellos.leaf.count
        d.send(Hellos.serverFlight, .toClient)
        #expect(d.handshake.certificates == [Hellos.leaf])
        #expect(d.context.counters.tlsCertificatesDropped == 1)
        #expect(d.context.counters.keptCapHits == 1)
    }
}
