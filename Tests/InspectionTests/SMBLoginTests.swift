import Foundation
import Testing
@testable import Flows
@testable import Inspection

// SMBLoginAnalyzer and Probes.smb on byte-exact SMB sessions built here from
// the specifications: session service framing (RFC 1002 §4.3), SMB1 headers,
// NEGOTIATE and SESSION_SETUP_ANDX (MS-CIFS §2.2.3.1, §2.2.4.52, §2.2.4.53;
// extended security MS-SMB §2.2.4.6), SMB2 headers, SESSION_SETUP and the
// SMB3 TRANSFORM_HEADER (MS-SMB2 §2.2.1.2, §2.2.5, §2.2.6, §2.2.41), NTLM
// messages (MS-NLMP §2.2.1.3, `NTLMSample`). Fed whole, split at every byte
// of each direction and byte by byte; plus the real captures through tshark.

enum SMBBytes {
    /// A session message (type 0, 24-bit length) holding `smb`.
    static func nbss(_ smb: [UInt8]) -> [UInt8] { [0] + be24(smb.count) + smb }

    static let unicodeNTStatus = 0xc001  // FLAGS2: UNICODE, NT_STATUS, LONG_NAMES
    static let oemNTStatus = 0x4001  // FLAGS2: NT_STATUS, LONG_NAMES (8-bit strings)

    /// An SMB1 message (MS-CIFS §2.2.3.1): the 32-byte header, WordCount, the words, ByteCount, the bytes.
    static func smb1(
        _ command: UInt8, status: Int = 0, reply: Bool, flags2: Int = unicodeNTStatus, words: [UInt8], data: [UInt8]
    ) -> [UInt8] {
        precondition(words.count % 2 == 0)
        var h: [UInt8] = [0xff] + ascii("SMB") + [command] + le32(status)
        h += [reply ? 0x98 : 0x18] + le16(flags2) + le16(0) + [UInt8](repeating: 0, count: 8)
        h += le16(0) + le16(0) + le16(0x1234) + le16(reply ? 0x0800 : 0) + le16(7)  // reserved, TID, PID, UID, MID
        return nbss(h + [UInt8(words.count / 2)] + words + le16(data.count) + data)
    }

    /// NEGOTIATE request offering "NT LM 0.12" (§2.2.4.52.1).
    static let negotiateRequest = smb1(0x72, reply: false, words: [], data: [0x02] + ascii("NT LM 0.12") + [0])

    /// NEGOTIATE response, NT LM 0.12 (17 words, §2.2.4.52.2) with `securityMode`.
    static func negotiateResponse(securityMode: UInt8, extendedSecurity: Bool = false) -> [UInt8] {
        let capabilities = 0x0000_e3fc | (extendedSecurity ? Int(0x8000_0000) : 0)
        var w: [UInt8] = le16(0) + [securityMode] + le16(50) + le16(1) + le32(16644) + le32(65536) + le32(0)
        w += le32(capabilities) + [UInt8](repeating: 0, count: 8) + le16(0) + [extendedSecurity ? 0 : 8]
        let data = extendedSecurity ? counting(16, from: 0x40) : counting(8, from: 0x30) + utf16le("WORKGROUP") + [0, 0]
        return smb1(0x72, reply: true, words: w, data: data)
    }

    /// SESSION_SETUP_ANDX request without extended security (13 words,
    /// §2.2.4.53.1): OEM and Unicode passwords, then (Unicode: padded to an
    /// even offset from the header) account, domain, native OS and LAN Manager.
    static func sessionSetup(oem: [UInt8], unicode: [UInt8], account: String, wide: Bool = true) -> [UInt8] {
        var w: [UInt8] = [0xff, 0] + le16(0) + le16(4356) + le16(50) + le16(0) + le32(0)
        w += le16(oem.count) + le16(unicode.count) + le32(0) + le32(0xd4)
        var data = oem + unicode
        func string(_ s: String) -> [UInt8] { wide ? utf16le(s) + [0, 0] : ascii(s) + [0] }
        // Data starts at 32 + 1 + 26 + 2 = 61 bytes from the header.
        if wide && (61 + data.count) % 2 == 1 { data.append(0) }
        data += string(account) + string("CORP") + string("Unix") + string("Samba")
        return smb1(0x73, reply: false, flags2: wide ? unicodeNTStatus : oemNTStatus, words: w, data: data)
    }

