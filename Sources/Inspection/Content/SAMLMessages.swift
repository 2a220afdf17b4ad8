import Flows

#if canImport(Glibc)
    import Glibc
#endif

/// SAML messages as the HTTP POST binding carries them (SAML 2.0 Bindings
/// §3.5): base64 of XML in a form field named `SAMLResponse` or
/// `SAMLRequest` — posted by the browser to the service provider
/// (`FormDecoder`), and before that served to the browser by the identity
/// provider in an HTML page whose script submits the form at once
/// (`SAMLAutoPostPage`). A response's assertion names the signed-in user and
/// is a bearer credential; both hops cross in clear where a load balancer
/// ends TLS in front of the application or the identity provider (Keycloak
/// behind an edge proxy, say). Each message is a `saml-message` stream.
///
/// The redirect binding (§3.4) carries a message in a URL instead — the
/// XML raw-DEFLATE-compressed, base64, percent-encoded in a `SAMLRequest` or
/// `SAMLResponse` query parameter — in the `Location` of a 302 and in the
/// request the browser then sends: a service provider's authentication
/// request, and single logout's `LogoutRequest`, which names the user.
/// `deliverRedirect` decodes it into a `saml-message` stream as well.
enum SAMLMessage {
    /// The binding's field and parameter names, as it spells them.
    static let requestName: [UInt8] = Array("SAMLRequest".utf8)
    static let responseName: [UInt8] = Array("SAMLResponse".utf8)

    /// The binding's field names, in any letter case.
    static func isFieldName(_ name: UnsafeRawBufferPointer) -> Bool {
        MIMEHeader.equals(name, "samlresponse") || MIMEHeader.equals(name, "samlrequest")
    }

    /// Most a redirect-binding message may inflate to: real ones are a few KB.
    static let maxRedirectMessage = 64 << 10
    /// Most a flow's redirect-binding messages may inflate to together: HTTP/2
    /// can repeat a long `:path` from its header table for a byte a request,
    /// so without it a few KB of frames would cost gigabytes of inflating.
    static let redirectBytesPerFlow = 256 << 10

    /// Delivers the SAML message of `url` (a request target, a `Location`):
    /// its first `SAMLRequest` or `SAMLResponse` query parameter — the names
    /// as the binding spells them, the only spelling services read; one
    /// message per URL — percent-decoded, base64-decoded (line breaks
    /// skipped), inflated (or as it is when it decodes to `<`: XML sent
    /// without DEFLATE), at most `maxRedirectMessage` bytes and what is left
    /// of the flow's `budget` (a cut message is counted in
    /// `decodedCapHits`). A URL without an `S` costs a memchr.
    static func deliverRedirect(
        _ url: UnsafeRawBufferPointer, direction: Direction, budget: inout Int, ids: inout UInt32,
        context: inout InspectionContext
    ) {
        guard let base = url.baseAddress else { return }
        var i = 0
        while i < url.count, let hit = memchr(base + i, Int32(UInt8(ascii: "S")), url.count - i) {
            let s = base.distance(to: UnsafeRawPointer(hit))
            i = s + 1
            guard s > 0, url[s - 1] == UInt8(ascii: "?") || url[s - 1] == UInt8(ascii: "&") else { continue }
            let rest = UnsafeRawBufferPointer(rebasing: url[s...])
            let name: [UInt8]
            if parameter(requestName, starts: rest) {
                name = requestName
            } else if parameter(responseName, starts: rest) {
                name = responseName
            } else {
                continue
            }
            let start = s + name.count + 1
            var end = start
            while end < url.count && url[end] != UInt8(ascii: "&") && url[end] != UInt8(ascii: "#") { end += 1 }
            var encoded = HTTPAnalyzer.percentDecoded(UnsafeRawBufferPointer(rebasing: url[start..<end]), plusIsSpace: false)
            encoded.removeAll { $0 == 0x0d || $0 == 0x0a }
            guard let message = CleartextBase64.decode(encoded), let first = message.first else { return }
            guard budget > 0 else {
                context.counters.content.decodedCapHits &+= 1
                return
            }
            guard context.reserve(ContentStream.labelBytes) else { return }
            defer { context.release(ContentStream.labelBytes) }
            var stream = ContentStream(kind: .samlMessage, direction: direction, id: ids, name: name[...])
            ids &+= 1
            let limit = min(maxRedirectMessage, budget)
            if first == UInt8(ascii: "<") {
                let whole = message.count <= limit
                message.withUnsafeBytes { stream.write(UnsafeRawBufferPointer(rebasing: $0.prefix(limit)), &context) }
                budget -= min(message.count, limit)
                if !whole { context.counters.content.decodedCapHits &+= 1 }
                stream.finish(complete: whole, &context)
            } else {
                budget -= inflate(message, limit: limit, into: &stream, &context)
            }
            return
        }
    }

