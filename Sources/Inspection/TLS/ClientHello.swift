import Decoding

/// What a client offered (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2), read from a
/// ClientHello body or an SSLv2-format hello. Lists keep wire order and
/// GREASE values (fingerprints need the order; consumers filter GREASE).
///
/// The packet thread only keeps a copy of the hello's bytes
/// (`TLSHandshake.clientHelloMessage`); it is validated here, once, when the
/// handshake is judged off the packet thread, and kept as those bytes plus
/// where each field lies; the lists are decoded when they are read. Building
/// a dozen arrays and strings per hello cost more than the rest of a
/// handshake's reading, and its validation alone was a sixth of what TLS
/// cost the packet thread. When an extension is repeated (which RFC 8446
/// §4.2 forbids), the first one counts.
public struct ClientHello: Sendable, Equatable {
    /// The handshake body (or SSL 2.0 record) as sent.
    let bytes: [UInt8]
    public private(set) var legacyVersion: TLSVersion
    /// The hello came in SSL 2.0 record format (RFC 5246 appendix E.2).
    public let isSSLv2Format: Bool
    // Where each field lies in `bytes`; empty when absent.
    var suites: Range<Int> = 0..<0
    var compression: Range<Int> = 0..<0
    var extensionBlock: Range<Int> = 0..<0
    var hostName: Range<Int>?
    var alpnList: Range<Int>?
    var versions: Range<Int> = 0..<0
    var groups: Range<Int> = 0..<0
    var pointFormats: Range<Int> = 0..<0
    var sigalgs: Range<Int> = 0..<0
    var keyShares: Range<Int> = 0..<0

    static let maxListedNames = 16

    /// Parses a ClientHello handshake body (after the 4-byte message header).
    public init(parsing body: UnsafeRawBufferPointer) throws {
        try self.init(body: Array(body))
    }

    /// Parses a ClientHello body kept as an array (no second copy).
    public init(body: [UInt8]) throws {
        bytes = body
        isSSLv2Format = false
        legacyVersion = TLSVersion(rawValue: 0)
        try body.withUnsafeBytes { try locateFields($0) }
    }

    /// Validates the body and notes where each field lies (offsets into it).
    mutating func locateFields(_ message: UnsafeRawBufferPointer) throws {
        var r = ByteReader(message)
        func at(_ view: UnsafeRawBufferPointer) -> Range<Int> {
            guard let base = message.baseAddress, let start = view.baseAddress, !view.isEmpty else { return 0..<0 }
            let offset = start - base
            return offset..<(offset + view.count)
        }
        legacyVersion = TLSVersion(rawValue: try r.uint16())
        _ = try r.bytes(32)  // random
        _ = try r.lengthPrefixed(UInt8.self)  // legacy_session_id
        let suiteList = try r.lengthPrefixed(UInt16.self)
        guard suiteList.readableBytes % 2 == 0 else { throw TLSParseError.oddList }
        suites = at(suiteList.readableView)
        compression = at(try r.lengthPrefixed(UInt8.self).readableView)
        // Hellos before TLS 1.0 extensions (and some SSLv3 ones) end here.
        guard r.readableBytes > 0 else { return }
        var block = try r.lengthPrefixed(UInt16.self)
        extensionBlock = at(block.readableView)
        var read: UInt8 = 0  // one bit per extension read below: the first of each counts
        while block.readableBytes > 0 {
            let type = try block.uint16()
            var data = try block.lengthPrefixed(UInt16.self)
            let bit = ClientHello.readBit(type)
            guard read & bit == 0 else { continue }
            read |= bit
            switch type {
            case TLSExtension.serverName:
                var list = try data.lengthPrefixed(UInt16.self)
                while list.readableBytes > 0 {
                    let nameType = try list.uint8()
                    let name = try list.lengthPrefixed(UInt16.self)
                    if nameType == 0 && hostName == nil { hostName = at(name.readableView) }
                }
            case TLSExtension.alpn:
                var list = try data.lengthPrefixed(UInt16.self)
                alpnList = at(list.readableView)
                while list.readableBytes > 0 { _ = try list.lengthPrefixed(UInt8.self) }
            case TLSExtension.supportedVersions:
                versions = try ClientHello.uint16List(try data.lengthPrefixed(UInt8.self), at)
            case TLSExtension.supportedGroups:
                groups = try ClientHello.uint16List(try data.lengthPrefixed(UInt16.self), at)
            case TLSExtension.ecPointFormats:
                pointFormats = at(try data.lengthPrefixed(UInt8.self).readableView)
            case TLSExtension.signatureAlgorithms:
                sigalgs = try ClientHello.uint16List(try data.lengthPrefixed(UInt16.self), at)
            case TLSExtension.keyShare:
                var list = try data.lengthPrefixed(UInt16.self)
                keyShares = at(list.readableView)
                while list.readableBytes > 0 {
                    _ = try list.uint16()
                    _ = try list.lengthPrefixed(UInt16.self)
                }
            default:
                break
            }
        }
    }

