extension Probes {
    /// The client connection preface of HTTP/2 (RFC 9113 §3.4), which a
    /// client with prior knowledge (§3.3) sends first on a cleartext connection.
    static let http2Preface: StaticString = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

    /// HTTP/2 in clear with prior knowledge (gRPC between services, `curl
    /// --http2-prior-knowledge`): the whole 24-byte preface, so an HTTP/1
    /// request with a `PRI` method is not taken for it. (h2c reached by an
    /// HTTP/1.1 `Upgrade: h2c` is found by the HTTP analyzer instead.)
    static let http2 = AnalyzerDescriptor(
        name: "http2", app: .http2, portHints: [80, 8080, 50051],
        probeToServer: { bytes, _ in hasPrefix(bytes, http2Preface) },
        probeToClient: nil, transport: .tcp)
}
