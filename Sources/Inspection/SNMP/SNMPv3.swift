import Flows

/// An SNMPv3 message (RFC 3412 §6, the User-based Security Model's
/// parameters of RFC 3414 §2.4), read in place from one UDP datagram:
///
///     SNMPv3Message ::= SEQUENCE { msgVersion INTEGER (3),
///         msgGlobalData SEQUENCE { msgID INTEGER, msgMaxSize INTEGER,
///                                  msgFlags OCTET STRING (SIZE(1)), msgSecurityModel INTEGER },
///         msgSecurityParameters OCTET STRING,
///         msgData CHOICE { plaintext ScopedPDU (a SEQUENCE), encryptedPDU OCTET STRING } }
///
/// msgFlags: bit 0 authentication, bit 1 privacy (encryption; never without
/// authentication), bit 2 reportable. Without privacy the scoped PDU — the
/// object names and values, a SET's new values — crosses in clear.
///
/// With authentication, the User-based Security Model's parameters carry an
/// HMAC of the whole message keyed by a key derived from the user's password
/// and the engine id (RFC 3414 §6–7, RFC 7860): anyone who records one
/// message can test guesses at the password offline.
public enum SNMPv3Message {
    /// The parts of a message, as views into the datagram.
    public struct View {
        public var msgID: Int64
        public var authenticated: Bool
        public var encrypted: Bool
        /// The User-based Security Model's user name (empty in a discovery
        /// message, RFC 3414 §4, and for other security models).
        public var user: UnsafeRawBufferPointer
        /// The USM's msgAuthenticationParameters: the HMAC, of 12 (MD5, SHA-1),
        /// 16, 24, 32 or 48 bytes (SHA-2, RFC 7860 §4.2.2); empty without authentication.
        public var authParameters: UnsafeRawBufferPointer
        /// The scoped PDU's context tag (A0–A8), nil when it is encrypted.
        public var pduType: UInt8?
        /// A report's first variable: the USM counter that says why the agent refused.
        public var reportOID: UnsafeRawBufferPointer?

        public var namedUser: Bool { !user.isEmpty }
    }

    static let authFlag: UInt8 = 1
    static let privFlag: UInt8 = 2

    /// The message filling `datagram` exactly; nil for v1/v2c, another
    /// version, flags that claim privacy without authentication, a data part
    /// that does not match the privacy flag, or anything malformed.
    public static func parse(_ datagram: UnsafeRawBufferPointer) -> View? {
        var outer = BERCursor(datagram)
        guard let body = outer.readElement(BERCursor.sequenceTag), outer.isAtEnd else { return nil }
        var c = BERCursor(body)
        guard c.readInteger() == 3, let header = c.readElement(BERCursor.sequenceTag) else { return nil }
        var h = BERCursor(header)
        guard let msgID = h.readInteger(), let maxSize = h.readInteger(), maxSize >= 484,
            let flags = h.readElement(BERCursor.octetStringTag), flags.count == 1,
            let model = h.readInteger(), model > 0, h.isAtEnd
        else { return nil }
        let f = flags[0]
        guard f & 0xf8 == 0, f & (authFlag | privFlag) != privFlag,
            let security = c.readElement(BERCursor.octetStringTag)
        else { return nil }
        let encrypted = f & privFlag != 0
        guard let data = c.readElement(encrypted ? BERCursor.octetStringTag : BERCursor.sequenceTag), c.isAtEnd else { return nil }
        var view = View(
            msgID: msgID, authenticated: f & authFlag != 0, encrypted: encrypted, user: empty, authParameters: empty)
        if model == usm, let parameters = usmParameters(security) {
            view.user = parameters.user
            if view.authenticated { view.authParameters = parameters.auth }
        }
        if !encrypted { readScopedPDU(data, into: &view) }
        return view
    }

    static let usm: Int64 = 3
    private static var empty: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }

    /// UsmSecurityParameters ::= SEQUENCE { engineID OCTET STRING, engineBoots
    /// INTEGER, engineTime INTEGER, userName OCTET STRING,
    /// authenticationParameters OCTET STRING, privacyParameters OCTET STRING }.
    static func usmParameters(_ parameters: UnsafeRawBufferPointer) -> (user: UnsafeRawBufferPointer, auth: UnsafeRawBufferPointer)? {
        var outer = BERCursor(parameters)
        guard let usm = outer.readElement(BERCursor.sequenceTag) else { return nil }
        var c = BERCursor(usm)
        guard c.readElement(BERCursor.octetStringTag) != nil, c.readInteger() != nil, c.readInteger() != nil,
            let user = c.readElement(BERCursor.octetStringTag), let auth = c.readElement(BERCursor.octetStringTag)
        else { return nil }
        return (user, auth)
    }

    /// ScopedPDU ::= SEQUENCE { contextEngineID OCTET STRING, contextName
    /// OCTET STRING, data PDU }; a report's PDU: request-id, error-status,
    /// error-index, then the variable bindings, SEQUENCE OF SEQUENCE { name OID, value }.
    static func readScopedPDU(_ scoped: UnsafeRawBufferPointer, into view: inout View) {
        var c = BERCursor(scoped)
        guard c.readElement(BERCursor.octetStringTag) != nil, c.readElement(BERCursor.octetStringTag) != nil,
            let pdu = c.readElement(), pdu.tag >= 0xa0 && pdu.tag <= 0xa8
        else { return }
        view.pduType = pdu.tag
        guard pdu.tag == SNMPMessage.report else { return }
        var p = BERCursor(pdu.content)
        guard p.readInteger() != nil, p.readInteger() != nil, p.readInteger() != nil,
            let bindings = p.readElement(BERCursor.sequenceTag)
        else { return }
        var b = BERCursor(bindings)
        guard let first = b.readElement(BERCursor.sequenceTag) else { return }
        var v = BERCursor(first)
        view.reportOID = v.readElement(BERCursor.oidTag)
    }

    /// The USM counters a report names when the agent refused the message's
    /// credentials (RFC 3414 §5): usmStatsUnknownUserNames.0 and usmStatsWrongDigests.0.
    static let unknownUserNames: [UInt8] = [0x2b, 6, 1, 6, 3, 15, 1, 1, 3, 0]
    static let wrongDigests: [UInt8] = [0x2b, 6, 1, 6, 3, 15, 1, 1, 5, 0]

    /// An HMAC's length under one of the USM's authentication protocols.
    static func isHMACLength(_ n: Int) -> Bool { n == 12 || n == 16 || n == 24 || n == 32 || n == 48 }
}

