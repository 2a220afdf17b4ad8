import Testing
@testable import Decoding
@testable import Flows
@testable import Inspection

/// Each probe on the first bytes of real-looking conversations, one
/// direction at a time, straight through the descriptor's closures.
@Suite("Probes")
struct ProbeTests {
    // MARK: TLS

    @Test func sampleRecordsAreByteExact() {
        // The record length fields say exactly what follows.
        let ch = Sample.clientHello
        #expect(Array(ch[0..<3]) == [0x16, 0x03, 0x01])
        #expect(Int(ch[3]) << 8 | Int(ch[4]) == ch.count - 5)
        #expect(ch[5] == 0x01)
        #expect(Int(ch[6]) << 16 | Int(ch[7]) << 8 | Int(ch[8]) == ch.count - 9)
        let sh = Sample.serverHello
        #expect(Int(sh[3]) << 8 | Int(sh[4]) == sh.count - 5)
        #expect(sh[5] == 0x02)
        let v2 = Sample.sslv2ClientHello
        #expect(Array(v2[0..<5]) == [0x80, 0x2e, 0x01, 0x03, 0x01])
        #expect(v2.count == 2 + 0x2e)
        #expect(Sample.applicationData.count == 5 + 0x20)
    }

    @Test func tlsClientHelloRecordMatchesFromTheClient() {
        #expect(run(Probes.tls.probeToServer, Sample.clientHello, port: 443) == .match)
        #expect(run(Probes.tls.probeToServer, Sample.clientHello, port: 8080) == .match)
        // Only the handshake header is needed: 6 bytes.
        #expect(run(Probes.tls.probeToServer, Array(Sample.clientHello.prefix(6)), port: 443) == .match)
    }

    @Test func tlsServerHelloRecordMatchesFromTheServer() {
        #expect(run(Probes.tls.probeToClient, Sample.serverHello, port: 443) == .match)
        #expect(run(Probes.tls.probeToClient, Sample.serverHello, port: 9999) == .match)
    }

    @Test func tlsHelloMustBeTheRightMessageForTheDirection() {
        // A ServerHello coming from the client, or a ClientHello from the server, is not TLS's start.
        #expect(run(Probes.tls.probeToServer, Sample.serverHello, port: 443) == .noMatch)
        #expect(run(Probes.tls.probeToClient, Sample.clientHello, port: 443) == .noMatch)
    }

    @Test func tlsRecordVersionsUpToThreeFourMatch() {
        for minor: UInt8 in 0...4 {
            var ch = Sample.clientHello
            ch[2] = minor
            #expect(run(Probes.tls.probeToServer, ch, port: 443) == .match, "version 3.\(minor)")
        }
        var ch = Sample.clientHello
        ch[2] = 5
        #expect(run(Probes.tls.probeToServer, ch, port: 443) == .noMatch)
    }

    @Test func sslv2FormatClientHelloMatches() {
        #expect(run(Probes.tls.probeToServer, Sample.sslv2ClientHello, port: 443) == .match)
        // Offering SSL 2.0 itself (version 0.2).
        var v2only = Sample.sslv2ClientHello
        v2only[3] = 0x00
        v2only[4] = 0x02
        #expect(run(Probes.tls.probeToServer, v2only, port: 443) == .match)
        // Version 1.0 is not an SSL version.
        var bad = Sample.sslv2ClientHello
        bad[3] = 0x01
        bad[4] = 0x00
        #expect(run(Probes.tls.probeToServer, bad, port: 443) == .noMatch)
    }

    @Test func sslv2ServerHelloMatchesFromTheServer() {
        // 2-byte length, SERVER-HELLO (4), session-id-hit 0, certificate type 1, version 0.2, ...
        let serverHello: [UInt8] = [0x80, 0x0a, 0x04, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00]
        #expect(run(Probes.tls.probeToClient, serverHello, port: 443) == .match)
        #expect(run(Probes.tls.probeToServer, serverHello, port: 443) == .noMatch)
    }

