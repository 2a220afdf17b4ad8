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
enum SAMLMessage {
    /// The binding's field names, in any letter case.
    static func isFieldName(_ name: UnsafeRawBufferPointer) -> Bool {
        MIMEHeader.equals(name, "samlresponse") || MIMEHeader.equals(name, "samlrequest")
    }
}

/// Reads an identity provider's auto-submitting page (`text/html`) for the
/// hidden input `name="SAMLResponse" value="…"` (or `SAMLRequest`), as
/// pysaml2, Keycloak, Shibboleth, SimpleSAMLphp and AD FS write it — the
/// name before the value, in one tag — and base64-decodes the value (its
/// character references such as `&#x2b;` undone first) into a
/// `saml-message` stream named by the field. A page without `SAMLRe` costs
/// a memchr for `S`.
struct SAMLAutoPostPage {
    private enum State {
        /// Looking for the field name (`matched` bytes of it so far).
        case name
        /// The name ended; in its tag, looking for `value`, `=` and a quote.
        case attribute
        /// Inside the quoted value.
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
    private var quote: UInt8 = 0
    /// A character reference being read in the value (`&#x2b;`), after its `&`.
    private var reference: CharacterReference?
    private var base64 = TransferDecoder(.base64)
    private var stream: ContentStream?
    private var charged = false
    let direction: Direction

    init(direction: Direction) { self.direction = direction }

    static let prefix: [UInt8] = Array("SAMLRe".utf8)
    static let valueName: [UInt8] = Array("value".utf8)
    static let response: [UInt8] = Array("SAMLResponse".utf8)
    static let request: [UInt8] = Array("SAMLRequest".utf8)

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
                attributeByte(bytes[i], ids: &ids, &context)
            case .value:
                i = valueBytes(bytes, from: i, &context)
                continue
            }
            previous = bytes[i]
            i += 1
        }
    }

    /// One more byte of a name being matched; after the whole name, a quote,
    /// a space, `/` or `>` must follow it.
    private mutating func nameByte(_ b: UInt8) {
        let needle = which == UInt8(ascii: "q") ? Self.request : Self.response
        if matched == needle.count {
            matched = 0
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") || isSpace(b) || b == UInt8(ascii: "/") || b == UInt8(ascii: ">") {
                state = .attribute
                sawEquals = false
            }
            return
        }
        if matched == Self.prefix.count && which == 0 {
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

    /// Looks for `value = "` (any letter case, spaces around `=`) before the tag ends.
    private mutating func attributeByte(_ b: UInt8, ids: inout UInt32, _ context: inout InspectionContext) {
        if b == UInt8(ascii: ">") {
            state = .name
            matched = 0
            return
        }
        if matched == 5 {
            if isSpace(b) { return }
            if !sawEquals && b == UInt8(ascii: "=") {
                sawEquals = true
                return
            }
            if sawEquals && (b == UInt8(ascii: "\"") || b == UInt8(ascii: "'")) {
                quote = b
                return startValue(ids: &ids, &context)
            }
            matched = 0
            sawEquals = false
        }
        let lower = b | 0x20
        if lower == Self.valueName[matched] && (matched > 0 || isSpace(previous)) {
            matched += 1
        } else {
            matched = lower == UInt8(ascii: "v") && isSpace(previous) ? 1 : 0
        }
    }

    private mutating func startValue(ids: inout UInt32, _ context: inout InspectionContext) {
        state = .value
        matched = 0
        reference = nil
        base64 = TransferDecoder(.base64)
        guard context.reserve(ContentStream.labelBytes) else { return }
        charged = true
        let name = which == UInt8(ascii: "q") ? Self.request : Self.response
        stream = ContentStream(kind: .samlMessage, direction: direction, id: ids, name: name[...])
        ids &+= 1
    }

    /// Decodes value bytes from `start` up to the closing quote; returns where it stopped.
    private mutating func valueBytes(_ bytes: UnsafeRawBufferPointer, from start: Int, _ context: inout InspectionContext) -> Int {
        var i = start
        while i < bytes.count {
            let b = bytes[i]
            if reference != nil {
                i += 1
                let (done, byte) = reference!.read(b)
                guard done else { continue }
                reference = nil
                if var byte { withUnsafeBytes(of: &byte) { decode($0, &context) } }
                continue
            }
            // A run of plain value bytes goes to the decoder at once.
            var end = i
            while end < bytes.count && bytes[end] != quote && bytes[end] != UInt8(ascii: "&") { end += 1 }
            if end > i { decode(UnsafeRawBufferPointer(rebasing: bytes[i..<end]), &context) }
            i = end
            guard i < bytes.count else { break }
            if bytes[i] == quote {
                endValue(complete: true, &context)
                previous = quote
                return i + 1
            }
            reference = CharacterReference()  // `&`
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

    private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d }
}

/// `&#NN;` or `&#xHH;` in an attribute value, read after its `&`: an ASCII
/// character is a byte of the value; anything else (a named reference, one
/// that is malformed or longer than 10 bytes) is dropped whole.
struct CharacterReference {
    private var length = 0
    private var hex = false
    private var value: UInt32 = 0
    private var numeric = true

    /// Reads one more byte: done at `;` (or past the longest reference),
    /// with the character when it is an ASCII one.
    mutating func read(_ b: UInt8) -> (done: Bool, byte: UInt8?) {
        length += 1
        if b == UInt8(ascii: ";") {
            let digits = length - (hex ? 3 : 2)
            return (true, numeric && digits > 0 && value < 0x80 ? UInt8(value) : nil)
        }
        guard length <= 10 else { return (true, nil) }
        if length == 1 {
            numeric = b == UInt8(ascii: "#")
        } else if length == 2 && (b == UInt8(ascii: "x") || b == UInt8(ascii: "X")) {
            hex = true
        } else if let d = digit(b) {
            value = value * (hex ? 16 : 10) + d
        } else {
            numeric = false
        }
        return (false, nil)
    }

    private func digit(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f") where hex: UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F") where hex: UInt32(b - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
