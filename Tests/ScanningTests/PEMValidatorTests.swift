import Foundation
import Testing
import TestSupport

@testable import Scanning

@Suite struct PEMValidatorTests {
    /// Base64 of seeded random bytes (not a key: only the armour is judged), in lines of `width`.
    static func body(lines: Int, width: Int = 64, seed: UInt64 = 7468) -> [String] {
        var generator = SplitMix64(seed: seed)
        let bytes = (0..<(lines * width * 3 / 4)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Data(bytes).base64EncodedString()
        return stride(from: 0, to: text.count, by: width).map { start in
            String(text.dropFirst(start).prefix(width))
        }
    }

    static func block(_ label: String, headers: [String] = [], body: [String] = body(lines: 3), end: Bool = true,
                      newline: String = "\n") -> String {
        var lines = ["-----BEGIN \(label)-----"]
        if !headers.isEmpty { lines += headers + [""] }
        lines += body
        if end { lines.append("-----END \(label)-----") }
        return lines.joined(separator: newline) + newline
    }

    @Test(arguments: ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY",
                      "OPENSSH PRIVATE KEY", "PGP PRIVATE KEY BLOCK"])
    func everyPrivateKeyLabel(_ label: String) {
        #expect(Validator.pem.accepts(Self.block(label)))
    }

    @Test func lineBreaksAsWrittenOrEscaped() {
        #expect(Validator.pem.accepts(Self.block("PRIVATE KEY", newline: "\r\n")))
        #expect(Validator.pem.accepts(Self.block("PRIVATE KEY", newline: "\\n")))  // inside a JSON string
        #expect(Validator.pem.accepts(Self.block("PRIVATE KEY", newline: "\\r\\n")))
        #expect(Validator.pem.accepts(Self.block("OPENSSH PRIVATE KEY", body: Self.body(lines: 2, width: 70))))
    }

    /// The value may stop after the first body line, with or without its line break.
    @Test func endLineNotNeeded() {
        let line = Self.body(lines: 1)[0]
        #expect(Validator.pem.accepts("-----BEGIN RSA PRIVATE KEY-----\n" + line + "\n"))
        #expect(Validator.pem.accepts("-----BEGIN RSA PRIVATE KEY-----\n" + line))
        #expect(Validator.pem.accepts("-----BEGIN RSA PRIVATE KEY-----\n" + line + "\nMIIEow"))
    }

    /// RFC 1421 headers of a legacy encrypted OpenSSL key, and OpenPGP armour headers.
    @Test func headersBeforeTheBody() {
        #expect(Validator.pem.accepts(Self.block("RSA PRIVATE KEY", headers: [
            "Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC,6B7A3F0E2C5D4B1A9E8F7C6D5B4A3F2E",
        ])))
        #expect(Validator.pem.accepts(Self.block("PGP PRIVATE KEY BLOCK", headers: ["Version: GnuPG v2", "Comment: test"])))
        let many = (0...PEMPrivateKey.maxHeaderLines).map { "X-Header-\($0): value" }
        #expect(!Validator.pem.accepts(Self.block("RSA PRIVATE KEY", headers: many)))
    }

    @Test func noBodyIsRefused() {
        #expect(!Validator.pem.accepts("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"))
        #expect(!Validator.pem.accepts("-----BEGIN PRIVATE KEY-----\n"))
        #expect(!Validator.pem.accepts("-----BEGIN PRIVATE KEY-----"))
        #expect(!Validator.pem.accepts("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\n"))
    }

    @Test func placeholdersAndShortLinesAreRefused() {
        #expect(!Validator.pem.accepts("-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----"))
        #expect(!Validator.pem.accepts("-----BEGIN PRIVATE KEY-----\nYOUR_PRIVATE_KEY_HERE\n-----END PRIVATE KEY-----"))
        #expect(!Validator.pem.accepts("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC...\n"))
        #expect(!Validator.pem.accepts("-----BEGIN PRIVATE KEY-----\nMIIBVAIBADANBgkqhkiG9w0BAQEF\n"))
        #expect(!Validator.pem.accepts("-----BEGIN PRIVATE KEY-----\n<base64 encoded key goes here, 64 characters per line>\n"))
    }

    @Test func otherArmourIsRefused() {
        let body = Self.body(lines: 2)
        for label in ["PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE", "CERTIFICATE REQUEST", "PGP PUBLIC KEY BLOCK",
                      "PGP MESSAGE", "OPENSSH PUBLIC KEY", "PRIVATE KEYS", "X PRIVATE KEY"] {
            #expect(!Validator.pem.accepts(Self.block(label, body: body)), "\(label)")
        }
    }

    @Test func malformedBeginLinesAndBodiesAreRefused() {
        let line = Self.body(lines: 1)[0]
        #expect(!Validator.pem.accepts("-----BEGIN PRIVATE KEY----\n" + line + "\n"))
        #expect(!Validator.pem.accepts("----BEGIN PRIVATE KEY-----\n" + line + "\n"))
        #expect(!Validator.pem.accepts("-----BEGIN PRIVATE KEY-----" + line + "\n"))
        #expect(!Validator.pem.accepts(" -----BEGIN PRIVATE KEY-----\n" + line + "\n"))
        #expect(!Validator.pem.accepts("-----BEGIN PRIVATE KEY-----\n" + "AB=C" + line + "\n"))
        #expect(!Validator.pem.accepts("-----BEGIN PRIVATE KEY-----\n" + line + "===\n"))
        #expect(!Validator.pem.accepts("-----BEGIN PRIVATE KEY-----\n" + line.prefix(32) + " " + line.dropFirst(32) + "\n"))
        #expect(Validator.pem.accepts("-----BEGIN PRIVATE KEY-----  \n" + line + "  \n"))
    }
}
