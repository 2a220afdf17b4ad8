import Testing
@testable import Flows
@testable import Inspection

// Found in review of the first RADIUS reader (2267c1d), each failing there:
// Identifier reuse, replies' direction, EAP methods outside TLS, MS-CHAP
// challenge sizes, the PAP secret, and where the Message-Authenticator sits.
// Packets are built byte-exact with RADIUSTests' helpers.

@Suite struct RADIUSReviewTests {
    typealias R = RADIUSTests

    static func pap(id: UInt8, user: String, authenticator: [UInt8]) -> [UInt8] {
        R.packet(1, id: id, [R.user(user), R.attribute(2, counting(16, from: 0x90)), R.nasIP], authenticator: authenticator)
    }

    static func names(_ c: [CredentialSighting]) -> [String] { c.map { String(decoding: $0.username ?? [], as: UTF8.self) } }

    static func bareReplySightings(_ s: [Sighting]) -> Int {
        s.filter { if case .radiusForgeableReply = $0 { true } else { false } }.count
    }

    // MARK: Identifier reuse (RADIUSLogin.swift:186, :189-195)

    /// RFC 2865 §3 / RFC 5080 §2.2.1: a retransmission repeats the Identifier
    /// AND the Request Authenticator; a request with the same Identifier and a
    /// new Request Authenticator is a new request (the NAS gave up on the old
    /// one and recycled the 8-bit Identifier). The analyzer drops the first
    /// login without ever reporting it (`pending.removeAll` does not emit).
    @Test func anIdentifierReusedByANewRequestDoesNotLoseTheFirstLogin() {
        let alice = Self.pap(id: 3, user: "alice", authenticator: counting(16, from: 0x10))
        let bob = Self.pap(id: 3, user: "bob", authenticator: counting(16, from: 0x60))
        let seen = R.sightings([(alice, .toServer), (bob, .toServer), (R.packet(3, id: 3, [R.messageAuthenticator]), .toClient)])
        let found = R.credentials(seen)
        #expect(Self.names(found).sorted() == ["alice", "bob"], "alice's login crossed the wire and must be reported")
        #expect(found.first { $0.username == ascii("bob") }?.outcome == .rejected)
        #expect(found.first { $0.username == ascii("alice") }?.outcome == .unknown)
    }

    /// A request that carries no password (Status-Server, RFC 5997 §3, which
    /// shares the Identifier space; an EAP Access-Request) and reuses the
    /// Identifier of an unanswered PAP request does not replace it, so the
    /// reply to the Status-Server / EAP request settles alice's PAP login:
    /// reported "accepted" though her request was never answered.
    @Test func aReplyToAnotherRequestWithTheSameIdentifierDoesNotSettleAnOlderLogin() {
        let alice = Self.pap(id: 7, user: "alice", authenticator: counting(16, from: 0x10))
        let statusServer = R.packet(12, id: 7, [R.messageAuthenticator], authenticator: counting(16, from: 0x70))
        let accept = R.packet(2, id: 7, [R.messageAuthenticator])
        let viaStatus = R.credentials(R.sightings([(alice, .toServer), (statusServer, .toServer), (accept, .toClient)]))
        #expect(viaStatus.map(\.outcome) == [.unknown], "the Access-Accept answered the Status-Server, not alice")

        let eap = R.packet(1, id: 7, [R.user("bob"), R.nasIP, R.attribute(79, [2, 1, 0, 8, 1] + ascii("bob")), R.messageAuthenticator],
                           authenticator: counting(16, from: 0x80))
        let reject = R.packet(3, id: 7, [R.attribute(79, [4, 1, 0, 4]), R.messageAuthenticator])
        let viaEAP = R.credentials(R.sightings([(alice, .toServer), (eap, .toServer), (reject, .toClient)]))
        #expect(viaEAP.map(\.outcome) == [.unknown], "the Access-Reject refused bob's EAP login, not alice's password")
    }

    /// RFC 2865 §3: a reply goes back from the server to the request's source.
    /// A packet sent the same way as the request is not its answer, yet it
    /// settles it (the analyzer ignores `direction`).
    @Test func aReplyTravellingTheRequestsWayDoesNotSettleIt() {
        let alice = Self.pap(id: 5, user: "alice", authenticator: counting(16, from: 0x10))
        let seen = R.sightings([(alice, .toServer), (R.packet(2, id: 5, [R.messageAuthenticator]), .toServer)])
        #expect(R.credentials(seen).map(\.outcome) == [.unknown])
    }

    // MARK: EAP (RADIUSLogin.swift:150-151, :227; README "EAP logins ... run in TLS")