    /// SESSION_SETUP_ANDX request with extended security (12 words, MS-SMB §2.2.4.6.1).
    static func sessionSetup(blob: [UInt8]) -> [UInt8] {
        let w: [UInt8] = [0xff, 0] + le16(0) + le16(4356) + le16(50) + le16(0) + le32(0) + le16(blob.count) + le32(0)
            + le32(0x8000_00d4)
        return smb1(0x73, reply: false, words: w, data: blob + utf16le("Unix") + [0, 0])
    }

    /// SESSION_SETUP_ANDX response (3 words; 4 with a security blob) with an NTSTATUS.
    static func sessionSetupResponse(status: Int, blob: [UInt8]? = nil) -> [UInt8] {
        var w: [UInt8] = [0xff, 0] + le16(0) + le16(0)
        if let blob { w += le16(blob.count) }
        return smb1(0x73, status: status, reply: true, words: w, data: (blob ?? []) + utf16le("Unix") + [0, 0])
    }

    /// An SMB2 message (MS-SMB2 §2.2.1.2 sync header) with `body`.
    static func smb2(command: Int, status: Int = 0, response: Bool, body: [UInt8]) -> [UInt8] {
        var h: [UInt8] = [0xfe] + ascii("SMB") + le16(64) + le16(1) + le32(status) + le16(command) + le16(1)
        h += le32(response ? 1 : 0) + le32(0) + le32(3) + le32(0) + le32(0xfeff) + le32(0)
        h += le32(0x11) + le32(0) + [UInt8](repeating: 0, count: 16)  // SessionId, Signature
        return nbss(h + body)
    }

    /// SESSION_SETUP request (§2.2.5): the security buffer right after the 24 fixed bytes, at offset 88.
    static func smb2SessionSetup(blob: [UInt8]) -> [UInt8] {
        smb2(command: 1, response: false,
             body: le16(25) + [0, 1] + le32(1) + le32(0) + le16(88) + le16(blob.count) + le32(0) + le32(0) + blob)
    }

    /// SESSION_SETUP response (§2.2.6) with `sessionFlags`.
    static func smb2SessionSetupResponse(status: Int, sessionFlags: Int = 0, blob: [UInt8] = []) -> [UInt8] {
        smb2(command: 1, status: status, response: true,
             body: le16(9) + le16(sessionFlags) + le16(blob.isEmpty ? 0 : 72) + le16(blob.count) + blob)
    }

    /// NEGOTIATE request and response (§2.2.3, §2.2.4), dialect 3.1.1; not read beyond the header.
    static let smb2Negotiate = smb2(command: 0, response: false, body: le16(36) + le16(1) + le16(1) + [UInt8](repeating: 0, count: 30) + le16(0x311))
    static let smb2NegotiateResponse = smb2(command: 0, response: true, body: le16(65) + le16(1) + le16(0x311) + [UInt8](repeating: 0, count: 58))

    /// A TREE_CONNECT request (§2.2.9), read as "some message after the session setup".
    static let smb2TreeConnect = smb2(command: 3, response: false, body: le16(9) + le16(0) + le16(72) + le16(12) + utf16le("\\\\s\\a"))

    /// An SMB3 TRANSFORM_HEADER (§2.2.41) and 32 bytes of ciphertext.
    static let transform: [UInt8] = nbss(
        [0xfd] + ascii("SMB") + counting(16, from: 0x80) + counting(16, from: 0x90) + le32(32) + le16(0) + le16(1) + le32(0x11)
            + le32(0) + counting(32, from: 0xa0))

    /// SPNEGO negTokenResp (RFC 4178 §4.2.2) carrying `token` as responseToken.
    static func spnegoResponse(_ token: [UInt8]) -> [UInt8] {
        ber(0xa1, ber(0x30, ber(0xa2, ber(0x04, token))))
    }

