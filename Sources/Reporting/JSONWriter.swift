import Decoding

/// Writes one JSON object as UTF-8 into a `ByteSink`, in field order,
/// escaping strings per RFC 8259. Nested objects go into the same sink.
/// Only used when a record is written (per flow, not per packet).
public struct JSONObject {
    public let sink: ByteSink
    var empty = true

    /// An object in a sink of its own (for tests and one-off records).
    public init() {
        self.init(into: ByteSink(capacity: 512))
    }

    /// Starts an object at the end of `sink`; finish it with `close()`.
    public init(into sink: ByteSink) {
        self.sink = sink
        sink.append(UInt8(ascii: "{"))
    }

    /// Ends the object (writes the closing brace).
    public func close() { sink.append(UInt8(ascii: "}")) }

    /// The bytes of a closed object made with `init()`.
    public var bytes: [UInt8] { Array(sink.view) }

    mutating func key(_ name: StaticString) {
        sink.appendKey(name, comma: !empty)
        empty = false
    }

    mutating func key(_ name: String) {
        if !empty { sink.append(UInt8(ascii: ",")) }
        empty = false
        sink.appendJSONString(name)
        sink.append(UInt8(ascii: ":"))
    }

    public mutating func add(_ name: StaticString, _ value: String) {
        key(name)
        sink.appendJSONString(value)
    }

    /// Adds the field only when `value` is non-nil (absent values are omitted).
    public mutating func add(_ name: StaticString, ifPresent value: String?) {
        if let value { add(name, value) }
    }

    public mutating func add<I: BinaryInteger>(_ name: StaticString, _ value: I) {
        key(name)
        sink.appendDecimal(UInt64(truncatingIfNeeded: value))
    }

    public mutating func add(_ name: StaticString, _ value: Bool) {
        key(name)
        sink.append(value ? "true" : "false")
    }

    /// A duration in seconds, with microsecond precision.
    public mutating func add(_ name: StaticString, seconds value: Double) {
        key(name)
        let micros = UInt64(max(0, (value * 1_000_000).rounded()))
        sink.appendDecimal(micros / 1_000_000)
        sink.append(UInt8(ascii: "."))
        sink.write(maximum: 6) { ByteSink.writeDigits(micros % 1_000_000, width: 6, at: $0); return 6 }
    }

    /// An RFC 3339 UTC timestamp with microseconds.
    public mutating func add(_ name: StaticString, timestamp: Microseconds) {
        key(name)
        sink.append(UInt8(ascii: "\""))
        sink.appendTimestamp(timestamp)
        sink.append(UInt8(ascii: "\""))
    }

    /// An IP address in its text form (RFC 5952 for IPv6).
    public mutating func add(_ name: StaticString, address: IPAddress) {
        key(name)
        sink.append(UInt8(ascii: "\""))
        sink.appendAddress(address)
        sink.append(UInt8(ascii: "\""))
    }

    public mutating func add(_ name: StaticString, strings: [String]) {
        key(name)
        sink.append(UInt8(ascii: "["))
        for (i, s) in strings.enumerated() {
            if i > 0 { sink.append(UInt8(ascii: ",")) }
            sink.appendJSONString(s)
        }
        sink.append(UInt8(ascii: "]"))
    }

    public mutating func add(key name: String, _ value: String) {
        key(name)
        sink.appendJSONString(value)
    }

    public mutating func add<I: BinaryInteger>(key name: String, _ value: I) {
        key(name)
        sink.appendDecimal(UInt64(truncatingIfNeeded: value))
    }

    /// A nested object, written in place by `body`.
    public mutating func object(_ name: StaticString, _ body: (inout JSONObject) -> Void) {
        key(name)
        var inner = JSONObject(into: sink)
        body(&inner)
        inner.close()
    }

    /// An array with one object per item, each written in place by `body`.
    public mutating func objects<S: Sequence>(_ name: StaticString, _ items: S, _ body: (S.Element, inout JSONObject) -> Void) {
        key(name)
        sink.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { sink.append(UInt8(ascii: ",")) }
            var inner = JSONObject(into: sink)
            body(item, &inner)
            inner.close()
        }
        sink.append(UInt8(ascii: "]"))
    }
}

/// JSON value encodings, written straight into the sink.
extension ByteSink {
    func appendJSONString(_ s: String) {
        // Native strings (small ones included) are read in place.
        if s.utf8.withContiguousStorageIfAvailable({ appendJSONString(UnsafeRawBufferPointer($0)) }) != nil { return }
        var s = s
        s.withUTF8 { appendJSONString(UnsafeRawBufferPointer($0)) }
    }

