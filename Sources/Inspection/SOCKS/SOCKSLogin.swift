import Flows

/// Reads the start of a SOCKS5 session (RFC 1928): the password of a
/// username/password sub-negotiation (RFC 1929 §2) with the proxy's verdict,
/// and where a CONNECT tunnel starts, so that what runs inside it (TLS,
/// most often) is identified and read.
///
/// Client: the method offer `VER=5 NMETHODS METHODS...`; then, told apart by
/// their first byte, the sub-negotiation `VER=1 ULEN UNAME PLEN PASSWD`
/// (read as two messages: `VER ULEN` + name, `PLEN` + password) and the
/// request `VER=5 CMD RSV ATYP DST.ADDR DST.PORT` (§4). Server: the chosen
/// method `VER=5 METHOD`, the sub-negotiation status `VER=1 STATUS` (0
/// accepts, anything else rejects: RFC 1929 §2, the proxy then closes the
/// connection), and the reply `VER=5 REP RSV ATYP BND.ADDR BND.PORT` (§6):
/// REP 0 to a CONNECT opens the tunnel right after the request and the reply.
///
/// A SOCKS4 request carries a user id, not a secret: nothing is reported, and
/// its tunnel is not followed. Every message is a few bytes; the analyzer is
/// `.done` once the proxy has replied to the request (or refused a method or
/// the password).
public final class SOCKSLoginAnalyzer: StreamAnalyzer, FramedDialogue, PendingLogin, SightingSource {
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    public internal(set) var sightings: [Sighting] = []
    public internal(set) var oversizedMessages: UInt64 = 0
    /// Longest message copied when it spans chunks (every SOCKS5 message is
    /// shorter: a request naming a 255-byte host is 262 bytes).
    public static let maxMessage = 264

    @exclusivity(unchecked) var toServer = FramedMessageReader()
    @exclusivity(unchecked) var toClient = FramedMessageReader()
    public internal(set) var isDone = false
    /// The proxy opened a CONNECT tunnel: where it starts.
    public internal(set) var tunnel: TunnelStart?

    enum ClientStage { case offer, next, password }
    enum ServerStage { case choice, status, reply }
    var clientStage: ClientStage = .offer
    var serverStage: ServerStage = .choice
    var username: [UInt8] = []
    var pending: CredentialSighting?
    /// Bytes of each direction's messages read so far: where the next one starts.
    var read: (toServer: UInt64, toClient: UInt64) = (0, 0)
    /// The client asked to CONNECT; its request ends here.
    var connectEnd: UInt64?

    /// USERNAME/PASSWORD (RFC 1928 §3).
    static let passwordMethod: UInt64 = 0x02
    /// ATYP: IPv4, domain name (a length byte first), IPv6 (RFC 1928 §5).
    static let addressBytes: [UInt64: Int] = [1: 4, 4: 16]
    static let domainName: UInt64 = 3

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: framing

    func headerSize(_ direction: Direction) -> Int { 2 }

    /// Two bytes, but a request or reply (`VER=5` where one may come) has
    /// four, and a fifth — the name's length — when its address is a name.
    func headerSize(_ direction: Direction, header: UInt64, have: Int) -> Int {
        let addressed = direction == .toServer ? clientStage == .next : serverStage == .reply
        if direction == .toServer && clientStage == .password { return 1 }
        guard addressed, have >= 1, header >> (8 * UInt64(have - 1)) == 5 else { return 2 }
        guard have >= 4 else { return 4 }
        let atyp = have == 4 ? header & 0xff : header >> 8 & 0xff
        return atyp == SOCKSLoginAnalyzer.domainName ? 5 : 4
    }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        if direction == .toServer {
            switch clientStage {
            case .offer: return header >> 8 == 5 ? Int(header & 0xff) : header >> 8 == 4 ? 0 : nil
            case .password: return Int(header & 0xff)
            case .next:
                if header >> 8 == 1 { return Int(header & 0xff) }  // VER=1 ULEN: the user name
                return SOCKSLoginAnalyzer.addressLength(header)
            }
        }
        return serverStage == .reply ? SOCKSLoginAnalyzer.addressLength(header) : 0
    }

    /// The body of a request or reply: its address and port, by ATYP.
    static func addressLength(_ header: UInt64) -> Int? {
        if header >> 32 == 5 { return Int(header & 0xff) + 2 }  // five bytes: ATYP 3 and the name's length
        guard header >> 24 == 5, let n = addressBytes[header & 0xff] else { return nil }
        return n + 2
    }

    func message(
        header: UInt64, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction,
        context: inout InspectionContext
    ) -> Bool {
        // Counted from the header: a body refused by the budget arrives empty.
        let bodyBytes = bodyLength(header: header, direction: direction) ?? 0
        let size = UInt64(SOCKSLoginAnalyzer.headerBytes(header, direction: direction, stage: clientStage) + bodyBytes)
        guard direction == .toServer else {
            read.toClient += size
            return serverMessage(header)
        }
        read.toServer += size
        switch clientStage {
        case .offer:
            // SOCKS4 (a user id, no secret; its tunnel not followed).
            guard header >> 8 == 5 else {
                isDone = true
                return false
            }
            clientStage = .next
            return true
        case .next where header >> 8 == 1:
            username = Array(body)
            clientStage = .password
            return true
        case .password:
            pending = CredentialSighting(mechanism: .socksPassword, username: username, secret: Array(body))
            clientStage = .next
            return true
        case .next:
            // The request: nothing after it is SOCKS.
            if SOCKSLoginAnalyzer.secondByte(header) == 1 { connectEnd = read.toServer }  // CMD=1: CONNECT
            return false
        }
    }

    /// A request's CMD, a reply's REP: the byte after VER in a four- or five-byte header.
    static func secondByte(_ header: UInt64) -> UInt64 { header >> (header >> 32 == 5 ? 24 : 16) & 0xff }

    /// Bytes of a message's header: as framed by `headerSize`.
    static func headerBytes(_ header: UInt64, direction: Direction, stage: ClientStage) -> Int {
        if direction == .toServer && stage == .password { return 1 }
        return header >> 32 == 5 ? 5 : header >> 24 == 5 ? 4 : 2
    }

    /// `VER=5 METHOD`, then `VER=1 STATUS` when the password was chosen, then the reply.
    func serverMessage(_ header: UInt64) -> Bool {
        switch serverStage {
        case .choice:
            guard header >> 8 == 5, header & 0xff == 0 || header & 0xff == SOCKSLoginAnalyzer.passwordMethod else {
                isDone = true  // another method (or none acceptable, 0xFF): nothing more is read
                return false
            }
            serverStage = header & 0xff == 0 ? .reply : .status
            return true
        case .status:
            guard header >> 8 == 1 else { return false }
            let accepted = header & 0xff == 0
            finish(accepted ? .accepted : .rejected)
            serverStage = .reply
            if !accepted { isDone = true }
            return accepted
        case .reply:
            // REP=0: succeeded. The tunnel follows the request and this reply.
            if SOCKSLoginAnalyzer.secondByte(header) == 0, let start = connectEnd {
                tunnel = TunnelStart(kind: .socks5, toServer: start, toClient: read.toClient)
            }
            isDone = true
            return false
        }
    }
}
