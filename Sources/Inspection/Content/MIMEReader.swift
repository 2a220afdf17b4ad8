import Flows

#if canImport(Glibc)
import Glibc
#endif

/// Reads a MIME entity incrementally (RFC 2045, RFC 2046 §5.1): header
/// lines (folded ones unfolded), then either a leaf body — its transfer
/// encoding undone and delivered as one content stream — or, for
/// `multipart/*`, the parts between boundary delimiters, each an entity in
/// turn, nested up to `maxNesting` boundaries. It serves a mail sent with
/// SMTP DATA (starting with the message's headers) and a `multipart/*` HTTP
/// body (starting in the preamble of a boundary the HTTP header gave).
///
/// Every byte it reads reaches the scanner except the delimiter lines, so
/// that its owner may tell the raw scan to skip them: each header block goes
/// out as it was sent, a `mime-headers` stream (a card number in a Subject,
/// a key in an `X-Api-Key` header; message ids blanked); a preamble or epilogue as a stream of the
/// entity's kind without a media type; a leaf body decoded.
///
/// Body lines are passed on in place as they come. A line break is held
/// back until the next line is known not to be a delimiter (the CRLF before
/// `--boundary` belongs to the delimiter, §5.1.1); a line starting with `-`
/// is held (at most `maxCandidate` bytes) until it is known whether it is
/// one. The reader's copies — the header being unfolded, that candidate
/// line, the boundaries and the part's labels — fit in `MIMEReader.charge`
/// bytes, which the owner reserves once.
struct MIMEReader {
    /// Multipart boundaries open at once; a deeper multipart is delivered as one part.
    static let maxNesting = 4
    /// One unfolded header kept (a longer one is cut: only its start is read).
    static let maxHeader = 2048
    /// RFC 2046 §5.1.1: a boundary is 1 to 70 characters.
    static let maxBoundary = 70
    /// `--`, a boundary, `--` and some transport padding.
    static let maxCandidate = 2 + maxBoundary + 2 + 8
    static let charge = maxHeader + maxNesting * maxBoundary + ContentStream.labelBytes + 3 * ContentLimits.maxLabel + 512

    enum Phase: UInt8 {
        /// Header lines of an entity.
        case headers
        /// A leaf body, delivered decoded.
        case body
        /// A preamble or an epilogue: read for delimiters, delivered as it is.
        case skip
        /// The reader was finished.
        case done
    }

    let kind: ContentKind
    let direction: Direction
    private(set) var phase: Phase
    private var boundaries: [[UInt8]] = []
    /// The header being unfolded, or the start of a line that may be a delimiter.
    private var held: [UInt8] = []
    private var lineStart = true
    /// A line starting with `-` is being held to compare with the boundaries.
    private var candidate = false
    /// The previous line's break, not delivered yet: 0 none, 1 LF, 2 CR LF.
    private var pendingBreak: UInt8 = 0
    /// The chunk ended in a CR inside a body line.
    private var pendingCR = false
    /// The header being read has passed its name's colon.
    private var nameEnded = false
    /// Inside the value of a header that holds message ids (`holdsIDs`).
    private var idValue = false
    private var entity = MIMEEntity()
    private var stream: ContentStream?
    /// A stream of this entity reached its cap: bytes it read after were dropped.
    private(set) var capHit = false
    private var transfer = TransferDecoder(.identity)

    /// A mail: the message's own headers come first.
    init(message kind: ContentKind, direction: Direction) {
        self.kind = kind
        self.direction = direction
        phase = .headers
        held.reserveCapacity(MIMEReader.maxHeader)
    }

    /// A multipart body whose boundary is known; nil when it is not a valid boundary.
    init?(parts kind: ContentKind, direction: Direction, boundary: UnsafeRawBufferPointer) {
        guard !boundary.isEmpty, boundary.count <= MIMEReader.maxBoundary else { return nil }
        self.kind = kind
        self.direction = direction
        phase = .skip
        boundaries = [Array(boundary)]
        held.reserveCapacity(MIMEReader.maxHeader)
    }