    /// `text` starts with `name` and `=`, as spelt.
    private static func parameter(_ name: [UInt8], starts text: UnsafeRawBufferPointer) -> Bool {
        guard text.count > name.count, text[name.count] == UInt8(ascii: "=") else { return false }
        return name.indices.allSatisfy { text[$0] == name[$0] }
    }

    /// Raw DEFLATE (RFC 1951) — or zlib, told apart as for a body — at most
    /// `limit` bytes out, the decompressor's memory charged; complete when the
    /// compressed stream ended. Returns the bytes written.
    private static func inflate(
        _ compressed: [UInt8], limit: Int, into stream: inout ContentStream, _ context: inout InspectionContext
    ) -> Int {
        guard context.reserve(Decompressor.initialCharge) else {
            stream.finish(complete: false, &context)
            return 0
        }
        defer { context.release(Decompressor.initialCharge) }
        let decompressor = Decompressor(format: .deflate)
        var written = 0
        var ended = false
        compressed.withUnsafeBytes { input in
            guard decompressor.setInput(input) else { return }
            while stream.open {
                let (produced, step) = decompressor.step()
                let piece = UnsafeRawBufferPointer(rebasing: produced.prefix(limit - written))
                stream.write(piece, &context)
                written += piece.count
                if piece.count < produced.count || (written == limit && step == .moreOutput) {
                    context.counters.content.decodedCapHits &+= 1
                    return
                }
                switch step {
                case .moreOutput: continue
                case .end: ended = true
                case .needInput, .memoryCap: break
                case .corrupt: context.counters.content.corruptCompressed &+= 1
                }
                return
            }
        }
        stream.finish(complete: ended, &context)
        return written
    }
}

/// Reads an identity provider's auto-submitting page (`text/html`) for the
/// hidden input `name="SAMLResponse" value="…"` (or `SAMLRequest`, the name
/// as the binding spells it), as pysaml2, Keycloak, Shibboleth,
/// SimpleSAMLphp, AD FS and Okta write it — the name before the value, in
/// one tag; the value quoted or not — and base64-decodes the value (its
/// character references such as `&#x2b;` or `&plus;` undone first) into a
/// `saml-message` stream named by the field. A page without `SAMLRe` costs
/// a memchr for `S`.
struct SAMLAutoPostPage {
    private enum State {
        /// Looking for the field name (`matched` bytes of it so far).
        case name
        /// The name ended; in its tag, looking for `value`, `=` and the value.
        case attribute
        /// Inside the value.
        case value
    }

    private var state = State.name
    /// name: bytes of `SAMLResponse`/`SAMLRequest` matched; attribute: of `value`.
    private var matched = 0
    /// The name's seventh byte: `s` (Response) or `q` (Request); 0 undecided.
    private var which: UInt8 = 0
    /// The byte before the current one (a name starts after a quote or `=`).
    private var previous: UInt8 = 0
    /// attribute: `value` was read, then `=`.
    private var sawEquals = false
    /// attribute: the quote of another attribute's value being skipped (0: none).
    private var skipping: UInt8 = 0
    /// The value's quote; 0 for an unquoted value (it ends at a space or `>`).
    private var quote: UInt8 = 0
    /// A character reference being read in the value, after its `&`.
    private var reference: CharacterReference?
    private var base64 = TransferDecoder(.base64)
    private var stream: ContentStream?
    private var charged = false
    let direction: Direction

    init(direction: Direction) { self.direction = direction }

    /// How many bytes the two names share (`SAMLRe`): the next tells them apart.
    static let shared = zip(SAMLMessage.requestName, SAMLMessage.responseName).prefix { $0 == $1 }.count
    static let valueName: [UInt8] = Array("value".utf8)

