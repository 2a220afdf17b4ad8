extension Probes {
    /// memcached, in either protocol (memcached `protocol.txt`,
    /// `protocol-binary.txt`). Text: a client command line in lower case —
    /// a storage command with its numeric fields (`set <key> <flags>
    /// <exptime> <bytes>`), a retrieval or key command with a key (`get`,
    /// `gets`, `delete`, `incr`, `touch`, meta `mg`/`ms`/`md`/`ma`), or a
    /// bare `stats`/`version`/`flush_all`/`mn`; a server reply `VALUE `,
    /// `STORED`, `STAT ` or `VERSION `. On Redis's port the text commands are
    /// left to Redis (its inline commands look the same). Binary: a 24-byte
    /// header with magic 0x80 (request) or 0x81 (response), raw data type, a
    /// known opcode, and key and extras lengths that fit the body length.
    static let memcached = AnalyzerDescriptor(
        name: "memcached", app: .memcached, portHints: [11211],
        probeToServer: { bytes, port in
            guard bytes.count >= 1 else { return .needMore }
            if bytes[0] == 0x80 { return memcachedBinary(bytes, magic: 0x80) }
            return port == 6379 ? .noMatch : memcachedCommand(bytes)
        },
        probeToClient: { bytes, _ in
            guard bytes.count >= 1 else { return .needMore }
            if bytes[0] == 0x81 { return memcachedBinary(bytes, magic: 0x81) }
            return hasAnyPrefix(bytes, ["VALUE ", "STORED\r\n", "STAT pid ", "VERSION 1."])
        },
        transport: .tcp)

    static func memcachedBinary(_ bytes: UnsafeRawBufferPointer, magic: UInt8) -> ProbeResult {
        guard bytes.count >= 12 else { return .needMore }
        let keyLength = Int(bytes[2]) << 8 | Int(bytes[3])
        let extrasLength = Int(bytes[4])
        guard bytes[0] == magic, bytes[1] <= 0x48, bytes[5] == 0, let total = bytes.uint32BE(at: 8),
            total <= 1 << 24, keyLength + extrasLength <= Int(total), keyLength <= 250
        else { return .noMatch }
        return .match
    }

    /// Commands whose arguments are `<key> <flags> <exptime> <bytes>`.
    static let memcachedStorage: [StaticString] = ["set ", "add ", "replace ", "append ", "prepend ", "cas "]
    /// Commands followed by a key.
    static let memcachedKeyed: [StaticString] = [
        "get ", "gets ", "gat ", "gats ", "delete ", "incr ", "decr ", "touch ", "mg ", "ms ", "md ", "ma ",
    ]
    /// Commands alone on their line (or with options).
    static let memcachedBare: [StaticString] = [
        "stats\r\n", "stats ", "version\r\n", "flush_all\r\n", "flush_all ", "mn\r\n", "verbosity ",
    ]

    static func memcachedCommand(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        var undecided = false
        for verb in memcachedStorage {
            switch hasPrefix(bytes, verb) {
            case .match: return memcachedArguments(bytes, from: verb.utf8CodeUnitCount, numbers: 3)
            case .needMore: undecided = true
            case .noMatch: break
            }
        }
        for verb in memcachedKeyed {
            switch hasPrefix(bytes, verb) {
            case .match: return memcachedArguments(bytes, from: verb.utf8CodeUnitCount, numbers: 0)
            case .needMore: undecided = true
            case .noMatch: break
            }
        }
        switch hasAnyPrefix(bytes, memcachedBare) {
        case .match: return .match
        case .needMore: undecided = true
        case .noMatch: break
        }
        return undecided ? .needMore : .noMatch
    }

    /// A key (printable, no space) then, for storage commands, `numbers`
    /// space-separated decimal fields; the line must end (CR LF) unless the
    /// probe budget is full.
    static func memcachedArguments(_ bytes: UnsafeRawBufferPointer, from start: Int, numbers: Int) -> ProbeResult {
        var k = start
        while k < bytes.count && bytes[k] > 0x20 && bytes[k] < 0x7f { k += 1 }
        guard k > start else { return k < bytes.count ? .noMatch : .needMore }
        var fields = 0
        while fields < numbers {
            guard k < bytes.count else { return .needMore }
            guard bytes[k] == 0x20 else { return .noMatch }
            k += 1
            let digits = k
            while k < bytes.count && bytes[k] >= 0x30 && bytes[k] <= 0x39 { k += 1 }
            guard k > digits || k == bytes.count else { return .noMatch }
            if k == bytes.count { return .needMore }
            fields += 1
        }
        guard k < bytes.count else { return bytes.count >= AppIdentifier.maxProbeBytes ? .match : .needMore }
        // The end of the line, or (get/delete/...) more keys and options.
        return bytes[k] == 0x0d || bytes[k] == 0x20 ? .match : .noMatch
    }
}