    mutating func read(_ bytes: UnsafeRawBufferPointer, ids: inout UInt32, _ context: inout InspectionContext) {
        var i = 0
        let n = bytes.count
        while i < n {
            switch phase {
            case .done:
                return
            case .headers:
                i = readHeaders(bytes, from: i, ids: &ids, &context)
            case .body, .skip:
                i = readBody(bytes, from: i, ids: &ids, &context)
            }
        }
    }

    /// The entity ended with its container: a part still open lacked its closing delimiter.
    mutating func finish(complete: Bool, _ context: inout InspectionContext) {
        // What was held back is content after all (a mail's last line break
        // too). Not in a preamble or epilogue that has no stream yet: there
        // it is a line starting with `-`, cut before it was known not to be a
        // delimiter, and with no stream number at hand it is dropped.
        if phase == .body || (phase == .skip && stream != nil) {
            var ids: UInt32 = 0  // not taken: the stream is open
            if candidate {
                flushBreak(ids: &ids, &context)
                held.withUnsafeBytes { content($0, ids: &ids, &context) }
            } else if boundaries.isEmpty {
                flushBreak(ids: &ids, &context)
            }
            if pendingCR { emit(cr: true, lf: false, ids: &ids, &context) }
        }
        stream?.finish(complete: complete && boundaries.isEmpty, &context)
        stream = nil
        phase = .done
        held = []
        boundaries = []
    }

    // MARK: headers

