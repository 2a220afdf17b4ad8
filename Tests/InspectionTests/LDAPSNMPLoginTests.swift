import Foundation
import Testing
@testable import Flows
@testable import Inspection

// LDAPLoginAnalyzer on byte-exact BER LDAPMessages (RFC 4511 §4.1.1, §4.2,
// §4.12, §4.14; RFC 4616 for SASL PLAIN), fed whole, split at every byte and
// byte by byte; SNMPMessage, Probes.snmp and SNMPCommunityAnalyzer on v1/v2c
// datagrams (RFC 1157 §4, RFC 3416 §3). Real captures, where present, are
// read through tshark.

// MARK: - BER building

/// A BER element: `tag`, a definite length (short form when it fits, long
/// form otherwise; `lengthBytes` forces the long form with that many bytes,
/// as Active Directory sends it), then `content`.
func ber(_ tag: UInt8, _ content: [UInt8], lengthBytes: Int? = nil) -> [UInt8] {
    let n = content.count
    var length: [UInt8]
    if let k = lengthBytes {
        length = [0x80 | UInt8(k)] + (0..<k).map { UInt8(truncatingIfNeeded: n >> (8 * (k - 1 - $0))) }
    } else if n < 0x80 {
        length = [UInt8(n)]
    } else if n < 0x100 {
        length = [0x81, UInt8(n)]
    } else if n < 0x10000 {
        length = [0x82] + be16(n)
    } else {
        length = [0x83] + be24(n)
    }
    return [tag] + length + content
}

func berInteger(_ v: Int, tag: UInt8 = 0x02) -> [UInt8] {
    // Minimal two's complement: stop once the rest is all sign bits.
    var bytes: [UInt8] = []
    var rest = v
    repeat {
        bytes.insert(UInt8(truncatingIfNeeded: rest), at: 0)
        rest >>= 8
    } while !((rest == 0 && bytes[0] & 0x80 == 0) || (rest == -1 && bytes[0] & 0x80 != 0))
    return ber(tag, bytes)
}

enum LDAPBytes {
    static func message(_ id: Int, _ op: [UInt8], lengthBytes: Int? = nil) -> [UInt8] {
        ber(0x30, berInteger(id) + op, lengthBytes: lengthBytes)
    }

    /// BindRequest, simple authentication (RFC 4511 §4.2).
    static func simpleBind(_ id: Int, dn: String, password: String, lengthBytes: Int? = nil) -> [UInt8] {
        message(
            id,
            ber(0x60, berInteger(3) + ber(0x04, ascii(dn)) + ber(0x80, ascii(password)), lengthBytes: lengthBytes),
            lengthBytes: lengthBytes)
    }

    /// BindRequest, SASL authentication.
    static func saslBind(_ id: Int, mechanism: String, credentials: [UInt8]?) -> [UInt8] {
        let sasl = ber(0x04, ascii(mechanism)) + (credentials.map { ber(0x04, $0) } ?? [])
        return message(id, ber(0x60, berInteger(3) + ber(0x04, []) + ber(0xa3, sasl)))
    }

    /// BindResponse (RFC 4511 §4.2.2): resultCode, matchedDN, diagnosticMessage.
    static func bindResponse(_ id: Int, code: Int, diagnostic: String = "", lengthBytes: Int? = nil) -> [UInt8] {
        message(
            id,
            ber(0x61, berInteger(code, tag: 0x0a) + ber(0x04, []) + ber(0x04, ascii(diagnostic)), lengthBytes: lengthBytes),
            lengthBytes: lengthBytes)
    }

    /// SearchRequest (§4.5.1): base, scope, deref, limits, typesOnly, filter (present), attributes.
    static func search(_ id: Int, base: String) -> [UInt8] {
        let body =
            ber(0x04, ascii(base)) + berInteger(2, tag: 0x0a) + berInteger(0, tag: 0x0a) + berInteger(0) + berInteger(0)
            + ber(0x01, [0x00]) + ber(0x87, ascii("objectClass")) + ber(0x30, ber(0x04, ascii("cn")))
        return message(id, ber(0x63, body))
    }

    /// SearchResultEntry (§4.5.2) with one attribute of `valueSize` bytes, then SearchResultDone.
    static func searchResults(_ id: Int, dn: String, valueSize: Int) -> [UInt8] {
        let attribute = ber(0x30, ber(0x04, ascii("description")) + ber(0x31, ber(0x04, counting(valueSize, from: 0x30))))
        let entry = message(id, ber(0x64, ber(0x04, ascii(dn)) + ber(0x30, attribute)))
        let done = message(id, ber(0x65, berInteger(0, tag: 0x0a) + ber(0x04, []) + ber(0x04, [])))
        return entry + done
    }

