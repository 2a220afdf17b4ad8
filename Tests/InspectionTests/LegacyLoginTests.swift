import Foundation
import Testing
@testable import Decoding
@testable import Flows
@testable import Inspection

// The readers of the older cleartext protocols — SIP and RTSP
// (HeaderAuthAnalyzer), IRC, VNC/RFB, rsh/rexec and rlogin — on byte-exact
// exchanges built from their specifications (sections cited at each
// builder), fed whole, split at every byte of each TCP direction, and byte
// by byte; SIP over UDP datagram by datagram. Look-alikes that must not
// fire, malformed and truncated input, and the probes on other ports.

// MARK: - Driving an analyzer through CleartextAnalyzer (`PipelineRun`)

func legacySightings(
    _ app: AppProtocol, _ steps: [Step], serverPort: UInt16 = 0, clientSplit: Int? = nil, serverSplit: Int? = nil,
    byteByByte: Bool = false
) -> [Sighting] {
    PipelineRun.sightings(
        { CleartextAnalyzer.make(for: app, depth: 1 << 20, serverPort: serverPort)! }, steps, clientSplit: clientSplit,
        serverSplit: serverSplit, byteByByte: byteByByte)
}

/// Whole, byte by byte, and at every split point of each direction: `expected`.
func expectEverySplit(
    _ app: AppProtocol, _ steps: [Step], _ expected: [Sighting], serverPort: UInt16 = 0,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    PipelineRun.expectEverySplit(
        { CleartextAnalyzer.make(for: app, depth: 1 << 20, serverPort: serverPort)! }, steps, expected,
        sourceLocation: sourceLocation)
}

/// SIP over UDP: each step is one datagram.
func sipDatagramSightings(_ steps: [Step]) -> [Sighting] {
    var run = PipelineRun(.sip, transport: .udp)
    run.play(steps)
    run.endBoth()
    return run.sightings
}

// MARK: - Builders

enum SIPBytes {
    static let callID = "843817637684230@998sdasdh09"

    /// A REGISTER as in RFC 3261 §10.2 with a Digest `Authorization` (§22.4).
    static func register(cseq: Int, response: String = "245f23415f11432b3434341c022", callID: String = callID) -> [UInt8] {
        ascii(
            "REGISTER sip:registrar.biloxi.com SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP bobspc.biloxi.com:5060;branch=z9hG4bKnashds7\r\n"
                + "Max-Forwards: 70\r\n"
                + "To: Bob <sip:bob@biloxi.com>\r\n"
                + "From: Bob <sip:bob@biloxi.com>;tag=456248\r\n"
                + "Call-ID: \(callID)\r\n"
                + "CSeq: \(cseq) REGISTER\r\n"
                + "Contact: <sip:bob@192.0.2.4>\r\n"
                + "Authorization: Digest username=\"bob\", realm=\"biloxi.com\", "
                + "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:biloxi.com\", response=\"\(response)\"\r\n"
                + "Content-Length: 0\r\n\r\n")
    }

    /// A response (RFC 3261 §7.2) to the request with `cseq`, compact Call-ID (`i`, §7.3.3).
    static func response(_ code: Int, _ reason: String, cseq: Int, method: String = "REGISTER", callID: String = callID) -> [UInt8] {
        ascii(
            "SIP/2.0 \(code) \(reason)\r\n"
                + "Via: SIP/2.0/UDP bobspc.biloxi.com:5060;branch=z9hG4bKnashds7\r\n"
                + "i: \(callID)\r\n"
                + "CSeq: \(cseq) \(method)\r\n"
                + "Content-Length: 0\r\n\r\n")
    }

    static let sdp = "v=0\r\no=alice 2890844526 2890844526 IN IP4 pc33.atlanta.com\r\ns=-\r\nc=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\n"

    /// An INVITE with an SDP body (RFC 3261 §4) and `Proxy-Authorization` (§22.3).
    static func invite(cseq: Int) -> [UInt8] {
        ascii(
            "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
                + "Via: SIP/2.0/TCP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"
                + "To: Bob <sip:bob@biloxi.com>\r\n"
                + "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
                + "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
                + "CSeq: \(cseq) INVITE\r\n"
                + "Proxy-Authorization: Digest username=\"alice\", realm=\"atlanta.com\", nonce=\"wf84f1ceczx41ae6cbe5aea9c8e88d359\", "
                + "uri=\"sip:bob@biloxi.com\", response=\"42ce3cef44b22f50c6a6071bc8\"\r\n"
                + "Content-Type: application/sdp\r\n"
                + "Content-Length: \(sdp.utf8.count)\r\n\r\n" + sdp)
    }