    /// Header bytes, CRs dropped: a line starting with a space or tab
    /// continues the header before it (§2.2.3 of RFC 5322); an empty line ends them.
    /// They go out as they came, but for the values of the headers that hold
    /// message ids (`holdsIDs`), written as spaces: `<CAF1x+y@mail.gmail.com>`
    /// is an id, not an address, and every reply lists a thread's ids.
    private mutating func readHeaders(
        _ bytes: UnsafeRawBufferPointer, from start: Int, ids: inout UInt32, _ context: inout InspectionContext
    ) -> Int {
        if stream == nil {
            stream = ContentStream(kind: .mimeHeaders, direction: direction, id: ids)
            ids &+= 1
        }
        var i = start
        var written = start  // bytes[written..<i] are not written yet
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            if b == 0x0d { continue }
            if lineStart {
                if b == 0x0a {
                    header()
                    held.removeAll(keepingCapacity: true)
                    writeHeaderBytes(UnsafeRawBufferPointer(rebasing: bytes[written..<i]), &context)
                    idValue = false
                    nameEnded = false  // the next block's first line starts a header
                    stream?.finish(complete: true, &context)
                    stream = nil
                    headersEnded(ids: &ids, &context)
                    return i
                }
                if b != 0x20 && b != 0x09 {
                    // The header before ends here.
                    if idValue {
                        writeHeaderBytes(UnsafeRawBufferPointer(rebasing: bytes[written..<(i - 1)]), &context)
                        written = i - 1
                        idValue = false
                    }
                    header()
                    held.removeAll(keepingCapacity: true)
                    nameEnded = false
                }
                lineStart = false
            }
            if b == 0x0a {
                lineStart = true
                continue
            }
            if b == UInt8(ascii: ":") && !nameEnded {
                nameEnded = true
                if held.withUnsafeBytes({ MIMEReader.holdsIDs(MIMEHeader.trimmed($0)) }) {
                    writeHeaderBytes(UnsafeRawBufferPointer(rebasing: bytes[written..<i]), &context)
                    written = i
                    idValue = true
                }
            }
            if held.count < MIMEReader.maxHeader { held.append(b) }
        }
        writeHeaderBytes(UnsafeRawBufferPointer(rebasing: bytes[written..<i]), &context)
        return i
    }

    /// Headers whose values are message ids (RFC 5322 §3.6.4, §3.6.6; RFC 2045 §7; RFC 5536 §3.2.12).
    static func holdsIDs(_ name: UnsafeRawBufferPointer) -> Bool {
        MIMEHeader.equals(name, "message-id") || MIMEHeader.equals(name, "references")
            || MIMEHeader.equals(name, "in-reply-to") || MIMEHeader.equals(name, "resent-message-id")
            || MIMEHeader.equals(name, "content-id") || MIMEHeader.equals(name, "supersedes")
    }

    /// Writes header bytes to the `mime-headers` stream; inside a message-id
    /// header's value every byte but the line breaks becomes a space (the
    /// same length: what follows keeps its offset).
    private mutating func writeHeaderBytes(_ bytes: UnsafeRawBufferPointer, _ context: inout InspectionContext) {
        guard !bytes.isEmpty else { return }
        if idValue {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count) { blank in
                for k in 0..<bytes.count { blank[k] = bytes[k] == 0x0d || bytes[k] == 0x0a ? bytes[k] : 0x20 }
                stream?.write(UnsafeRawBufferPointer(blank), &context)
            }
        } else {
            stream?.write(bytes, &context)
        }
        noteCap()
    }

    /// The header in `held`, if it is one the reader needs.
    private mutating func header() {
        guard let colon = held.firstIndex(of: UInt8(ascii: ":")) else { return }
        held.withUnsafeBytes { h in
            let name = MIMEHeader.trimmed(UnsafeRawBufferPointer(rebasing: h[..<colon]))
            let value = MIMEHeader.trimmed(UnsafeRawBufferPointer(rebasing: h[(colon + 1)...]))
            if MIMEHeader.equals(name, "content-type") {
                let media = MIMEHeader.mediaType(value)
                entity.mediaType = Array(media.prefix(ContentLimits.maxLabel))
                entity.multipart = MIMEHeader.hasPrefix(media, "multipart/")
                // One byte past the longest valid boundary is enough to refuse a longer one.
                entity.boundary = MIMEHeader.parameter(value, "boundary").map { Array($0.prefix(MIMEReader.maxBoundary + 1)) } ?? []
                if entity.filename.isEmpty, let name = MIMEHeader.parameter(value, "name") {
                    entity.filename = Array(name.prefix(ContentLimits.maxLabel))
                }
            } else if MIMEHeader.equals(name, "content-transfer-encoding") {
                entity.encoding =
                    MIMEHeader.equals(value, "base64") ? .base64
                    : MIMEHeader.equals(value, "quoted-printable") ? .quotedPrintable : .identity
            } else if MIMEHeader.equals(name, "content-disposition") {
                if let name = MIMEHeader.parameter(value, "name") { entity.name = Array(name.prefix(ContentLimits.maxLabel)) }
                if let file = MIMEHeader.parameter(value, "filename") {
                    entity.filename = Array(file.prefix(ContentLimits.maxLabel))
                }
            }
        }
    }

    private mutating func headersEnded(ids: inout UInt32, _ context: inout InspectionContext) {
        lineStart = true
        pendingBreak = 0
        if entity.multipart && !entity.boundary.isEmpty && entity.boundary.count <= MIMEReader.maxBoundary {
            if boundaries.count < MIMEReader.maxNesting {
                boundaries.append(entity.boundary)
                phase = .skip  // the preamble
                entity = MIMEEntity()
                return
            }
            context.counters.content.nestingCapHits &+= 1
        }
        stream = ContentStream(
            kind: kind, direction: direction, id: ids, mediaType: entity.mediaType[...], name: entity.name[...],
            filename: entity.filename[...])
        ids &+= 1
        transfer = TransferDecoder(entity.encoding)
        entity = MIMEEntity()
        phase = .body
    }

    // MARK: bodies and delimiters

    private mutating func readBody(
        _ bytes: UnsafeRawBufferPointer, from start: Int, ids: inout UInt32, _ context: inout InspectionContext
    ) -> Int {
        var i = start
        let n = bytes.count
        while i < n && (phase == .body || phase == .skip) {
            if candidate {
                // Collect the line up to its LF or the longest a delimiter line can be.
                while i < n && bytes[i] != 0x0a && held.count < MIMEReader.maxCandidate {
                    held.append(bytes[i])
                    i += 1
                }
                if i < n && bytes[i] == 0x0a {
                    i += 1
                    candidate = false
                    let cr = held.last == 0x0d
                    if cr { held.removeLast() }
                    if delimiter(&context) { continue }
                    flushBreak(ids: &ids, &context)
                    held.withUnsafeBytes { content($0, ids: &ids, &context) }
                    held.removeAll(keepingCapacity: true)
                    pendingBreak = cr ? 2 : 1
                    lineStart = true
                } else if held.count >= MIMEReader.maxCandidate {
                    candidate = false  // too long for a delimiter: an ordinary line
                    flushBreak(ids: &ids, &context)
                    held.withUnsafeBytes { content($0, ids: &ids, &context) }
                    held.removeAll(keepingCapacity: true)
                    lineStart = false
                }
                continue
            }
            if lineStart {
                if bytes[i] == UInt8(ascii: "-") && !boundaries.isEmpty {
                    candidate = true
                    held.removeAll(keepingCapacity: true)
                    continue
                }
                flushBreak(ids: &ids, &context)
                lineStart = false
            }
            if pendingCR {
                pendingCR = false
                if bytes[i] == 0x0a {
                    pendingBreak = 2
                    lineStart = true
                    i += 1
                    continue
                }
                emit(cr: true, lf: false, ids: &ids, &context)
            }
            // The rest of the line and the lines after it that cannot be
            // delimiters, in place and in one piece (a piece per line cost
            // more than decoding it): up to a line feed that ends the chunk
            // or comes before a line starting with `-` (none such when there
            // is no boundary to look for).
            let base = bytes.baseAddress!  // safe: i < n
            var lf = n
            var from = i
            while let found = memchr(base + from, 0x0a, n - from) {
                lf = UnsafeRawPointer(found) - base
                guard lf + 1 < n, boundaries.isEmpty || bytes[lf + 1] != UInt8(ascii: "-") else { break }
                from = lf + 1
                lf = n
            }
            if lf == n {
                var end = n
                if bytes[n - 1] == 0x0d {
                    pendingCR = true
                    end -= 1
                }
                content(UnsafeRawBufferPointer(rebasing: bytes[i..<end]), ids: &ids, &context)
                return n
            }
            let cr = lf > i && bytes[lf - 1] == 0x0d
            content(UnsafeRawBufferPointer(rebasing: bytes[i..<(cr ? lf - 1 : lf)]), ids: &ids, &context)
            pendingBreak = cr ? 2 : 1
            lineStart = true
            i = lf + 1
        }
        return i
    }

    /// `held` is a whole line: is it `--boundary` or `--boundary--` of an
    /// open multipart (innermost first), with only spaces or tabs after?
    private mutating func delimiter(_ context: inout InspectionContext) -> Bool {
        guard held.count >= 3, held[0] == UInt8(ascii: "-"), held[1] == UInt8(ascii: "-") else { return false }
        for level in boundaries.indices.reversed() {
            let b = boundaries[level]
            guard held.count >= 2 + b.count, held[2..<(2 + b.count)].elementsEqual(b) else { continue }
            var k = 2 + b.count
            let close = k + 1 < held.count && held[k] == UInt8(ascii: "-") && held[k + 1] == UInt8(ascii: "-")
            if close { k += 2 }
            guard held[k...].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else { continue }
            // The break before the delimiter is part of it; a part's CR at a chunk end too.
            pendingBreak = 0
            pendingCR = false
            stream?.finish(complete: true, &context)
            stream = nil
            boundaries.removeLast(boundaries.count - 1 - level)
            held.removeAll(keepingCapacity: true)
            lineStart = true
            if close {
                boundaries.removeLast()
                phase = .skip  // the epilogue
            } else {
                phase = .headers
                entity = MIMEEntity()
            }
            return true
        }
        return false
    }

    private mutating func flushBreak(ids: inout UInt32, _ context: inout InspectionContext) {
        if pendingBreak != 0 { emit(cr: pendingBreak == 2, lf: true, ids: &ids, &context) }
        pendingBreak = 0
    }

    private mutating func emit(cr: Bool, lf: Bool, ids: inout UInt32, _ context: inout InspectionContext) {
        var crlf: (UInt8, UInt8) = (0x0d, 0x0a)
        withUnsafeBytes(of: &crlf) { b in
            content(UnsafeRawBufferPointer(rebasing: b[(cr ? 0 : 1)..<(lf ? 2 : 1)]), ids: &ids, &context)
        }
    }

    private mutating func noteCap() {
        if stream?.capped == true { capHit = true }
    }

    /// Body bytes: decoded into the part's stream; a preamble's or an
    /// epilogue's as they are, into a stream opened at its first byte.
    private mutating func content(_ bytes: UnsafeRawBufferPointer, ids: inout UInt32, _ context: inout InspectionContext) {
        guard !bytes.isEmpty else { return }
        switch phase {
        case .body:
            guard stream != nil else { return }
            transfer.decode(bytes, into: &stream!, &context)
            noteCap()
        case .skip:
            if stream == nil {
                stream = ContentStream(kind: kind, direction: direction, id: ids)
                ids &+= 1
            }
            stream!.write(bytes, &context)
            noteCap()
        case .headers, .done:
            return
        }
    }
}