    static func readBit(_ type: UInt16) -> UInt8 {
        switch type {
        case TLSExtension.serverName: return 1
        case TLSExtension.alpn: return 2
        case TLSExtension.supportedVersions: return 4
        case TLSExtension.supportedGroups: return 8
        case TLSExtension.ecPointFormats: return 16
        case TLSExtension.signatureAlgorithms: return 32
        case TLSExtension.keyShare: return 64
        default: return 0
        }
    }

    static func uint16List(_ list: ByteReader, _ at: (UnsafeRawBufferPointer) -> Range<Int>) throws -> Range<Int> {
        guard list.readableBytes % 2 == 0 else { throw TLSParseError.oddList }
        return at(list.readableView)
    }

    /// Parses an SSL 2.0 CLIENT-HELLO record body (after the 2-byte record
    /// header): message type 1, version, then the lengths of the cipher specs
    /// (3 bytes each), session id and challenge.
    public init(sslv2 record: UnsafeRawBufferPointer) throws {
        var r = ByteReader(record)
        guard try r.uint8() == 1 else { throw TLSParseError("SSLv2 record is not a CLIENT-HELLO") }
        legacyVersion = TLSVersion(rawValue: try r.uint16())
        let specsLength = Int(try r.uint16())
        let sessionLength = Int(try r.uint16())
        let challengeLength = Int(try r.uint16())
        guard specsLength % 3 == 0 else { throw TLSParseError("SSLv2 cipher specs are not 3-byte values") }
        _ = try r.bytes(specsLength)
        _ = try r.bytes(sessionLength)
        _ = try r.bytes(challengeLength)
        bytes = Array(record)
        isSSLv2Format = true
        suites = 9..<(9 + specsLength)
    }

    // MARK: fields

    public var cipherSuites: [UInt16] {
        guard isSSLv2Format else { return uint16s(suites) }
        // Specs whose first byte is 0 are TLS suites; the others SSL 2.0 kinds.
        return stride(from: suites.lowerBound, to: suites.upperBound, by: 3).filter { bytes[$0] == 0 }
            .map { UInt16(bytes[$0 + 1]) << 8 | UInt16(bytes[$0 + 2]) }
    }

    /// SSL 2.0 cipher kinds offered in an SSLv2-format hello (first byte non-zero).
    public var sslv2CipherKinds: [UInt32] {
        guard isSSLv2Format else { return [] }
        return stride(from: suites.lowerBound, to: suites.upperBound, by: 3).filter { bytes[$0] != 0 }
            .map { UInt32(bytes[$0]) << 16 | UInt32(bytes[$0 + 1]) << 8 | UInt32(bytes[$0 + 2]) }
    }

    public var compressionMethods: [UInt8] { isSSLv2Format ? [0] : Array(bytes[compression]) }

    /// Extension types in wire order.
    public var extensions: [UInt16] {
        var types: [UInt16] = []
        types.reserveCapacity(extensionBlock.count / 4)
        forEachExtension { types.append($0) }
        return types
    }

    /// Calls `body` with each extension type, in wire order (no array).
    func forEachExtension(_ body: (UInt16) -> Void) { forEachEntry(extensionBlock, body) }

