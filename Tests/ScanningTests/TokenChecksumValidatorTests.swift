import Testing
import TestSupport

@testable import Scanning

@Suite struct TokenChecksumValidatorTests {
    static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// `value` in six base62 digits, most significant first, zero-padded (the test's own encoder).
    static func sixDigits(_ value: UInt32) -> String {
        var rest = Int(value)
        var digits: [Character] = []
        for _ in 0..<6 {
            digits.insert(base62[rest % 62], at: 0)
            rest /= 62
        }
        return String(digits)
    }

    static func crc32(_ text: String) -> UInt32 { Array(text.utf8).withUnsafeBytes { Base62CRC32Token.crc32($0) } }

    static func token(_ prefix: String, _ random: String) -> String { prefix + random + sixDigits(crc32(random)) }

    static func randomPart(using generator: inout SplitMix64) -> String {
        String((0..<30).map { _ in base62[Int.random(in: 0..<62, using: &generator)] })
    }

    /// The check value of CRC-32/ISO-HDLC (the zlib CRC) over "123456789".
    @Test func crc32CheckValue() {
        #expect(Self.crc32("123456789") == 0xCBF4_3926)
        #expect(Self.crc32("") == 0)
    }

    /// Real GitHub personal access tokens, created without scopes, expired and revoked, then published
    /// as fixtures by therootcompany/base62-token.js (test.js): the evidence for the scheme (CRC-32 of
    /// the 30 random characters, base62 0-9A-Za-z, most significant digit first).
    @Test(arguments: ["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", "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",
                      "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"])
    func publishedRevokedGitHubTokensVerify(_ token: String) {
        #expect(Validator.base62CRC32.accepts(token))
    }

    @Test func everyDocumentedPrefix() {
        var generator = SplitMix64(seed: 62)
        for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_"] {
            let token = Self.token(prefix, Self.randomPart(using: &generator))
            #expect(token.count == 40)
            #expect(Validator.base62CRC32.accepts(token))
        }
        #expect(Validator.base62CRC32.accepts(Self.token("ghp_", String(repeating: "A", count: 30))))
    }

    /// About one CRC in five is below 62^5 and is written with a leading "0": that padding is part of
    /// the format, so the five-digit form is refused.
    @Test func checksumIsZeroPadded() {
        var generator = SplitMix64(seed: 5)
        var random = Self.randomPart(using: &generator)
        while Self.crc32(random) >= 916_132_832 { random = Self.randomPart(using: &generator) }
        let token = Self.token("ghp_", random)
        #expect(token.suffix(6).first == "0")
        #expect(Validator.base62CRC32.accepts(token))
        #expect(!Validator.base62CRC32.accepts(String(token.dropLast(6)) + String(token.suffix(5))))
    }

    @Test func changedCharactersAreRefused() {
        var generator = SplitMix64(seed: 30)
        for _ in 0..<50 {
            let token = Self.token("ghp_", Self.randomPart(using: &generator))
            let characters = Array(token)
            for index in 4..<40 {
                let replacement = characters[index] == "x" ? "y" : "x" as Character
                #expect(!Validator.base62CRC32.accepts(replacing(token, at: index, with: replacement)), "\(token) at \(index)")
            }
            for index in 4..<39 where characters[index] != characters[index + 1] {
                #expect(!Validator.base62CRC32.accepts(swappingAdjacent(token, at: index)), "\(token) at \(index)")
            }
        }
    }

    @Test func otherShapesAreRefused() {
        let valid = "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"
        #expect(!Validator.base62CRC32.accepts(String(valid.dropFirst(4))))  // no prefix
        #expect(!Validator.base62CRC32.accepts("_" + valid.dropFirst(4)))  // empty prefix
        #expect(!Validator.base62CRC32.accepts("gh-p_" + valid.dropFirst(4)))
        #expect(!Validator.base62CRC32.accepts(valid + "0"))
        #expect(!Validator.base62CRC32.accepts(String(valid.dropLast())))
        #expect(!Validator.base62CRC32.accepts(valid + "\n"))
        #expect(!Validator.base62CRC32.accepts(" " + valid))
        #expect(!Validator.base62CRC32.accepts(replacing(valid, at: 10, with: "-")))
        #expect(!Validator.base62CRC32.accepts(replacing(valid, at: 38, with: "_")))
        #expect(!Validator.base62CRC32.accepts("ghp_" + String(repeating: "x", count: 36)))
    }
}
