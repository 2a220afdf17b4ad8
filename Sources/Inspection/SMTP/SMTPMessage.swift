import Flows

#if canImport(Glibc)
import Glibc
#endif

/// The mail text a client sends after `DATA` (RFC 5321 §4.1.1.4), read as it
/// arrives: it ends at the line holding only `.` (CRLF.CRLF; a bare LF is
/// tolerated), and a `.` starting any other line is transparency stuffing
/// (§4.5.2), dropped. The unstuffed message goes to a `MIMEReader` when
/// content is wanted — its headers, its parts, their base64 or
/// quoted-printable undone — otherwise only its end is looked for. Bytes are
/// passed on in place; the MIME reader's copies are reserved when it starts
/// (refused: the message is only skipped).
struct SMTPMessageReader {
    private var lineStart = true
    /// 0: no dot; 1: a line began with `.`; 2: `.` then CR.
    private var dot: UInt8 = 0
    private var mime: MIMEReader?

    /// `decode` false: only the end is looked for (the start of the mail was lost).
    init(context: inout InspectionContext, decode: Bool = true) {
        if decode && context.wantsContent && context.reserve(MIMEReader.charge) {
            mime = MIMEReader(message: .smtpMessagePart, direction: .toServer)
        }
    }

    /// Reads message bytes; returns how many belonged to the message
    /// (through the end line) and whether it ended.
    mutating func read(
        _ bytes: UnsafeRawBufferPointer, ids: inout UInt32, _ context: inout InspectionContext
    ) -> (used: Int, ended: Bool) {
        var i = 0
        let n = bytes.count
        while i < n {
            switch dot {
            case 1:
                if bytes[i] == 0x0d {
                    dot = 2
                    i += 1
                    continue
                }
                if bytes[i] == 0x0a { return (i + 1, true) }
                dot = 0  // a stuffed dot: the rest of the line is text
                lineStart = false
                continue
            case 2:
                if bytes[i] == 0x0a { return (i + 1, true) }
                dot = 0  // `.` CR and more: the CR is text
                lineStart = false
                var cr: UInt8 = 0x0d
                withUnsafeBytes(of: &cr) { pass($0, ids: &ids, &context) }
                continue
            default:
                break
            }
            if lineStart && bytes[i] == UInt8(ascii: ".") {
                dot = 1
                i += 1
                continue
            }
            // Safe: i < n, so the buffer is not empty.
            let base = bytes.baseAddress!
            let end: Int
            if let found = memchr(base + i, 0x0a, n - i) {
                end = UnsafeRawPointer(found) - base + 1
                lineStart = true
            } else {
                end = n
                lineStart = false
            }
            pass(UnsafeRawBufferPointer(rebasing: bytes[i..<end]), ids: &ids, &context)
            i = end
        }
        return (n, false)
    }

    private mutating func pass(_ text: UnsafeRawBufferPointer, ids: inout UInt32, _ context: inout InspectionContext) {
        mime?.read(text, ids: &ids, &context)
    }

    /// The message ended (`complete`) or its direction stopped first.
    mutating func finish(complete: Bool, _ context: inout InspectionContext) {
        guard mime != nil else { return }
        mime!.finish(complete: complete, &context)
        mime = nil
        context.release(MIMEReader.charge)
    }
}