    /// ExtendedRequest StartTLS (RFC 4511 §4.14.1).
    static func startTLS(_ id: Int) -> [UInt8] {
        message(id, ber(0x77, ber(0x80, ascii("1.3.6.1.4.1.1466.20037"))))
    }

    static let unbind: [UInt8] = message(9, [0x42, 0x00])
}

// MARK: - Driving the LDAP analyzer

struct LDAPRun {
    let analyzer: LDAPLoginAnalyzer
    var context = InspectionContext()
    var offsets: (toServer: UInt64, toClient: UInt64) = (0, 0)
    var verdicts: [AnalyzerVerdict] = []

    init(maxDepth: UInt64 = 1 << 20, context: InspectionContext = InspectionContext()) {
        analyzer = LDAPLoginAnalyzer(maxDepth: maxDepth)
        self.context = context
    }

    mutating func send(_ bytes: [UInt8], _ d: Direction) {
        let offset = d == .toServer ? offsets.toServer : offsets.toClient
        verdicts.append(bytes.withUnsafeBytes { analyzer.ingest($0, direction: d, offset: offset, context: &context) })
        if d == .toServer { offsets.toServer += UInt64(bytes.count) } else { offsets.toClient += UInt64(bytes.count) }
    }

    /// Plays the steps; `split` cuts the concatenation of each direction's
    /// bytes at that byte (both directions), `byteByByte` sends single bytes.
    mutating func play(_ steps: [Step], split: Int? = nil, byteByByte: Bool = false) {
        var position = (toServer: 0, toClient: 0)
        for step in steps {
            let (bytes, d): ([UInt8], Direction) =
                switch step {
                case .client(let b): (b, .toServer)
                case .server(let b): (b, .toClient)
                }
            let start = d == .toServer ? position.toServer : position.toClient
            if byteByByte {
                for b in bytes { send([b], d) }
            } else if let k = split, k > start, k < start + bytes.count {
                send(Array(bytes[..<(k - start)]), d)
                send(Array(bytes[(k - start)...]), d)
            } else {
                send(bytes, d)
            }
            if d == .toServer { position.toServer += bytes.count } else { position.toClient += bytes.count }
        }
    }

    mutating func endBoth() {
        analyzer.end(direction: .toServer, context: &context)
        analyzer.end(direction: .toClient, context: &context)
    }
}

func ldapSightings(_ steps: [Step], split: Int? = nil, byteByByte: Bool = false) -> [Sighting] {
    var run = LDAPRun()
    run.play(steps, split: split, byteByByte: byteByByte)
    run.endBoth()
    #expect(run.context.bufferedBytes == 0, "every held byte goes back to the budget")
    #expect(run.analyzer.isDone)
    return run.analyzer.sightings
}

func longestDirection(_ steps: [Step]) -> Int {
    var c = 0, s = 0
    for step in steps {
        switch step {
        case .client(let b): c += b.count
        case .server(let b): s += b.count
        }
    }
    return max(c, s)
}

enum LDAPSamples {
    static let simpleAccepted: [Step] = [
        .client(LDAPBytes.simpleBind(1, dn: "cn=admin,dc=example,dc=com", password: "s3cr3t pw")),
        .server(LDAPBytes.bindResponse(1, code: 0)),
    ]

    static let simpleRejected: [Step] = [
        .client(LDAPBytes.simpleBind(1, dn: "uid=bjensen,ou=People,dc=example,dc=com", password: "wrong")),
        .server(LDAPBytes.bindResponse(1, code: 49, diagnostic: "80090308: LdapErr: DSID-0C09042A, data 52e")),
    ]

    /// A search and its (large) results between an anonymous bind and a real one.
    static let twoBindsAroundASearch: [Step] = [
        .client(LDAPBytes.simpleBind(1, dn: "", password: "")),
        .server(LDAPBytes.bindResponse(1, code: 0)),
        .client(LDAPBytes.search(2, base: "dc=example,dc=com")),
        .server(LDAPBytes.searchResults(2, dn: "uid=george,ou=Users,dc=example,dc=com", valueSize: 3000)),
        .client(LDAPBytes.simpleBind(3, dn: "uid=george,ou=Users,dc=example,dc=com", password: "hunter2")),
        .server(LDAPBytes.bindResponse(3, code: 0)),
        .client(LDAPBytes.simpleBind(4, dn: "uid=alice,ou=Users,dc=example,dc=com", password: "letmein")),
        .server(LDAPBytes.bindResponse(4, code: 49)),
        .client(LDAPBytes.unbind),
    ]

