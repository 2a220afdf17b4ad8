import Flows

/// Reads the logins of a RADIUS flow — a NAS (a switch, a VPN gateway, a Wi-Fi
/// controller) asking its server — one datagram per `ingest` (the offset is
/// not used).
///
/// An Access-Request's password goes out as a credential sighting with the
/// User-Name: User-Password with the Request Authenticator (`.radiusPAP`: the
/// password XOR an MD5 of the shared secret and that authenticator, which one
/// request and its reply let an eavesdropper guess offline — and then every
/// password), CHAP-Password with its challenge (`.radiusCHAP`), a Microsoft
/// MS-CHAP response with its 8-byte challenge (`.radiusMSCHAP`) or MS-CHAPv2
/// response with its 16-byte one (`.radiusMSCHAPv2`). Inside EAP (RFC 3579),
/// the methods that run outside a TLS tunnel: an EAP-MD5 response with the
/// challenge of the Access-Challenge before it (`.radiusEAPMD5`), an EAP-GTC
/// response, the password or one-time code itself (`.radiusEAPGTC`); PEAP,
/// EAP-TTLS and EAP-TLS are tunnels and are not read.
///
/// A request waits for the reply with its Identifier travelling the other
/// way: Access-Accept accepts it, Access-Reject refuses it, Access-Challenge
/// leaves it unknown. A retransmission (the same Identifier and Request
/// Authenticator) is the same login; another request with that Identifier
/// (the NAS gave up and reused it, or a Status-Server or EAP request took it)
/// sends the waiting one out as unknown. Whatever still waits goes out as
/// unknown when the flow ends, or — the oldest first — when more than
/// `maxPending` requests wait.
///
/// An Access-Accept, Access-Reject or Access-Challenge whose first attribute
/// is not a Message-Authenticator (RFC 3579 §3.2) is reported once per flow:
/// its MD5 Response Authenticator can be forged from the path (BlastRADIUS,
/// CVE-2024-3596) — with none at all, whatever the NAS checks; with one
/// further down, behind attributes the attacker chose, whenever the NAS does
/// not verify it. Never `.done`: a NAS sends many requests on one socket.
public final class RADIUSAnalyzer: StreamAnalyzer, SightingSource {
    public internal(set) var sightings: [Sighting] = []
    /// Requests waiting for their reply, per flow.
    public static let maxPending = 16
    /// EAP-MD5 challenges kept for the responses to come, per flow.
    static let maxChallenges = 4

    struct Pending {
        var identifier: UInt8
        /// The Request Authenticator, which a retransmission repeats (RFC 5080 §2.2.1).
        var authenticator: (UInt64, UInt64)
        var credential: CredentialSighting
    }

    @exclusivity(unchecked) var pending: [Pending] = []
    /// The EAP-MD5 challenges of the latest Access-Challenges, by EAP identifier (the response repeats it).
    @exclusivity(unchecked) var eapChallenges: [(identifier: UInt8, challenge: [UInt8])] = []
    /// The flow's forgeable reply was reported.
    private var reportedForgeableReply = false

    public init() {}

