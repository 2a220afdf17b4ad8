import TestSupport
import Testing
@testable import Decoding
@testable import Flows
@testable import Inspection

/// One direction's first bytes and what they identify.
struct Case: CustomStringConvertible, Sendable {
    var name: String
    var bytes: [UInt8]
    var direction: Direction
    var port: UInt16
    var expected: AppProtocol
    var description: String { "\(name) \(direction == .toServer ? "to server" : "to client") port \(port)" }
}

/// The samples of ProbeTests as the first bytes of a TCP direction.
let tcpCases: [Case] = [
    Case(name: "TLS ClientHello", bytes: Sample.clientHello, direction: .toServer, port: 443, expected: .tls),
    Case(name: "TLS ClientHello", bytes: Sample.clientHello, direction: .toServer, port: 8443, expected: .tls),
    Case(name: "TLS ServerHello", bytes: Sample.serverHello, direction: .toClient, port: 443, expected: .tls),
    Case(name: "SSLv2 ClientHello", bytes: Sample.sslv2ClientHello, direction: .toServer, port: 443, expected: .tls),
    Case(name: "TLS app data", bytes: Sample.applicationData, direction: .toServer, port: 443, expected: .tls),
    Case(name: "TLS app data", bytes: Sample.applicationData, direction: .toClient, port: 993, expected: .tls),
    Case(name: "TLS alert", bytes: Sample.alert, direction: .toServer, port: 443, expected: .tls),
    Case(name: "TLS alert", bytes: Sample.alert, direction: .toClient, port: 443, expected: .tls),
    Case(name: "16 04 ...", bytes: [0x16, 0x04, 0x01, 0x00, 0x20, 0x01, 0x00, 0x00], direction: .toServer, port: 443,
         expected: .unknown),
    Case(name: "17 03 03 len 0", bytes: [0x17, 0x03, 0x03, 0x00, 0x00, 0x41, 0x42], direction: .toClient, port: 443,
         expected: .unknown),
    Case(name: "17 03 03 len 18433", bytes: [0x17, 0x03, 0x03, 0x48, 0x01, 0x00, 0x00], direction: .toClient,
         port: 443, expected: .unknown),
    Case(name: "SSH server", bytes: Sample.sshBanner, direction: .toClient, port: 22, expected: .ssh),
    Case(name: "SSH client", bytes: Sample.sshClientBanner, direction: .toServer, port: 2222, expected: .ssh),
    Case(name: "HTTP GET", bytes: Sample.httpGet, direction: .toServer, port: 80, expected: .http),
    Case(name: "HTTP POST", bytes: ascii("POST /api HTTP/1.1\r\nHost: a\r\n\r\n"), direction: .toServer, port: 8080,
         expected: .http),
    Case(name: "HTTP 200", bytes: Sample.httpResponse, direction: .toClient, port: 80, expected: .http),
    Case(name: "Elasticsearch bulk", bytes: ascii("POST /logs-2026.12/_bulk HTTP/1.1\r\nHost: es\r\n\r\n"),
         direction: .toServer, port: 9200, expected: .elasticsearch),
    Case(name: "Elasticsearch cluster health", bytes: ascii("GET /_cluster/health HTTP/1.1\r\n\r\n"),
         direction: .toServer, port: 31000, expected: .elasticsearch),
    Case(name: "Elasticsearch search with query", bytes: ascii("GET /orders/_search?q=user:kim HTTP/1.1\r\n\r\n"),
         direction: .toServer, port: 9200, expected: .elasticsearch),
    Case(name: "OpenSearch plugin API", bytes: ascii("GET /_plugins/_security/api/account HTTP/1.1\r\n\r\n"),
         direction: .toServer, port: 9200, expected: .elasticsearch),
    Case(name: "HTTP root on 9200", bytes: ascii("GET / HTTP/1.1\r\nHost: es\r\n\r\n"), direction: .toServer,
         port: 9200, expected: .http),
    Case(name: "HTTP underscore path that is no API", bytes: ascii("GET /_next/static/app.js HTTP/1.1\r\n\r\n"),
         direction: .toServer, port: 80, expected: .http),
    Case(name: "HTTP API word inside a longer segment", bytes: ascii("GET /a/_searching HTTP/1.1\r\n\r\n"),
         direction: .toServer, port: 9200, expected: .http),
    Case(name: "HTTP with the API word past the probe budget",
         bytes: ascii("GET /" + String(repeating: "x", count: 70) + "/_search HTTP/1.1\r\n\r\n"), direction: .toServer,
         port: 9200, expected: .http),
    Case(name: "WebDAV MKCOL", bytes: ascii("MKCOL /webdav HTTP/1.1\r\nHost: a\r\n\r\n"), direction: .toServer, port: 8080,
         expected: .http),
    Case(name: "SMTP greeting", bytes: Sample.smtpGreeting, direction: .toClient, port: 2526, expected: .smtp),
    Case(name: "SMTP greeting", bytes: Sample.smtpGreeting, direction: .toClient, port: 25, expected: .smtp),
    Case(name: "220 host", bytes: Sample.smtpHostOnlyGreeting, direction: .toClient, port: 587, expected: .smtp),
    Case(name: "220 host", bytes: Sample.smtpHostOnlyGreeting, direction: .toClient, port: 8025, expected: .unknown),
    Case(name: "EHLO", bytes: Sample.ehlo, direction: .toServer, port: 25, expected: .smtp),
    Case(name: "EHLO", bytes: Sample.ehlo, direction: .toServer, port: 10025, expected: .smtp),
    Case(name: "FTP greeting", bytes: Sample.ftpGreeting, direction: .toClient, port: 21, expected: .ftp),
    Case(name: "FTP greeting", bytes: Sample.ftpGreeting, direction: .toClient, port: 2121, expected: .ftp),
    Case(name: "220 ready", bytes: Sample.ftpReadyGreeting, direction: .toClient, port: 21, expected: .ftp),
    Case(name: "220 ready", bytes: Sample.ftpReadyGreeting, direction: .toClient, port: 2121, expected: .unknown),
    Case(name: "AUTH TLS", bytes: Sample.authTLS, direction: .toServer, port: 21, expected: .ftp),
    Case(name: "POP3", bytes: Sample.pop3Greeting, direction: .toClient, port: 110, expected: .pop3),
    Case(name: "IMAP OK", bytes: Sample.imapGreeting, direction: .toClient, port: 143, expected: .imap),
    Case(name: "IMAP PREAUTH", bytes: Sample.imapPreauth, direction: .toClient, port: 1143, expected: .imap),
    Case(name: "Telnet server", bytes: Sample.telnetServer, direction: .toClient, port: 23, expected: .telnet),
    Case(name: "Telnet client", bytes: Sample.telnetClient, direction: .toServer, port: 2323, expected: .telnet),
    Case(name: "DNS query on TCP", bytes: Sample.dnsQuery, direction: .toServer, port: 53, expected: .unknown),
    // syslog over TCP as rsyslog 8.2302 and util-linux logger send it (RFC 6587 framings, RELP).
    Case(name: "syslog octet counting", bytes: SyslogSample.octetCounted, direction: .toServer, port: 16601,
         expected: .syslog),
    Case(name: "syslog LF framing, RFC 3164", bytes: SyslogSample.bsdLine, direction: .toServer, port: 16601,
         expected: .syslog),
    Case(name: "syslog LF framing, no header on 514", bytes: ascii("<13>vm app: text\n"), direction: .toServer,
         port: 514, expected: .syslog),
    Case(name: "syslog LF framing, no header elsewhere", bytes: ascii("<13>vm app: text\n"), direction: .toServer,
         port: 5140, expected: .unknown),
    Case(name: "RELP open", bytes: SyslogSample.relpOpen, direction: .toServer, port: 2514, expected: .syslog),
    Case(name: "RELP-like open of another version key", bytes: ascii("1 open 10 version=0\n\n"), direction: .toServer,
         port: 2514, expected: .unknown),
    Case(name: "a count before no message", bytes: ascii("118 <html>\n"), direction: .toServer, port: 601,
         expected: .unknown),
]

