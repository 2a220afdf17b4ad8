import Flows

#if canImport(Glibc)
import Glibc
#endif

/// A mail message as a mail protocol carries it, read as it arrives; when
/// content is wanted it goes to a `MIMEReader` (its header blocks, its parts
/// with base64 or quoted-printable undone), otherwise only its end is looked
/// for. Two framings:
/// - `.dotStuffed`: SMTP `DATA` (RFC 5321 §4.1.1.4) and the body of a POP3
///   `RETR`/`TOP` reply (RFC 1939 §3). It ends at the line holding only `.`
///   (CRLF.CRLF; a bare LF is tolerated), and a `.` starting any other line is
///   stuffing (§4.5.2), dropped.
/// - `.counted`: exactly the bytes announced — an IMAP literal holding a
///   message (a FETCH of `BODY[]`, an `APPEND`), or SMTP `BDAT` chunks (RFC
///   3030), each announced by `expect(_:)`.
/// Bytes are passed on in place; the MIME reader's copies are reserved when
/// it starts (refused: the message is only passed over, and read by the raw
/// scan instead).
struct MailMessageReader {
    enum Framing { case dotStuffed, counted }

    let framing: Framing
    /// `.counted`: bytes announced and not read yet.
    private(set) var remaining: UInt64 = 0
    private var lineStart = true
    /// 0: no dot; 1: a line began with `.`; 2: `.` then CR.
    private var dot: UInt8 = 0
    private var mime: MIMEReader?

    /// `decode` false: only the end is looked for (the start of the mail was lost).
    init(
        _ kind: ContentKind, direction: Direction, framing: Framing, context: inout InspectionContext, decode: Bool = true
    ) {
        self.framing = framing
        if decode && context.wantsContent && context.reserve(MIMEReader.charge) {
            mime = MIMEReader(message: kind, direction: direction)
        }
    }

    /// Whether what it read reached the content scanner (the MIME reader
    /// delivers every byte but delimiter lines, and the stuffing dots go) —
    /// not once a part hit its cap and dropped the rest.
    var decodes: Bool { mime.map { !$0.capHit } ?? false }

    /// `.counted`: `count` more bytes of the message follow.
    mutating func expect(_ count: UInt64) { remaining += count }

    /// Reads message bytes; returns how many belonged to the message and
    /// whether it ended (`.dotStuffed`: the end line; `.counted`: the bytes
    /// announced so far).
    mutating func read(
        _ bytes: UnsafeRawBufferPointer, ids: inout UInt32, _ context: inout InspectionContext
    ) -> (used: Int, ended: Bool) {
        switch framing {
        case .counted:
            let take = Int(min(UInt64(bytes.count), remaining))
            pass(UnsafeRawBufferPointer(rebasing: bytes[..<take]), ids: &ids, &context)
            remaining -= UInt64(take)
            return (take, remaining == 0)
        case .dotStuffed:
            return readStuffed(bytes, ids: &ids, &context)
        }
    }

    private mutating func readStuffed(
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
            // This line and the ones after it that do not start with `.`, in
            // one piece: up to a line feed that ends the chunk or comes
            // before a `.`. Safe: i < n, so the buffer is not empty.
            let base = bytes.baseAddress!
            var end = n
            var from = i
            lineStart = false
            while let found = memchr(base + from, 0x0a, n - from) {
                from = UnsafeRawPointer(found) - base + 1
                if from == n || bytes[from] == UInt8(ascii: ".") {
                    end = from
                    lineStart = true
                    break
                }
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
