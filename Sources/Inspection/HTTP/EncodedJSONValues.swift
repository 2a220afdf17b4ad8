import Flows

#if canImport(Glibc)
    import Glibc
#endif

/// Header values that carry a JSON object in base64: what a reverse proxy
/// tells the application behind it about the signed-in user (Azure App
/// Service's `X-MS-CLIENT-PRINCIPAL`, Google Cloud Endpoints'
/// `X-Endpoint-API-UserInfo`, API Gateway's `X-Apigateway-Api-Userinfo`),
/// and session cookies that keep their data on the client, signed but not
/// encrypted (Flask's `session`, `payload.timestamp.signature`; Express's
/// `cookie-session`; Rails' signed cookies, `payload--digest`). That hop, proxy to application, is often plain HTTP,
/// and the raw scan sees only base64 there. Each such value is decoded and
/// delivered as an `http-header-value` stream named by its cookie or header
/// (or query parameter, in a `Location` or `Referer`). HTTP/2's pseudo-header
/// fields (`:path`) are not read, as HTTP/1's request line is not.
///
/// A value is a run of base64 or base64url characters, at least `minRun`
/// long, starting as a JSON object does (`{"` is `eyJ`, `{ ` and `{\n` are
/// `eyA…`, `ewo…`), that decodes to a JSON object's text. A JWT's parts
/// (`eyJ….eyJ….signature`) are not decoded: the JWT rule reports the token.
/// Runs are rare: a value is looked at byte by byte only from an `e` (memchr).
enum EncodedJSONValues {
    /// 16 characters: 12 bytes of JSON.
    static let minRun = 16

    /// Delivers each base64 JSON object of header `name`'s `value`.
    static func deliver(
        _ value: UnsafeRawBufferPointer, header name: UnsafeRawBufferPointer, direction: Direction, ids: inout UInt32,
        context: inout InspectionContext
    ) {
        guard value.count >= minRun, let base = value.baseAddress else { return }
        let lastStart = value.count - minRun
        var i = 0
        while i <= lastStart, let hit = memchr(base + i, Int32(UInt8(ascii: "e")), lastStart + 1 - i) {
            let e = base.distance(to: UnsafeRawPointer(hit))
            let next = value[e + 1]
            guard next == UInt8(ascii: "y") || next == UInt8(ascii: "w"), e == 0 || !isBase64(value[e - 1]) else {
                i = e + 1
                continue
            }
            // A run ends at `--` too: Rails signs a cookie as `base64--digest`.
            var end = e
            while end < value.count && isBase64(value[end])
                && !(value[end] == UInt8(ascii: "-") && end + 1 < value.count && value[end + 1] == UInt8(ascii: "-"))
            {
                end += 1
            }
            if end - e >= minRun && !isJWTPart(value, e, end) {
                let run = UnsafeRawBufferPointer(rebasing: value[e..<end])
                if let json = CleartextBase64.decode(run), isJSONObject(json) {
                    write(json, name: parameterName(value, before: e) ?? name, direction: direction, ids: &ids, context: &context)
                }
            }
            i = end
        }
    }

    /// The base64 and base64url alphabets (`CleartextBase64.values`).
    static func isBase64(_ b: UInt8) -> Bool { CleartextBase64.values[Int(b)] != 0xff }

    /// A JWT's header (followed by `.eyJ`) or payload (after `eyJ….`); a
    /// part may keep its `=` padding (AWS ALB's `x-amzn-oidc-data` does).
    static func isJWTPart(_ value: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        var after = end
        while after < value.count && value[after] == UInt8(ascii: "=") { after += 1 }
        if after + 3 < value.count && value[after] == UInt8(ascii: ".") && value[after + 1] == UInt8(ascii: "e")
            && value[after + 2] == UInt8(ascii: "y") && value[after + 3] == UInt8(ascii: "J")
        {
            return true
        }
        guard start > 0 && value[start - 1] == UInt8(ascii: ".") else { return false }
        var before = start - 1
        while before > 0 && value[before - 1] == UInt8(ascii: "=") { before -= 1 }
        let partEnd = before
        while before > 0 && isBase64(value[before - 1]) { before -= 1 }
        return partEnd - before >= 3 && value[before] == UInt8(ascii: "e") && value[before + 1] == UInt8(ascii: "y")
            && value[before + 2] == UInt8(ascii: "J")
    }

    /// UTF-8 text that reads as a JSON object: `{`, then a member's `"` (or
    /// `}`), ..., `}`, without control bytes. A word or an id that happens to
    /// start like one (`eyeglasses-store`, `ewr-7f3a…`) decodes to `{` and
    /// bytes that are none of that.
    static func isJSONObject(_ bytes: [UInt8]) -> Bool {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), bytes[first] == UInt8(ascii: "{"),
            let second = bytes[(first + 1)...].firstIndex(where: { !isSpace($0) }),
            bytes[second] == UInt8(ascii: "\"") || bytes[second] == UInt8(ascii: "}"),
            let last = bytes.lastIndex(where: { !isSpace($0) }), bytes[last] == UInt8(ascii: "}")
        else { return false }
        guard !bytes.contains(where: { $0 < 0x20 && !isSpace($0) || $0 == 0x7f }) else { return false }
        return String(validating: bytes, as: UTF8.self) != nil
    }

    /// The name of the `name=value` or `name="value"` pair (a cookie, a query
    /// parameter) whose value starts at `start`; nil when there is none.
    static func parameterName(_ value: UnsafeRawBufferPointer, before start: Int) -> UnsafeRawBufferPointer? {
        var equals = start - 1
        if equals > 0 && value[equals] == UInt8(ascii: "\"") { equals -= 1 }
        guard equals > 0 && value[equals] == UInt8(ascii: "=") else { return nil }
        var nameStart = equals
        while nameStart > 0 && !separators.contains(value[nameStart - 1]) { nameStart -= 1 }
        return nameStart < equals ? UnsafeRawBufferPointer(rebasing: value[nameStart..<equals]) : nil
    }

    /// What ends a cookie's or a parameter's name on its left.
    static let separators: [UInt8] = [";", ",", " ", "&", "?"].map { UInt8(ascii: $0) }

    static func write(
        _ json: [UInt8], name: UnsafeRawBufferPointer, direction: Direction, ids: inout UInt32, context: inout InspectionContext
    ) {
        guard context.reserve(ContentStream.labelBytes) else { return }
        var stream = ContentStream(kind: .httpHeaderValue, direction: direction, id: ids, name: ArraySlice(name))
        ids &+= 1
        json.withUnsafeBytes { stream.write($0, &context) }
        stream.finish(complete: true, &context)
        context.release(ContentStream.labelBytes)
    }
}