    static let saslPlain: [Step] = [
        .client(LDAPBytes.saslBind(7, mechanism: "PLAIN", credentials: [0] + ascii("tim") + [0] + ascii("tanstaaftanstaaf"))),
        .server(LDAPBytes.bindResponse(7, code: 0)),
    ]

    /// Active Directory style: every length in the 4-byte long form.
    static let longForm: [Step] = [
        .client(LDAPBytes.simpleBind(1, dn: "svc-backup@corp.example", password: "Winter2024!", lengthBytes: 4)),
        .server(LDAPBytes.bindResponse(1, code: 0, lengthBytes: 4)),
    ]
}

func ldapCredential(
    _ mechanism: CredentialMechanism, _ user: String?, _ secret: String, _ outcome: LoginOutcome
) -> Sighting {
    .credential(CredentialSighting(mechanism: mechanism, username: user.map(ascii), secret: ascii(secret), outcome: outcome))
}

@Suite("LDAPLogin")
struct LDAPLoginTests {
    @Test func simpleBindAcceptedWithResultCode0() {
        #expect(
            ldapSightings(LDAPSamples.simpleAccepted) == [
                ldapCredential(.ldapSimpleBind, "cn=admin,dc=example,dc=com", "s3cr3t pw", .accepted)
            ])
    }

    @Test func simpleBindRejectedWithInvalidCredentials49() {
        #expect(
            ldapSightings(LDAPSamples.simpleRejected) == [
                ldapCredential(.ldapSimpleBind, "uid=bjensen,ou=People,dc=example,dc=com", "wrong", .rejected)
            ])
    }

    @Test func anonymousBindIsNotACredential() {
        let steps: [Step] = [.client(LDAPBytes.simpleBind(1, dn: "", password: "")), .server(LDAPBytes.bindResponse(1, code: 0))]
        #expect(ldapSightings(steps).isEmpty)
        // Unauthenticated: a name with an empty password (RFC 4513 §5.1.2).
        let named: [Step] = [.client(LDAPBytes.simpleBind(1, dn: "cn=x", password: "")), .server(LDAPBytes.bindResponse(1, code: 53))]
        #expect(ldapSightings(named).isEmpty)
    }

    @Test func saslPlainBindGivesAuthcidAndPassword() {
        #expect(ldapSightings(LDAPSamples.saslPlain) == [ldapCredential(.saslPlain, "tim", "tanstaaftanstaaf", .accepted)])
    }

    @Test func saslWithoutCredentialsOrOtherMechanismIsNotReported() {
        let steps: [Step] = [
            .client(LDAPBytes.saslBind(1, mechanism: "EXTERNAL", credentials: nil)),
            .server(LDAPBytes.bindResponse(1, code: 0)),
            .client(LDAPBytes.saslBind(2, mechanism: "PLAIN", credentials: ascii("no-nul-bytes"))),
            .server(LDAPBytes.bindResponse(2, code: 49)),
        ]
        #expect(ldapSightings(steps).isEmpty)
    }

    @Test func bindsAroundASearchAreMatchedByMessageID() {
        #expect(
            ldapSightings(LDAPSamples.twoBindsAroundASearch) == [
                ldapCredential(.ldapSimpleBind, "uid=george,ou=Users,dc=example,dc=com", "hunter2", .accepted),
                ldapCredential(.ldapSimpleBind, "uid=alice,ou=Users,dc=example,dc=com", "letmein", .rejected),
            ])
    }

    @Test func longFormLengthsAreRead() {
        #expect(
            ldapSightings(LDAPSamples.longForm) == [
                ldapCredential(.ldapSimpleBind, "svc-backup@corp.example", "Winter2024!", .accepted)
            ])
    }

    @Test func everySplitPointGivesTheSameSightings() {
        for sample in [LDAPSamples.simpleAccepted, LDAPSamples.saslPlain, LDAPSamples.longForm, LDAPSamples.twoBindsAroundASearch] {
            let whole = ldapSightings(sample)
            #expect(!whole.isEmpty)
            for k in 1..<longestDirection(sample) {
                #expect(ldapSightings(sample, split: k) == whole, "split at \(k)")
            }
            #expect(ldapSightings(sample, byteByByte: true) == whole)
        }
    }

    @Test func responseReadBeforeItsBindLeavesItUnknown() {
        // The server's chunk may be handed over before the client's.
        var run = LDAPRun()
        run.send(LDAPBytes.bindResponse(1, code: 0), .toClient)
        run.send(LDAPBytes.simpleBind(1, dn: "cn=a", password: "p"), .toServer)
        run.endBoth()
        // The response came first, so no verdict could be matched: unknown.
        #expect(run.analyzer.sightings == [ldapCredential(.ldapSimpleBind, "cn=a", "p", .unknown)])
    }

    @Test func unansweredBindIsEmittedUnknownWhenTheServerSideEnds() {
        var run = LDAPRun()
        run.send(LDAPBytes.simpleBind(5, dn: "cn=a", password: "p"), .toServer)
        #expect(run.analyzer.sightings.isEmpty)
        run.analyzer.end(direction: .toClient, context: &run.context)
        #expect(run.analyzer.sightings == [ldapCredential(.ldapSimpleBind, "cn=a", "p", .unknown)])
    }

    @Test func startTLSRequestEndsTheAnalysis() {
        var run = LDAPRun()
        run.send(LDAPBytes.startTLS(1), .toServer)
        #expect(run.verdicts.last == .done)
        run.send(LDAPBytes.simpleBind(2, dn: "cn=a", password: "p"), .toServer)
        run.endBoth()
        #expect(run.analyzer.sightings.isEmpty)
    }

    @Test func aDirectionFirstSeenPastOffsetZeroIsReadFromThere() {
        var run = LDAPRun()
        let bind = LDAPBytes.simpleBind(3, dn: "cn=late", password: "pw")
        let response = LDAPBytes.bindResponse(3, code: 0)
        _ = bind.withUnsafeBytes { run.analyzer.ingest($0, direction: .toServer, offset: 500, context: &run.context) }
        _ = response.withUnsafeBytes { run.analyzer.ingest($0, direction: .toClient, offset: 77, context: &run.context) }
        run.endBoth()
        #expect(run.analyzer.sightings == [ldapCredential(.ldapSimpleBind, "cn=late", "pw", .accepted)])
    }

    @Test func oversizedMessageOfInterestIsSkippedAndCounted() {
        let huge = LDAPBytes.simpleBind(1, dn: "cn=a", password: String(repeating: "x", count: 70_000))
        let after = LDAPBytes.simpleBind(2, dn: "cn=b", password: "pw")
        var run = LDAPRun()
        run.send(Array(huge[..<1000]), .toServer)
        run.send(Array(huge[1000...]) + after, .toServer)
        run.send(LDAPBytes.bindResponse(2, code: 0), .toClient)
        #expect(run.context.peakBufferedBytes == 0)
        run.endBoth()
        #expect(run.analyzer.oversizedMessages == 1)
        #expect(run.analyzer.sightings == [ldapCredential(.ldapSimpleBind, "cn=b", "pw", .accepted)])
    }

    @Test func spanningBindIsChargedToTheBudgetAndReleased() {
        let bind = LDAPBytes.simpleBind(1, dn: "cn=admin,dc=example,dc=com", password: "pw")
        var run = LDAPRun()
        run.send(Array(bind[..<20]), .toServer)
        #expect(run.context.bufferedBytes == bind.count)
        run.send(Array(bind[20...]), .toServer)
        #expect(run.context.bufferedBytes == 0)
        // A refused charge skips the message and counts a cap hit.
        var tight = LDAPRun(context: InspectionContext(maxBufferedBytes: 8))
        tight.send(Array(bind[..<20]), .toServer)
        tight.send(Array(bind[20...]), .toServer)
        tight.endBoth()
        #expect(tight.context.counters.bufferCapHits == 1)
        #expect(tight.context.bufferedBytes == 0)
        #expect(tight.analyzer.sightings.isEmpty)
    }

    @Test func searchResultsSpanningChunksAreSkippedWithoutCopying() {
        var run = LDAPRun()
        let results = LDAPBytes.searchResults(2, dn: "cn=x", valueSize: 20_000)
        for start in stride(from: 0, to: results.count, by: 1460) {
            run.send(Array(results[start..<min(start + 1460, results.count)]), .toClient)
        }
        #expect(run.context.peakBufferedBytes == 0)
        #expect(!run.analyzer.toClient.stopped)
    }

    @Test func depthStopsBothDirections() {
        var run = LDAPRun(maxDepth: 10)
        run.play(LDAPSamples.simpleAccepted)
        #expect(run.verdicts.last == .done)
        #expect(run.analyzer.sightings.isEmpty)
        #expect(run.context.bufferedBytes == 0)
    }

    @Test func gapStopsTheDirectionAndReturnsTheBudget() {
        var run = LDAPRun()
        let bind = LDAPBytes.simpleBind(1, dn: "cn=a", password: "pw")
        run.send(Array(bind[..<20]), .toServer)
        _ = run.analyzer.gap(direction: .toServer, offset: 20, length: 5, context: &run.context)
        #expect(run.context.bufferedBytes == 0)
        #expect(run.analyzer.toServer.stopped)
    }

    @Test func garbageAndTruncatedInputDoNotCrash() {
        var inputs: [[UInt8]] = [
            [], [0x30], [0x30, 0x80], [0x30, 0x85, 1, 2, 3, 4, 5], [0x30, 0x03, 0x02, 0x00], [0x30, 0x02, 0x02, 0x09],
            [0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01, 0x60], ascii("GET / HTTP/1.1\r\n\r\n"),
            [0x30, 0x05, 0x02, 0x01, 0x01, 0x60, 0x00], [0x30, 0x07, 0x02, 0x01, 0x01, 0x60, 0x02, 0x02, 0x7f],
            [0x30, 0x0a, 0x02, 0x01, 0x01, 0x60, 0x05, 0x02, 0x01, 0x03, 0x04, 0x7f],
            [0x30, 0x0c, 0x02, 0x01, 0x01, 0xa3, 0x07, 0x04, 0x05, 0x50, 0x4c, 0x41, 0x49, 0x4e],
        ]
        let bind = LDAPBytes.simpleBind(1, dn: "cn=a", password: "pw")
        for k in 1..<bind.count { inputs.append(Array(bind[..<k])) }
        for k in 0..<bind.count {
            var bad = bind
            bad[k] ^= 0xff
            inputs.append(bad)
        }
        var seed: UInt64 = 0x9e37_79b9_7f4a_7c15
        for _ in 0..<200 {
            var bytes: [UInt8] = [0x30]
            for _ in 0..<Int(seed % 40) {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes.append(UInt8(truncatingIfNeeded: seed >> 33))
            }
            inputs.append(bytes)
        }
        for input in inputs {
            for byteByByte in [false, true] {
                var run = LDAPRun()
                run.play([.client(input), .server(input), .client(bind)], byteByByte: byteByByte)
                run.endBoth()
                #expect(run.context.bufferedBytes == 0)
                #expect(run.analyzer.isDone)
            }
        }
    }

    @Test func peekNeedsAtMostThirteenBytes() {
        let header: [UInt8] = [0x30, 0x84, 0, 0, 0, 0x20, 0x02, 0x04, 0, 0, 0, 1]
        #expect(header.withUnsafeBytes { LDAPLoginAnalyzer.peekMessage($0) } == .needMore)
        #expect((header + [0x60]).withUnsafeBytes { LDAPLoginAnalyzer.peekMessage($0) } == .message(total: 0x26, op: 0x60))
    }
}

