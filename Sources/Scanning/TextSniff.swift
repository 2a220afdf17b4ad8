// MARK: - Is a decoded stream text?
//
// A downloaded archive, an image or a mailed PDF decoded from base64 is
// binary: PII and secret rules find nothing in it but chance matches (random
// bytes hold digit runs that pass Luhn one time in ten), and scanning it costs
// as much as scanning text. File scanners settle this on a file's first bytes
// (git and grep: a NUL; gitleaks and trufflehog skip binary files), and so does
// PlainSight for decoded streams: the first `window` bytes are read, and a NUL
// or too many control characters mark the stream binary. Raw streams are not
// judged this way: a binary protocol (MySQL, Redis, ...) carries its text in
// binary framing. A stream that starts with the UTF-16LE byte order mark (FF
// FE: what Windows writes for "Unicode" text, Excel's Unicode exports) is
// text of its own kind, scanned narrowed (`UTF16Narrowing`).

/// The verdict on a stream's first bytes, built up piece by piece.
public struct TextSniff: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        /// Fewer than `window` bytes seen, none of them damning.
        case undecided
        case text
        case binary
        /// UTF-16LE: it starts with the byte order mark FF FE.
        case utf16
    }

    /// Bytes judged: text rarely strays from printable bytes this early.
    public static let window = 512
    /// Control characters tolerated in the window (UTF-16 or a stray byte is
    /// not text we can match anyway; random data holds about 57 of 512).
    public static let maxControls = 16

    public private(set) var verdict = Verdict.undecided
    var seen = 0
    var controls = 0
    /// The first byte was FF: the next decides whether it is a byte order mark.
    public private(set) var startsFF = false

    public init() {}

    /// Reads the part of `bytes` still inside the window; returns the verdict so far.
    @discardableResult
    public mutating func read(_ bytes: UnsafeRawBufferPointer) -> Verdict {
        guard verdict == .undecided, !bytes.isEmpty else { return verdict }
        if seen == 0 {
            // The byte order mark, which a piece may cut after its FF.
            let first = startsFF ? 0xff : bytes[0]
            let second = startsFF ? bytes[0] : bytes.count > 1 ? bytes[1] : nil
            if first == 0xff && second == nil {
                startsFF = true
                return verdict
            }
            if first == 0xff && second == 0xfe {
                verdict = .utf16
                return verdict
            }
            if startsFF { seen = 1 }  // the FF that waited is in the window (not a control)
            startsFF = false
        }
        let n = min(bytes.count, TextSniff.window - seen)
        for i in 0..<n {
            let b = bytes[i]
            guard b < 0x20 || b == 0x7f else { continue }  // most bytes: one comparison
            if b == 0 { verdict = .binary; return verdict }
            if TextSniff.isControl(b) { controls += 1 }
        }
        seen += n
        if controls > TextSniff.maxControls {
            verdict = .binary
        } else if seen == TextSniff.window {
            verdict = .text
        }
        return verdict
    }

    /// C0 controls and DEL, except tab, line feed, vertical tab, form feed,
    /// carriage return and escape (terminal colours in logs).
    static func isControl(_ b: UInt8) -> Bool {
        switch b {
        case 0x09...0x0D, 0x1B: false
        case 0x00...0x1F, 0x7F: true
        default: false
        }
    }
}
