extension Probes {
    /// RFC 9110 methods, PATCH, and WebDAV's (RFC 4918, RFC 3253, RFC 5323):
    /// WebDAV shares are a common place for NTLM and Basic logins in clear.
    static let httpMethods: [StaticString] = [
        "GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ",
        "PROPFIND ", "PROPPATCH ", "MKCOL ", "COPY ", "MOVE ", "LOCK ", "UNLOCK ", "REPORT ", "SEARCH ",
    ]

    /// HTTP/1.x: a request line starting with a method and a space, or a
    /// status line starting with `HTTP/1.`.
    static let http = AnalyzerDescriptor(
        name: "http", app: .http, portHints: [80, 8000, 8008, 8080, 3000],
        probeToServer: { bytes, _ in hasAnyPrefix(bytes, httpMethods) },
        probeToClient: { bytes, _ in hasPrefix(bytes, "HTTP/1.") },
        transport: .tcp)
}
