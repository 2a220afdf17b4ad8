// Private keys in text armour: PEM (RFC 7468; the legacy OpenSSL form with RFC 1421 headers),
// the OpenSSH key format, and OpenPGP ASCII armour (RFC 4880 section 6.2). The matched value may
// stop after the first body lines: the END line need not be in it.
//
// Line breaks are LF or CRLF, or written as the two-character escapes \n and \r\n (a key inside a
// JSON string or an environment file).

enum PEMPrivateKey {
    /// Only the first bytes of a value are read.
    static let maxBytes = 4096
    /// Header lines ("Proc-Type: 4,ENCRYPTED", "DEK-Info: ...", "Version: ...") skipped before the body.
    static let maxHeaderLines = 8
    /// A full body line: every armour in use writes 64 to 76 characters a line, so a first line
    /// shorter than this is a placeholder or a fragment, not a key.
    static let minBodyLine = 40

    /// The BEGIN line of a private key, then optional header lines and blank lines, then a full
    /// line of base64 (ended by a line break or by the end of the value).
    static func accepts(_ value: UnsafeRawBufferPointer) -> Bool {
        var lines = Lines(UnsafeRawBufferPointer(rebasing: value.prefix(maxBytes)))
        guard let begin = lines.next(), isBeginLine(begin) else { return false }
        var headers = 0
        while let line = lines.next() {
            if isBlank(line) { continue }
            if isHeader(line) {
                headers += 1
                if headers > maxHeaderLines { return false }
                continue
            }
            return isBodyLine(line)
        }
        return false
    }

    /// "-----BEGIN " + a private key label + "-----", nothing after it but spaces.
    static func isBeginLine(_ line: UnsafeRawBufferPointer) -> Bool {
        let opening: StaticString = "-----BEGIN "
        guard line.hasPrefix(opening) else { return false }
        var label = UnsafeRawBufferPointer(rebasing: line[opening.utf8CodeUnitCount...])
        while label.last == UInt8(ascii: " ") { label = UnsafeRawBufferPointer(rebasing: label.dropLast()) }
        guard label.count > 5, UnsafeRawBufferPointer(rebasing: label.suffix(5)).hasPrefix("-----") else { return false }
        label = UnsafeRawBufferPointer(rebasing: label.dropLast(5))
        return isPrivateKeyLabel(label)
    }

    /// PKCS #8 ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"), the traditional OpenSSL keys (RSA, EC,
    /// DSA), OpenSSH's own format, and an OpenPGP secret key block.
    static func isPrivateKeyLabel(_ label: UnsafeRawBufferPointer) -> Bool {
        label.equalsIgnoringCase("private key") || label.equalsIgnoringCase("rsa private key")
            || label.equalsIgnoringCase("ec private key") || label.equalsIgnoringCase("dsa private key")
            || label.equalsIgnoringCase("encrypted private key") || label.equalsIgnoringCase("openssh private key")
            || label.equalsIgnoringCase("pgp private key block")
    }

    static func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        line.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    }

    /// "Name: value", the name letters, digits and dashes (RFC 1421 section 4.6, RFC 4880 section 6.2).
    static func isHeader(_ line: UnsafeRawBufferPointer) -> Bool {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return false }
        return line[..<colon].allSatisfy { ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// At least `minBodyLine` characters of the base64 alphabet, "=" only as the last one or two,
    /// trailing spaces allowed.
    static func isBodyLine(_ line: UnsafeRawBufferPointer) -> Bool {
        var characters = 0
        var padding = 0
        var trailingSpace = false
        for byte in line {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                trailingSpace = true
                continue
            case UInt8(ascii: "="):
                padding += 1
            case _ where ASCII.isAlphanumeric(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/"):
                guard padding == 0 else { return false }
            default:
                return false
            }
            guard !trailingSpace else { return false }
            characters += 1
        }
        return characters >= minBodyLine && padding <= 2
    }

    /// The lines of a value, split at LF, CRLF and the escapes \n and \r\n; a CR before a break
    /// is not part of the line.
    struct Lines {
        private let text: UnsafeRawBufferPointer
        private var start = 0

        init(_ text: UnsafeRawBufferPointer) { self.text = text }

        mutating func next() -> UnsafeRawBufferPointer? {
            guard start < text.count else { return nil }
            var index = start
            while index < text.count {
                let breakLength = lineBreak(at: index)
                if breakLength > 0 {
                    let line = UnsafeRawBufferPointer(rebasing: text[start..<index])
                    start = index + breakLength
                    return line
                }
                index += 1
            }
            let line = UnsafeRawBufferPointer(rebasing: text[start...])
            start = text.count
            return line
        }

        /// The length of the line break starting at `index`, 0 when there is none.
        private func lineBreak(at index: Int) -> Int {
            if matches("\n", at: index) { return 1 }
            if matches("\r\n", at: index) { return 2 }
            if matches("\\n", at: index) { return 2 }
            if matches("\\r\\n", at: index) { return 4 }
            return 0
        }

        private func matches(_ pattern: StaticString, at index: Int) -> Bool {
            UnsafeRawBufferPointer(rebasing: text[index...]).hasPrefix(pattern)
        }
    }
}