// MARK: - SNMP

enum SNMPBytes {
    /// A v1 (version 0) or v2c (version 1) message; `pdu` is the PDU's tag.
    static func message(version: Int, community: String, pdu: UInt8, requestID: Int = 0x1234) -> [UInt8] {
        let varbind = ber(0x30, ber(0x06, [0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00]) + [0x05, 0x00])
        let body = berInteger(requestID) + berInteger(0) + berInteger(0) + ber(0x30, varbind)
        return ber(0x30, berInteger(version) + ber(0x04, ascii(community)) + ber(pdu, body))
    }

    /// An SNMPv3 message (RFC 3412 §6): version 3, header data, security parameters, scoped PDU.
    static let v3: [UInt8] = ber(
        0x30,
        berInteger(3) + ber(0x30, berInteger(0x4d2) + berInteger(65507) + ber(0x04, [0x04]) + berInteger(3))
            + ber(0x04, ber(0x30, ber(0x04, []) + berInteger(0) + berInteger(0) + ber(0x04, []) + ber(0x04, []) + ber(0x04, [])))
            + ber(0x30, ber(0x04, []) + ber(0x04, []) + ber(0xa0, berInteger(1) + berInteger(0) + berInteger(0) + ber(0x30, []))))

    /// A v1 Trap-PDU (RFC 1157 §4.1.6): enterprise, agent-addr, generic, specific, time-stamp, bindings.
    static let v1Trap: [UInt8] = ber(
        0x30,
        berInteger(0) + ber(0x04, ascii("traps"))
            + ber(
                0xa4,
                ber(0x06, [0x2b, 0x06, 0x01, 0x04, 0x01]) + ber(0x40, [10, 0, 0, 1]) + berInteger(3) + berInteger(0)
                    + ber(0x43, [0x01, 0x00]) + ber(0x30, [])))
}

