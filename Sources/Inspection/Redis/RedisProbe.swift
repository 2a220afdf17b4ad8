extension Probes {
    /// Redis: the client speaks first, a RESP array of bulk strings whose
    /// first element is a command name (`*1\r\n$4\r\nPING\r\n`), or an inline
    /// `AUTH`/`PING` line. Only well-known command names match, so another
    /// protocol starting with `*` does not.
    static let redis = AnalyzerDescriptor(
        name: "redis", app: .redis, portHints: [6379],
        probeToServer: { bytes, _ in redisClientStart(bytes) },
        probeToClient: nil, transport: .tcp)

    /// Command names a client commonly opens with.
    static let redisCommands: [StaticString] = [
        "AUTH", "PING", "HELLO", "GET", "SET", "SELECT", "CLIENT", "INFO", "COMMAND", "ECHO", "EXISTS", "DEL",
        "KEYS", "SCAN", "TYPE", "TTL", "EXPIRE", "INCR", "MGET", "MSET", "SETEX", "HGET", "HSET", "HGETALL",
        "LPUSH", "RPUSH", "LRANGE", "SADD", "SMEMBERS", "ZADD", "ZRANGE", "XADD", "XREAD", "PUBLISH",
        "SUBSCRIBE", "PSUBSCRIBE", "MULTI", "EXEC", "EVAL", "EVALSHA", "CONFIG", "CLUSTER", "READONLY",
        "DBSIZE", "FLUSHDB", "FLUSHALL", "QUIT", "MONITOR", "SCRIPT", "ROLE", "REPLCONF", "SYNC", "PSYNC",
    ]

    static func redisClientStart(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        guard bytes.count >= 1 else { return .needMore }
        guard bytes[0] == UInt8(ascii: "*") else {
            // Inline: `AUTH <password>` or `PING`, any case.
            return redisInline(bytes)
        }
        // *<count>\r\n$<length>\r\n<name>\r\n
        var i = 1
        guard let (count, afterCount) = redisNumber(bytes, from: &i) else { return .noMatch }
        guard afterCount else { return bytes.count < AppIdentifier.maxProbeBytes ? .needMore : .noMatch }
        guard count >= 1 && count <= 1 << 20 else { return .noMatch }
        guard i < bytes.count else { return .needMore }
        guard bytes[i] == UInt8(ascii: "$") else { return .noMatch }
        i += 1
        guard let (length, afterLength) = redisNumber(bytes, from: &i) else { return .noMatch }
        guard afterLength else { return bytes.count < AppIdentifier.maxProbeBytes ? .needMore : .noMatch }
        guard length >= 1 && length <= 16 else { return .noMatch }
        guard i + length + 2 <= bytes.count else { return .needMore }
        guard bytes[i + length] == 0x0d, bytes[i + length + 1] == 0x0a else { return .noMatch }
        return redisKnown(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + length)])) ? .match : .noMatch
    }

    /// Digits then CR LF, from `i` (moved past the LF). nil: not a number;
    /// `complete` false: the bytes ran out first.
    static func redisNumber(_ bytes: UnsafeRawBufferPointer, from i: inout Int) -> (Int, complete: Bool)? {
        var value = 0
        var digits = 0
        while i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 {
            guard digits < 9 else { return nil }
            value = value * 10 + Int(bytes[i] - 0x30)
            digits += 1
            i += 1
        }
        guard i < bytes.count else { return (value, false) }
        guard digits > 0, bytes[i] == 0x0d else { return nil }
        guard i + 1 < bytes.count else { return (value, false) }
        guard bytes[i + 1] == 0x0a else { return nil }
        i += 2
        return (value, true)
    }

    static func redisKnown(_ name: UnsafeRawBufferPointer) -> Bool {
        outer: for command in redisCommands where command.utf8CodeUnitCount == name.count {
            let t = command.utf8Start
            for k in 0..<name.count where name[k] & 0xdf != t[k] { continue outer }
            return true
        }
        return false
    }

    static func redisInline(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        // `AUTH ` then a password, or `PING` then CR LF / LF / space.
        for (word, followers) in [("AUTH" as StaticString, [0x20] as [UInt8]), ("PING", [0x0d, 0x0a, 0x20])] {
            let n = word.utf8CodeUnitCount
            let t = word.utf8Start
            var prefix = true
            for k in 0..<min(n, bytes.count) where bytes[k] & 0xdf != t[k] { prefix = false }
            guard prefix else { continue }
            guard bytes.count > n else { return .needMore }
            return followers.contains(bytes[n]) ? .match : .noMatch
        }
        return .noMatch
    }
}