@Suite("AppIdentifier")
struct AppIdentifierTests {
    // MARK: Identification per direction

    @Test(arguments: tcpCases)
    func firstBytesOfOneDirectionIdentify(_ c: Case) {
        var id = AppIdentifier(serverPort: c.port, transport: .tcp)
        let verdict = c.bytes.withUnsafeBytes { id.ingest($0, direction: c.direction, offset: 0) }
        #expect(id.app == c.expected)
        if c.expected != .unknown {
            #expect(verdict == .done)
            #expect(id.isDone)
        } else {
            // One direction said no; the other may still speak.
            #expect(verdict == .needMore)
            #expect(id.isDecided(c.direction))
            #expect(!id.isDone)
        }
    }

    @Test func greetingIdentifiesWhenTheServerSpokeFirst() {
        var id = AppIdentifier(serverPort: 110, transport: .tcp)
        // POP3 clients say nothing POP3-specific; the greeting decides.
        let v = feed(&id, [Sample.pop3Greeting], .toClient)
        #expect(v == [.done])
        #expect(id.app == .pop3)
        feed(&id, [ascii("USER alice\r\n")], .toServer)
        #expect(id.app == .pop3)
    }

    static let greetings: [([UInt8], UInt16)] = [
        (Sample.pop3Greeting, 110), (Sample.imapGreeting, 143), (Sample.smtpGreeting, 25), (Sample.ftpGreeting, 21),
        (ascii("+OK\r\n"), 6379),
    ]

