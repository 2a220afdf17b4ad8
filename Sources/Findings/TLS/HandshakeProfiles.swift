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

/// The fields the client judgement reads, normalised into one array (GREASE
/// dropped, extensions sorted, each list prefixed by its length), so that
/// equality is one array comparison. The SNI and key shares do not count.
struct ClientKey: Hashable {
    let profile: [UInt16]
    let digest: UInt64

    init(_ h: ClientHello, seed: UInt64) {
        let alpn = h.firstALPNValue, kinds = h.sslv2CipherKinds
        var p: [UInt16] = []
        h.withRawLists { raw in
            p.reserveCapacity(
                (raw.cipherSuites.count + raw.supportedGroups.count + raw.signatureAlgorithms.count
                    + raw.supportedVersions.count) / 2 + raw.extensionBlock.count / 4 + raw.ecPointFormats.count
                    + (alpn?.count ?? 0) + 2 * kinds.count + 12)
            // Each list read in place from the hello's bytes, GREASE left out.
            func list(_ bytes: UnsafeRawBufferPointer, sorted: Bool = false, next: (Int) -> Int = { $0 + 2 }) {
                let start = p.count
                p.append(0)
                var i = 0
                while i + 2 <= bytes.count {
                    let v = UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
                    if !TLSVersion.isGREASE(v) { p.append(v) }
                    i = next(i)
                }
                p[start] = UInt16(truncatingIfNeeded: p.count - start - 1)
                if sorted { p.withUnsafeMutableBufferPointer { $0[(start + 1)...].sort() } }
            }
            p.append(h.legacyVersion.rawValue)
            p.append(h.isSSLv2Format ? 1 : 0)
            list(raw.cipherSuites)
            list(raw.extensionBlock, sorted: true) { raw.nextExtension(after: $0) }
            list(raw.supportedGroups)
            list(raw.signatureAlgorithms)
            list(raw.supportedVersions)
            p.append(UInt16(truncatingIfNeeded: raw.ecPointFormats.count))
            for f in raw.ecPointFormats { p.append(UInt16(f)) }
        }
        p.append(alpn == nil ? 0xffff : UInt16(truncatingIfNeeded: alpn!.count))
        for byte in alpn ?? [] { p.append(UInt16(byte)) }
        p.append(UInt16(truncatingIfNeeded: kinds.count))
        for kind in kinds {
            p.append(UInt16(truncatingIfNeeded: kind >> 16))
            p.append(UInt16(truncatingIfNeeded: kind))
        }
        var d = SeededDigest(seed: seed)
        p.withUnsafeBytes { d.add(bytes: $0) }
        profile = p
        digest = d.h
    }

    func hash(into hasher: inout Hasher) { hasher.combine(digest) }

    static func == (a: ClientKey, b: ClientKey) -> Bool { a.digest == b.digest && a.profile == b.profile }
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
        var d = SeededDigest(seed: seed)
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