    /// The next bytes of the page, decoded (de-chunked, decompressed).
    mutating func read(_ bytes: UnsafeRawBufferPointer, ids: inout UInt32, _ context: inout InspectionContext) {
        guard let base = bytes.baseAddress else { return }
        var i = 0
        while i < bytes.count {
            switch state {
            case .name:
                if matched == 0 {
                    // The name's first byte, after a quote or `=` (`name="SAMLResponse"`).
                    guard let hit = memchr(base + i, Int32(UInt8(ascii: "S")), bytes.count - i) else {
                        previous = bytes[bytes.count - 1]
                        return
                    }
                    let s = base.distance(to: UnsafeRawPointer(hit))
                    let before = s > 0 ? bytes[s - 1] : previous
                    i = s + 1
                    previous = UInt8(ascii: "S")
                    if before == UInt8(ascii: "\"") || before == UInt8(ascii: "'") || before == UInt8(ascii: "=") {
                        matched = 1
                        which = 0
                    }
                    continue
                }
                nameByte(bytes[i])
            case .attribute:
                // An unquoted value's first byte is read again as the value's.
                guard attributeByte(bytes[i], ids: &ids, &context) else { continue }
            case .value:
                i = valueBytes(bytes, from: i, &context)
                continue
            }
            previous = bytes[i]
            i += 1
        }
    }

    /// One more byte of a name being matched; after the whole name, a quote,
    /// a space or `/` must follow it (a `>` ends the tag: no value in it).
    private mutating func nameByte(_ b: UInt8) {
        let needle = which == UInt8(ascii: "q") ? SAMLMessage.requestName : SAMLMessage.responseName
        if matched == needle.count {
            matched = 0
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") || isSpace(b) || b == UInt8(ascii: "/") {
                state = .attribute
                sawEquals = false
                skipping = 0
            }
            return
        }
        if matched == Self.shared && which == 0 {
            guard b == UInt8(ascii: "s") || b == UInt8(ascii: "q") else {
                matched = 0
                return
            }
            which = b
            matched += 1
            return
        }
        matched = b == needle[matched] ? matched + 1 : 0
    }

    /// Looks for `value = ` (any letter case, spaces around `=`) and the
    /// value's quote before the tag ends, skipping other attributes' quoted
    /// values (a `>` or a `value=` inside one is not the tag's). Returns
    /// false when `b` is the first byte of an unquoted value.
    private mutating func attributeByte(_ b: UInt8, ids: inout UInt32, _ context: inout InspectionContext) -> Bool {
        if skipping != 0 {
            if b == skipping { skipping = 0 }
            return true
        }
        if matched == Self.valueName.count {
            if isSpace(b) { return true }
            if !sawEquals && b == UInt8(ascii: "=") {
                sawEquals = true
                return true
            }
            if sawEquals && b != UInt8(ascii: ">") {
                quote = b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") ? b : 0
                startValue(ids: &ids, &context)
                return quote != 0
            }
            matched = 0
            sawEquals = false
        }
        if b == UInt8(ascii: ">") {
            state = .name
            matched = 0
            return true
        }
        if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
            skipping = b
            matched = 0
            return true
        }
        // `value` starts after a space, a quote or `/` (not `data-value`).
        let lower = b | 0x20
        let boundary = matched > 0 || isSpace(previous) || previous == UInt8(ascii: "\"") || previous == UInt8(ascii: "'")
            || previous == UInt8(ascii: "/")
        if lower == Self.valueName[matched] && boundary {
            matched += 1
        } else {
            matched = lower == UInt8(ascii: "v") && (isSpace(previous) || previous == UInt8(ascii: "/")) ? 1 : 0
        }
        return true
    }

    private mutating func startValue(ids: inout UInt32, _ context: inout InspectionContext) {
        state = .value
        matched = 0
        reference = nil
        base64 = TransferDecoder(.base64)
        guard context.reserve(ContentStream.labelBytes) else { return }
        charged = true
        let name = which == UInt8(ascii: "q") ? SAMLMessage.requestName : SAMLMessage.responseName
        stream = ContentStream(kind: .samlMessage, direction: direction, id: ids, name: name[...])
        ids &+= 1
    }

    /// Whether `b` ends the value: its quote, or for an unquoted one a space or `>`.
    private func endsValue(_ b: UInt8) -> Bool { quote != 0 ? b == quote : isSpace(b) || b == UInt8(ascii: ">") }

    /// Decodes value bytes from `start` up to the value's end; returns where it stopped.
    private mutating func valueBytes(_ bytes: UnsafeRawBufferPointer, from start: Int, _ context: inout InspectionContext) -> Int {
        var i = start
        while i < bytes.count {
            if reference != nil {
                var character: UInt8?
                switch reference!.read(bytes[i]) {
                case .more:
                    i += 1
                    continue
                case .done(let c):
                    character = c
                    i += 1
                case .endedBefore(let c):
                    character = c  // the byte is read again: it may end the value
                }
                reference = nil
                if var character { withUnsafeBytes(of: &character) { decode($0, &context) } }
                continue
            }
            // A run of plain value bytes goes to the decoder at once.
            var end = i
            while end < bytes.count && !endsValue(bytes[end]) && bytes[end] != UInt8(ascii: "&") { end += 1 }
            if end > i { decode(UnsafeRawBufferPointer(rebasing: bytes[i..<end]), &context) }
            i = end
            guard i < bytes.count else { break }
            if bytes[i] != UInt8(ascii: "&") {
                previous = bytes[i]
                endValue(complete: true, &context)
                return i + 1
            }
            reference = CharacterReference()
            i += 1
        }
        return i
    }

    private mutating func decode(_ bytes: UnsafeRawBufferPointer, _ context: inout InspectionContext) {
        guard stream != nil else { return }
        base64.decode(bytes, into: &stream!, &context)
    }

    private mutating func endValue(complete: Bool, _ context: inout InspectionContext) {
        stream?.finish(complete: complete, &context)
        stream = nil
        if charged { context.release(ContentStream.labelBytes) }
        charged = false
        state = .name
    }

    /// The page ended (`complete`) or was cut: a value still open ends incomplete.
    mutating func finish(_ context: inout InspectionContext) {
        if state == .value { endValue(complete: false, &context) }
    }

    private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0c || b == 0x0d }
}

