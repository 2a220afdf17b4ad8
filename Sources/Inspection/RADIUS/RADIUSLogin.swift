import Flows

/// Reads the logins of a RADIUS flow — a NAS (a switch, a VPN gateway, a Wi-Fi
/// controller) asking its server — one datagram per `ingest` (the offset is
/// not used).
///
/// An Access-Request's password goes out as a credential sighting with the
/// User-Name: User-Password (`.radiusPAP`: the password XOR an MD5 of the
/// shared secret, which one request and its reply let an eavesdropper guess
/// offline — and then every password), CHAP-Password with its challenge
/// (`.radiusCHAP`: MD5 of the password and the challenge), or a Microsoft
/// MS-CHAP or MS-CHAPv2 response with its challenge (`.radiusMSCHAP`). EAP
/// logins carry no such attribute (their methods are read no further). A
/// request waits for the reply with its Identifier: Access-Accept accepts it,
/// Access-Reject refuses it, Access-Challenge leaves it unknown; a
/// retransmission (the same Identifier) replaces it. Whatever still waits
/// goes out as unknown when the flow ends, or — the oldest first — when more
/// than `maxPending` requests wait.
///
/// An Access-Accept, Access-Reject or Access-Challenge without a
/// Message-Authenticator (RFC 3579 §3.2) is reported once per flow: such a
/// reply is protected by its MD5 Response Authenticator alone, which an
/// attacker on the path forges (BlastRADIUS, CVE-2024-3596). Never `.done`:
/// a NAS sends many requests on one socket.
public final class RADIUSAnalyzer: StreamAnalyzer, SightingSource {
    public internal(set) var sightings: [Sighting] = []
    /// Requests waiting for their reply, per flow.
    public static let maxPending = 16

    struct Pending {
        var identifier: UInt8
        var credential: CredentialSighting
    }

    @exclusivity(unchecked) var pending: [Pending] = []
    /// The flow's reply without Message-Authenticator was reported.
    private var reportedBareReply = false

    public init() {}

    public func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard let packet = RADIUSPacket.parse(bytes) else { return .needMore }
        switch packet.code {
        case RADIUSPacket.accessRequest:
            guard let credential = RADIUSAnalyzer.credential(in: packet, direction: direction) else { break }
            pending.removeAll { $0.identifier == packet.identifier }
            if pending.count >= RADIUSAnalyzer.maxPending { emit(pending.removeFirst().credential, .unknown) }
            pending.append(Pending(identifier: packet.identifier, credential: credential))
        case RADIUSPacket.accessAccept, RADIUSPacket.accessReject, RADIUSPacket.accessChallenge:
            if let k = pending.firstIndex(where: { $0.identifier == packet.identifier }) {
                let outcome: LoginOutcome =
                    packet.code == RADIUSPacket.accessAccept ? .accepted
                    : packet.code == RADIUSPacket.accessReject ? .rejected : .unknown
                emit(pending.remove(at: k).credential, outcome)
            }
            if !reportedBareReply && packet.attribute(RADIUSPacket.messageAuthenticator) == nil {
                reportedBareReply = true
                sightings.append(.radiusReplyWithoutMessageAuthenticator(reply: RADIUSPacket.replyName(packet.code)))
            }
        default:
            break
        }
        return .needMore
    }

    /// The password an Access-Request carries, with its user name; nil for
    /// none (EAP, a malformed CHAP-Password).
    static func credential(in packet: RADIUSPacket.View, direction: Direction) -> CredentialSighting? {
        let user = packet.attribute(RADIUSPacket.userName).map(Array.init)
        var secret: [UInt8]
        let mechanism: CredentialMechanism
        if let password = packet.attribute(RADIUSPacket.userPassword), !password.isEmpty {
            mechanism = .radiusPAP
            secret = Array(password)
        } else if let chap = packet.attribute(RADIUSPacket.chapPassword), chap.count == 17 {
            // The CHAP identifier and MD5 response, then the challenge: the
            // CHAP-Challenge attribute, or else the Request Authenticator (RFC 2865 §2.2).
            mechanism = .radiusCHAP
            secret = Array(chap)
            secret += packet.attribute(RADIUSPacket.chapChallenge) ?? packet.authenticator
        } else if let response = packet.microsoftAttribute(RADIUSPacket.msCHAP2Response)
            ?? packet.microsoftAttribute(RADIUSPacket.msCHAPResponse), response.count == 50
        {
            mechanism = .radiusMSCHAP
            secret = Array(response)
            if let challenge = packet.microsoftAttribute(RADIUSPacket.msCHAPChallenge) { secret += challenge }
        } else {
            return nil
        }
        return CredentialSighting(mechanism: mechanism, username: user, secret: secret, direction: direction)
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