    static func inviteResponse(_ code: Int, _ reason: String, cseq: Int) -> [UInt8] {
        ascii(
            "SIP/2.0 \(code) \(reason)\r\nCall-ID: a84b4c76e66710@pc33.atlanta.com\r\nCSeq: \(cseq) INVITE\r\n"
                + "Content-Type: application/sdp\r\nContent-Length: \(sdp.utf8.count)\r\n\r\n" + sdp)
    }
}

enum RTSPBytes {
    /// A DESCRIBE (RFC 2326 §10.2) with an `Authorization` header.
    static func describe(cseq: Int, authorization: String) -> [UInt8] {
        ascii(
            "DESCRIBE rtsp://server.example.com/fizzle/foo RTSP/1.0\r\nCSeq: \(cseq)\r\nAccept: application/sdp\r\n"
                + "Authorization: \(authorization)\r\n\r\n")
    }

    static func response(_ code: Int, _ reason: String, cseq: Int, body: String = "") -> [UInt8] {
        ascii("RTSP/1.0 \(code) \(reason)\r\nCSeq: \(cseq)\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
    }
}

enum RFBBytes {
    static func version(_ minor: Int) -> [UInt8] { ascii("RFB 003.00\(minor)\n") }
    static let challenge = counting(16, from: 0x30)
    static let response = counting(16, from: 0xc0)
    static let ok: [UInt8] = [0, 0, 0, 0]
    static let failed: [UInt8] = [0, 0, 0, 1] + [0, 0, 0, 14] + ascii("Authentication")
}

// MARK: - Tests

@Suite("LegacyLogin")
struct LegacyLoginTests {
    // MARK: SIP