    @Test func sslv2LengthMustCoverAHello() {
        var short = Sample.sslv2ClientHello
        short[1] = 0x08  // 8 bytes: too short for any hello
        #expect(run(Probes.tls.probeToServer, short, port: 443) == .noMatch)
    }

    @Test func midStreamApplicationDataRecordMatchesEitherWay() {
        #expect(run(Probes.tls.probeToServer, Sample.applicationData, port: 443) == .match)
        #expect(run(Probes.tls.probeToClient, Sample.applicationData, port: 443) == .match)
        #expect(run(Probes.tls.probeToClient, Sample.applicationData, port: 5222) == .match)
    }

    @Test func alertRecordMatchesEitherWay() {
        #expect(run(Probes.tls.probeToServer, Sample.alert, port: 443) == .match)
        #expect(run(Probes.tls.probeToClient, Sample.alert, port: 443) == .match)
    }

    @Test func changeCipherSpecRecordMatches() {
        #expect(run(Probes.tls.probeToServer, Sample.changeCipherSpec, port: 443) == .match)
        #expect(run(Probes.tls.probeToClient, Sample.changeCipherSpec, port: 443) == .match)
    }

    @Test func handshakeTypeByteFollowedByVersionFourIsNotTLS() {
        let bytes: [UInt8] = [0x16, 0x04, 0x01, 0x00, 0x20, 0x01, 0x00, 0x00]
        #expect(run(Probes.tls.probeToServer, bytes, port: 443) == .noMatch)
        #expect(run(Probes.tls.probeToClient, bytes, port: 443) == .noMatch)
    }

    @Test func applicationDataRecordOfLengthZeroIsNotTLS() {
        let bytes: [UInt8] = [0x17, 0x03, 0x03, 0x00, 0x00, 0x41, 0x42]
        #expect(run(Probes.tls.probeToServer, bytes, port: 443) == .noMatch)
        #expect(run(Probes.tls.probeToClient, bytes, port: 443) == .noMatch)
    }

    @Test func recordLongerThanTLSAllowsIsNotTLS() {
        // 18432 = 2^14 + 2048 is the largest; one more is not a record.
        let largest: [UInt8] = [0x17, 0x03, 0x03, 0x48, 0x00, 0x00]
        let tooLong: [UInt8] = [0x17, 0x03, 0x03, 0x48, 0x01, 0x00]
        let wayTooLong: [UInt8] = [0x17, 0x03, 0x03, 0xff, 0xff, 0x00]
        #expect(Probes.maxTLSRecordLength == 18_432)
        #expect(run(Probes.tls.probeToClient, largest, port: 443) == .match)
        #expect(run(Probes.tls.probeToClient, tooLong, port: 443) == .noMatch)
        #expect(run(Probes.tls.probeToServer, wayTooLong, port: 443) == .noMatch)
    }

    @Test func recordTypesOutsideTwentyToTwentyThreeAreNotTLS() {
        for type: UInt8 in [0x13, 0x18, 0x19, 0x47] {
            let bytes: [UInt8] = [type, 0x03, 0x03, 0x00, 0x20, 0x01, 0x02]
            #expect(run(Probes.tls.probeToServer, bytes, port: 443) == .noMatch, "type \(type)")
        }
    }

    @Test func tlsWaitsForTheRecordHeader() {
        for n in 1..<6 {
            #expect(run(Probes.tls.probeToServer, Array(Sample.clientHello.prefix(n)), port: 443) == .needMore, "\(n) bytes")
            #expect(run(Probes.tls.probeToClient, Array(Sample.serverHello.prefix(n)), port: 443) == .needMore, "\(n) bytes")
        }
        for n in 1..<5 {
            #expect(run(Probes.tls.probeToServer, Array(Sample.sslv2ClientHello.prefix(n)), port: 443) == .needMore)
        }
    }

    // MARK: SSH

    @Test func sshIdentificationStringMatchesEitherWay() {
        #expect(run(Probes.ssh.probeToClient, Sample.sshBanner, port: 22) == .match)
        #expect(run(Probes.ssh.probeToServer, Sample.sshClientBanner, port: 2222) == .match)
        #expect(run(Probes.ssh.probeToClient, ascii("SSH-1.99-Cisco-1.25\r\n"), port: 22) == .match)
    }

