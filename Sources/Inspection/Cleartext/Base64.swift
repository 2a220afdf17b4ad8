/// Standard base64 (RFC 4648 §4) as cleartext protocols carry credentials in
/// it (HTTP `Basic` and `NTLM`, SASL `PLAIN`/`LOGIN` in mail). `decode` is
/// called once per credential seen, never per packet; the result is a fresh
/// array. Its alphabet table also decodes MIME bodies (`TransferDecoder`).
enum CleartextBase64 {
    /// The 6-bit value of each byte in the standard alphabet (RFC 4648 §4), 0xff for the others.
    static let standardValues: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// `standardValues` with the URL-safe `-` and `_` accepted too (some clients send them).
    static let values: [UInt8] = {
        var table = standardValues
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    /// Decodes `text`; trailing `=` padding is optional, and a lone `=` is
    /// SASL's empty response (RFC 4954 §4). Nil when a byte is outside the
    /// alphabet, padding is followed by data, or the length leaves a lone
    /// 6-bit group.
    static func decode(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        if text.count == 1 && text[0] == UInt8(ascii: "=") { return [] }
        var end = text.count
        var padding = 0
        while end > 0 && text[end - 1] == UInt8(ascii: "=") && padding < 2 {
            end -= 1
            padding += 1
        }
        if end % 4 == 1 { return nil }
        if padding > 0 && (end + padding) % 4 != 0 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(end * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for k in 0..<end {
            let v = values[Int(text[k])]
            guard v != 0xff else { return nil }
            accumulator = accumulator << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) -> [UInt8]? { bytes.withUnsafeBytes { decode($0) } }
}