struct SNMPRun {
    let analyzer = SNMPCommunityAnalyzer()
    var context = InspectionContext()

    mutating func send(_ datagram: [UInt8], _ d: Direction) {
        let verdict = datagram.withUnsafeBytes { analyzer.ingest($0, direction: d, offset: 0, context: &context) }
        #expect(verdict == .needMore)
    }

    mutating func endBoth() {
        analyzer.end(direction: .toServer, context: &context)
        analyzer.end(direction: .toClient, context: &context)
    }
}

func snmpCommunity(_ community: String, _ outcome: LoginOutcome, _ direction: Direction = .toServer) -> Sighting {
    .credential(
        CredentialSighting(
            mechanism: .snmpCommunity, username: nil, secret: ascii(community), outcome: outcome, direction: direction))
}

@Suite("SNMPCommunity")
struct SNMPCommunityTests {
    @Test func v1AndV2cGetRequestsParse() {
        for version in [0, 1] {
            let m = SNMPBytes.message(version: version, community: "public", pdu: 0xa0)
            let parsed = m.withUnsafeBytes { SNMPMessage.community($0) }
            #expect(parsed?.version == version)
            #expect(parsed?.community == ascii("public"))
            #expect(parsed?.pduType == 0xa0)
        }
        #expect(SNMPBytes.v1Trap.withUnsafeBytes { SNMPMessage.community($0) }?.pduType == 0xa4)
    }