/// Watches the security level of an SNMPv3 flow, and reports the USM HMACs
/// it carries (`.snmpv3USM`, crackable offline: the user name, the HMAC as
/// the secret), once per user per flow.
///
/// Security level: the payload is protected (`isEncrypted`) when the flow
/// carried a message with privacy and no scoped PDU in clear from a named
/// user: an authPriv session starts with a discovery exchange in clear whose
/// user name is empty (RFC 3414 §4), and that does not make it cleartext; an
/// agent that sends some traps with privacy and others without is.
///
/// Credentials: an authenticated message from the client (a manager's
/// request, an agent's trap or inform) waits for the server's answer with
/// the same msgID (and the same user, when the answer names one) — an
/// authenticated one accepts it (a notInTimeWindows report is sent
/// authenticated, after the digest was checked: RFC 3414 §3.2 step 7), an
/// unauthenticated report of usmStatsWrongDigests or usmStatsUnknownUserNames
/// refuses it (other reports leave it waiting); a trap
/// (no answer comes) goes out at once, and whatever still waits goes out as
/// unknown when the flow ends. An authenticated message first seen from the
/// server goes out then, accepted. At most `maxUsers` users are tracked per
/// flow (more are counted in `snmpv3UsersDropped`, not reported). Never
/// `.done`: a later message may be in clear or name another user.
public final class SNMPv3Analyzer: StreamAnalyzer, SightingSource {
    public internal(set) var sightings: [Sighting] = []
    /// A message with privacy was seen.
    private(set) var sawPrivacy = false
    /// A scoped PDU from a named user crossed in clear.
    private(set) var sawClearPDU = false
    public static let maxUsers = 8

    struct Seen {
        var user: [UInt8]
        var hmac: [UInt8]
        /// The msgID of the request waiting for its answer.
        var msgID: Int64
        var emitted: Bool
    }

    @exclusivity(unchecked) var seen: [Seen] = []

    public var isEncrypted: Bool { sawPrivacy && !sawClearPDU }

    public init() {}

    public func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard let m = SNMPv3Message.parse(bytes) else { return .needMore }
        if m.encrypted { sawPrivacy = true } else if m.namedUser { sawClearPDU = true }
        if direction == .toClient { settle(m) }
        guard m.namedUser, SNMPv3Message.isHMACLength(m.authParameters.count) else { return .needMore }
        if let k = index(of: m.user) {
            // A retry or the next request: its answer settles the user's HMAC.
            if !seen[k].emitted && direction == .toServer { seen[k].msgID = m.msgID }
            return .needMore
        }
        guard seen.count < SNMPv3Analyzer.maxUsers else {
            context.counters.snmpv3UsersDropped &+= 1
            return .needMore
        }
        let entry = Seen(user: Array(m.user), hmac: Array(m.authParameters), msgID: m.msgID, emitted: false)
        seen.append(entry)
        if direction == .toClient {
            emit(&seen[seen.count - 1], .accepted, .toClient)
        } else if m.pduType == SNMPMessage.v2Trap || m.pduType == SNMPMessage.response {
            emit(&seen[seen.count - 1], .unknown, .toServer)
        }
        return .needMore
    }

    /// The server's answer settles the request with its msgID.
    private func settle(_ answer: SNMPv3Message.View) {
        // An answer naming a user answers that user's request (msgIDs may repeat across users).
        guard
            let k = seen.firstIndex(where: {
                !$0.emitted && $0.msgID == answer.msgID && (!answer.namedUser || $0.user.elementsEqual(answer.user))
            })
        else { return }
        if answer.authenticated && answer.namedUser {
            emit(&seen[k], .accepted, .toServer)
        } else if let oid = answer.reportOID,
            oid.elementsEqual(SNMPv3Message.wrongDigests) || oid.elementsEqual(SNMPv3Message.unknownUserNames)
        {
            emit(&seen[k], .rejected, .toServer)
        }
    }

    public func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict { .needMore }

    /// The flow is over: HMACs still waiting for an answer go out as unknown.
    public func end(direction: Direction, context: inout InspectionContext) {
        for k in seen.indices where !seen[k].emitted { emit(&seen[k], .unknown, .toServer) }
    }

    func index(of user: UnsafeRawBufferPointer) -> Int? {
        seen.firstIndex { $0.user.withUnsafeBytes { $0.elementsEqual(user) } }
    }

    private func emit(_ entry: inout Seen, _ outcome: LoginOutcome, _ direction: Direction) {
        entry.emitted = true
        sightings.append(
            .credential(
                CredentialSighting(
                    mechanism: .snmpv3USM, username: entry.user, secret: entry.hmac, outcome: outcome, direction: direction)))
    }
}
