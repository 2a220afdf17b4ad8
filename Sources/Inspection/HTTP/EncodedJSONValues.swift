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
/// `cookie-session`). That hop, proxy to application, is often plain HTTP,
/// and the raw scan sees only base64 there. Each such value is decoded and
/// delivered as an `http-header-value` stream named by its cookie or header.
///
/// A value is a run of base64 or base64url characters, at least `minRun`
/// long, starting as a JSON object does (`{"` is `eyJ`, `{ ` and `{\n` are
/// `eyA…`, `ewo…`), that decodes to text starting with `{`. A JWT's parts
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
            var end = e
            while end < value.count && isBase64(value[end]) { end += 1 }
            if end - e >= minRun && !isJWTPart(value, e, end) {
                let run = UnsafeRawBufferPointer(rebasing: value[e..<end])
                if let json = CleartextBase64.decode(run), isJSONObject(json) {
                    write(json, name: e > 0 && value[e - 1] == UInt8(ascii: "=") ? cookieName(value, before: e - 1) : name,
                          direction: direction, ids: &ids, context: &context)
                }
            }
            i = end
        }
    }

    static func isBase64(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }

    /// A JWT's header (followed by `.eyJ`) or payload (after `eyJ….`).
    static func isJWTPart(_ value: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        if end + 3 < value.count && value[end] == UInt8(ascii: ".") && value[end + 1] == UInt8(ascii: "e")
            && value[end + 2] == UInt8(ascii: "y") && value[end + 3] == UInt8(ascii: "J")
        {
            return true
        }
        guard start > 0 && value[start - 1] == UInt8(ascii: ".") else { return false }
        var before = start - 1
        while before > 0 && isBase64(value[before - 1]) { before -= 1 }
        return start - 1 - before >= 3 && value[before] == UInt8(ascii: "e") && value[before + 1] == UInt8(ascii: "y")
            && value[before + 2] == UInt8(ascii: "J")
    }

    /// Text whose first byte past white space is `{`, without control bytes
    /// (a random token that happens to start with `ey` decodes to binary).
    static func isJSONObject(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0a && $0 != 0x0d }),
            bytes[first] == UInt8(ascii: "{")
        else { return false }
        return !bytes.contains { $0 < 0x20 && $0 != 0x09 && $0 != 0x0a && $0 != 0x0d || $0 == 0x7f }
    }

    /// The `name` of `name=value` ending at `equals` (a cookie, a parameter).
    static func cookieName(_ value: UnsafeRawBufferPointer, before equals: Int) -> UnsafeRawBufferPointer {
        var start = equals
        while start > 0 && value[start - 1] != UInt8(ascii: ";") && value[start - 1] != UInt8(ascii: ",")
            && value[start - 1] != UInt8(ascii: " ")
        {
            start -= 1
        }
        return UnsafeRawBufferPointer(rebasing: value[start..<equals])
    }

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
