import Flows

/// Reads the logins of a TACACS+ connection (RFC 8907) — a network device
/// asking its AAA server whether an administrator may log in — and reports
/// what it can read of them: bodies sent with `TAC_PLUS_UNENCRYPTED_FLAG`,
/// or as they are without the flag (`TACACSPacket`).
///
/// A packet's 12-byte header is read in two steps — its first eight bytes,
/// then the body length — so `FramedDialogue` can cut it. Any packet with
/// the unencrypted flag, or an authentication body that reads as one in
/// clear, is reported once per connection (`.tacacsBodiesInClear`): what
/// such a connection carries — commands authorised and accounted — is
/// readable. Only authentication bodies are read further. The password of a
/// login (`.tacacsPassword`): in a PAP START's data; in the CONTINUE that
/// answers the server's GETPASS (asked more than once, as for a new password
/// and its confirmation: each distinct value once), or its GETDATA without
/// echo or in a change-password session (the old password, §5.4.2.7); in the
/// data of the server's PASS to an outbound (SENDAUTH) PAP request. The user
/// comes from the START or the CONTINUE that answers GETUSER. A START of type
/// CHAP (`.tacacsCHAP`), MS-CHAP or MS-CHAPv2 (`.tacacsMSCHAP`) carries the
/// PPP id, challenge and response (§5.4.2.3–5): crackable offline. The
/// server's PASS accepts a session's passwords, FAIL refuses them; RESTART,
/// ERROR, FOLLOW or an aborting CONTINUE leave them unknown.
///
/// Sessions are told apart by their id, several at once on a single-connect
/// connection (§4.3), at most `maxSessions` (the oldest then settles as
/// unknown). Obfuscated bodies are not read: the flow's exposure
/// (`cleartext.tacacs`) comes from identification. Packets inside one chunk
/// are read in place; one that spans chunks is copied up to `maxMessage`
/// bytes; longer ones are skipped by length and counted. Passwords whose
/// verdict was not seen are emitted as `.unknown`.
public final class TACACSLoginAnalyzer: StreamAnalyzer, FramedDialogue, SightingSource {
    public let maxDepth: UInt64
    public internal(set) var sightings: [Sighting] = []
    public internal(set) var oversizedMessages: UInt64 = 0
    public static let maxMessage = 8192
    /// Authentication sessions followed at once on one connection.
    public static let maxSessions = 8

    @exclusivity(unchecked) var toServer = FramedMessageReader()
    @exclusivity(unchecked) var toClient = FramedMessageReader()
    public internal(set) var isDone = false

    /// The first eight header bytes of each direction's current packet, once read.
    var headers = SplitHeaders()

    /// What the client's next CONTINUE answers.
    enum Prompt { case none, user, password }

    /// One authentication session: its START's action, the user named so
    /// far, the open prompt, and the passwords read, waiting for the verdict.
    struct Session {
        var id: UInt32
        var action: UInt8 = 0
        var user: [UInt8]?
        var prompt = Prompt.none
        var passwords: [CredentialSighting] = []
    }

    @exclusivity(unchecked) var sessions: [Session] = []
    /// The connection's bodies in clear were reported.
    private var reportedInClear = false

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: framing

