import Flows

/// Reads the logins of a TACACS+ connection (RFC 8907) — a network device
/// asking its AAA server whether an administrator may log in — and reports
/// a password it can read: one sent with `TAC_PLUS_UNENCRYPTED_FLAG`, or as
/// it is without the flag (`TACACSPacket`), as `.tacacsPassword`.
///
/// A packet's 12-byte header is read in two steps — its first eight bytes,
/// then the body length — so `FramedDialogue` can cut it. Only authentication
/// bodies are read, and only those in clear: a START of type PAP carries the
/// password in its data; an ASCII login gets the user name and the password
/// from the CONTINUE that answers the server's GETUSER and GETPASS (or a
/// GETDATA without echo, as for a changed password). The server's REPLY with
/// PASS accepts the password, FAIL refuses it; another session id on the
/// same connection (single-connect) starts afresh. Obfuscated bodies are not
/// read: the flow's exposure (`cleartext.tacacs`) comes from identification.
/// Packets inside one chunk are read in place; one that spans chunks is
/// copied up to `maxMessage` bytes; longer ones are skipped by length and
/// counted. A password whose verdict was not seen is emitted as `.unknown`.
public final class TACACSLoginAnalyzer: StreamAnalyzer, FramedDialogue, PendingLogin, SightingSource {
    public let maxDepth: UInt64
    public internal(set) var sightings: [Sighting] = []
    public internal(set) var oversizedMessages: UInt64 = 0
    public static let maxMessage = 8192

    @exclusivity(unchecked) var toServer = FramedMessageReader()
    @exclusivity(unchecked) var toClient = FramedMessageReader()
    public internal(set) var isDone = false

    /// The first eight header bytes of each direction's current packet, once read.
    var start: (toServer: UInt64?, toClient: UInt64?) = (nil, nil)
    var pending: CredentialSighting?

    /// What the client's next CONTINUE answers.
    enum Prompt { case none, user, password }

    /// The authentication session being read: its id, the user named so far, the open prompt.
    var session: UInt32?
    var user: [UInt8]?
    var prompt = Prompt.none

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: framing

    func started(_ d: Direction) -> UInt64? { d == .toServer ? start.toServer : start.toClient }

    func setStarted(_ header: UInt64?, _ d: Direction) {
        if d == .toServer { start.toServer = header } else { start.toClient = header }
    }

    func headerSize(_ direction: Direction) -> Int { started(direction) == nil ? 8 : 4 }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        guard started(direction) != nil else {
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
        guard let first = started(direction) else {
            setStarted(header, direction)
            return true
        }
        setStarted(nil, direction)
        let h = TACACSPacket.Header(first)
        guard h.type == TACACSPacket.authentication, !skipped else { return true }
        if session != h.session {
            // Another session on a single-connect connection: what waited is unknown.
            finish(.unknown)
            session = h.session
            user = nil
            prompt = .none
        }
        if h.fromClient {
            if h.sequence == 1 {
                guard let start = TACACSPacket.Start(body) else { return true }
                finish(.unknown)
                user = start.user.isEmpty ? nil : Array(start.user)
                prompt = .none
                if start.authenType == TACACSPacket.pap && !start.data.isEmpty {
                    pending = CredentialSighting(mechanism: .tacacsPassword, username: user, secret: Array(start.data))
                }
            } else if let answer = TACACSPacket.Continue(body), prompt != .none {
                if prompt == .user {
                    user = Array(answer.userMessage)
                } else if !answer.userMessage.isEmpty {
                    finish(.unknown)
                    pending = CredentialSighting(mechanism: .tacacsPassword, username: user, secret: Array(answer.userMessage))
                }
                prompt = .none
            }
            return true
        }
        guard let reply = TACACSPacket.Reply(body) else { return true }
        switch reply.status {
        case TACACSPacket.pass: finish(.accepted)
        case TACACSPacket.fail: finish(.rejected)
        case TACACSPacket.getUser: prompt = .user
        case TACACSPacket.getPass: prompt = .password
        case TACACSPacket.getData: prompt = reply.flags & TACACSPacket.noEcho != 0 ? .password : .none
        default: finish(.unknown)
        }
        return true
    }
}
