import Inspection

/// What a ClientHello alone decides, none of it depending on GREASE values
/// or on the order of extensions (which Chrome shuffles per connection): the
/// versions it offers, its JA4, and the `client-offers-*` findings. (JA3
/// does depend on the order: it is computed per handshake.)
struct ClientJudgement: Sendable {
    var clientVersions: [String]
    var ja4: String?
    var findings: [FindingTemplate]
}

/// What a ServerHello decides, given the client's highest version and its
/// renegotiation signal: names, JA3S and the negotiated-parameter findings.
struct ServerJudgement: Sendable {
    var version: String
    var cipher: String?
    var ja3s: String?
    var findings: [FindingTemplate]
}

/// Judgements remembered per distinct hello. A network's TLS traffic comes
/// from a handful of client stacks and server configurations, so most
/// handshakes reuse a judgement instead of building fingerprints and texts
/// again. Keys are the hello fields the judgement reads (arrays share their
/// storage with the hello: no copy), hashed with a per-process seed; each
/// table holds at most `capacity` entries and is emptied when full.
final class HandshakeProfiles: @unchecked Sendable {
    // Used by one Auditor on one thread: no dynamic exclusivity checks.
    @exclusivity(unchecked) private var clients: [ClientKey: ClientJudgement] = [:]
    @exclusivity(unchecked) private var servers: [ServerKey: ServerJudgement] = [:]
    let seed: UInt64
    static let capacity = 4096

    init() {
        var g = SystemRandomNumberGenerator()
        seed = g.next()
    }

    func client(_ hello: ClientHello, judge: () -> ClientJudgement) -> ClientJudgement {
        let key = ClientKey(hello, seed: seed)
        if let known = clients[key] { return known }
        let judged = judge()
        if clients.count >= HandshakeProfiles.capacity { clients.removeAll(keepingCapacity: true) }
        clients[key] = judged
        return judged
    }

    func server(_ hello: ServerHello, client: ClientHello?, judge: () -> ServerJudgement) -> ServerJudgement {
        let key = ServerKey(hello, client: client, seed: seed)
        if let known = servers[key] { return known }
        let judged = judge()
        if servers.count >= HandshakeProfiles.capacity { servers.removeAll(keepingCapacity: true) }
        servers[key] = judged
        return judged
    }
}

/// Seeded multiply-fold over 16-bit values (see `DERKey`).
struct ProfileDigest {
    var h: UInt64

    init(seed: UInt64) { h = seed }

    mutating func add(_ v: UInt64) { h = DERKey.fold(h ^ v, 0xa076_1d64_78bd_642f) }

    /// GREASE values are skipped: clients (Chrome, Firefox) pick them at
    /// random per connection, and no judgement reads them.
    mutating func add(_ list: [UInt16]) {
        var n: UInt64 = 0
        for v in list where !TLSVersion.isGREASE(v) {
            add(UInt64(v))
            n += 1
        }
        add(n)
    }

    /// Order-insensitive: a sum of mixed values, then the count.
    mutating func addSet(_ list: [UInt16]) {
        var sum: UInt64 = 0
        var n: UInt64 = 0
        for v in list where !TLSVersion.isGREASE(v) {
            sum &+= DERKey.fold(UInt64(v) ^ h, 0xe703_7ed1_a0b4_28db)
            n += 1
        }
        add(sum)
        add(n)
    }
}

extension Array where Element == UInt16 {
    /// Equal once GREASE values are dropped from both.
    func equalsIgnoringGREASE(_ other: [UInt16]) -> Bool {
        lazy.filter { !TLSVersion.isGREASE($0) }.elementsEqual(other.lazy.filter { !TLSVersion.isGREASE($0) })
    }