    /// SPNEGO negTokenInit (RFC 4178 §4.2.1) offering NTLMSSP, with `token` as mechToken.
    static func spnegoInit(_ token: [UInt8]) -> [UInt8] {
        let ntlmOID: [UInt8] = [0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a]
        let spnegoOID: [UInt8] = [0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]
        return ber(0x60, spnegoOID + ber(0xa0, ber(0x30, ber(0xa0, ber(0x30, ntlmOID)) + ber(0xa2, ber(0x04, token)))))
    }

    /// A CHALLENGE_MESSAGE (MS-NLMP §2.2.1.2): no target name or info.
    static let ntlmChallenge: [UInt8] = NTLMSample.signature + le32(2) + le16(0) + le16(0) + le32(56) + le32(0x0008_0201)
        + counting(8, from: 0x55) + [UInt8](repeating: 0, count: 8) + le16(0) + le16(0) + le32(56) + [UInt8](repeating: 0, count: 8)

    /// NetBIOS SESSION REQUEST (RFC 1002 §4.3.2): called and calling names, first-level encoded.
    static let sessionRequest: [UInt8] = {
        func encoded(_ name: String) -> [UInt8] {
            let padded = Array((name + String(repeating: " ", count: 16)).utf8.prefix(16))
            return [32] + padded.flatMap { [0x41 + ($0 >> 4), 0x41 + ($0 & 0x0f)] } + [0]
        }
        let body = encoded("FILESERVER") + encoded("CLIENT")
        return [0x81, 0] + be16(body.count) + body
    }()
    static let positiveSessionResponse: [UInt8] = [0x82, 0, 0, 0]
}

func smbRun(_ steps: [Step]) -> StreamRun<SMBLoginAnalyzer> {
    var run = StreamRun(SMBLoginAnalyzer(maxDepth: 1 << 20))
    run.play(steps)
    return run
}

let statusLogonFailure = 0xC000_006D
let statusMoreProcessingRequired = 0xC000_0016

struct SMBLoginTests {
    static func make() -> SMBLoginAnalyzer { SMBLoginAnalyzer(maxDepth: 1 << 20) }

    // MARK: SMB1 without extended security

    @Test func plaintextPasswordWhenTheServerDoesNotAskForEncryption() {
        // Security mode 0x01: user-level, NEGOTIATE_ENCRYPT_PASSWORDS clear — the password goes as it is.
        let steps: [Step] = [
            .client(SMBBytes.negotiateRequest),
            .server(SMBBytes.negotiateResponse(securityMode: 0x01)),
            .client(SMBBytes.sessionSetup(oem: ascii("Secret1") + [0], unicode: [], account: "alice", wide: false)),
            .server(SMBBytes.sessionSetupResponse(status: 0)),
        ]
        StreamRun.expectEverySplit(
            SMBLoginTests.make, steps, [credential(.smbPlaintextPassword, ascii("alice"), ascii("Secret1"), .accepted)])
    }

    @Test func unicodePlaintextPasswordRejected() {
        let password = utf16le("hunter2")
        let steps: [Step] = [
            .client(SMBBytes.negotiateRequest),
            .server(SMBBytes.negotiateResponse(securityMode: 0x01)),
            .client(SMBBytes.sessionSetup(oem: [], unicode: password, account: "Bob")),
            .server(SMBBytes.sessionSetupResponse(status: statusLogonFailure)),
        ]
        StreamRun.expectEverySplit(SMBLoginTests.make, steps, [credential(.smbPlaintextPassword, ascii("Bob"), password, .rejected)])
    }

    @Test func challengeResponsesWhenPasswordsAreEncrypted() {
        // Mode 0x03: encrypt passwords. OEM = 24-byte LM response, Unicode = 24-byte NTLM (v1) response.
        let lm = counting(24, from: 0x10), nt = counting(24, from: 0x60)
        let steps: [Step] = [
            .client(SMBBytes.negotiateRequest),
            .server(SMBBytes.negotiateResponse(securityMode: 0x03)),
            .client(SMBBytes.sessionSetup(oem: lm, unicode: nt, account: "carol")),
            .server(SMBBytes.sessionSetupResponse(status: statusLogonFailure)),
        ]
        StreamRun.expectEverySplit(SMBLoginTests.make, steps, [credential(.ntlm, ascii("carol"), nt, .rejected)])
    }