/// The headers of the entity being read that decide how its body is read and labelled.
struct MIMEEntity {
    var mediaType: [UInt8] = []
    var multipart = false
    var boundary: [UInt8] = []
    var encoding = TransferDecoder.Encoding.identity
    var name: [UInt8] = []
    var filename: [UInt8] = []
}

/// Reading structured header values in place (RFC 2045 §5.1, RFC 2183, RFC 9110 §5.6.6).
enum MIMEHeader {
    static func trimmed(_ t: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var a = 0
        var b = t.count
        while a < b && (t[a] == 0x20 || t[a] == 0x09) { a += 1 }
        while b > a && (t[b - 1] == 0x20 || t[b - 1] == 0x09) { b -= 1 }
        return UnsafeRawBufferPointer(rebasing: t[a..<b])
    }

    static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5a ? b | 0x20 : b }

    /// Equal to `text` (lower-case ASCII), ignoring case.
    static func equals(_ t: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        t.count == text.utf8CodeUnitCount && hasPrefix(t, text)
    }

    static func hasPrefix(_ t: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard t.count >= n else { return false }
        for k in 0..<n where lower(t[k]) != text.utf8Start[k] { return false }
        return true
    }

    /// `type/subtype`, without parameters.
    static func mediaType(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        trimmed(UnsafeRawBufferPointer(rebasing: value[..<(value.firstIndex(of: UInt8(ascii: ";")) ?? value.count)]))
    }

    /// The value of parameter `name` (lower-case) in `type; a=b; name="v"`, unquoted
    /// (a quoted value keeps its backslashes); nil when absent or empty.
    static func parameter(_ value: UnsafeRawBufferPointer, _ name: StaticString) -> UnsafeRawBufferPointer? {
        var k = value.firstIndex(of: UInt8(ascii: ";")) ?? value.count
        let n = value.count
        while k < n {
            k += 1  // past `;`
            while k < n && (value[k] == 0x20 || value[k] == 0x09) { k += 1 }
            let nameStart = k
            while k < n && value[k] != UInt8(ascii: "=") && value[k] != UInt8(ascii: ";") { k += 1 }
            let found = trimmed(UnsafeRawBufferPointer(rebasing: value[nameStart..<k]))
            guard k < n && value[k] == UInt8(ascii: "=") else { continue }
            k += 1
            while k < n && (value[k] == 0x20 || value[k] == 0x09) { k += 1 }
            var v: UnsafeRawBufferPointer
            if k < n && value[k] == UInt8(ascii: "\"") {
                let start = k + 1
                k = start
                while k < n && value[k] != UInt8(ascii: "\"") { k += value[k] == UInt8(ascii: "\\") ? 2 : 1 }
                v = UnsafeRawBufferPointer(rebasing: value[start..<min(k, n)])
                while k < n && value[k] != UInt8(ascii: ";") { k += 1 }
            } else {
                let start = k
                while k < n && value[k] != UInt8(ascii: ";") { k += 1 }
                v = trimmed(UnsafeRawBufferPointer(rebasing: value[start..<k]))
            }
            if equals(found, name) && !v.isEmpty { return v }
        }
        return nil
    }
}