    @Test func v3HasNoCommunity() {
        #expect(SNMPBytes.v3.withUnsafeBytes { SNMPMessage.community($0) } == nil)
        #expect(run(Probes.snmp.probeToServer, SNMPBytes.v3, port: 161) == .noMatch)
    }

    @Test func malformedMessagesAreNotSNMP() {
        let good = SNMPBytes.message(version: 1, community: "public", pdu: 0xa0)
        var inputs: [[UInt8]] = [[], [0x30], [0x30, 0x00], good + [0x00], Sample.dnsQuery, Sample.ntpRequest]
        for k in 0..<good.count { inputs.append(Array(good[..<k])) }
        inputs.append(SNMPBytes.message(version: 2, community: "public", pdu: 0xa0))
        inputs.append(SNMPBytes.message(version: 1, community: "public", pdu: 0xa9))
        inputs.append(SNMPBytes.message(version: 1, community: "public", pdu: 0x30))
        for input in inputs {
            #expect(input.withUnsafeBytes { SNMPMessage.community($0) } == nil, "\(input)")
        }
        for k in 0..<good.count {
            var bad = good
            bad[k] ^= 0xff
            _ = bad.withUnsafeBytes { SNMPMessage.community($0) }  // must not trap
        }
    }

    @Test func probeMatchesV2cAndRejectsDNS() {
        let request = SNMPBytes.message(version: 1, community: "public", pdu: 0xa1)
        let response = SNMPBytes.message(version: 1, community: "public", pdu: 0xa2)
        #expect(Probes.snmp.transport == .udp)
        #expect(run(Probes.snmp.probeToServer, request, port: 161) == .match)
        #expect(run(Probes.snmp.probeToServer, request, port: 40000) == .match)
        #expect(run(Probes.snmp.probeToClient, response, port: 161) == .match)
        #expect(run(Probes.snmp.probeToServer, Sample.dnsQuery, port: 53) == .noMatch)
        #expect(run(Probes.snmp.probeToClient, Sample.dnsResponse, port: 53) == .noMatch)
        #expect(run(Probes.dns.probeToServer, request, port: 161) == .noMatch)
    }

