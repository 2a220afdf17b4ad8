#if canImport(Glibc)
import Glibc
#endif
import Flows

/// A dialogue of a line-based text protocol (SMTP, POP3, IMAP, FTP, IRC, and
/// the header part of SIP and RTSP): how each line is read, and what follows
/// a line that is data rather than lines (an IMAP literal, a message body).
/// The extension below cuts a direction's chunks into lines for it.
///
/// Lines survive lost bytes: a direction first seen past its start (its
/// first bytes were lost, or went to identification only) or with a gap in
/// it goes on after the next line feed — the line the loss falls in is not
/// read, since its start may be missing — and the dialogue hears of it
/// (`linesLost`) to let go of what it assumed about that side.
protocol LineDialogue: AnyObject {
    /// Bytes read per direction before giving up on it.
    var maxDepth: UInt64 { get }
    /// Nothing more is read in either direction.
    var isDone: Bool { get }
    /// Set by `deliver`: the bytes that follow the line are data, not lines
    /// (`capture`: handed to `rawData`, otherwise skipped).
    var rawRequest: (length: UInt64, capture: Bool)? { get set }
    /// Set by `deliver`: bytes of the line (`wholeLine`: all of it, with its
    /// line break) hold protocol words that read like content and are none
    /// (an NNTP message-id is shaped like an e-mail address), so the raw scan
    /// skips them — when the line lay in one chunk. One that began in an
    /// earlier chunk was scanned in part with that chunk, and a value cut
    /// there is judged with the rest (skipping only the rest would report the
    /// cut value).
    var lineNotContent: Range<Int>? { get set }
    /// One line without its CR LF; `truncated` when only its first
    /// `lineLimit` bytes (of the direction's reader) are there.
    func deliver(_ bytes: UnsafeRawBufferPointer, truncated: Bool, direction: Direction, context: inout InspectionContext)
    func rawData(_ bytes: UnsafeRawBufferPointer, context: inout InspectionContext)
    func rawDataEnded()
    /// Bytes at the start of `bytes` that are a stream of their own rather
    /// than lines (SMTP `DATA` read as a message): how many were taken, and
    /// whether all of them reached the content scanner decoded (the raw scan
    /// skips them then); nil to read lines.
    func streamBytes(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, context: inout InspectionContext
    ) -> (used: Int, decoded: Bool)?
    /// Bytes of `direction` were lost (or never seen, before its first
    /// chunk): its next line is the one after the next line feed. Whatever
    /// was known of where that side stood (a reply, a literal or a message
    /// in progress; how many commands or replies went by) may be stale.
    func linesLost(_ direction: Direction, context: inout InspectionContext)
}

extension LineDialogue {
    /// `lineNotContent` for all of a line.
    static var wholeLine: Range<Int> { 0..<Int.max }

    func streamBytes(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, context: inout InspectionContext
    ) -> (used: Int, decoded: Bool)? {
        nil
    }
}