    @Test func withoutTheNegotiateResponse24ByteFieldsAreChallengeResponses() {
        let nt = counting(24, from: 0x60)
        let steps: [Step] = [
            .client(SMBBytes.sessionSetup(oem: counting(24), unicode: nt, account: "dave")),
            .server(SMBBytes.sessionSetupResponse(status: 0)),
        ]
        #expect(StreamRun.sightings(SMBLoginTests.make, steps) == [credential(.ntlm, ascii("dave"), nt, .accepted)])
    }

    @Test func anonymousNullSessionIsNotACredential() {
        // As ndpi__smbv1.pcap: one NUL byte of OEM password, no account.
        let steps: [Step] = [
            .client(SMBBytes.negotiateRequest),
            .server(SMBBytes.negotiateResponse(securityMode: 0x03)),
            .client(SMBBytes.sessionSetup(oem: [0], unicode: [], account: "")),
            .server(SMBBytes.sessionSetupResponse(status: 0)),
        ]
        StreamRun.expectEverySplit(SMBLoginTests.make, steps, [])
    }

    // MARK: NTLMSSP in security blobs

    static let smb1ExtendedSecurity: [Step] = [
        .client(SMBBytes.negotiateRequest),
        .server(SMBBytes.negotiateResponse(securityMode: 0x03, extendedSecurity: true)),
        .client(SMBBytes.sessionSetup(blob: SMBBytes.spnegoInit(NTLMSample.negotiate))),
        .server(SMBBytes.sessionSetupResponse(status: statusMoreProcessingRequired, blob: SMBBytes.spnegoResponse(SMBBytes.ntlmChallenge))),
        .client(SMBBytes.sessionSetup(blob: SMBBytes.spnegoResponse(NTLMSample.authenticate))),
        .server(SMBBytes.sessionSetupResponse(status: 0, blob: ber(0xa1, ber(0x30, ber(0xa0, [0x0a, 0x01, 0x00]))))),
    ]

    @Test func smb1ExtendedSecurityNTLM() {
        StreamRun.expectEverySplit(
            SMBLoginTests.make, SMBLoginTests.smb1ExtendedSecurity,
            [credential(.ntlm, ascii("jsmith"), NTLMSample.ntResponse, .accepted)])
    }

    @Test func smb2OverNetBIOSSessionServiceRejected() {
        // Port 139: SESSION REQUEST / POSITIVE SESSION RESPONSE, then SMB2 with raw NTLMSSP blobs.
        let steps: [Step] = [
            .client(SMBBytes.sessionRequest),
            .server(SMBBytes.positiveSessionResponse),
            .client(SMBBytes.smb2Negotiate),
            .server(SMBBytes.smb2NegotiateResponse),
            .client(SMBBytes.smb2SessionSetup(blob: NTLMSample.negotiate)),
            .server(SMBBytes.smb2SessionSetupResponse(status: statusMoreProcessingRequired, blob: SMBBytes.ntlmChallenge)),
            .client(SMBBytes.smb2SessionSetup(blob: NTLMSample.authenticate)),
            .server(SMBBytes.smb2SessionSetupResponse(status: statusLogonFailure)),
        ]
        StreamRun.expectEverySplit(
            SMBLoginTests.make, steps, [credential(.ntlm, ascii("jsmith"), NTLMSample.ntResponse, .rejected)])
    }

    @Test func credentialWithoutAResponseIsUnknown() {
        let steps: [Step] = [
            .client(SMBBytes.smb2Negotiate),
            .server(SMBBytes.smb2NegotiateResponse),
            .client(SMBBytes.smb2SessionSetup(blob: SMBBytes.spnegoResponse(NTLMSample.authenticate))),
        ]
        #expect(StreamRun.sightings(SMBLoginTests.make, steps) == [credential(.ntlm, ascii("jsmith"), NTLMSample.ntResponse, .unknown)])
    }