    @Test func requestAndResponseGiveOneAcceptedSighting() {
        for version in [0, 1] {
            var r = SNMPRun()
            r.send(SNMPBytes.message(version: version, community: "public", pdu: 0xa0), .toServer)
            #expect(r.analyzer.sightings.isEmpty, "waits for the response")
            r.send(SNMPBytes.message(version: version, community: "public", pdu: 0xa2), .toClient)
            r.send(SNMPBytes.message(version: version, community: "public", pdu: 0xa1, requestID: 2), .toServer)
            r.send(SNMPBytes.message(version: version, community: "public", pdu: 0xa2, requestID: 2), .toClient)
            r.endBoth()
            #expect(r.analyzer.sightings == [snmpCommunity("public", .accepted)])
        }
    }

    @Test func unansweredCommunityIsUnknownAtTheEnd() {
        var r = SNMPRun()
        r.send(SNMPBytes.message(version: 1, community: "private", pdu: 0xa3), .toServer)
        r.send(SNMPBytes.message(version: 1, community: "private", pdu: 0xa3), .toServer)
        r.send(SNMPBytes.message(version: 1, community: "public", pdu: 0xa0), .toServer)
        r.send(SNMPBytes.message(version: 1, community: "public", pdu: 0xa2), .toClient)
        #expect(r.analyzer.takeSightings() == [snmpCommunity("public", .accepted)])
        r.endBoth()
        #expect(r.analyzer.sightings == [snmpCommunity("private", .unknown)])
    }

    @Test func trapsAreReportedAtOnce() {
        var r = SNMPRun()
        r.send(SNMPBytes.v1Trap, .toServer)
        r.send(SNMPBytes.message(version: 1, community: "traps2c", pdu: 0xa7), .toServer)
        r.send(SNMPBytes.v1Trap, .toServer)
        #expect(r.analyzer.sightings == [snmpCommunity("traps", .unknown), snmpCommunity("traps2c", .unknown)])
    }

    @Test func responseWithAnUnseenCommunityIsReportedFromTheServer() {
        var r = SNMPRun()
        r.send(SNMPBytes.message(version: 1, community: "agent", pdu: 0xa2), .toClient)
        #expect(r.analyzer.sightings == [snmpCommunity("agent", .accepted, .toClient)])
    }

    @Test func distinctCommunitiesAreCapped() {
        var r = SNMPRun()
        for k in 0..<(SNMPCommunityAnalyzer.maxCommunities + 3) {
            r.send(SNMPBytes.message(version: 1, community: "c\(k)", pdu: 0xa7), .toServer)
        }
        #expect(r.analyzer.sightings.count == SNMPCommunityAnalyzer.maxCommunities)
        #expect(r.analyzer.droppedCommunities == 3)
    }

    @Test func nonSNMPDatagramsArePassedOver() {
        var r = SNMPRun()
        r.send(Sample.dnsQuery, .toServer)
        r.send(SNMPBytes.v3, .toServer)
        r.endBoth()
        #expect(r.analyzer.sightings.isEmpty)
    }
}

// MARK: - Real captures (where present)

enum RealCapture {
    static let directory = "/work/shared/captures/real/"
    static let tshark = ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func available(_ name: String) -> Bool {
        tshark != nil && FileManager.default.fileExists(atPath: directory + name)
    }

    static func tsharkOutput(_ arguments: [String]) -> String? {
        guard let tshark else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tshark)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func hex(_ text: Substring) -> [UInt8] {
        var out: [UInt8] = []
        var it = text.utf8.makeIterator()
        func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10 }
        while let a = it.next(), let b = it.next() { out.append(nibble(a) << 4 | nibble(b)) }
        return out
    }

    /// TCP stream `n` of a capture as steps (tshark's `follow,tcp,raw`: server lines are indented).
    static func tcpStream(_ name: String, _ n: Int = 0) -> [Step] {
        guard let text = tsharkOutput(["-r", directory + name, "-q", "-z", "follow,tcp,raw,\(n)"]) else { return [] }
        var steps: [Step] = []
        var inBody = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Node 1:") { inBody = true; continue }
            guard inBody, !line.hasPrefix("====="), !line.isEmpty else { continue }
            if line.hasPrefix("\t") { steps.append(.server(hex(line.dropFirst()))) } else { steps.append(.client(hex(line))) }
        }
        return steps
    }

    /// UDP payloads with their ports.
    static func udpPayloads(_ name: String) -> [(source: UInt16, destination: UInt16, payload: [UInt8])] {
        guard
            let text = tsharkOutput(["-r", directory + name, "-T", "fields", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "udp.payload"])
        else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 3, let s = UInt16(f[0]), let d = UInt16(f[1]) else { return nil }
            return (s, d, hex(f[2]))
        }
    }

    /// SNMP datagrams grouped into flows (client port, server port 161/162), run through analyzers.
    static func snmpSightings(_ name: String) -> (sightings: [Sighting], parsed: Int, total: Int) {
        var flows: [String: SNMPCommunityAnalyzer] = [:]
        var order: [String] = []
        var context = InspectionContext()
        var parsed = 0
        let datagrams = udpPayloads(name)
        for (s, d, payload) in datagrams {
            let toServer = d == 161 || d == 162
            let key = toServer ? "\(s)>\(d)" : "\(d)>\(s)"
            if payload.withUnsafeBytes({ SNMPMessage.community($0) }) != nil { parsed += 1 }
            if flows[key] == nil {
                flows[key] = SNMPCommunityAnalyzer()
                order.append(key)
            }
            _ = payload.withUnsafeBytes {
                flows[key]!.ingest($0, direction: toServer ? .toServer : .toClient, offset: 0, context: &context)
            }
        }
        var all: [Sighting] = []
        for key in order {
            flows[key]!.end(direction: .toServer, context: &context)
            all += flows[key]!.sightings
        }
        return (all, parsed, datagrams.count)
    }
}