    public func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard let packet = RADIUSPacket.parse(bytes) else { return .needMore }
        switch packet.code {
        case RADIUSPacket.accessRequest, RADIUSPacket.statusServer:
            // Status-Server shares the Access-Request's Identifiers (RFC 5997 §3).
            let authenticator = RADIUSAnalyzer.key(packet.authenticator)
            if let k = pending.firstIndex(where: { $0.identifier == packet.identifier }) {
                let retransmission = pending[k].authenticator == authenticator && pending[k].credential.direction == direction
                if retransmission { break }
                emit(pending.remove(at: k).credential, .unknown)
            }
            guard packet.code == RADIUSPacket.accessRequest,
                let credential = credential(in: packet, direction: direction)
            else { break }
            if pending.count >= RADIUSAnalyzer.maxPending { emit(pending.removeFirst().credential, .unknown) }
            pending.append(Pending(identifier: packet.identifier, authenticator: authenticator, credential: credential))
        case RADIUSPacket.accessAccept, RADIUSPacket.accessReject, RADIUSPacket.accessChallenge:
            // A reply travels back to the request's sender (RFC 2865 §3).
            if let k = pending.firstIndex(where: { $0.identifier == packet.identifier && $0.credential.direction != direction }) {
                let outcome: LoginOutcome =
                    packet.code == RADIUSPacket.accessAccept ? .accepted
                    : packet.code == RADIUSPacket.accessReject ? .rejected : .unknown
                emit(pending.remove(at: k).credential, outcome)
            }
            if packet.code == RADIUSPacket.accessChallenge { keepEAPChallenge(packet) }
            let signature = packet.messageAuthenticator
            if !reportedForgeableReply && signature != .first {
                reportedForgeableReply = true
                sightings.append(
                    .radiusForgeableReply(reply: RADIUSPacket.replyName(packet.code), messageAuthenticatorLater: signature == .later))
            }
        default:
            break
        }
        return .needMore
    }

    /// The password an Access-Request carries, with its user name; nil for
    /// none (a tunnelled EAP method, a malformed or incomplete response).
    func credential(in packet: RADIUSPacket.View, direction: Direction) -> CredentialSighting? {
        let user = packet.attribute(RADIUSPacket.userName).map(Array.init)
        var secret: [UInt8]
        let mechanism: CredentialMechanism
        if let password = packet.attribute(RADIUSPacket.userPassword), !password.isEmpty {
            // Without the Request Authenticator neither the secret nor the password can be recovered.
            mechanism = .radiusPAP
            secret = Array(password) + packet.authenticator
        } else if let chap = packet.attribute(RADIUSPacket.chapPassword), chap.count == 17 {
            // The CHAP identifier and MD5 response, then the challenge: the
            // CHAP-Challenge attribute, or else the Request Authenticator (RFC 2865 §2.2).
            mechanism = .radiusCHAP
            secret = Array(chap) + (packet.attribute(RADIUSPacket.chapChallenge) ?? packet.authenticator)
        } else if let response = packet.microsoftAttribute(RADIUSPacket.msCHAP2Response) {
            // RFC 2548 §2.3.2 and RFC 2759: the response and the 16-byte authenticator challenge.
            guard response.count == 50, let challenge = packet.microsoftAttribute(RADIUSPacket.msCHAPChallenge),
                challenge.count == 16
            else { return nil }
            mechanism = .radiusMSCHAPv2
            secret = Array(response) + challenge
        } else if let response = packet.microsoftAttribute(RADIUSPacket.msCHAPResponse) {
            // RFC 2548 §2.1.3 and RFC 2433: the response and the 8-byte challenge.
            guard response.count == 50, let challenge = packet.microsoftAttribute(RADIUSPacket.msCHAPChallenge),
                challenge.count == 8
            else { return nil }
            mechanism = .radiusMSCHAP
            secret = Array(response) + challenge
        } else if let eap = packet.eapMessage, let login = eapLogin(eap) {
            (mechanism, secret) = login
        } else {
            return nil
        }
        return CredentialSighting(mechanism: mechanism, username: user, secret: secret, direction: direction)
    }

    /// An EAP Response (RFC 3748 §4.1: code 2, identifier, length, type)
    /// of a method outside TLS: MD5-Challenge (type 4, §5.4: value size,
    /// the 16-byte MD5 response) with the challenge the server sent under
    /// the same identifier, or Generic Token Card (type 6, §5.6: the response
    /// itself).
    func eapLogin(_ eap: [UInt8]) -> (CredentialMechanism, [UInt8])? {
        guard eap.count >= 6, eap[0] == 2, Int(eap[2]) << 8 | Int(eap[3]) == eap.count else { return nil }
        switch eap[4] {
        case 4:
            guard eap[5] == 16, eap.count >= 6 + 16,
                let challenge = eapChallenges.last(where: { $0.identifier == eap[1] })?.challenge
            else { return nil }
            return (.radiusEAPMD5, [eap[1]] + eap[6..<22] + challenge)
        case 6:
            return eap.count > 5 ? (.radiusEAPGTC, Array(eap[5...])) : nil
        default:
            return nil
        }
    }

    /// Keeps the challenge of an EAP-Request/MD5-Challenge (code 1, type 4) in an Access-Challenge.
    func keepEAPChallenge(_ packet: RADIUSPacket.View) {
        guard let eap = packet.eapMessage, eap.count >= 6, eap[0] == 1, eap[4] == 4,
            Int(eap[2]) << 8 | Int(eap[3]) == eap.count, eap[5] > 0, eap.count >= 6 + Int(eap[5])
        else { return }
        if eapChallenges.count >= RADIUSAnalyzer.maxChallenges { eapChallenges.removeFirst() }
        eapChallenges.append((eap[1], Array(eap[6..<(6 + Int(eap[5]))])))
    }

    static func key(_ authenticator: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        (authenticator.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
         authenticator.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    public func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict { .needMore }

    /// The flow is over: requests still waiting for a reply go out as unknown.
    public func end(direction: Direction, context: inout InspectionContext) {
        for p in pending { emit(p.credential, .unknown) }
        pending = []
    }

    private func emit(_ credential: CredentialSighting, _ outcome: LoginOutcome) {
        var credential = credential
        credential.outcome = outcome
        sightings.append(.credential(credential))
    }
}