    @Test(arguments: greetings)
    func greetingAfterTheClientSpokeIsNotAGreeting(reply: [UInt8], port: UInt16) {
        // A server's `+OK` (or a greeting-like line) answering a client that
        // spoke first (here a line no probe knows) is not a greeting.
        var id = AppIdentifier(serverPort: port, transport: .tcp)
        feed(&id, [ascii("xyzzy\r\n")], .toServer)
        #expect(id.isDecided(.toServer))
        let v = feed(&id, [reply], .toClient)
        #expect(v == [.done])
        #expect(id.app == .unknown)
    }

    @Test func clientGapBeforeTheServerSpokeCountsAsTheClientSpeaking() {
        var id = AppIdentifier(serverPort: 110, transport: .tcp)
        _ = id.gap(direction: .toServer, offset: 0, length: 20)
        feed(&id, [Sample.pop3Greeting], .toClient)
        #expect(id.app == .unknown)
    }

    @Test func clientSpeakingAfterAPartialGreetingDoesNotUndoIt() {
        var id = AppIdentifier(serverPort: 2526, transport: .tcp)
        feed(&id, [ascii("220 mail.exa")], .toClient)
        feed(&id, [ascii("NOOP?\r\n")], .toServer)
        #expect(id.isDecided(.toServer))
        feed(&id, [ascii("mple.com ESMTP Postfix\r\n")], .toClient, from: 12)
        #expect(id.app == .smtp)
    }

    @Test func serverAnswersStillIdentifyAfterTheClientSpoke() {
        for (reply, port, expected) in [
            (Sample.sshBanner, UInt16(22), AppProtocol.ssh), (Sample.httpResponse, 80, .http),
            (Sample.serverHello, 443, .tls), (Sample.telnetServer, 23, .telnet),
        ] {
            var id = AppIdentifier(serverPort: port, transport: .tcp)
            feed(&id, [ascii("xyzzy\r\n")], .toServer)
            feed(&id, [reply], .toClient)
            #expect(id.app == expected)
        }
    }

    @Test func emptyChunkFromTheClientIsNotSpeaking() {
        var id = AppIdentifier(serverPort: 110, transport: .tcp)
        feed(&id, [[]], .toServer)
        feed(&id, [Sample.pop3Greeting], .toClient)
        #expect(id.app == .pop3)
    }