@Suite("LDAPSNMPRealCaptures")
struct LDAPSNMPRealCaptureTests {
    @Test(.enabled(if: RealCapture.available("zeek__ldap__simpleauth.pcap")))
    func zeekSimpleAuthHasTwoAcceptedSimpleBinds() {
        let steps = RealCapture.tcpStream("zeek__ldap__simpleauth.pcap")
        #expect(!steps.isEmpty)
        let expected = [
            ldapCredential(.ldapSimpleBind, "xxxxxxxxxxx@xx.xxx.xxxxx.net", "passwor8d1", .accepted),
            ldapCredential(
                .ldapSimpleBind, "CN=xxxxxxxx,OU=Users,OU=Accounts,DC=xx,DC=xxx,DC=xxxxx,DC=net", "/dev/rdsk/c0t0d0s0",
                .accepted),
        ]
        #expect(ldapSightings(steps) == expected)
        #expect(ldapSightings(steps, byteByByte: true) == expected)
    }

    @Test(.enabled(if: RealCapture.available("zeek__ldap__sasl-ntlm.pcap")))
    func zeekSASLNTLMBindIsAnAcceptedNTLMCredential() {
        let sightings = ldapSightings(RealCapture.tcpStream("zeek__ldap__sasl-ntlm.pcap"))
        #expect(sightings.count == 1)
        guard case .credential(let c)? = sightings.first else { return }
        #expect(c.mechanism == .ntlm)
        #expect(c.outcome == .accepted)
        #expect(c.username.map { String(decoding: $0, as: UTF8.self) }?.contains("sasladmin") == true)
    }

    @Test(.enabled(if: RealCapture.available("zeek__ldap__ldap_invalid_credentials.pcap")))
    func zeekInvalidCredentialsAreRejectedNTLMBinds() {
        let sightings = ldapSightings(RealCapture.tcpStream("zeek__ldap__ldap_invalid_credentials.pcap"))
        #expect(!sightings.isEmpty)
        for s in sightings {
            guard case .credential(let c) = s else { continue }
            #expect(c.mechanism == .ntlm)
            #expect(c.outcome == .rejected)
        }
    }

    @Test(.enabled(if: RealCapture.available("arkime__SNMPv2c_get_requests.pcap")))
    func arkimeV2cGetRequestsAreAcceptedCommunities() {
        let result = RealCapture.snmpSightings("arkime__SNMPv2c_get_requests.pcap")
        #expect(result.parsed == result.total)
        #expect(!result.sightings.isEmpty)
        for s in result.sightings {
            #expect(s == snmpCommunity("[R0_C@cti!]", .accepted))
        }
    }

    @Test(.enabled(if: RealCapture.available("ndpi__snmp.pcap")))
    func ndpiV1AndV2cCommunitiesAreFound() {
        let result = RealCapture.snmpSightings("ndpi__snmp.pcap")
        let secrets = Set(result.sightings.compactMap { s -> String? in
            guard case .credential(let c) = s else { return nil }
            return String(decoding: c.secret, as: UTF8.self)
        })
        #expect(secrets.isSuperset(of: ["public", "public2c", "adsl"]))
    }
}