    @Test func sshNeedsTheWholeSSHDashPrefix() {
        #expect(run(Probes.ssh.probeToClient, ascii("SSH"), port: 22) == .needMore)
        #expect(run(Probes.ssh.probeToClient, ascii("SSH "), port: 22) == .noMatch)
        #expect(run(Probes.ssh.probeToClient, ascii("ssh-2.0-x\r\n"), port: 22) == .noMatch)
    }

    // MARK: HTTP

    @Test(arguments: ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"])
    func httpRequestMethodsMatchFromTheClient(method: String) {
        let request = ascii("\(method) /x HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(run(Probes.http.probeToServer, request, port: 80) == .match)
        #expect(run(Probes.http.probeToServer, request, port: 12345) == .match)
    }

    @Test func httpStatusLineMatchesFromTheServer() {
        #expect(run(Probes.http.probeToClient, Sample.httpResponse, port: 80) == .match)
        #expect(run(Probes.http.probeToClient, ascii("HTTP/1.0 404 Not Found\r\n"), port: 8080) == .match)
    }

    /// RFC 9113 §3.4: the whole 24-byte client preface, on any port; a `PRI`
    /// request of HTTP/1 or a preface cut by other bytes is not HTTP/2, and
    /// the HTTP/1 probe never takes the preface for a request.
    @Test func http2PrefaceMatchesOnlyWhole() {
        let preface = ascii("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        #expect(run(Probes.http2.probeToServer, preface + [0, 0, 0, 4], port: 50051) == .match)
        #expect(run(Probes.http2.probeToServer, preface, port: 12345) == .match)
        #expect(run(Probes.http2.probeToServer, Array(preface.prefix(23)), port: 80) == .needMore)
        #expect(run(Probes.http2.probeToServer, ascii("PRI * HTTP/1.1\r\n\r\n"), port: 80) == .noMatch)
        #expect(run(Probes.http2.probeToServer, ascii("PRI * HTTP/2.0\r\n\r\nXM\r\n\r\n"), port: 80) == .noMatch)
        #expect(run(Probes.http.probeToServer, preface, port: 80) == .noMatch)
    }

    @Test func httpMethodNeedsItsSpaceAndExactCase() {
        #expect(run(Probes.http.probeToServer, ascii("GETX / HTTP/1.1\r\n"), port: 80) == .noMatch)
        #expect(run(Probes.http.probeToServer, ascii("get / HTTP/1.1\r\n"), port: 80) == .noMatch)
        #expect(run(Probes.http.probeToServer, ascii("GE"), port: 80) == .needMore)
        #expect(run(Probes.http.probeToClient, ascii("HTTP/2 200\r\n"), port: 80) == .noMatch)
        #expect(run(Probes.http.probeToClient, ascii("HTTP/"), port: 80) == .needMore)
    }

    // MARK: SMTP

    @Test func smtpGreetingNamingSMTPMatchesOnAnyPort() {
        for port: UInt16 in [25, 2526, 8025, 80, 40000] {
            #expect(run(Probes.smtp.probeToClient, Sample.smtpGreeting, port: port) == .match, "port \(port)")
        }
    }

    @Test func smtpGreetingWithOnlyAHostMatchesOnMailPortsOnly() {
        for port: UInt16 in [25, 465, 587, 2525] {
            #expect(run(Probes.smtp.probeToClient, Sample.smtpHostOnlyGreeting, port: port) == .match, "port \(port)")
        }
        for port: UInt16 in [21, 24, 26, 2526, 8025, 110] {
            #expect(run(Probes.smtp.probeToClient, Sample.smtpHostOnlyGreeting, port: port) == .noMatch, "port \(port)")
        }
    }

    @Test func smtpMultilineGreetingMatches() {
        let greeting = ascii("220-mx.example.org ESMTP ready\r\n220 welcome\r\n")
        #expect(run(Probes.smtp.probeToClient, greeting, port: 2526) == .match)
    }

    @Test func smtpClientHelloMatches() {
        #expect(run(Probes.smtp.probeToServer, Sample.ehlo, port: 25) == .match)
        #expect(run(Probes.smtp.probeToServer, Sample.ehlo, port: 9000) == .match)
        #expect(run(Probes.smtp.probeToServer, ascii("HELO client.example\r\n"), port: 25) == .match)
        #expect(run(Probes.smtp.probeToServer, ascii("EHLO"), port: 25) == .needMore)
        #expect(run(Probes.smtp.probeToServer, ascii("EHLOx\r\n"), port: 25) == .noMatch)
    }

    @Test func replyCodeMustBeFollowedBySpaceOrDash() {
        #expect(run(Probes.smtp.probeToClient, ascii("2201 mail ESMTP\r\n"), port: 25) == .noMatch)
        #expect(run(Probes.smtp.probeToClient, ascii("221 bye\r\n"), port: 25) == .noMatch)
        #expect(run(Probes.smtp.probeToClient, ascii("220"), port: 25) == .needMore)
    }

    @Test func smtpGreetingWaitsForItsFirstLine() {
        #expect(run(Probes.smtp.probeToClient, ascii("220 "), port: 2526) == .needMore)
        #expect(run(Probes.smtp.probeToClient, ascii("220 mail.example.com ES"), port: 2526) == .needMore)
        #expect(run(Probes.smtp.probeToClient, ascii("220 mail.example.com\r\n250 ESMTP\r\n"), port: 2526) == .noMatch)
    }

    // MARK: FTP

    @Test func ftpGreetingNamingFTPMatchesOnAnyPort() {
        for port: UInt16 in [21, 25, 2121, 8021, 50000] {
            #expect(run(Probes.ftp.probeToClient, Sample.ftpGreeting, port: port) == .match, "port \(port)")
        }
    }

    @Test func ftpGreetingWithoutFTPMatchesOnPort21Only() {
        #expect(run(Probes.ftp.probeToClient, Sample.ftpReadyGreeting, port: 21) == .match)
        for port: UInt16 in [20, 22, 25, 2121, 8021] {
            #expect(run(Probes.ftp.probeToClient, Sample.ftpReadyGreeting, port: port) == .noMatch, "port \(port)")
        }
    }

    @Test func ftpClientAuthTLSMatches() {
        #expect(run(Probes.ftp.probeToServer, Sample.authTLS, port: 21) == .match)
        #expect(run(Probes.ftp.probeToServer, ascii("AUTH SSL\r\n"), port: 2121) == .match)
        #expect(run(Probes.ftp.probeToServer, ascii("AUTH PLAIN\r\n"), port: 21) == .noMatch)
        #expect(run(Probes.ftp.probeToServer, ascii("AUTH "), port: 21) == .needMore)
    }

    // MARK: POP3, IMAP, Telnet

    @Test func pop3GreetingMatches() {
        #expect(run(Probes.pop3.probeToClient, Sample.pop3Greeting, port: 110) == .match)
        #expect(run(Probes.pop3.probeToClient, Sample.pop3Greeting, port: 1110) == .match)
        #expect(run(Probes.pop3.probeToClient, ascii("-ERR busy\r\n"), port: 110) == .noMatch)
        #expect(Probes.pop3.probeToServer == nil)
    }

    @Test func imapUntaggedOKOrPreauthMatches() {
        #expect(run(Probes.imap.probeToClient, Sample.imapGreeting, port: 143) == .match)
        #expect(run(Probes.imap.probeToClient, Sample.imapPreauth, port: 1143) == .match)
        #expect(run(Probes.imap.probeToClient, ascii("* BYE server shutting down\r\n"), port: 143) == .noMatch)
        #expect(run(Probes.imap.probeToClient, ascii("* "), port: 143) == .needMore)
        #expect(Probes.imap.probeToServer == nil)
    }

    @Test func telnetOptionNegotiationMatchesEitherWay() {
        #expect(run(Probes.telnet.probeToClient, Sample.telnetServer, port: 23) == .match)
        #expect(run(Probes.telnet.probeToServer, Sample.telnetClient, port: 2323) == .match)
        for verb: UInt8 in 251...254 {  // WILL, WONT, DO, DONT
            #expect(run(Probes.telnet.probeToClient, [0xff, verb, 0x01], port: 23) == .match, "verb \(verb)")
        }
    }

    @Test func telnetNeedsAnOptionVerbAfterIAC() {
        #expect(run(Probes.telnet.probeToClient, [0xff, 0xf0, 0x01], port: 23) == .noMatch)  // SE
        #expect(run(Probes.telnet.probeToClient, [0xff, 0xfa, 0x18], port: 23) == .noMatch)  // SB
        #expect(run(Probes.telnet.probeToClient, ascii("login: "), port: 23) == .noMatch)
        #expect(run(Probes.telnet.probeToClient, [0xff, 0xfd], port: 23) == .needMore)
    }

    // MARK: DNS

    @Test func dnsQueryAndResponseMatchOnPort53() {
        #expect(run(Probes.dns.probeToServer, Sample.dnsQuery, port: 53) == .match)
        #expect(run(Probes.dns.probeToClient, Sample.dnsResponse, port: 53) == .match)
    }

    @Test func dnsIsRecognisedByStructureOnAnyPort() {
        for port: UInt16 in [5300, 5353, 8053, 40000] {
            #expect(run(Probes.dns.probeToServer, Sample.dnsQuery, port: port) == .match, "port \(port)")
            #expect(run(Probes.dns.probeToClient, Sample.dnsResponse, port: port) == .match, "port \(port)")
        }
    }

    @Test func dnsQuestionClassesINAnyAndMDNSUnicast() {
        for qclass in [1, 255, 0x8001] {
            var q = Sample.dnsQuery
            q[q.count - 2] = UInt8(qclass >> 8)
            q[q.count - 1] = UInt8(qclass & 0xff)
            #expect(run(Probes.dns.probeToServer, q, port: 53) == .match, "class \(qclass)")
        }
        var chaos = Sample.dnsQuery
        chaos[chaos.count - 1] = 3
        #expect(run(Probes.dns.probeToServer, chaos, port: 53) == .noMatch)
    }

    @Test func dnsNeedsExactlyOneQuestion() {
        var two = Sample.dnsQuery
        two[5] = 2
        #expect(run(Probes.dns.probeToServer, two, port: 53) == .noMatch)
        var none = Sample.dnsQuery
        none[5] = 0
        #expect(run(Probes.dns.probeToServer, none, port: 53) == .noMatch)
    }

    @Test func dnsLabelsLongerThan63AreNotDNS() {
        var q = Sample.dnsQuery
        q[12] = 64
        #expect(run(Probes.dns.probeToServer, q, port: 53) == .noMatch)
    }

    @Test func dnsTruncatedQuestionIsNotDNS() {
        for n in [8, 12, 16, Sample.dnsQuery.count - 1] {
            #expect(run(Probes.dns.probeToServer, Array(Sample.dnsQuery.prefix(n)), port: 53) == .noMatch, "\(n) bytes")
        }
    }

    @Test func nonDNSDatagramsAreRejected() {
        #expect(run(Probes.dns.probeToServer, Sample.ntpRequest, port: 123) == .noMatch)
        #expect(run(Probes.dns.probeToServer, Sample.ntpRequest, port: 53) == .noMatch)
        #expect(run(Probes.dns.probeToServer, ascii("hello, world: not a name server\n"), port: 53) == .noMatch)
        #expect(run(Probes.dns.probeToClient, [UInt8](repeating: 0, count: 40), port: 53) == .noMatch)
        #expect(run(Probes.dns.probeToServer, [], port: 53) == .noMatch)
    }

    // MARK: Every probe on empty input

    @Test func noProbeMatchesNothing() {
        for d in AnalyzerRegistry.all {
            #expect(run(d.probeToServer, [], port: 443) != .match, "\(d.name) to server")
            #expect(run(d.probeToClient, [], port: 443) != .match, "\(d.name) to client")
        }
    }
}