    @Test func clientFirstBytesIdentifyWithoutTheServer() {
        var id = AppIdentifier(serverPort: 443, transport: .tcp)
        let verdicts = feed(&id, [Sample.clientHello], .toServer)
        #expect(verdicts == [.done])
        #expect(id.app == .tls)
        // Later bytes change nothing.
        let later = feed(&id, [Sample.sshBanner], .toClient)
        #expect(later == [.done])
        #expect(id.app == .tls)
    }

    @Test func eitherDirectionFirstGivesTheSameApp() {
        for (client, server, port, expected) in [
            (Sample.clientHello, Sample.serverHello, UInt16(443), AppProtocol.tls),
            (Sample.sshClientBanner, Sample.sshBanner, 22, .ssh),
            (Sample.httpGet, Sample.httpResponse, 80, .http),
            (Sample.ehlo, Sample.smtpGreeting, 25, .smtp),
        ] {
            var a = AppIdentifier(serverPort: port, transport: .tcp)
            feed(&a, [client], .toServer)
            feed(&a, [server], .toClient)
            var b = AppIdentifier(serverPort: port, transport: .tcp)
            feed(&b, [server], .toClient)
            feed(&b, [client], .toServer)
            #expect(a.app == expected)
            #expect(b.app == expected)
        }
    }

    // MARK: Segmentation does not change the result

    @Test(arguments: tcpCases)
    func splitAtEveryPositionIdentifiesAsWhole(_ c: Case) {
        let whole = IdentifierOutcome(identify([c.bytes], c.direction, port: c.port))
        #expect(whole.app == c.expected)
        for i in 1..<c.bytes.count {
            let chunked = IdentifierOutcome(identify(split(c.bytes, at: i), c.direction, port: c.port))
            #expect(chunked == whole, "split at \(i)")
        }
    }

    @Test(arguments: tcpCases)
    func oneByteThenTheRestIdentifiesAsWhole(_ c: Case) {
        let whole = IdentifierOutcome(identify([c.bytes], c.direction, port: c.port))
        let chunked = IdentifierOutcome(identify([[c.bytes[0]], Array(c.bytes.dropFirst())], c.direction, port: c.port))
        #expect(chunked == whole)
    }

    @Test(arguments: tcpCases)
    func byteByByteIdentifiesAsWhole(_ c: Case) {
        let whole = IdentifierOutcome(identify([c.bytes], c.direction, port: c.port))
        let chunked = IdentifierOutcome(identify(c.bytes.map { [$0] }, c.direction, port: c.port))
        #expect(chunked == whole)
    }

    @Test(arguments: tcpCases)
    func splitIntoThreeChunksIdentifiesAsWhole(_ c: Case) {
        let whole = IdentifierOutcome(identify([c.bytes], c.direction, port: c.port))
        let n = min(c.bytes.count, AppIdentifier.maxProbeBytes)
        for i in 1..<n {
            for j in (i + 1)..<max(i + 2, n) where j < c.bytes.count {
                let chunks = [Array(c.bytes[..<i]), Array(c.bytes[i..<j]), Array(c.bytes[j...])]
                #expect(IdentifierOutcome(identify(chunks, c.direction, port: c.port)) == whole, "split at \(i), \(j)")
            }
        }
    }

    @Test func greetingSplitAfterTheReplyCodeIsStillIdentified() {
        // Regression of the fuzz find: "220 " alone used to decide the direction.
        for (greeting, port, expected) in [
            (Sample.smtpGreeting, UInt16(2526), AppProtocol.smtp),
            (Sample.ftpGreeting, 2121, .ftp),
            (ascii("220 pyftpdlib 1.5.7 ready.\r\n"), 12121, .ftp),
        ] {
            var id = AppIdentifier(serverPort: port, transport: .tcp)
            let first = feed(&id, [ascii("220 ")], .toClient)
            #expect(first == [.needMore])
            #expect(!id.isDecided(.toClient))
            #expect(id.app == .unknown)
            let rest = feed(&id, [Array(greeting.dropFirst(4))], .toClient, from: 4)
            #expect(rest == [.done])
            #expect(id.app == expected)
        }
    }

