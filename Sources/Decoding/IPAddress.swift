/// An IPv4 or IPv6 address as two 64-bit words, so flow keys compare and
/// hash as plain integers. IPv4 addresses are stored IPv4-mapped
/// (`::ffff:a.b.c.d`) and `isIPv4` says which family the packet used.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    @inlinable
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    @inlinable
    public init(ipv4 value: UInt32) {
        self.high = 0
        self.low = 0xffff_0000_0000 | UInt64(value)
    }

    @inlinable
    public var isIPv4: Bool { high == 0 && low >> 32 == 0xffff }

    /// Text form: dotted quad for IPv4, RFC 5952 canonical form for IPv6
    /// (lower case, leading zeros dropped, the longest run of two or more
    /// zero groups — the first if tied — written as `::`).
    public var description: String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: IPAddress.maxTextLength) { buffer in
            let n = writeText(to: buffer.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<n]), as: UTF8.self)
        }
    }

    /// The longest text form: eight groups of four hex digits and seven colons.
    public static let maxTextLength = 39

    /// Writes the text form to `out` (room for `maxTextLength` bytes) without
    /// allocating; returns the number of bytes written. `fromIPv6Packet`: an
    /// IPv4-mapped address that an IPv6 header carried is written
    /// `::ffff:a.b.c.d` (RFC 5952 §5), not as if the packet were IPv4.
    public func writeText(to out: UnsafeMutablePointer<UInt8>, fromIPv6Packet: Bool = false) -> Int {
        var n = 0
        if fromIPv6Packet && isIPv4 {
            for byte in "::ffff:".utf8 { out[n] = byte; n += 1 }
        }
        func decimal(_ v: UInt32) {
            if v >= 100 { out[n] = 0x30 + UInt8(v / 100); n += 1 }
            if v >= 10 { out[n] = 0x30 + UInt8(v / 10 % 10); n += 1 }
            out[n] = 0x30 + UInt8(v % 10)
            n += 1
        }
        if isIPv4 {
            let v = UInt32(truncatingIfNeeded: low)
            decimal(v >> 24); out[n] = 0x2e; n += 1
            decimal(v >> 16 & 0xff); out[n] = 0x2e; n += 1
            decimal(v >> 8 & 0xff); out[n] = 0x2e; n += 1
            decimal(v & 0xff)
            return n
        }
        func group(_ i: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: (i < 4 ? high : low) >> (48 - 16 * UInt64(i & 3)))
        }
        var bestStart = -1, bestLength = 0, i = 0
        while i < 8 {
            if group(i) == 0 {
                var j = i
                while j < 8 && group(j) == 0 { j += 1 }
                if j - i > bestLength { bestStart = i; bestLength = j - i }
                i = j
            } else {
                i += 1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        i = 0
        while i < 8 {
            if i == bestStart {
                out[n] = 0x3a; out[n + 1] = 0x3a
                n += 2
                i += bestLength
                continue
            }
            if n > 0 && out[n - 1] != 0x3a { out[n] = 0x3a; n += 1 }
            let g = group(i)
            var started = false
            for shift in stride(from: 12, through: 0, by: -4) {
                let nibble = UInt8(truncatingIfNeeded: g >> UInt16(shift)) & 0xf
                if nibble != 0 || started || shift == 0 {
                    out[n] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
                    n += 1
                    started = true
                }
            }
            i += 1
        }
        return n
    }
}

extension IPAddress {
    /// Parses dotted-quad IPv4 or textual IPv6 (used for CLI input and tests,
    /// never on the packet path). Returns nil for anything else.
    public init?(_ text: String) {
        if text.contains(":") {
            guard let words = IPAddress.parseIPv6(text) else { return nil }
            var high: UInt64 = 0, low: UInt64 = 0
            for k in 0..<4 { high = high << 16 | UInt64(words[k]) }
            for k in 4..<8 { low = low << 16 | UInt64(words[k]) }
            self.init(high: high, low: low)
        } else {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var value: UInt32 = 0
            for part in parts {
                guard part.allSatisfy({ $0.isASCII && $0.isNumber }), let byte = UInt8(part) else { return nil }
                value = value << 8 | UInt32(byte)
            }
            self.init(ipv4: value)
        }
    }

    private static func parseIPv6(_ text: String) -> [UInt16]? {
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        func groups(_ s: Substring) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard g.count <= 4, g.allSatisfy({ $0.isHexDigit }), let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 8 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
        return head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
    }
}