    @Test func sipOverUDPDigestRejectedThenAccepted() {
        // RFC 3261 §22.2: a 401 asks again; the retry (next CSeq) gets 100 Trying, then 200 OK.
        let got = sipDatagramSightings([
            .client(SIPBytes.register(cseq: 1826, response: "aaaa")),
            .server(SIPBytes.response(401, "Unauthorized", cseq: 1826)),
            .client(SIPBytes.register(cseq: 1827, response: "bbbb")),
            .server(SIPBytes.response(100, "Trying", cseq: 1827)),
            .server(SIPBytes.response(200, "OK", cseq: 1827)),
        ])
        #expect(got == [
            credential(.sipDigest, ascii("bob"), ascii("aaaa"), .rejected),
            credential(.sipDigest, ascii("bob"), ascii("bbbb"), .accepted),
        ])
    }

    @Test func sipRetransmissionIsCountedOnceAndAnotherCallIDDoesNotSettleIt() {
        let request = SIPBytes.register(cseq: 7)
        let got = sipDatagramSightings([
            .client(request), .client(request),  // RFC 3261 §17.1.2.2: timer E retransmits
            .server(SIPBytes.response(200, "OK", cseq: 7, callID: "other@host")),
        ])
        #expect(got == [credential(.sipDigest, ascii("bob"), ascii("245f23415f11432b3434341c022"), .unknown)])
    }

    @Test func sipForbiddenRejectsAndOtherFinalAnswersAreUnknown() {
        let got = sipDatagramSightings([
            .client(SIPBytes.register(cseq: 1, response: "r1")), .server(SIPBytes.response(403, "Forbidden", cseq: 1)),
            .client(SIPBytes.register(cseq: 2, response: "r2")), .server(SIPBytes.response(408, "Request Timeout", cseq: 2)),
        ])
        #expect(got == [
            credential(.sipDigest, ascii("bob"), ascii("r1"), .rejected),
            credential(.sipDigest, ascii("bob"), ascii("r2"), .unknown),
        ])
    }

    @Test func sipOverTCPProxyAuthorizationWithBodiesEverySplit() {
        // The SDP bodies are skipped by Content-Length; the 407 rejects, the retried INVITE is accepted.
        expectEverySplit(
            .sip,
            [
                .client(SIPBytes.invite(cseq: 1)), .server(SIPBytes.inviteResponse(407, "Proxy Authentication Required", cseq: 1)),
                .client(SIPBytes.invite(cseq: 2)), .server(SIPBytes.inviteResponse(180, "Ringing", cseq: 2)),
                .server(SIPBytes.inviteResponse(200, "OK", cseq: 2)),
            ],
            [
                credential(.sipDigest, ascii("alice"), ascii("42ce3cef44b22f50c6a6071bc8"), .rejected),
                credential(.sipDigest, ascii("alice"), ascii("42ce3cef44b22f50c6a6071bc8"), .accepted),
            ])
    }

    @Test func pastEightWaitingCredentialsTheOldestIsUnknownAndCounted() {
        var run = PipelineRun(.sip, transport: .udp)
        for cseq in 1...9 { run.send(SIPBytes.register(cseq: cseq, response: "r\(cseq)"), .toServer) }
        run.send(SIPBytes.response(200, "OK", cseq: 9), .toClient)
        #expect(run.context.counters.cleartextPendingOverflows == 1)
        #expect(run.sightings == [
            credential(.sipDigest, ascii("bob"), ascii("r1"), .unknown), credential(.sipDigest, ascii("bob"), ascii("r9"), .accepted),
        ])
    }

    @Test func sipBasicAndRequestsWithoutAuthorizationAreNotReported() {
        // RFC 3261 §22.1 forbids Basic; a request without credentials has none.
        let basic = ascii(
            "OPTIONS sip:carol@chicago.com SIP/2.0\r\nCall-ID: x@y\r\nCSeq: 1 OPTIONS\r\n"
                + "Authorization: Basic Ym9iOnNlY3JldA==\r\nContent-Length: 0\r\n\r\n")
        let plain = ascii("OPTIONS sip:carol@chicago.com SIP/2.0\r\nCall-ID: x@y\r\nCSeq: 2 OPTIONS\r\nContent-Length: 0\r\n\r\n")
        #expect(sipDatagramSightings([.client(basic), .client(plain), .server(SIPBytes.response(200, "OK", cseq: 1, method: "OPTIONS", callID: "x@y"))]).isEmpty)
    }

    @Test func sipMalformedAndTruncatedDatagramsDoNotCrash() {
        let full = SIPBytes.register(cseq: 3)
        var datagrams: [Step] = []
        for n in stride(from: 0, to: full.count, by: 7) { datagrams.append(.client(Array(full[..<n]))) }
        datagrams += [.client(counting(300)), .client([0x0a, 0x0a, 0x0d]), .server(ascii("SIP/2.0 99"))]
        // The truncated copies that still hold the Authorization line are credentials (unknown): no crash, no answer.
        let got = sipDatagramSightings(datagrams)
        #expect(got.allSatisfy {
            if case .credential(let c) = $0 { return c.mechanism == .sipDigest && c.outcome == .unknown }
            return false
        })
    }

    // MARK: RTSP

    @Test func rtspBasicAcceptedEverySplit() {
        // RFC 7617 §2: base64("Aladdin:open sesame").
        expectEverySplit(
            .rtsp,
            [
                .client(RTSPBytes.describe(cseq: 2, authorization: "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")),
                .server(RTSPBytes.response(200, "OK", cseq: 2, body: "v=0\r\ns=-\r\n")),
            ],
            [credential(.rtspBasic, ascii("Aladdin"), ascii("open sesame"), .accepted)])
    }

    @Test func rtspDigestRejectedByTheMatchingCSeq() {
        let digest = "Digest username=\"admin\", realm=\"cam\", nonce=\"abc\", uri=\"rtsp://cam/\", response=\"0123abcd\""
        expectEverySplit(
            .rtsp,
            [
                .client(ascii("OPTIONS rtsp://cam/ RTSP/1.0\r\nCSeq: 1\r\n\r\n")),
                .client(RTSPBytes.describe(cseq: 2, authorization: digest)),
                .server(RTSPBytes.response(200, "OK", cseq: 1)),
                .server(RTSPBytes.response(401, "Unauthorized", cseq: 2)),
            ],
            [credential(.rtspDigest, ascii("admin"), ascii("0123abcd"), .rejected)])
    }

    @Test func rtspInterleavedMediaEndsTheReading() {
        // RFC 2326 §10.12: `$`, channel, 16-bit length, data; what follows is not read as messages.
        var run = PipelineRun(.rtsp)
        run.send(RTSPBytes.describe(cseq: 5, authorization: "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), .toServer)
        run.send([0x24, 0x00, 0x00, 0x04, 0x0a, 0x0b, 0x0c, 0x0d] + RTSPBytes.response(200, "OK", cseq: 5), .toClient)
        #expect(run.verdicts.last == .done)
        #expect(run.sightings == [credential(.rtspBasic, ascii("Aladdin"), ascii("open sesame"), .unknown)])
    }

    // MARK: IRC

    @Test func ircPassIsAcceptedByTheWelcomeAndNamedAfterTheNick() {
        // RFC 2812 §3.1: PASS, NICK, USER; §5.1 RPL_WELCOME (001).
        expectEverySplit(
            .irc,
            [
                .client(ascii("PASS s3cret\r\nNICK tim\r\nUSER tim 0 * :Tim\r\n")),
                .server(ascii(":irc.example 001 tim :Welcome to the network tim!tim@host\r\n")),
            ],
            [credential(.ircPassword, ascii("tim"), ascii("s3cret"), .accepted)])
    }

    @Test func ircWrongConnectionPasswordIsRejected() {
        expectEverySplit(
            .irc,
            [.client(ascii("PASS :wrong one\r\nNICK tim\r\n")), .server(ascii(":irc.example 464 tim :Password incorrect\r\nERROR :Closing link\r\n"))],
            [credential(.ircPassword, ascii("tim"), ascii("wrong one"), .rejected)])
    }

    @Test func ircOperRejectedThenAccepted() {
        // RFC 2812 §3.1.4: 491 ERR_NOOPERHOST, 381 RPL_YOUREOPER.
        expectEverySplit(
            .irc,
            [
                .client(ascii("NICK tim\r\nOPER tim fail\r\n")), .server(ascii(":ircd 491 tim :Invalid oper credentials\r\n")),
                .client(ascii("OPER tim test\r\n")), .server(ascii(":ircd MODE tim :+o\r\n:ircd 381 tim :You are now an IRC operator\r\n")),
            ],
            [
                credential(.ircPassword, ascii("tim"), ascii("fail"), .rejected),
                credential(.ircPassword, ascii("tim"), ascii("test"), .accepted),
            ])
    }

    @Test func ircNickServIdentifyOutcomesFromNoticesAndNumerics() {
        expectEverySplit(
            .irc,
            [
                .client(ascii("NICK tim\r\nPRIVMSG NickServ :IDENTIFY hunter2\r\n")),
                .server(ascii(":NickServ!NickServ@services. NOTICE tim :Invalid password for \u{2}tim\u{2}.\r\n")),
                .client(ascii("NS IDENTIFY timacct hunter3\r\n")),
                .server(ascii(":services. 900 tim tim!tim@host timacct :You are now logged in as timacct\r\n")),
                .client(ascii("NICKSERV :identify hunter4\r\n")),
                .server(ascii(":NickServ!NickServ@services. NOTICE tim :You are now identified for \u{2}tim\u{2}.\r\n")),
            ],
            [
                credential(.ircPassword, ascii("tim"), ascii("hunter2"), .rejected),
                credential(.ircPassword, ascii("timacct"), ascii("hunter3"), .accepted),
                credential(.ircPassword, ascii("tim"), ascii("hunter4"), .accepted),
            ])
    }

    @Test func ircChannelMessagesSayingIdentifyAreNotCredentials() {
        let got = legacySightings(
            .irc,
            [
                .client(ascii("NICK tim\r\nPRIVMSG #help :IDENTIFY hunter2\r\nPRIVMSG NickServBot :IDENTIFY x\r\nNOTICE NickServ :IDENTIFY y\r\n")),
                .server(ascii(":irc 001 tim :Welcome\r\n")),
            ])
        #expect(got.isEmpty)
    }

    @Test func ircSASLPlainAcceptedAndRejected() {
        // IRCv3 SASL 3.1; RFC 4616 §2 message "\0tim\0pw1" in base64.
        let one = Data([0] + ascii("tim") + [0] + ascii("pw1")).base64EncodedString()
        let two = Data(ascii("tim") + [0] + ascii("tim") + [0] + ascii("pw2")).base64EncodedString()
        expectEverySplit(
            .irc,
            [
                .client(ascii("CAP REQ :sasl\r\nAUTHENTICATE PLAIN\r\n")), .server(ascii("AUTHENTICATE +\r\n")),
                .client(ascii("AUTHENTICATE \(one)\r\n")), .server(ascii(":irc 904 * :SASL authentication failed\r\n")),
                .client(ascii("AUTHENTICATE PLAIN\r\nAUTHENTICATE \(two)\r\n")),
                .server(ascii(":irc 900 tim tim!t@h tim :You are now logged in as tim\r\n:irc 903 tim :SASL authentication successful\r\n")),
            ],
            [
                credential(.saslPlain, ascii("tim"), ascii("pw1"), .rejected),
                credential(.saslPlain, ascii("tim"), ascii("pw2"), .accepted),
            ])
    }

    @Test func ircSASLMessageInFourHundredBytePieces() {
        // A piece of exactly 400 bytes says another follows; `+` ends a message that filled it.
        let password = String(repeating: "p", count: 295)  // 300 bytes decoded -> exactly 400 base64 bytes
        let encoded = Data([0] + ascii("tim") + [0] + ascii(password)).base64EncodedString()
        #expect(encoded.utf8.count == 400)
        let got = legacySightings(
            .irc,
            [.client(ascii("AUTHENTICATE PLAIN\r\nAUTHENTICATE \(encoded)\r\nAUTHENTICATE +\r\n")), .server(ascii(":irc 903 tim :ok\r\n"))])
        #expect(got == [credential(.saslPlain, ascii("tim"), ascii(password), .accepted)])
    }

    @Test func ircSASLMessageOverTheCapIsCountedAndNotRead() {
        // Five full 400-byte pieces: past maxSASL (1600 bytes) before the message ends.
        var run = PipelineRun(.irc)
        let piece = String(repeating: "QUFB", count: 100)
        run.send(ascii("AUTHENTICATE PLAIN\r\n" + String(repeating: "AUTHENTICATE \(piece)\r\n", count: 5) + "AUTHENTICATE +\r\n"), .toServer)
        run.send(ascii(":irc 903 tim :ok\r\n"), .toClient)
        run.endBoth()
        #expect(run.sightings.isEmpty)
        #expect(run.context.counters.cleartextOversizedMessages == 1)
        #expect(run.context.bufferedBytes == 0)
    }

    @Test func ircEndBeforeTheVerdictIsUnknown() {
        #expect(legacySightings(.irc, [.client(ascii("PASS x\r\nNICK n\r\n"))]) == [credential(.ircPassword, ascii("n"), ascii("x"), .unknown)])
    }

    // MARK: VNC

    @Test func vnc38AuthenticationAcceptedEverySplit() {
        // RFC 6143 §7.1.1-7.1.3, §7.2.2: versions, [1 type: 2], choice 2, challenge, response, SecurityResult 0.
        expectEverySplit(
            .vnc,
            [
                .server(RFBBytes.version(8)), .client(RFBBytes.version(8)), .server([1, 2]), .client([2]),
                .server(RFBBytes.challenge), .client(RFBBytes.response), .server(RFBBytes.ok), .client([1]),
            ],
            [credential(.vncChallengeResponse, nil, RFBBytes.challenge + RFBBytes.response, .accepted)])
    }

    @Test func vnc33AuthenticationRejected() {
        // 3.3: the server names the type as a U32 (§7.1.2); SecurityResult 1 then the 3.8 reason is not read.
        expectEverySplit(
            .vnc,
            [
                .server(RFBBytes.version(3)), .client(RFBBytes.version(3)), .server([0, 0, 0, 2] + RFBBytes.challenge),
                .client(RFBBytes.response), .server(RFBBytes.failed),
            ],
            [credential(.vncChallengeResponse, nil, RFBBytes.challenge + RFBBytes.response, .rejected)])
    }

    @Test func vncNoneIsReportedWithItsOutcome() {
        // 3.8: SecurityResult follows None; 3.7 and 3.3: None is accepted at once (§7.1.3).
        expectEverySplit(
            .vnc, [.server(RFBBytes.version(8)), .client(RFBBytes.version(8)), .server([2, 1, 2]), .client([1]), .server(RFBBytes.ok)],
            [credential(.vncNone, nil, [], .accepted)])
        expectEverySplit(
            .vnc, [.server(RFBBytes.version(7)), .client(RFBBytes.version(7)), .server([1, 1]), .client([1])],
            [credential(.vncNone, nil, [], .accepted)])
        expectEverySplit(
            .vnc, [.server(RFBBytes.version(3)), .client(RFBBytes.version(3)), .server([0, 0, 0, 1])],
            [credential(.vncNone, nil, [], .accepted)])
    }

    @Test func vncOtherSecurityTypesAndFailuresReportNothing() {
        // Apple's 003.889 offering types 30 and 35 (as in zeek's rfb/vncmac.pcap), and a 3.8 failure (count 0).
        var run = PipelineRun(.vnc)
        run.send(ascii("RFB 003.889\n"), .toClient)
        run.send(ascii("RFB 003.889\n"), .toServer)
        run.send([2, 30, 35], .toClient)
        run.send([30], .toServer)
        #expect(run.verdicts.last == .done)
        #expect(run.sightings.isEmpty)
        #expect(legacySightings(.vnc, [.server(RFBBytes.version(8)), .client(RFBBytes.version(8)), .server([0, 0, 0, 0, 4] + ascii("busy"))]).isEmpty)
    }

    @Test func vncMalformedVersionsStop() {
        #expect(legacySightings(.vnc, [.server(ascii("RFB 0x3.008\n")), .client(RFBBytes.version(8)), .server([1, 2]), .client([2])]).isEmpty)
        #expect(legacySightings(.vnc, [.server(counting(64)), .client(counting(64))]).isEmpty)
    }

    // MARK: rsh, rexec, rlogin

    @Test func rshHostTrustAcceptedAndRejectedEverySplit() {
        // rshd(8): stderr port, client user, server user, command; NUL accepts, 1 + message rejects.
        let request = ascii("1022\0lns\0root\0mkdir testdir\0")
        expectEverySplit(.rsh, [.client(request), .server([0] + ascii("done\n"))], [credential(.rhostsTrust, ascii("root"), ascii("lns"), .accepted)], serverPort: 514)
        expectEverySplit(
            .rsh, [.client(request), .server([1] + ascii("Password incorrect.\n"))],
            [credential(.rhostsTrust, ascii("root"), ascii("lns"), .rejected)], serverPort: 514)
    }

    @Test func rexecSendsThePasswordInClear() {
        // rexecd(8) on port 512: stderr port, user, password, command.
        expectEverySplit(
            .rsh, [.client(ascii("0\0alice\0pa55\0uptime\0")), .server([0])],
            [credential(.rexecPassword, ascii("alice"), ascii("pa55"), .accepted)], serverPort: 512)
    }

    @Test func rshMalformedOpeningsReportNothing() {
        #expect(legacySightings(.rsh, [.client(ascii("12a\0u\0v\0c\0")), .server([0])], serverPort: 514).isEmpty)
        #expect(legacySightings(.rsh, [.client(ascii("1\0") + [UInt8](repeating: 0x41, count: 400) + [0]), .server([0])], serverPort: 514).isEmpty)
        #expect(legacySightings(.rsh, [.client(ascii("1\0only\0"))], serverPort: 514).isEmpty)
    }

    @Test func rloginTypedPasswordIsNamedAfterTheServerUser() {
        // RFC 1282 §2: NUL, client user, server user, terminal/speed; the server's NUL, then a prompt.
        expectEverySplit(
            .rlogin,
            [
                .client(ascii("\0lns\0root\0xterm/38400\0")), .server([0] + ascii("Password: ")),
                .client(ascii("toor\r")), .server(ascii("\r\nLast login: Fri Jun  3 17:29 from localhost\r\n# ")),
            ],
            [credential(.rloginPassword, ascii("root"), ascii("toor"), .accepted)])
    }

    // MARK: Probes

    func probe(_ d: AnalyzerDescriptor, _ bytes: [UInt8], toServer: Bool = true, port: UInt16) -> ProbeResult? {
        run(toServer ? d.probeToServer : d.probeToClient, bytes, port: port)
    }

    @Test func sipProbesOnAnyPortAndNotHTTP() {
        #expect(probe(Probes.sipUDP, SIPBytes.register(cseq: 1), port: 40000) == .match)
        #expect(probe(Probes.sipUDP, SIPBytes.response(200, "OK", cseq: 1), toServer: false, port: 40000) == .match)
        #expect(probe(Probes.sipTCP, SIPBytes.invite(cseq: 1), port: 8080) == .match)
        #expect(probe(Probes.sipTCP, ascii("OPTIONS "), port: 5060) == .needMore)
        #expect(probe(Probes.sipUDP, ascii("OPTIONS "), port: 5060) == .noMatch)  // a datagram is all there is
        #expect(probe(Probes.sipTCP, ascii("OPTIONS / HTTP/1.1\r\n"), port: 5060) == .noMatch)
        #expect(probe(Probes.sipTCP, ascii("GET / HTTP/1.1\r\n"), port: 5060) == .noMatch)
        // The identifier: HTTP's OPTIONS stays HTTP, SIP's is SIP.
        #expect(identify([ascii("OPTIONS /x HTTP/1.1\r\nHost: a\r\n\r\n")], .toServer, port: 5060).app == .http)
        #expect(identify([ascii("OPTIONS sip:a@b SIP/2.0\r\n\r\n")], .toServer, port: 80).app == .sip)
        #expect(identify([ascii("OPTIO"), ascii("NS sip:a@b SIP/2.0\r\n\r\n")], .toServer, port: 80).app == .sip)
        #expect(identify([SIPBytes.register(cseq: 1)], .toServer, port: 9999, transport: .udp).app == .sip)
    }

    @Test func rtspProbeAndHTTPOnPort554() {
        #expect(probe(Probes.rtsp, RTSPBytes.describe(cseq: 1, authorization: "x"), port: 8554) == .match)
        #expect(probe(Probes.rtsp, ascii("OPTIONS * RTSP/1.0\r\n"), port: 9000) == .match)
        #expect(probe(Probes.rtsp, ascii("OPTIONS * HTTP/1.1\r\n"), port: 554) == .noMatch)
        #expect(probe(Probes.rtsp, ascii("RTSP/1.0 200 OK\r\n"), toServer: false, port: 9000) == .match)
        #expect(identify([ascii("GET / HTTP/1.1\r\nHost: cam\r\n\r\n")], .toServer, port: 554).app == .http)
        #expect(identify([ascii("GET_PARAMETER rtsp://cam/ RTSP/1.0\r\nCSeq: 9\r\n\r\n")], .toServer, port: 80).app == .rtsp)
        #expect(identify([ascii("OPTIONS rtsp://cam/ RTSP/1.0\r\n\r\n")], .toServer, port: 80).app == .rtsp)
    }

    @Test func ircProbes() {
        #expect(probe(Probes.irc, ascii("CAP LS 302\r\n"), port: 7777) == .match)
        #expect(probe(Probes.irc, ascii("NICK tim\r\n"), port: 7777) == .match)
        #expect(probe(Probes.irc, ascii("USER tim 0 * :Tim\r\n"), port: 7777) == .match)
        #expect(probe(Probes.irc, ascii("USER anonymous\r\n"), port: 21) == .noMatch)  // FTP's USER
        #expect(probe(Probes.irc, ascii("PASS x\r\n"), port: 110) == .noMatch)  // POP3's PASS
        #expect(probe(Probes.irc, ascii("PASS x\r\n"), port: 6667) == .match)
        #expect(probe(Probes.irc, ascii("NICK"), port: 6667) == .needMore)
        #expect(probe(Probes.irc, ascii(":irc.example NOTICE * :*** Looking up your hostname...\r\n"), toServer: false, port: 7777) == .match)
        #expect(probe(Probes.irc, ascii("NOTICE AUTH :*** Checking Ident\r\n"), toServer: false, port: 7777) == .match)
        #expect(probe(Probes.irc, ascii("220 ftp ready\r\n"), toServer: false, port: 7777) == .noMatch)
        #expect(identify([ascii("NICK brotest\r\n")], .toServer, port: 12345).app == .irc)
    }

    @Test func vncRshRloginProbes() {
        #expect(probe(Probes.vnc, ascii("RFB 003.008\n"), toServer: false, port: 1234) == .match)
        #expect(probe(Probes.vnc, ascii("RFB 003.8\n"), toServer: false, port: 5900) == .noMatch)
        #expect(probe(Probes.vnc, ascii("RFB 00"), port: 5900) == .needMore)
        #expect(identify([ascii("RFB 003.889\n")], .toClient, port: 443).app == .vnc)

        #expect(probe(Probes.rsh, ascii("1022\0"), port: 514) == .match)
        #expect(probe(Probes.rsh, ascii("1022\0"), port: 2000) == .needMore)
        #expect(probe(Probes.rsh, ascii("1022\0lns\0"), port: 2000) == .match)
        #expect(probe(Probes.rsh, ascii("\0lns\0root\0ls -l\0"), port: 2000) == .match)
        #expect(probe(Probes.rsh, ascii("\0lns\0root\0xterm/38400\0"), port: 2000) == .noMatch)  // rlogin
        #expect(probe(Probes.rsh, ascii("GET / HTTP/1.1\r\n"), port: 514) == .noMatch)
        #expect(probe(Probes.rlogin, ascii("\0lns\0root\0xterm/38400\0"), port: 2000) == .match)
        #expect(probe(Probes.rlogin, ascii("\0lns\0root\0"), port: 513) == .match)
        #expect(probe(Probes.rlogin, ascii("\0lns\0root\0ls\0"), port: 2000) == .noMatch)
        #expect(identify([ascii("\0lns\0root\0vt100/9600\0")], .toServer, port: 4000).app == .rlogin)
        #expect(identify([ascii("1022\0lns\0root\0ls\0")], .toServer, port: 4000).app == .rsh)
    }

    @Test func tftpAndSyslogProbes() {
        // RFC 1350 §5: RRQ, DATA, ACK, ERROR; RFC 2347 options after the mode.
        let rrq: [UInt8] = [0, 1] + ascii("router-confg") + [0] + ascii("octet") + [0]
        #expect(probe(Probes.tftp, rrq, port: 69) == .match)
        #expect(probe(Probes.tftp, [0, 2] + ascii("a.bin") + [0] + ascii("NetASCII") + [0] + ascii("blksize") + [0] + ascii("1428") + [0], port: 6969) == .match)
        #expect(probe(Probes.tftp, [0, 1] + ascii("x") + [0] + ascii("binary") + [0], port: 69) == .noMatch)
        #expect(probe(Probes.tftp, [0, 1, 0] + ascii("octet") + [0], port: 69) == .match)  // empty name (ndpi__tftp.pcap)
        #expect(probe(Probes.tftp, [0, 1] + [UInt8](repeating: 0, count: 12) + ascii("octet") + [0], port: 69) == .noMatch)
        #expect(probe(Probes.tftp, [0, 1] + ascii("x") + [1, 0] + ascii("octet") + [0], port: 69) == .noMatch)
        #expect(probe(Probes.tftp, [0, 3, 0, 1] + counting(512), toServer: false, port: 50000) == .match)
        #expect(probe(Probes.tftp, [0, 3, 0, 1] + counting(513), toServer: false, port: 50000) == .noMatch)
        #expect(probe(Probes.tftp, [0, 4, 0, 0], toServer: false, port: 50000) == .match)
        #expect(probe(Probes.tftp, [0, 4, 0, 0, 1], toServer: false, port: 50000) == .noMatch)
        #expect(probe(Probes.tftp, [0, 5, 0, 1] + ascii("File not found") + [0], toServer: false, port: 50000) == .match)
        #expect(identify([rrq], .toServer, port: 69, transport: .udp).app == .tftp)

        // RFC 5424 §6.5 example 1; RFC 3164 §5.4 example.
        let rfc5424 = ascii("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8")
        let rfc3164 = ascii("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")
        #expect(probe(Probes.syslog, rfc5424, port: 10514) == .match)
        #expect(probe(Probes.syslog, rfc3164, port: 10514) == .match)
        #expect(probe(Probes.syslog, ascii("<13>hello"), port: 514) == .match)
        #expect(probe(Probes.syslog, ascii("<13>hello"), port: 10514) == .noMatch)
        #expect(probe(Probes.syslog, ascii("<192>1 x"), port: 514) == .noMatch)
        #expect(probe(Probes.syslog, ascii("<034>1 x"), port: 514) == .noMatch)
        #expect(probe(Probes.syslog, ascii("<html>"), port: 514) == .noMatch)
        #expect(identify([rfc5424], .toServer, port: 9999, transport: .udp).app == .syslog)
    }
}