extension LineDialogue {
    /// Splits one chunk of `direction` into lines (CR LF or a bare LF). A
    /// line inside the chunk is handed over in place; one that spans chunks
    /// has its first `lineLimit` bytes copied, charged to the
    /// context's budget. A chunk that does not continue the stream — the
    /// direction's first, past offset 0, or one after a hole the pipeline did
    /// not report — loses the line boundaries: reading resumes after its next
    /// line feed (as after a `gap`, `skipLostLines`).
    func readLines(
        _ bytes: UnsafeRawBufferPointer, offset: UInt64, into r: inout LoginLineReader, direction: Direction,
        context: inout InspectionContext
    ) {
        guard !r.finished, !bytes.isEmpty else { return }
        let chunkEnd = offset + UInt64(bytes.count)
        guard chunkEnd > r.expectedOffset else { return }  // seen already
        if offset > r.expectedOffset {
            loseLines(&r, direction: direction, context: &context)
            r.expectedOffset = offset
        }
        guard r.expectedOffset < maxDepth else {
            r.stop(&context)  // the depth is reached
            return
        }
        var i = Int(r.expectedOffset - offset)
        let n = Int(min(chunkEnd, maxDepth) - offset)
        r.expectedOffset = offset + UInt64(n)
        // Safe: the chunk is not empty.
        let base = bytes.baseAddress!
        while i < n && !isDone {
            if r.resuming {
                // After lost bytes: the first line feed ends a line whose start is gone.
                guard let found = memchr(base + i, 0x0a, n - i) else { break }
                i = UnsafeRawPointer(found) - base + 1
                r.resuming = false
                continue
            }
            if let taken = streamBytes(UnsafeRawBufferPointer(rebasing: bytes[i..<n]), direction: direction, context: &context) {
                if taken.decoded { context.decodes(from: offset + UInt64(i), count: taken.used) }
                i += taken.used
                continue
            }
            if r.rawRemaining > 0 {
                let take = Int(min(UInt64(n - i), r.rawRemaining))
                if r.rawCapture { rawData(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)]), context: &context) }
                r.rawRemaining -= UInt64(take)
                i += take
                if r.rawRemaining == 0 && r.rawCapture {
                    r.rawCapture = false
                    rawDataEnded()
                }
                continue
            }
            guard let found = memchr(base + i, 0x0a, n - i) else {
                r.hold(UnsafeRawBufferPointer(rebasing: bytes[i..<n]), &context)
                break
            }
            let lf = UnsafeRawPointer(found) - base
            let lineStart = i
            let spanned = r.spanning
            if spanned {
                r.hold(UnsafeRawBufferPointer(rebasing: bytes[i..<lf]), &context)
                let length = r.seen - (r.lastWasCR ? 1 : 0)
                if r.dropped {
                    // Its bytes are lost, not the fact that it was a line: the
                    // command and reply counts stay in step.
                    deliver(UnsafeRawBufferPointer(start: nil, count: 0), truncated: true, direction: direction, context: &context)
                } else {
                    // Moved out for the call (a swap: no copy), then back to keep its capacity.
                    var held: [UInt8] = []
                    swap(&held, &r.held)
                    held.withUnsafeBytes {
                        deliver(
                            UnsafeRawBufferPointer(rebasing: $0[..<min(length, $0.count)]),
                            truncated: length > r.lineLimit, direction: direction, context: &context)
                    }
                    swap(&held, &r.held)
                }
                r.endLine(&context)
            } else {
                var length = lf - i
                if length > 0 && bytes[lf - 1] == 0x0d { length -= 1 }
                deliver(
                    UnsafeRawBufferPointer(rebasing: bytes[i..<(i + min(length, r.lineLimit))]),
                    truncated: length > r.lineLimit, direction: direction, context: &context)
            }
            i = lf + 1
            if let skip = lineNotContent {
                lineNotContent = nil
                let end = min(skip.upperBound, i - lineStart)
                if !spanned && end > skip.lowerBound {
                    context.decodes(from: offset + UInt64(lineStart + skip.lowerBound), count: end - skip.lowerBound)
                }
            }
            if let raw = rawRequest {
                rawRequest = nil
                r.rawRemaining = raw.length
                r.rawCapture = raw.capture && raw.length > 0
                if raw.capture && raw.length == 0 { rawDataEnded() }
            }
        }
        if r.expectedOffset >= maxDepth { r.stop(&context) }
    }

    /// `length` bytes of `direction` at `offset` were lost (a gap): the
    /// direction goes on after the next line feed that follows them.
    func skipLostLines(
        offset: UInt64, length: UInt64, into r: inout LoginLineReader, direction: Direction,
        context: inout InspectionContext
    ) {
        guard !r.finished, offset + length > r.expectedOffset else { return }
        loseLines(&r, direction: direction, context: &context)
        r.expectedOffset = offset + length
        if r.expectedOffset >= maxDepth { r.stop(&context) }
    }

    /// The line being read, and the data being passed over, are cut by lost
    /// bytes: both are dropped, and lines resume after the next line feed.
    func loseLines(_ r: inout LoginLineReader, direction: Direction, context: inout InspectionContext) {
        r.endLine(&context)
        r.rawRemaining = 0
        r.rawCapture = false
        r.resuming = true
        rawRequest = nil
        linesLost(direction, context: &context)
    }
}
