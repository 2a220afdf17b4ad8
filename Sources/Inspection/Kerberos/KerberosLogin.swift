import Flows

/// Reads Kerberos V5 exchanges with a KDC (RFC 4120) and reports what an
/// eavesdropper can crack offline because it is encrypted with RC4-HMAC
/// (RFC 4757), whose key is the unsalted MD4 hash of the password:
///
/// - an AS-REQ whose PA-ENC-TIMESTAMP (padata-type 2) is RC4-encrypted
///   → `.kerberosRC4PreAuth` (user `cname@realm`, secret the cipher bytes),
///   settled by the KDC's answer: an AS-REP accepts it, KRB-ERROR 24
///   (PREAUTH_FAILED) rejects it, any other error leaves it unknown;
/// - an AS-REP whose enc-part (encrypted with the client's key) is RC4, for
///   a client that sent no RC4 pre-authentication — AS-REP roasting
///   → `.kerberosASREPRC4` (user `cname@crealm`);
/// - a TGS-REP whose service ticket is RC4 (encrypted with the service
///   account's key) — Kerberoasting → `.kerberosTGSRC4` (user
///   `sname@realm`). Tickets for `krbtgt` are left out: its key is random,
///   never a password.
///
/// AES (etypes 17, 18) and the rest report nothing: with a strong password
/// and salted PBKDF2 keys there is nothing practical to crack. A KRB-ERROR 25
/// (PREAUTH_REQUIRED) answers a request without pre-authentication: not an
/// attempt. TGS-REQs carry tickets and authenticators keyed by session keys:
/// nothing. Kerberos is not a cleartext protocol and has no `cleartext.*`
/// exposure: the findings are the weak encryption types.
///
/// Over UDP each `ingest` is one datagram holding one message (RFC 4120
/// §7.2.1). Over TCP each message has a 4-byte big-endian length (§7.2.2;
/// the high bit reserved, set means not Kerberos) and is read with
/// `FramedDialogue`: in place when inside a chunk, copied up to `maxMessage`
/// bytes otherwise. The flow's transport says which (`datagrams`), not the
/// bytes: a TCP stream picked up mid-way may start with anything. A UDP flow
/// is never done (the next datagram may be a new exchange); a TCP one is
/// done when both directions stop.
public final class KerberosAnalyzer: StreamAnalyzer, FramedDialogue, PendingLogin, SightingSource {
    /// Bytes of each TCP direction read before it stops.
    public let maxDepth: UInt64
    /// Datagrams (UDP) or length-prefixed messages (TCP).
    public let isUDP: Bool
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []
    /// TCP messages longer than `maxMessage`: skipped unread.
    public internal(set) var oversizedMessages: UInt64 = 0
    /// Longest TCP message copied when it spans chunks (tickets with a PAC run to tens of KiB).
    public static let maxMessage = 65_536

    @exclusivity(unchecked) var toServer = FramedMessageReader()
    @exclusivity(unchecked) var toClient = FramedMessageReader()
    public internal(set) var isDone = false
    /// An RC4 pre-authentication waiting for the KDC's answer.
    var pending: CredentialSighting?

    /// `datagrams`: the flow is UDP (a message per datagram), else TCP (RFC 4120 §7.2.1, §7.2.2).
    public init(maxDepth: UInt64, datagrams: Bool) {
        self.maxDepth = maxDepth
        isUDP = datagrams
    }

    // MARK: StreamAnalyzer