    /// "220 mail.example.com ESMTP Postfix" on port 21: whole, SMTP's probe
    /// (first in the registry) matches; split after "220 ", SMTP asks for
    /// more while FTP already matches on the port, and the later probe wins.
    @Test
    func earlierProbeStillUndecidedIsNotOvertakenByALaterMatch() {
        let whole = identify([Sample.smtpGreeting], .toClient, port: 21)
        #expect(whole.app == .smtp)
        for i in 1..<Sample.smtpGreeting.count {
            let chunked = identify(split(Sample.smtpGreeting, at: i), .toClient, port: 21)
            #expect(chunked.app == whole.app, "split at \(i)")
        }
    }

    // MARK: The probe prefix is bounded

    @Test func aDirectionThatNeverDecidesStopsAfterMaxProbeBytes() {
        // A 220 line that goes on without a newline, on a port that is no hint:
        // SMTP and FTP keep asking for the rest of the line.
        let line = ascii("220 ") + [UInt8](repeating: UInt8(ascii: "a"), count: 200) + ascii(" ESMTP\r\n")
        var id = AppIdentifier(serverPort: 2526, transport: .tcp)
        var offset: UInt64 = 0
        for (i, byte) in line.enumerated() {
            _ = [byte].withUnsafeBytes { id.ingest($0, direction: .toClient, offset: offset) }
            offset += 1
            #expect(id.prefix.toClient.count <= AppIdentifier.maxProbeBytes)
            if i + 1 < AppIdentifier.maxProbeBytes {
                #expect(!id.isDecided(.toClient), "decided after \(i + 1) bytes")
            } else {
                #expect(id.isDecided(.toClient), "undecided after \(i + 1) bytes")
            }
        }
        #expect(id.app == .unknown)
        #expect(id.prefix.toClient.isEmpty)
        #expect(!id.isDone)
    }

    @Test func prefixCapHoldsForLargeSecondChunks() {
        var id = AppIdentifier(serverPort: 2526, transport: .tcp)
        feed(&id, [ascii("220 "), [UInt8](repeating: UInt8(ascii: "b"), count: 5000)], .toClient)
        #expect(id.isDecided(.toClient))
        #expect(id.prefix.toClient.isEmpty)
        #expect(id.app == .unknown)
    }

    @Test func prefixIsReleasedOnceIdentified() {
        var id = AppIdentifier(serverPort: 22, transport: .tcp)
        feed(&id, [ascii("SS"), ascii("H-2.0-x\r\n")], .toClient)
        #expect(id.app == .ssh)
        #expect(id.prefix.toServer.isEmpty && id.prefix.toClient.isEmpty)
    }

    // MARK: Gaps, ends, no-match

    @Test func gapAtTheStartMakesThatDirectionUndecidedFinal() {
        var id = AppIdentifier(serverPort: 22, transport: .tcp)
        let verdict = id.gap(direction: .toClient, offset: 0, length: 1460)
        #expect(verdict == .needMore)
        #expect(id.isDecided(.toClient))
        // What follows the gap is not the start of the stream: not probed.
        feed(&id, [Sample.sshBanner], .toClient, from: 1460)
        #expect(id.app == .unknown)
        // The other direction still identifies.
        let v = feed(&id, [Sample.sshClientBanner], .toServer)
        #expect(v == [.done])
        #expect(id.app == .ssh)
    }

    @Test func gapAfterAPartialGreetingEndsThatDirection() {
        var id = AppIdentifier(serverPort: 2526, transport: .tcp)
        feed(&id, [ascii("220 mail")], .toClient)
        #expect(!id.isDecided(.toClient))
        _ = id.gap(direction: .toClient, offset: 8, length: 100)
        #expect(id.isDecided(.toClient))
        #expect(id.prefix.toClient.isEmpty)
        feed(&id, [ascii(" ESMTP\r\n")], .toClient, from: 108)
        #expect(id.app == .unknown)
    }

