import Flows

/// MIME `Content-Transfer-Encoding` undone incrementally (RFC 2045 §6):
/// `base64` (§6.8) and `quoted-printable` (§6.7); anything else (7bit,
/// 8bit, binary) passes through in place. A base64 quantum or a `=XX`
/// escape split across chunks carries over in a few bits of state; the
/// output goes through a small stack buffer into the stream.
struct TransferDecoder {
    enum Encoding: UInt8 { case identity, base64, quotedPrintable }

    let encoding: Encoding
    /// base64: the bits of the quantum being read and how many sextets it has.
    private var quantum: UInt32 = 0
    private var sextets = 0
    /// quoted-printable: 0 plain; 1 after `=`; 2 after `=` and one hex digit; 3 after `=` CR.
    private var escape: UInt8 = 0
    private var high: UInt8 = 0

    init(_ encoding: Encoding) { self.encoding = encoding }

    /// Chunk of encoded input handled per stack buffer.
    static let slice = 1024

    mutating func decode(_ bytes: UnsafeRawBufferPointer, into stream: inout ContentStream, _ context: inout InspectionContext) {
        guard stream.open else { return }
        if encoding == .identity { return stream.write(bytes, &context) }
        // QP output is at most as long as its input; base64 is 3/4 of it.
        // +4: an escape begun in the previous slice may write 2 more bytes.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: TransferDecoder.slice + 4) { out in
            var start = 0
            while start < bytes.count && stream.open {
                let end = min(bytes.count, start + TransferDecoder.slice)
                let n = decode(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), into: out)
                stream.write(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(out)[..<n]), &context)
                start = end
            }
        }
    }

    /// Decodes `input` (at most `slice` bytes, base64 or quoted-printable)
    /// into `out` (room for `slice + 4`); returns the bytes written.
    mutating func decode(_ input: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        encoding == .base64 ? base64(input, out) : quotedPrintable(input, out)
    }

    /// Bytes outside the alphabet (line breaks, spaces, garbage) are ignored
    /// (§6.8); `=` ends a quantum early (padding). Values come from a table:
    /// a switch on the byte's range mispredicted a branch at most bytes of
    /// random-looking base64.
    private mutating func base64(_ input: UnsafeRawBufferPointer, _ out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        CleartextBase64.standardValues.withUnsafeBufferPointer { table in
            var n = 0
            var i = 0
            while i < input.count {
                // Four alphabet bytes starting a quantum are three bytes out
                // (a mail's 76-byte line is nineteen of them).
                if sextets == 0 && i + 4 <= input.count {
                    let a = table[Int(input[i])], b = table[Int(input[i + 1])]
                    let c = table[Int(input[i + 2])], d = table[Int(input[i + 3])]
                    if a | b | c | d < 64 {
                        let q = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                        out[n] = UInt8(truncatingIfNeeded: q >> 16)
                        out[n + 1] = UInt8(truncatingIfNeeded: q >> 8)
                        out[n + 2] = UInt8(truncatingIfNeeded: q)
                        n += 3
                        i += 4
                        continue
                    }
                }
                let byte = input[i]
                let v = table[Int(byte)]
                i += 1
                if v < 64 {
                    quantum = quantum << 6 | UInt32(v)
                    sextets += 1
                    if sextets == 4 {
                        out[n] = UInt8(truncatingIfNeeded: quantum >> 16)
                        out[n + 1] = UInt8(truncatingIfNeeded: quantum >> 8)
                        out[n + 2] = UInt8(truncatingIfNeeded: quantum)
                        n += 3
                        quantum = 0
                        sextets = 0
                    }
                } else if byte == UInt8(ascii: "=") {
                    // Padding: 2 sextets hold one byte, 3 hold two.
                    if sextets == 2 {
                        out[n] = UInt8(truncatingIfNeeded: quantum >> 4)
                        n += 1
                    } else if sextets == 3 {
                        out[n] = UInt8(truncatingIfNeeded: quantum >> 10)
                        out[n + 1] = UInt8(truncatingIfNeeded: quantum >> 2)
                        n += 2
                    }
                    quantum = 0
                    sextets = 0
                }
            }
            return n
        }
    }

    /// `=XX` is a byte, `=` at a line end a soft line break; an `=` followed
    /// by anything else is kept as it is (§6.7 note 1: be robust).
    private mutating func quotedPrintable(_ input: UnsafeRawBufferPointer, _ out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var n = 0
        for b in input {
            switch escape {
            case 1:
                if b == 0x0d {
                    escape = 3
                } else if b == 0x0a {
                    escape = 0  // soft line break (bare LF)
                } else if let h = hexValue(b) {
                    high = h
                    escape = 2
                } else {
                    out[n] = 0x3d  // a stray `=`, kept; this byte is read again below
                    n += 1
                    escape = 0
                    n = plain(b, out, n)
                }
            case 2:
                escape = 0
                if let l = hexValue(b) {
                    out[n] = high << 4 | l
                    n += 1
                } else {
                    // `=X` and a non-hex byte: kept as they were.
                    out[n] = 0x3d
                    out[n + 1] = hexDigit(high)
                    n = plain(b, out, n + 2)
                }
            case 3:
                escape = 0
                if b != 0x0a { n = plain(b, out, n) }  // `=` CR LF: soft line break
            default:
                n = plain(b, out, n)
            }
        }
        return n
    }

    private mutating func plain(_ b: UInt8, _ out: UnsafeMutableBufferPointer<UInt8>, _ n: Int) -> Int {
        if b == 0x3d {
            escape = 1
            return n
        }
        out[n] = b
        return n + 1
    }

    private func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    private func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x41 + v - 10 }
}