    /// The same values in any order, GREASE dropped (extension lists: a few
    /// dozen values, compared without allocating).
    func sameSetIgnoringGREASE(_ other: [UInt16]) -> Bool {
        func count(_ v: UInt16, in list: [UInt16]) -> Int { list.reduce(0) { $0 + ($1 == v ? 1 : 0) } }
        var n = 0
        for v in self where !TLSVersion.isGREASE(v) {
            n += 1
            if count(v, in: self) != count(v, in: other) { return false }
        }
        return n == other.reduce(0) { $0 + (TLSVersion.isGREASE($1) ? 0 : 1) }
    }
}

struct ClientKey: Hashable {
    let hello: ClientHello
    let digest: UInt64

    init(_ hello: ClientHello, seed: UInt64) {
        self.hello = hello
        var d = ProfileDigest(seed: seed)
        d.add(UInt64(hello.legacyVersion.rawValue))
        d.add(hello.cipherSuites)
        d.addSet(hello.extensions)
        d.add(hello.supportedGroups)
        d.add(hello.signatureAlgorithms)
        d.add(hello.supportedVersions)
        d.add(hello.ecPointFormats.map(UInt16.init))
        d.add(UInt64(hello.firstALPNValue?.count ?? 0))
        for b in hello.firstALPNValue ?? [] { d.add(UInt64(b)) }
        d.add(UInt64(hello.sslv2CipherKinds.count))
        digest = d.h
    }

    func hash(into hasher: inout Hasher) { hasher.combine(digest) }

    /// The fields the client judgement reads (the SNI and key shares do not count).
    static func == (a: ClientKey, b: ClientKey) -> Bool {
        let x = a.hello, y = b.hello
        return a.digest == b.digest && x.legacyVersion == y.legacyVersion
            && x.cipherSuites.equalsIgnoringGREASE(y.cipherSuites) && x.extensions.sameSetIgnoringGREASE(y.extensions)
            && x.supportedGroups.equalsIgnoringGREASE(y.supportedGroups)
            && x.signatureAlgorithms.equalsIgnoringGREASE(y.signatureAlgorithms)
            && x.supportedVersions.equalsIgnoringGREASE(y.supportedVersions)
            && x.ecPointFormats == y.ecPointFormats && x.firstALPNValue == y.firstALPNValue
            && x.isSSLv2Format == y.isSSLv2Format && x.sslv2CipherKinds == y.sslv2CipherKinds
    }
}

struct ServerKey: Hashable {
    let hello: ServerHello
    let clientHighest: TLSVersion?
    let clientRenegotiation: Bool
    let digest: UInt64

    init(_ hello: ServerHello, client: ClientHello?, seed: UInt64) {
        self.hello = hello
        clientHighest = client?.highestVersion
        clientRenegotiation = client?.offersSecureRenegotiation ?? false
        var d = ProfileDigest(seed: seed)
        d.add(UInt64(hello.legacyVersion.rawValue) << 32 | UInt64(hello.selectedVersion?.rawValue ?? 0) << 16 | UInt64(hello.cipherSuite))
        d.add(UInt64(hello.compressionMethod) << 24 | UInt64(clientHighest?.rawValue ?? 0) << 8 | (clientRenegotiation ? 1 : 0))
        d.add(hello.extensions)
        d.add(UInt64(hello.sslv2CipherKinds.first ?? 0))
        digest = d.h
    }

    func hash(into hasher: inout Hasher) { hasher.combine(digest) }

    static func == (a: ServerKey, b: ServerKey) -> Bool {
        let x = a.hello, y = b.hello
        return a.digest == b.digest && a.clientHighest == b.clientHighest && a.clientRenegotiation == b.clientRenegotiation
            && x.legacyVersion == y.legacyVersion && x.selectedVersion == y.selectedVersion
            && x.cipherSuite == y.cipherSuite && x.compressionMethod == y.compressionMethod
            && x.extensions == y.extensions && x.sslv2CipherKinds.first == y.sslv2CipherKinds.first
            && x.isHelloRetryRequest == y.isHelloRetryRequest
    }
}