    @Test func gapsInBothDirectionsAreDone() {
        var id = AppIdentifier(serverPort: 443, transport: .tcp)
        #expect(id.gap(direction: .toServer, offset: 0, length: 10) == .needMore)
        #expect(id.gap(direction: .toClient, offset: 0, length: 10) == .done)
        #expect(id.isDone)
        #expect(id.app == .unknown)
    }

    @Test func bothDirectionsWithoutAMatchAreDoneAsUnknown() {
        var id = AppIdentifier(serverPort: 5000, transport: .tcp)
        let a = feed(&id, [ascii("hello there\r\n")], .toServer)
        #expect(a == [.needMore])
        let b = feed(&id, [counting(40, from: 0x30)], .toClient)
        #expect(b == [.done])
        #expect(id.isDone)
        #expect(id.app == .unknown)
        // Nothing changes it afterwards.
        let c = feed(&id, [Sample.sshBanner], .toClient, from: 40)
        #expect(c == [.done])
        #expect(id.app == .unknown)
    }

    @Test func endOfADirectionBeforeItDecidedIsFinal() {
        var id = AppIdentifier(serverPort: 2526, transport: .tcp)
        feed(&id, [ascii("220 mail")], .toClient)
        id.end(direction: .toClient)
        #expect(id.isDecided(.toClient))
        #expect(id.prefix.toClient.isEmpty)
        id.end(direction: .toServer)
        #expect(id.isDone)
        #expect(id.app == .unknown)
    }

    @Test func emptyChunksChangeNothing() {
        var id = AppIdentifier(serverPort: 443, transport: .tcp)
        let v = feed(&id, [[], [0x16], [], Array(Sample.clientHello.dropFirst())], .toServer)
        #expect(v == [.needMore, .needMore, .needMore, .done])
        #expect(id.app == .tls)
    }

    // MARK: Transport selects the probes

    @Test func udpDatagramsAreProbedWithUDPProbesOnly() {
        for port: UInt16 in [53, 5300] {
            var id = AppIdentifier(serverPort: port, transport: .udp)
            #expect(feed(&id, [Sample.dnsQuery], .toServer) == [.done], "port \(port)")
            #expect(id.app == .dns)
            var r = AppIdentifier(serverPort: port, transport: .udp)
            #expect(feed(&r, [Sample.dnsResponse], .toClient) == [.done], "port \(port)")
            #expect(r.app == .dns)
        }
        // TCP protocols' first bytes in UDP datagrams are not identified.
        for bytes in [Sample.sshBanner, Sample.httpGet, Sample.clientHello, Sample.telnetClient] {
            let id = identify([bytes], .toServer, port: 22, transport: .udp)
            #expect(id.app == .unknown)
            #expect(id.isDecided(.toServer))
        }
        #expect(AppIdentifier(serverPort: 53, transport: .udp).descriptors.allSatisfy { $0.transport == .udp })
    }

    @Test func nonDNSUDPIsUnknown() {
        var id = AppIdentifier(serverPort: 123, transport: .udp)
        feed(&id, [Sample.ntpRequest], .toServer)
        feed(&id, [Sample.ntpRequest], .toClient)
        #expect(id.isDone)
        #expect(id.app == .unknown)
    }

    @Test func dnsBytesOnTCPAreNotDNS() {
        var id = AppIdentifier(serverPort: 53, transport: .tcp)
        feed(&id, [Sample.dnsQuery], .toServer)
        feed(&id, [Sample.dnsResponse], .toClient)
        #expect(id.app != .dns)
        #expect(id.app == .unknown)
        #expect(AppIdentifier(serverPort: 53, transport: .tcp).descriptors.allSatisfy { $0.transport == .tcp })
    }
}