/// An `application/x-www-form-urlencoded` body (WHATWG URL §5.1) split into
/// its values, percent-decoded (`+` is a space), one stream per non-empty
/// value named by its field. The field name is kept (capped) across chunks.
/// A SAML message (`SAMLResponse`, `SAMLRequest`: `SAMLMessage`) is
/// base64-decoded as well, a `saml-message` stream; a `+` in it stays a `+`
/// (a client that builds the form by hand leaves base64's `+` unescaped, and
/// no space belongs in base64). One that starts with `<` is XML sent as it is,
/// not base64: it is delivered as decoded.
struct FormDecoder {
    private var name: [UInt8] = []
    private var inValue = false
    /// 0 plain; 1 after `%`; 2 after `%` and one hex digit.
    private var percent: UInt8 = 0
    private var high: UInt8 = 0
    private var value: ContentStream?
    /// Set while the value is a SAML message's base64.
    private var saml: TransferDecoder?
    /// The value is a SAML message's (base64, or XML sent as it is).
    private var isSAMLValue: Bool { value?.kind == .samlMessage }
    let direction: Direction

    init(direction: Direction) {
        self.direction = direction
        name.reserveCapacity(ContentLimits.maxLabel)
    }

    /// Bytes it keeps (the field name), charged by the owner.
    static let charge = ContentLimits.maxLabel + ContentStream.labelBytes

    mutating func read(_ bytes: UnsafeRawBufferPointer, ids: inout UInt32, _ context: inout InspectionContext) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: TransferDecoder.slice) { out in
            var n = 0
            for b in bytes {
                if b == UInt8(ascii: "&") {
                    flush(out, &n, &context)
                    endField(&context)
                    continue
                }
                guard inValue else {
                    if b == UInt8(ascii: "=") {
                        inValue = true
                        let isSAML = name.withUnsafeBytes { SAMLMessage.isFieldName($0) }
                        saml = isSAML ? TransferDecoder(.base64) : nil
                        value = ContentStream(
                            kind: isSAML ? .samlMessage : .httpFormValue, direction: direction, id: ids, name: name[...])
                        ids &+= 1
                    } else if name.count < ContentLimits.maxLabel {
                        name.append(b)
                    }
                    continue
                }
                if n + 2 >= out.count { flush(out, &n, &context) }
                switch percent {
                case 1:
                    if let h = FormDecoder.hex(b) {
                        high = h
                        percent = 2
                    } else {
                        out[n] = UInt8(ascii: "%")  // not an escape: kept as it is
                        n += 1
                        percent = 0
                        n = plain(b, out, n)
                    }
                case 2:
                    percent = 0
                    if let l = FormDecoder.hex(b) {
                        out[n] = high << 4 | l
                        n += 1
                    } else {
                        out[n] = UInt8(ascii: "%")
                        out[n + 1] = FormDecoder.hexDigit(high)
                        n = plain(b, out, n + 2)
                    }
                default:
                    n = plain(b, out, n)
                }
            }
            flush(out, &n, &context)
        }
    }

    private mutating func plain(_ b: UInt8, _ out: UnsafeMutableBufferPointer<UInt8>, _ n: Int) -> Int {
        if b == UInt8(ascii: "%") {
            percent = 1
            return n
        }
        out[n] = b == UInt8(ascii: "+") && !isSAMLValue ? 0x20 : b
        return n + 1
    }

    private mutating func flush(_ out: UnsafeMutableBufferPointer<UInt8>, _ n: inout Int, _ context: inout InspectionContext) {
        defer { n = 0 }
        guard n > 0, value != nil else { return }
        let bytes = UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(out)[..<n])
        if saml != nil && value!.offset == 0 && bytes[0] == UInt8(ascii: "<") { saml = nil }  // XML, not base64
        if saml != nil {
            saml!.decode(bytes, into: &value!, &context)
        } else {
            value!.write(bytes, &context)
        }
    }

    private mutating func endField(_ context: inout InspectionContext) {
        value?.finish(complete: true, &context)
        value = nil
        saml = nil
        name.removeAll(keepingCapacity: true)
        inValue = false
        percent = 0
    }

    /// The body ended (`complete`) or was cut: a trailing `%` is dropped.
    mutating func finish(complete: Bool, _ context: inout InspectionContext) {
        value?.finish(complete: complete, &context)
        value = nil
        saml = nil
        name = []
    }

    static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x41 + v - 10 }
}