    func headerSize(_ direction: Direction) -> Int { headers.size(direction, rest: 4) }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        guard headers[direction] != nil else {
            let h = TACACSPacket.Header(header)
            return h.isValid && h.fromClient == (direction == .toServer) ? 0 : nil
        }
        let length = Int(header & 0xffff_ffff)
        return length <= TACACSPacket.maxBody ? length : nil
    }

    func message(
        header: UInt64, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction,
        context: inout InspectionContext
    ) -> Bool {
        guard let first = headers.take(header, direction) else { return true }
        let h = TACACSPacket.Header(first)
        if h.flags & TACACSPacket.unencryptedFlag != 0 { noteBodiesInClear() }
        guard h.type == TACACSPacket.authentication, !skipped else { return true }
        if h.fromClient {
            if h.sequence == 1 {
                guard let start = TACACSPacket.Start(body) else { return true }
                noteBodiesInClear()
                read(start, session: session(h.session))
            } else if let answer = TACACSPacket.Continue(body), let k = sessions.firstIndex(where: { $0.id == h.session }) {
                noteBodiesInClear()
                read(answer, session: k)
            }
            return true
        }
        guard let reply = TACACSPacket.Reply(body), let k = sessions.firstIndex(where: { $0.id == h.session }) else {
            return true
        }
        noteBodiesInClear()
        read(reply, session: k)
        return true
    }

    /// A START opens (or restarts) its session.
    private func read(_ start: TACACSPacket.Start, session k: Int) {
        settle(k, .unknown)
        sessions[k].action = start.action
        sessions[k].user = start.user.isEmpty ? nil : Array(start.user)
        sessions[k].prompt = .none
        guard start.action != TACACSPacket.sendAuth else { return }  // the password comes in the PASS
        let data = start.data
        switch start.authenType {
        case TACACSPacket.pap where !data.isEmpty:
            add(data, .tacacsPassword, session: k, direction: .toServer)
        case TACACSPacket.chap where data.count > 1 + 16:
            add(data, .tacacsCHAP, session: k, direction: .toServer)
        case TACACSPacket.msCHAP where data.count == 1 + 8 + 49, TACACSPacket.msCHAPv2 where data.count == 1 + 16 + 49:
            add(data, .tacacsMSCHAP, session: k, direction: .toServer)
        default:
            break
        }
    }

    private func read(_ answer: TACACSPacket.Continue, session k: Int) {
        if answer.abort {
            settle(k, .unknown)
            sessions.remove(at: k)
            return
        }
        switch sessions[k].prompt {
        case .user: sessions[k].user = Array(answer.userMessage)
        case .password where !answer.userMessage.isEmpty: add(answer.userMessage, .tacacsPassword, session: k, direction: .toServer)
        default: break
        }
        sessions[k].prompt = .none
    }

    private func read(_ reply: TACACSPacket.Reply, session k: Int) {
        switch reply.status {
        case TACACSPacket.pass:
            if sessions[k].action == TACACSPacket.sendAuth && !reply.data.isEmpty {
                add(reply.data, .tacacsPassword, session: k, direction: .toClient)
            }
            settle(k, .accepted)
            sessions.remove(at: k)
        case TACACSPacket.fail:
            settle(k, .rejected)
            sessions.remove(at: k)
        case TACACSPacket.getUser:
            sessions[k].prompt = .user
        case TACACSPacket.getPass:
            sessions[k].prompt = .password
        case TACACSPacket.getData:
            let secret = reply.flags & TACACSPacket.noEcho != 0 || sessions[k].action == TACACSPacket.changePassword
            sessions[k].prompt = secret ? .password : .none
        default:
            settle(k, .unknown)
            sessions.remove(at: k)
        }
    }

    /// The index of the session with `id`, opened if new (the oldest settled
    /// as unknown and let go when `maxSessions` are open).
    private func session(_ id: UInt32) -> Int {
        if let k = sessions.firstIndex(where: { $0.id == id }) { return k }
        if sessions.count >= TACACSLoginAnalyzer.maxSessions {
            settle(0, .unknown)
            sessions.removeFirst()
        }
        sessions.append(Session(id: id))
        return sessions.count - 1
    }

    /// Adds a secret the session read, once per distinct value.
    private func add(
        _ secret: UnsafeRawBufferPointer, _ mechanism: CredentialMechanism, session k: Int, direction: Direction
    ) {
        guard !sessions[k].passwords.contains(where: { $0.secret.elementsEqual(secret) }) else { return }
        sessions[k].passwords.append(
            CredentialSighting(mechanism: mechanism, username: sessions[k].user, secret: Array(secret), direction: direction))
    }

    private func settle(_ k: Int, _ outcome: LoginOutcome) {
        for var credential in sessions[k].passwords {
            credential.outcome = outcome
            sightings.append(.credential(credential))
        }
        sessions[k].passwords = []
    }

    private func noteBodiesInClear() {
        guard !reportedInClear else { return }
        reportedInClear = true
        sightings.append(.tacacsBodiesInClear)
    }

    /// Emits every password still waiting for a verdict with `outcome`
    /// (`FramedDialogue` calls it when no verdict can come any more).
    func finish(_ outcome: LoginOutcome) {
        for k in sessions.indices { settle(k, outcome) }
    }
}