    /// UTF-8 bytes as a JSON string. Most strings need no escaping: they are
    /// checked and copied eight bytes at a time, straight into the buffer.
    func appendJSONString(_ bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count + 2)
        base[count] = UInt8(ascii: "\"")
        var out = count + 1
        var i = 0
        while i + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if ByteSink.needsEscaping(word) { break }
            UnsafeMutableRawPointer(base + out).storeBytes(of: word, as: UInt64.self)
            out += 8
            i += 8
        }
        if i < bytes.count && bytes.count >= 8 && bytes.count - i < 8 {
            // Fewer than eight left: the last eight, overlapping bytes already copied.
            let word = bytes.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self)
            if !ByteSink.needsEscaping(word) {
                UnsafeMutableRawPointer(base + out + (bytes.count - 8 - i)).storeBytes(of: word, as: UInt64.self)
                out += bytes.count - i
                i = bytes.count
            }
        }
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { break }
            base[out] = b
            out += 1
            i += 1
        }
        count = out
        // From the first byte that needs escaping on.
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            switch b {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0a: append("\\n")
            case 0x0d: append("\\r")
            case 0x09: append("\\t")
            case 0..<0x20:
                append("\\u00")
                append(ByteSink.hexDigit(b >> 4))
                append(ByteSink.hexDigit(b & 0xf))
            default: append(b)
            }
        }
        append(UInt8(ascii: "\""))
    }

    /// `,"name":` (without the comma for an object's first field), in one go:
    /// a record writes a dozen of them.
    func appendKey(_ name: StaticString, comma: Bool) {
        let n = name.utf8CodeUnitCount
        reserve(n + 4)
        var out = base + count
        if comma {
            out.pointee = UInt8(ascii: ",")
            out += 1
        }
        out.pointee = UInt8(ascii: "\"")
        (out + 1).update(from: name.utf8Start, count: n)
        out[n + 1] = UInt8(ascii: "\"")
        out[n + 2] = UInt8(ascii: ":")
        count = out + n + 3 - base
    }

    static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x57 + v }

    /// Whether any of the eight bytes is a control character, `"` or `\`
    /// ("has a byte less than n / equal to c" bit tricks: exact, no false
    /// positives or negatives; bytes of 0x80 and up never match).
    @inline(__always)
    static func needsEscaping(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        return (w &- ones &* 0x20) & ~w & highs != 0 || hasZero(w ^ (ones &* 0x22)) || hasZero(w ^ (ones &* 0x5c))
    }

    func appendDecimal(_ value: UInt64) {
        write(maximum: 20) { out in
            var digits = 1
            var v = value
            while v >= 10 { v /= 10; digits += 1 }
            ByteSink.writeDigits(value, width: digits, at: out)
            return digits
        }
    }

    /// `value` as 16 lower-case hex digits.
    func appendHex64(_ value: UInt64) {
        write(maximum: 16) { out in
            for i in 0..<16 { out[i] = ByteSink.hexDigit(UInt8(truncatingIfNeeded: value >> (60 - 4 * UInt64(i))) & 0xf) }
            return 16
        }
    }

    /// An IP address: dotted quad, or RFC 5952 text for IPv6.
    func appendAddress(_ address: IPAddress, fromIPv6Packet: Bool = false) {
        write(maximum: IPAddress.maxTextLength) { address.writeText(to: $0, fromIPv6Packet: fromIPv6Packet) }
    }

    /// `value` as exactly `width` digits (zero-padded, high digits dropped).
    static func writeDigits(_ value: UInt64, width: Int, at out: UnsafeMutablePointer<UInt8>) {
        var v = value
        for i in stride(from: width - 1, through: 0, by: -1) {
            out[i] = 0x30 + UInt8(v % 10)
            v /= 10
        }
    }

    /// `2026-11-28T06:37:20.123456Z`, unquoted. The date part is kept from
    /// the previous call when the day is the same: records come in capture
    /// order, and the civil-date conversion was most of a timestamp's cost.
    func appendTimestamp(_ time: Microseconds) {
        reserve(32)
        if time == lastStampTime {
            withUnsafeBytes(of: lastStamp) { (base + count).update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 27) }
            count += 27
            return
        }
        let start = count
        appendStamp(time)
        lastStampTime = time
        withUnsafeMutableBytes(of: &lastStamp) { $0.baseAddress!.copyMemory(from: base + start, byteCount: 27) }
    }

    private func appendStamp(_ time: Microseconds) {
        // Years 0001–9999 are what RFC 3339 can write; clamp anything else.
        let time = min(max(time, -62_135_596_800_000_000), 253_402_300_799_999_999)
        let (days, microOfDay) = CivilDate.split(time)
        if days != lastDay {
            let date = CivilDate(daysSinceEpoch: days)
            withUnsafeMutableBytes(of: &lastDate) { raw in
                let d = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                ByteSink.writeDigits(UInt64(max(0, date.year)), width: 4, at: d)
                d[4] = UInt8(ascii: "-")
                ByteSink.writeDigits(UInt64(date.month), width: 2, at: d + 5)
                d[7] = UInt8(ascii: "-")
                ByteSink.writeDigits(UInt64(date.day), width: 2, at: d + 8)
            }
            lastDay = days
        }
        let date = lastDate
        write(maximum: 27) { s in
            withUnsafeBytes(of: date) { UnsafeMutableRawPointer(s).copyMemory(from: $0.baseAddress!, byteCount: 10) }
            let secondOfDay = microOfDay / 1_000_000
            s[10] = UInt8(ascii: "T")
            ByteSink.writeDigits(UInt64(secondOfDay / 3600), width: 2, at: s + 11)
            s[13] = UInt8(ascii: ":")
            ByteSink.writeDigits(UInt64(secondOfDay / 60 % 60), width: 2, at: s + 14)
            s[16] = UInt8(ascii: ":")
            ByteSink.writeDigits(UInt64(secondOfDay % 60), width: 2, at: s + 17)
            s[19] = UInt8(ascii: ".")
            ByteSink.writeDigits(UInt64(microOfDay % 1_000_000), width: 6, at: s + 20)
            s[26] = UInt8(ascii: "Z")
            return 27
        }
    }
}

/// RFC 3339 UTC with microseconds: `2026-11-28T06:37:20.123456Z`.
public func rfc3339(_ time: Microseconds) -> String {
    let sink = ByteSink(capacity: 32)
    sink.appendTimestamp(time)
    return String(decoding: sink.view, as: UTF8.self)
}
