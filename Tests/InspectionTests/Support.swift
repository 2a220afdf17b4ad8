import Testing
@testable import Decoding
@testable import Flows
@testable import Inspection
import TestSupport

// MARK: - Deterministic randomness


// MARK: - Bytes

/// The UTF-8 bytes of `text`, exactly (no terminator).
func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

/// `n` bytes counting up from `start`, so a shifted byte shows.
func counting(_ n: Int, from start: UInt8 = 0) -> [UInt8] {
    (0..<n).map { UInt8(truncatingIfNeeded: Int(start) + $0) }
}

/// Big-endian 16-bit length.
func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
/// Big-endian 24-bit length.
func be24(_ v: Int) -> [UInt8] { [UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

// MARK: - Samples (first bytes of real-looking conversations)

enum Sample {
    /// A TLS 1.3 ClientHello as browsers send it: record header with legacy
    /// version 3.1, handshake type 1, version 3.3, random, a 32-byte session
    /// id, three suites, null compression, SNI `example.com` and
    /// supported_versions (TLS 1.3, 1.2).
    static let clientHello: [UInt8] = {
        let sni: [UInt8] = [0x00, 0x00] + be16(16) + be16(14) + [0x00] + be16(11) + ascii("example.com")
        let versions: [UInt8] = [0x00, 0x2b] + be16(5) + [0x04, 0x03, 0x04, 0x03, 0x03]
        let extensions = sni + versions
        var body: [UInt8] = [0x03, 0x03] + counting(32, from: 0xa0)  // client_version, random
        body += [0x20] + counting(32, from: 0x40)  // session id
        body += be16(6) + [0x13, 0x01, 0x13, 0x02, 0xc0, 0x2f]  // cipher suites
        body += [0x01, 0x00]  // compression methods: null
        body += be16(extensions.count) + extensions
        let handshake: [UInt8] = [0x01] + be24(body.count) + body
        return [0x16, 0x03, 0x01] + be16(handshake.count) + handshake
    }()

    /// A TLS 1.2 ServerHello (record version 3.3, handshake type 2).
    static let serverHello: [UInt8] = {
        let renegotiation: [UInt8] = [0xff, 0x01, 0x00, 0x01, 0x00]
        var body: [UInt8] = [0x03, 0x03] + counting(32, from: 0x10)
        body += [0x20] + counting(32, from: 0x60)
        body += [0xc0, 0x2f, 0x00]  // cipher suite, compression
        body += be16(renegotiation.count) + renegotiation
        let handshake: [UInt8] = [0x02] + be24(body.count) + body
        return [0x16, 0x03, 0x03] + be16(handshake.count) + handshake
    }()

    /// An SSLv2-format ClientHello offering TLS 1.0: 2-byte length 0x802e
    /// (46), message type 1, version 3.1, 21 bytes of cipher specs (7 x 3),
    /// no session id, a 16-byte challenge.
    static let sslv2ClientHello: [UInt8] = {
        let specs: [UInt8] = [
            0x00, 0x00, 0x39, 0x00, 0x00, 0x38, 0x00, 0x00, 0x35, 0x00, 0x00, 0x16, 0x00, 0x00, 0x13,
            0x00, 0x00, 0x0a, 0x07, 0x00, 0xc0,
        ]
        let body: [UInt8] = [0x01, 0x03, 0x01] + be16(specs.count) + be16(0) + be16(16) + specs + counting(16, from: 0x70)
        return [0x80 | UInt8(body.count >> 8), UInt8(body.count & 0xff)] + body
    }()

    /// A TLS 1.2/1.3 application-data record seen mid-stream (32 bytes of ciphertext).
    static let applicationData: [UInt8] = [0x17, 0x03, 0x03, 0x00, 0x20] + counting(32, from: 0x91)

    /// A fatal handshake_failure alert.
    static let alert: [UInt8] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]

    /// ChangeCipherSpec, as TLS 1.3 middlebox compatibility sends it.
    static let changeCipherSpec: [UInt8] = [0x14, 0x03, 0x03, 0x00, 0x01, 0x01]

    static let sshBanner = ascii("SSH-2.0-OpenSSH_9.2\r\n")
    static let sshClientBanner = ascii("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n")
    static let httpGet = ascii("GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\n\r\n")
    static let httpResponse = ascii("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello")
    static let smtpGreeting = ascii("220 mail.example.com ESMTP Postfix\r\n")
    static let smtpHostOnlyGreeting = ascii("220 host\r\n")
    static let ehlo = ascii("EHLO x\r\n")
    static let ftpGreeting = ascii("220 ProFTPD Server\r\n")
    static let ftpReadyGreeting = ascii("220 ready\r\n")
    static let authTLS = ascii("AUTH TLS\r\n")
    static let pop3Greeting = ascii("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n")
    static let imapGreeting = ascii("* OK IMAP4rev1 Service Ready\r\n")
    static let imapPreauth = ascii("* PREAUTH IMAP4rev1 server logged in as Smith\r\n")
    /// Server: IAC DO TERMINAL-TYPE, IAC DO TERMINAL-SPEED, IAC DO X-DISPLAY-LOCATION, IAC DO NEW-ENVIRON.
    static let telnetServer: [UInt8] = [0xff, 0xfd, 0x18, 0xff, 0xfd, 0x20, 0xff, 0xfd, 0x23, 0xff, 0xfd, 0x27]
    /// Client: IAC WILL TERMINAL-TYPE, IAC WILL NAWS.
    static let telnetClient: [UInt8] = [0xff, 0xfb, 0x18, 0xff, 0xfb, 0x1f]

    /// A standard query for `example.com` A IN (RFC 1035 §4.1).
    static let dnsQuery: [UInt8] =
        [0x12, 0x34, 0x01, 0x00] + be16(1) + be16(0) + be16(0) + be16(0)
        + [7] + ascii("example") + [3] + ascii("com") + [0] + be16(1) + be16(1)

    /// The response: same question, one A record using a compression pointer to the name.
    static let dnsResponse: [UInt8] =
        [0x12, 0x34, 0x81, 0x80] + be16(1) + be16(1) + be16(0) + be16(0)
        + [7] + ascii("example") + [3] + ascii("com") + [0] + be16(1) + be16(1)
        + [0xc0, 0x0c] + be16(1) + be16(1) + [0x00, 0x00, 0x0e, 0x10] + be16(4) + [93, 184, 215, 14]

    /// An NTPv4 client request (48 bytes): not DNS.
    static let ntpRequest: [UInt8] = [0x23, 0x00, 0x06, 0xec] + [UInt8](repeating: 0, count: 36) + counting(8, from: 0xe9)
}

// MARK: - Driving probes and the identifier

/// Runs one probe closure on `bytes`.
func run(
    _ probe: (@Sendable (UnsafeRawBufferPointer, UInt16) -> ProbeResult)?, _ bytes: [UInt8], port: UInt16
) -> ProbeResult? {
    guard let probe else { return nil }
    return bytes.withUnsafeBytes { probe($0, port) }
}

/// The state of an identifier that tests compare between chunkings.
struct IdentifierOutcome: Equatable, CustomStringConvertible {
    var app: AppProtocol
    var toServerDecided: Bool
    var toClientDecided: Bool
    var isDone: Bool

    init(_ id: AppIdentifier) {
        app = id.app
        toServerDecided = id.isDecided(.toServer)
        toClientDecided = id.isDecided(.toClient)
        isDone = id.isDone
    }

    var description: String {
        "\(app) (decided: to_server \(toServerDecided), to_client \(toClientDecided); done \(isDone))"
    }
}

/// Feeds `chunks` in `direction` as consecutive stream offsets; returns the
/// verdict of each call.
@discardableResult
func feed(_ id: inout AppIdentifier, _ chunks: [[UInt8]], _ direction: Direction, from start: UInt64 = 0) -> [AnalyzerVerdict] {
    var offset = start
    var verdicts: [AnalyzerVerdict] = []
    for chunk in chunks {
        verdicts.append(chunk.withUnsafeBytes { id.ingest($0, direction: direction, offset: offset) })
        offset += UInt64(chunk.count)
    }
    return verdicts
}

/// Identifies `chunks` sent in one direction of a fresh flow.
func identify(
    _ chunks: [[UInt8]], _ direction: Direction, port: UInt16, transport: TransportProtocol = .tcp
) -> AppIdentifier {
    var id = AppIdentifier(serverPort: port, transport: transport)
    feed(&id, chunks, direction)
    return id
}

/// `bytes` split into two chunks at `i` (0 < i < count).
func split(_ bytes: [UInt8], at i: Int) -> [[UInt8]] { [Array(bytes[..<i]), Array(bytes[i...])] }