    @Test func bruteForceOnOneConnectionReportsEachTry() {
        let first = SMBBytes.sessionSetup(oem: counting(24), unicode: counting(24, from: 0x40), account: "eve")
        let second = SMBBytes.sessionSetup(oem: counting(24, from: 1), unicode: counting(24, from: 0x41), account: "eve")
        let steps: [Step] = [
            .client(SMBBytes.negotiateRequest), .server(SMBBytes.negotiateResponse(securityMode: 0x03)),
            .client(first), .server(SMBBytes.sessionSetupResponse(status: statusLogonFailure)),
            .client(second), .server(SMBBytes.sessionSetupResponse(status: 0)),
        ]
        #expect(StreamRun.sightings(SMBLoginTests.make, steps) == [
            credential(.ntlm, ascii("eve"), counting(24, from: 0x40), .rejected),
            credential(.ntlm, ascii("eve"), counting(24, from: 0x41), .accepted),
        ])
    }

    // MARK: encryption and bounded reading

    @Test func sessionSetupWithEncryptDataFlagMarksTheFlowEncrypted() {
        var run = smbRun([
            .client(SMBBytes.smb2Negotiate), .server(SMBBytes.smb2NegotiateResponse),
            .client(SMBBytes.smb2SessionSetup(blob: NTLMSample.authenticate)),
            .server(SMBBytes.smb2SessionSetupResponse(status: 0, sessionFlags: 0x0004)),
        ])
        #expect(run.analyzer.isEncrypted)
        #expect(run.verdicts.last == .done)
        #expect(run.sightings == [credential(.ntlm, ascii("jsmith"), NTLMSample.ntResponse, .accepted)])
        run.endBoth()
        #expect(run.context.bufferedBytes == 0)
    }

    @Test func flowInspectionReportsTheProtectedPayload() {
        var inspection = FlowInspection(serverPort: 445, transport: .tcp, selection: .all)
        var context = InspectionContext()
        var offsets: [UInt64] = [0, 0]
        for step: Step in [
            .client(SMBBytes.smb2Negotiate), .server(SMBBytes.smb2NegotiateResponse),
            .client(SMBBytes.smb2SessionSetup(blob: NTLMSample.authenticate)),
            .server(SMBBytes.smb2SessionSetupResponse(status: 0)),
        ] {
            let (bytes, d, k): ([UInt8], Direction, Int) =
                switch step {
                case .client(let b): (b, .toServer, 0)
                case .server(let b): (b, .toClient, 1)
                }
            bytes.withUnsafeBytes { inspection.ingest($0, direction: d, offset: offsets[k], context: &context) }
            offsets[k] += UInt64(bytes.count)
        }
        #expect(inspection.app == .smb)
        #expect(!inspection.payloadProtected)
        SMBBytes.transform.withUnsafeBytes { inspection.ingest($0, direction: .toClient, offset: offsets[1], context: &context) }
        #expect(inspection.payloadProtected)
        #expect(inspection.isDone)
        #expect(inspection.takeSightings() == [credential(.ntlm, ascii("jsmith"), NTLMSample.ntResponse, .accepted)])
    }

    @Test func transformHeaderAfterTheSessionSetupMarksTheFlowEncrypted() {
        let run = smbRun([
            .client(SMBBytes.smb2Negotiate), .server(SMBBytes.smb2NegotiateResponse),
            .client(SMBBytes.smb2SessionSetup(blob: NTLMSample.authenticate)),
            .server(SMBBytes.smb2SessionSetupResponse(status: 0)),
            .client(SMBBytes.transform),
        ])
        #expect(run.analyzer.isEncrypted)
        #expect(run.verdicts.last == .done)
    }

    @Test func unencryptedSMB2IsDoneAfterABoundedNumberOfMessages() {
        var steps: [Step] = [
            .client(SMBBytes.smb2Negotiate), .server(SMBBytes.smb2NegotiateResponse),
            .client(SMBBytes.smb2SessionSetup(blob: NTLMSample.authenticate)),
            .server(SMBBytes.smb2SessionSetupResponse(status: 0)),
        ]
        for _ in 0..<(SMBLoginAnalyzer.messagesAfterSessionSetup - 1) { steps.append(.client(SMBBytes.smb2TreeConnect)) }
        var run = smbRun(steps)
        #expect(run.verdicts.last == .needMore)
        run.send(SMBBytes.smb2TreeConnect, .toServer)
        #expect(run.verdicts.last == .done)
        #expect(!run.analyzer.isEncrypted)
        // A transform header after that is not looked at: file traffic is not read.
        run.send(SMBBytes.transform, .toServer)
        #expect(!run.analyzer.isEncrypted)
    }

    // MARK: look-alikes, malformed, truncated

    @Test func notSMBAfterTheFramingStopsTheDirection() {
        let steps: [Step] = [
            .client([0, 0, 0, 20] + ascii("GET / HTTP/1.1\r\n\r\n  ")),
            .client(SMBBytes.sessionSetup(oem: ascii("pw"), unicode: [], account: "x", wide: false)),
        ]
        #expect(StreamRun.sightings(SMBLoginTests.make, steps).isEmpty)
    }

    @Test func unknownSessionServiceTypeStopsTheDirection() {
        var run = smbRun([.client([0x47, 0x45, 0x54, 0x20]), .server([0x48, 0x54, 0x54, 0x50])])
        #expect(run.verdicts.last == .done)
        run.endBoth()
        #expect(run.sightings.isEmpty)
    }

    @Test func passwordLengthsPastTheMessageAreIgnored() {
        // OEMPasswordLen says 200 bytes; the data holds far fewer.
        var message = SMBBytes.sessionSetup(oem: ascii("pw"), unicode: [], account: "x", wide: false)
        message[4 + 33 + 14] = 200
        let steps: [Step] = [.server(SMBBytes.negotiateResponse(securityMode: 0x01)), .client(message)]
        #expect(StreamRun.sightings(SMBLoginTests.make, steps).isEmpty)
    }

    @Test func everyTruncationOfASessionSetupIsSafe() {
        let message = SMBBytes.sessionSetup(blob: SMBBytes.spnegoResponse(NTLMSample.authenticate))
        for n in 0..<message.count {
            // The framing is rewritten to announce just the bytes there are.
            let body = Array(message[4..<max(4, n)])
            let steps: [Step] = [.client(SMBBytes.nbss(body)), .server(SMBBytes.sessionSetupResponse(status: 0))]
            let got = StreamRun.sightings(SMBLoginTests.make, steps)
            #expect(got.isEmpty || got == [credential(.ntlm, ascii("jsmith"), NTLMSample.ntResponse, .accepted)], "cut at \(n)")
        }
    }

    @Test func oversizedMessageIsSkippedAndCounted() {
        var run = StreamRun(SMBLoginAnalyzer(maxDepth: 1 << 20))
        let big = SMBLoginAnalyzer.maxMessage + 1
        run.send([0] + be24(big) + [0xfe] + ascii("SMB"), .toServer)
        run.send([UInt8](repeating: 0, count: big - 4), .toServer)
        run.send(SMBBytes.smb2SessionSetup(blob: NTLMSample.authenticate), .toServer)
        run.send(SMBBytes.smb2SessionSetupResponse(status: 0), .toClient)
        #expect(run.analyzer.oversizedMessages == 1)
        #expect(run.context.counters.cleartextOversizedMessages == 1)
        #expect(run.sightings == [credential(.ntlm, ascii("jsmith"), NTLMSample.ntResponse, .accepted)])
    }

    @Test func gapStopsTheDirection() {
        var run = StreamRun(SMBLoginAnalyzer(maxDepth: 1 << 20))
        run.send(SMBBytes.smb2SessionSetup(blob: NTLMSample.authenticate), .toServer)
        run.gap(.toClient, at: 0, length: 100)
        #expect(run.sightings == [credential(.ntlm, ascii("jsmith"), NTLMSample.ntResponse, .unknown)])
    }

    // MARK: probe

    @Test func probeMatchesSMBOnAnyPort() {
        for port: UInt16 in [445, 139, 8445] {
            #expect(run(Probes.smb.probeToServer, SMBBytes.negotiateRequest, port: port) == .match)
            #expect(run(Probes.smb.probeToServer, SMBBytes.smb2Negotiate, port: port) == .match)
            #expect(run(Probes.smb.probeToServer, SMBBytes.sessionRequest, port: port) == .match)
            #expect(run(Probes.smb.probeToClient, SMBBytes.smb2NegotiateResponse, port: port) == .match)
        }
        #expect(run(Probes.smb.probeToServer, Array(SMBBytes.negotiateRequest.prefix(7)), port: 445) == .needMore)
        #expect(run(Probes.smb.probeToServer, Array(SMBBytes.sessionRequest.prefix(20)), port: 139) == .needMore)
    }

    @Test func positiveSessionResponseOnlyOn139() {
        #expect(run(Probes.smb.probeToClient, SMBBytes.positiveSessionResponse, port: 139) == .match)
        #expect(run(Probes.smb.probeToClient, SMBBytes.positiveSessionResponse, port: 445) == .noMatch)
    }

    @Test func probeLookAlikes() {
        // PostgreSQL StartupMessage, a Kerberos TCP record, a transform header first, a too-short SMB length.
        let startup: [UInt8] = bigEndian32(16) + [0, 3, 0, 0] + ascii("user\0x\0\0")
        #expect(run(Probes.smb.probeToServer, startup, port: 445) == .noMatch)
        #expect(run(Probes.smb.probeToServer, [0, 0, 0, 40, 0xfd] + ascii("SMB") + counting(36), port: 445) == .noMatch)
        #expect(run(Probes.smb.probeToServer, [0, 0, 0, 8, 0xff] + ascii("SMB") + counting(4), port: 445) == .noMatch)
        #expect(run(Probes.smb.probeToServer, [0x81, 0, 0, 68, 33] + counting(40, from: 0x41), port: 139) == .noMatch)
        #expect(run(Probes.smb.probeToServer, ascii("GET / HTTP/1.1\r\n"), port: 445) == .noMatch)
    }

    @Test func identifiedAsSMB() {
        #expect(identify([SMBBytes.negotiateRequest], .toServer, port: 9445).app == .smb)
        #expect(identify(split(SMBBytes.smb2Negotiate, at: 6), .toServer, port: 445).app == .smb)
    }

    // MARK: real captures

    @Test(.enabled(if: RealCapture.available("arkime__smbtorture-ntlmssp.pcap")))
    func smbtortureNTLMSSP() {
        let got = StreamRun.sightings(SMBLoginTests.make, RealCapture.tcpStream("arkime__smbtorture-ntlmssp.pcap"))
        #expect(got.count == 1)
        guard case .credential(let c) = got.first else { return }
        #expect(c.mechanism == .ntlm && c.username == ascii("administrator") && c.outcome == .accepted)
    }

    @Test(.enabled(if: RealCapture.available("zeek__smb__raw_ntlm_in_smb.pcap")))
    func rawNTLMInSMB() {
        // Stream 2 is the SMB1 session on 445 (streams 0 and 1 are empty connection attempts).
        var run = StreamRun(SMBLoginAnalyzer(maxDepth: 1 << 20))
        run.play(RealCapture.tcpStream("zeek__smb__raw_ntlm_in_smb.pcap", 2))
        #expect(run.verdicts.last == .done, "done after the session setup and a few messages")
        run.endBoth()
        #expect(run.sightings.count == 1)
        guard case .credential(let c) = run.sightings.first else { return }
        #expect(c.mechanism == .ntlm && c.username == ascii("test") && c.outcome == .accepted)
        #expect(!run.analyzer.isEncrypted)
    }

    @Test(.enabled(if: RealCapture.available("ndpi__smbv1.pcap")))
    func smbv1NullSession() {
        #expect(StreamRun.sightings(SMBLoginTests.make, RealCapture.tcpStream("ndpi__smbv1.pcap")).isEmpty)
    }
}
