// Tokens that carry their own checksum, so a scanner can tell a real token from a look-alike
// without asking the issuer.
//
// GitHub's token format (github.blog, "Behind GitHub's new authentication token formats",
// 2021-04-05): a prefix naming the kind of token (ghp_ personal, gho_ OAuth, ghu_ user-to-server,
// ghs_ server-to-server, ghr_ refresh), 30 random base62 characters, then a 32-bit CRC32 checksum
// in 6 base62 characters, padded with leading zeros. npm adopted the same format for its npm_
// tokens (github.blog, "Announcing npm's new access token format", 2021-09-23). The posts do not
// spell out what the CRC covers or the digit order; tokens GitHub issued (published expired and
// revoked as test fixtures, see TokenChecksumValidatorTests) show: CRC-32 (the ISO-HDLC / zlib one)
// of the 30 random characters as ASCII, written most significant digit first in the alphabet
// 0–9, A–Z, a–z.

enum Base62CRC32Token {
    static let randomLength = 30
    static let checksumLength = 6

    /// A prefix of letters, digits and underscores ending in "_", then exactly 30 + 6 base62
    /// characters, the last 6 the base62 CRC32 of the 30 before them.
    static func accepts(_ value: UnsafeRawBufferPointer) -> Bool {
        let tail = randomLength + checksumLength
        guard value.count > tail + 1, value[value.count - tail - 1] == UInt8(ascii: "_") else { return false }
        for byte in value[..<(value.count - tail)] where !ASCII.isAlphanumeric(byte) && byte != UInt8(ascii: "_") {
            return false
        }
        let random = UnsafeRawBufferPointer(rebasing: value[(value.count - tail)..<(value.count - checksumLength)])
        var written: UInt64 = 0
        for byte in value[(value.count - checksumLength)...] {
            guard let digit = base62Digit(byte) else { return false }
            written = written * 62 + UInt64(digit)  // 62^6 < 2^36
        }
        guard random.allSatisfy({ base62Digit($0) != nil }) else { return false }
        return written == UInt64(crc32(random))
    }

    /// The value of a character in the alphabet 0–9, A–Z, a–z.
    static func base62Digit(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(byte - UInt8(ascii: "A")) + 10
        case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(byte - UInt8(ascii: "a")) + 36
        default: nil
        }
    }

    /// CRC-32 as in zlib, PNG and Ethernet (reflected polynomial 0xEDB88320, initial value and final
    /// XOR all ones), a bit at a time: 30 bytes do not pay for a table.
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? crc >> 1 ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