/// A character reference in an attribute value, read after its `&` (HTML
/// §13.2.5.72): `&#NN;`, `&#xHH;` — the `;` may be missing, as browsers
/// allow — or one of the named ones an encoder writes for base64's
/// characters (`&plus;`, `&sol;`, `&equals;`). An ASCII character is a byte
/// of the value; anything else is dropped.
struct CharacterReference {
    enum Step: Equatable {
        case more
        /// The reference ended with this byte (`;`).
        case done(UInt8?)
        /// The reference ended before this byte, which is the value's again.
        case endedBefore(UInt8?)
    }

    private var length = 0
    private var numeric = false
    private var hex = false
    private var digits = 0
    private var value: UInt32 = 0
    /// A named reference's letters, a byte each (at most 8).
    private var name: UInt64 = 0

    mutating func read(_ b: UInt8) -> Step {
        length += 1
        if length == 1 {
            if b == UInt8(ascii: "#") {
                numeric = true
                return .more
            }
            guard Self.isLetter(b) else { return .endedBefore(nil) }
            name = UInt64(b)
            return .more
        }
        if numeric {
            if length == 2 && (b == UInt8(ascii: "x") || b == UInt8(ascii: "X")) {
                hex = true
                return .more
            }
            if let d = digit(b) {
                value = min(value * (hex ? 16 : 10) + d, 0x11_0000)  // past Unicode: stays past it
                digits += 1
                return .more
            }
            let character: UInt8? = digits > 0 && value < 0x80 ? UInt8(value) : nil
            return b == UInt8(ascii: ";") ? .done(character) : .endedBefore(character)
        }
        if b == UInt8(ascii: ";") { return .done(Self.named(name)) }
        guard length <= 8, Self.isLetter(b) || b &- UInt8(ascii: "0") < 10 else { return .endedBefore(nil) }
        name = name << 8 | UInt64(b)
        return .more
    }

    private func digit(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f") where hex: UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F") where hex: UInt32(b - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) &- UInt8(ascii: "a") < 26 }

    /// base64's three characters by name; any other name is dropped.
    private static func named(_ name: UInt64) -> UInt8? {
        switch name {
        case packed("plus"): UInt8(ascii: "+")
        case packed("sol"): UInt8(ascii: "/")
        case packed("equals"): UInt8(ascii: "=")
        default: nil
        }
    }

    private static func packed(_ text: StaticString) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<text.utf8CodeUnitCount { v = v << 8 | UInt64(text.utf8Start[k]) }
        return v
    }
}