    public func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard isUDP else { return ingestStream(bytes, direction: direction, offset: offset, context: &context) }
        read(bytes, direction: direction)
        return .needMore
    }

    /// Datagrams have no gaps; a stream loses its framing.
    public func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        isUDP ? .needMore : stopStream(direction, context: &context)
    }

    public func end(direction: Direction, context: inout InspectionContext) {
        if isUDP {
            finish(.unknown)
        } else {
            _ = stopStream(direction, context: &context)
        }
    }

    // MARK: framing (TCP)

    func headerSize(_ direction: Direction) -> Int { 4 }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        header & 0x8000_0000 == 0 ? Int(header) : nil
    }

    func message(
        header: UInt64, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction,
        context: inout InspectionContext
    ) -> Bool {
        if !skipped { read(body, direction: direction) }
        return true
    }

    // MARK: messages

    /// One whole message; anything else is passed over.
    func read(_ m: UnsafeRawBufferPointer, direction: Direction) {
        guard let tag = m.first else { return }
        switch (direction, tag) {
        case (.toServer, KerberosMessage.asReq): asRequest(m)
        case (.toClient, KerberosMessage.asRep): reply(m, tag: tag)
        case (.toClient, KerberosMessage.tgsRep): reply(m, tag: tag)
        case (.toClient, KerberosMessage.krbError): error(m)
        default: break
        }
    }

    /// AS-REQ: an RC4 PA-ENC-TIMESTAMP among the padata.
    func asRequest(_ m: UnsafeRawBufferPointer) {
        guard let body = KerberosMessage.body(m, tag: KerberosMessage.asReq) else { return }
        let request = KerberosMessage.Fields(body)
        guard let padata = request.sequence(3), let reqBody = request.sequence(4) else { return }
        var list = BERCursor(padata)
        while let entry = list.readElement(BERCursor.sequenceTag) {
            let pa = KerberosMessage.Fields(entry)
            guard pa.integer(1) == KerberosMessage.paEncTimestamp, let value = pa[2] else { continue }
            var v = BERCursor(value)
            guard let encoded = v.readElement(BERCursor.octetStringTag) else { continue }
            var e = BERCursor(encoded)
            guard let sequence = e.readElement(BERCursor.sequenceTag),
                let data = KerberosMessage.encryptedData(sequence), KerberosMessage.isRC4(data.etype)
            else { continue }
            let names = KerberosMessage.Fields(reqBody)
            guard let cname = names.sequence(1) else { return }
            finish(.unknown)  // an earlier one never answered
            pending = CredentialSighting(
                mechanism: .kerberosRC4PreAuth, username: KerberosMessage.principal(cname, realm: names.string(2)),
                secret: Array(data.cipher))
            return
        }
    }

    /// AS-REP or TGS-REP: settles a waiting pre-authentication (AS-REP), and
    /// reports an RC4 enc-part (AS-REP) or RC4 service ticket (TGS-REP).
    func reply(_ m: UnsafeRawBufferPointer, tag: UInt8) {
        guard let body = KerberosMessage.body(m, tag: tag) else { return }
        let rep = KerberosMessage.Fields(body)
        if tag == KerberosMessage.asRep {
            if pending != nil {
                finish(.accepted)
                return
            }
            guard let encPart = rep.sequence(6), let data = KerberosMessage.encryptedData(encPart),
                KerberosMessage.isRC4(data.etype), let cname = rep.sequence(4)
            else { return }
            sightings.append(
                .credential(
                    CredentialSighting(
                        mechanism: .kerberosASREPRC4, username: KerberosMessage.principal(cname, realm: rep.string(3)),
                        secret: Array(data.cipher), direction: .toClient)))
            return
        }
        guard let t = rep[5] else { return }
        var c = BERCursor(t)
        guard let ticketElement = c.readElement(KerberosMessage.ticket) else { return }
        var tc = BERCursor(ticketElement)
        guard let ticketBody = tc.readElement(BERCursor.sequenceTag) else { return }
        let ticket = KerberosMessage.Fields(ticketBody)
        guard let encPart = ticket.sequence(3), let data = KerberosMessage.encryptedData(encPart),
            KerberosMessage.isRC4(data.etype), let sname = ticket.sequence(2),
            let service = KerberosMessage.firstComponent(sname), !BERCursor.equalIgnoringCase(service, "krbtgt")
        else { return }
        sightings.append(
            .credential(
                CredentialSighting(
                    mechanism: .kerberosTGSRC4, username: KerberosMessage.principal(sname, realm: ticket.string(1)),
                    secret: Array(data.cipher), direction: .toClient)))
    }

    /// KRB-ERROR: PREAUTH_FAILED rejects the waiting pre-authentication; other codes say nothing about the password.
    func error(_ m: UnsafeRawBufferPointer) {
        guard pending != nil, let body = KerberosMessage.body(m, tag: KerberosMessage.krbError),
            let code = KerberosMessage.Fields(body).integer(6)
        else { return }
        finish(code == KerberosMessage.preauthFailed ? .rejected : .unknown)
    }
}