    /// Walks entries of a 16-bit type and a 16-bit-length body (extensions,
    /// key shares), calling `body` with each type.
    func forEachEntry(_ range: Range<Int>, _ body: (UInt16) -> Void) {
        var i = range.lowerBound
        while i + 4 <= range.upperBound {
            body(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))
            i += 4 + (Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]))
        }
    }

    /// The lists fingerprints read, as the hello's own bytes: readers that
    /// run over every hello (JA3) walk them in place instead of building arrays.
    public struct RawLists {
        /// 16-bit values (an SSLv2-format hello's TLS suites, re-encoded so).
        public let cipherSuites: UnsafeRawBufferPointer
        /// Extensions as sent: type, 16-bit length, data; repeated.
        public let extensionBlock: UnsafeRawBufferPointer
        /// 16-bit values.
        public let supportedGroups: UnsafeRawBufferPointer
        /// 8-bit values.
        public let ecPointFormats: UnsafeRawBufferPointer
        /// 16-bit values.
        public let signatureAlgorithms: UnsafeRawBufferPointer
        /// 16-bit values.
        public let supportedVersions: UnsafeRawBufferPointer

        /// Where the extension after the one at `i` starts in `extensionBlock`.
        @inlinable public func nextExtension(after i: Int) -> Int {
            i + 4 + (Int(extensionBlock[i + 2]) << 8 | Int(extensionBlock[i + 3]))
        }
    }

    public func withRawLists<R>(_ body: (RawLists) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes { all in
            func view(_ r: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: all[r]) }
            guard isSSLv2Format else {
                return try body(RawLists(
                    cipherSuites: view(suites), extensionBlock: view(extensionBlock), supportedGroups: view(groups),
                    ecPointFormats: view(pointFormats), signatureAlgorithms: view(sigalgs),
                    supportedVersions: view(versions)))
            }
            let tlsSuites = cipherSuites.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
            let none = view(0..<0)
            return try tlsSuites.withUnsafeBytes {
                try body(RawLists(
                    cipherSuites: $0, extensionBlock: none, supportedGroups: none, ecPointFormats: none,
                    signatureAlgorithms: none, supportedVersions: none))
            }
        }
    }

    /// The first host_name of server_name, as printable text.
    public var serverName: String? { hostName.map { printableText(bytes[$0]) } }

    /// ALPN protocol names (at most `maxListedNames`), as printable text.
    public var alpn: [String] { alpnValues(limit: ClientHello.maxListedNames).map(printableText) }

    /// The first ALPN protocol's raw bytes (JA4 reads them unescaped).
    public var firstALPNValue: [UInt8]? { alpnValues(limit: 1).first.map(Array.init) }

    public var supportedVersions: [UInt16] { uint16s(versions) }
    public var supportedGroups: [UInt16] { uint16s(groups) }
    public var ecPointFormats: [UInt8] { Array(bytes[pointFormats]) }
    public var signatureAlgorithms: [UInt16] { uint16s(sigalgs) }

    /// The groups of the key shares sent (TLS 1.3).
    public var keyShareGroups: [UInt16] {
        var list: [UInt16] = []
        forEachEntry(keyShares) { list.append($0) }
        return list
    }

    func uint16s(_ range: Range<Int>) -> [UInt16] {
        let n = range.count / 2
        return [UInt16](unsafeUninitializedCapacity: n) { out, count in
            for k in 0..<n {
                let i = range.lowerBound + 2 * k
                out[k] = UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
            }
            count = n
        }
    }

    /// Whether a 16-bit list holds `value` (no array).
    func list(_ range: Range<Int>, contains value: UInt16) -> Bool {
        stride(from: range.lowerBound, to: range.upperBound, by: 2).contains {
            UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) == value
        }
    }

    func alpnValues(limit: Int) -> [ArraySlice<UInt8>] {
        guard let list = alpnList else { return [] }
        var values: [ArraySlice<UInt8>] = []
        var i = list.lowerBound
        while i < list.upperBound && values.count < limit {
            let n = Int(bytes[i])
            values.append(bytes[(i + 1)..<(i + 1 + n)])
            i += 1 + n
        }
        return values
    }

    /// The versions the client offered: its supported_versions list, else
    /// the one version of its hello (the highest it accepts; lower ones are
    /// not announced). An SSLv2-format hello with SSL 2.0 ciphers also offers SSL 2.0.
    public var offeredVersions: [TLSVersion] {
        var versions = supportedVersions.filter { !TLSVersion.isGREASE($0) }.map(TLSVersion.init(rawValue:))
        if versions.isEmpty { versions = [legacyVersion] }
        if isSSLv2Format && !sslv2CipherKinds.isEmpty && !versions.contains(.sslv2) { versions.append(.sslv2) }
        return versions
    }

    /// The highest version offered.
    public var highestVersion: TLSVersion {
        guard !isSSLv2Format else { return offeredVersions.max() ?? legacyVersion }
        var highest: UInt16?
        for i in stride(from: versions.lowerBound, to: versions.upperBound, by: 2) {
            let v = UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
            if !TLSVersion.isGREASE(v) && TLSVersion(rawValue: v) >= TLSVersion(rawValue: highest ?? v) { highest = v }
        }
        return highest.map(TLSVersion.init(rawValue:)) ?? legacyVersion
    }

    /// Secure renegotiation signalled (RFC 5746): the extension or the SCSV.
    public var offersSecureRenegotiation: Bool {
        var found = false
        forEachExtension { if $0 == TLSExtension.renegotiationInfo { found = true } }
        return found || (isSSLv2Format ? cipherSuites.contains(0x00ff) : list(suites, contains: 0x00ff))
    }
}