    /// EAP-MD5 (RFC 3748 §5.4) in RADIUS (RFC 3579): the challenge in the
    /// Access-Challenge's EAP-Message, MD5(id + password + challenge) in the
    /// next Access-Request's — crackable offline exactly like RADIUS CHAP,
    /// with no TLS around it. Not reported.
    @Test func eapMD5IsACrackableLogin() {
        let identity = R.packet(1, id: 1, [R.user("jsmith"), R.nasIP, R.attribute(79, [2, 0, 0, 11, 1] + ascii("jsmith")), R.messageAuthenticator],
                                authenticator: counting(16, from: 0x10))
        let state = R.attribute(24, counting(16, from: 0xd0))
        let challenge = R.packet(11, id: 1, [R.attribute(79, [1, 1, 0, 22, 4, 16] + counting(16, from: 0xa0)), state, R.messageAuthenticator])
        let response = R.packet(1, id: 2, [R.user("jsmith"), R.nasIP, R.attribute(79, [2, 1, 0, 28, 4, 16] + counting(16, from: 0xb0) + ascii("jsmith")),
                                           state, R.messageAuthenticator], authenticator: counting(16, from: 0x20))
        let accept = R.packet(2, id: 2, [R.attribute(79, [3, 1, 0, 4]), R.messageAuthenticator])
        let seen = R.sightings([(identity, .toServer), (challenge, .toClient), (response, .toServer), (accept, .toClient)])
        #expect(!R.credentials(seen).isEmpty, "EAP-MD5's challenge and response crossed in clear")
    }

    /// EAP-GTC (RFC 3748 §5.6) as the outer method: the EAP-Response carries
    /// the password (or OTP) itself, in clear inside RADIUS. Not reported.
    @Test func eapGTCCarriesThePasswordInClear() {
        let response = R.packet(1, id: 2, [R.user("jsmith"), R.nasIP, R.attribute(79, [2, 1, 0, 16, 6] + ascii("Summer2026!")),
                                           R.attribute(24, counting(16, from: 0xd0)), R.messageAuthenticator])
        let seen = R.sightings([(response, .toServer), (R.packet(2, id: 2, [R.attribute(79, [3, 1, 0, 4]), R.messageAuthenticator]), .toClient)])
        #expect(R.credentials(seen).contains { $0.secret == ascii("Summer2026!") }, "EAP-GTC sent the password in clear")
    }

    // MARK: MS-CHAP challenge sizes (RADIUSLogin.swift:221-226; RFC 2548 §2.3.2, RFC 2759 §4)

    /// MS-CHAPv2 needs the 16-byte Authenticator Challenge (MS-CHAP-Challenge,
    /// RFC 2548 §2.3.2 / RFC 2759 §8.2): without it, or with an 8-byte (v1)
    /// one, the response cannot be cracked, yet it is reported "crackable"
    /// with whatever challenge (or none) appended.
    @Test func msCHAPv2IsCrackableOnlyWithItsSixteenByteChallenge() {
        let response = [0x01, 0x00] + counting(16, from: 0x40) + [UInt8](repeating: 0, count: 8) + counting(24, from: 0x60)
        let none = R.packet(1, id: 1, [R.user("jsmith"), R.nasIP, R.microsoft(25, response)])
        let short = R.packet(1, id: 2, [R.user("jsmith"), R.nasIP, R.microsoft(11, counting(8, from: 0xa0)), R.microsoft(25, response)])
        for request in [none, short] {
            #expect(R.credentials(R.sightings([(request, .toServer)])).isEmpty, "no usable v2 challenge")
        }
    }

    // MARK: PAP secret (RADIUSLogin.swift:212-214)

    /// User-Password = password XOR MD5(secret + Request Authenticator)
    /// (RFC 2865 §5.2): without the Request Authenticator neither the shared
    /// secret nor the password can be recovered. CHAP's secret carries it
    /// (line 220); PAP's does not.
    @Test func papSecretCarriesTheRequestAuthenticator() {
        let auth = counting(16, from: 0x10)
        let found = R.credentials(R.sightings([(Self.pap(id: 1, user: "alice", authenticator: auth), .toServer)]))
        #expect(found.map(\.secret) == [counting(16, from: 0x90) + auth])
    }

    // MARK: BlastRADIUS (RADIUSLogin.swift:196)

    /// The BlastRADIUS mitigation (blastradius.fail; draft-ietf-radext-
    /// deprecating-radius; FreeRADIUS 3.2.5) is Message-Authenticator as the
    /// FIRST attribute of every Access-Accept/Reject/Challenge: placed after
    /// the (attacker-controlled) Proxy-State it is part of the identical
    /// suffix of the MD5 collision, and a NAS that does not verify it is still
    /// forgeable. Reported as if protected.
    @Test func aMessageAuthenticatorAfterProxyStateIsNoMitigation() {
        let reply = R.packet(3, id: 1, [R.attribute(33, counting(40, from: 0x20)), R.messageAuthenticator])
        #expect(R.sightings([(reply, .toClient)]) == [.radiusForgeableReply(reply: "Access-Reject", messageAuthenticatorLater: true)])
        let first = R.packet(3, id: 1, [R.messageAuthenticator, R.attribute(33, counting(40, from: 0x20))])
        #expect(Self.bareReplySightings(R.sightings([(first, .toClient)])) == 0)
    }

    /// RFC 2869 §5.14: Message-Authenticator has Length 18. A type-80
    /// attribute of another length is no Message-Authenticator (a verifying
    /// client discards the packet), yet it silences the finding.
    @Test func aMalformedMessageAuthenticatorIsNone() {
        let reply = R.packet(2, id: 1, [R.attribute(80, [])])
        #expect(Self.bareReplySightings(R.sightings([(reply, .toClient)])) == 1)
    }
}
