import Flows

/// Reads the start of a SOCKS session: the password of a SOCKS5
/// username/password sub-negotiation (RFC 1929 §2) with the proxy's verdict,
/// and where a CONNECT tunnel starts (SOCKS5, RFC 1928; SOCKS4 and 4a), so
/// that what runs inside it (TLS, most often) is identified and read.
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
/// SOCKS4: `VN=4 CD DSTPORT DSTIP USERID NUL`, and for 4a (DSTIP 0.0.0.x,
/// x ≠ 0) the host name and a NUL after it; the proxy answers in eight bytes,
/// `VN=0 CD=90` granting. The user id is not a secret: nothing is reported.
/// The NUL-terminated names are read a byte at a time (as one-byte messages,
/// at most `maxSOCKS4Names` bytes). Every message is a few bytes; the analyzer
/// is `.done` once the proxy has replied to the request (or refused a method
/// or the password).
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

    enum ClientStage { case offer, next, password, socks4Names }
    enum ServerStage { case choice, status, reply, socks4Reply }
    var clientStage: ClientStage = .offer
    var serverStage: ServerStage = .choice
    var username: [UInt8] = []
    var pending: CredentialSighting?
    /// The sub-negotiation's password went by: what follows is the request.
    var passwordRead = false
    /// Bytes of each direction's messages read so far: where the next one starts.
    var read: (toServer: UInt64, toClient: UInt64) = (0, 0)
    /// The client asked to CONNECT; its request ends here.
    var connectEnd: UInt64?
    /// SOCKS4: the request is a CONNECT; the NULs that still end its names
    /// (1, or 2 for 4a); the names' bytes read so far.
    var socks4Connect = false
    var socks4NULsLeft = 0
    var socks4NameBytes = 0

    /// Bytes of a SOCKS4 request's user id and host name read before giving up.
    public static let maxSOCKS4Names = 512
    /// USERNAME/PASSWORD (RFC 1928 §3).
    static let passwordMethod: UInt64 = 0x02
    /// ATYP: IPv4, domain name (a length byte first), IPv6 (RFC 1928 §5).
    static let addressBytes: [UInt64: Int] = [1: 4, 4: 16]
    static let domainName: UInt64 = 3

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: framing

    func headerSize(_ direction: Direction) -> Int {
        if direction == .toServer { return clientStage == .socks4Names ? 1 : 2 }
        return serverStage == .socks4Reply ? 8 : 2
    }

    /// Two bytes, but a request or reply (`VER=5` where one may come) has
    /// four, and a fifth — the name's length — when its address is a name;
    /// a SOCKS4 request's fixed part (`VN=4 CD DSTPORT DSTIP`) is eight.
    func headerSize(_ direction: Direction, header: UInt64, have: Int) -> Int {
        let addressed = direction == .toServer ? clientStage == .next : serverStage == .reply
        if direction == .toServer && clientStage == .password { return 1 }
        if direction == .toServer && clientStage == .offer && have >= 1 && header >> (8 * UInt64(have - 1)) == 4 { return 8 }
        guard addressed, have >= 1, header >> (8 * UInt64(have - 1)) == 5 else { return headerSize(direction) }
        guard have >= 4 else { return 4 }
        let atyp = have == 4 ? header & 0xff : header >> 8 & 0xff
        return atyp == SOCKSLoginAnalyzer.domainName ? 5 : 4
    }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        if direction == .toServer {
            switch clientStage {
            case .offer: return header >> 56 == 4 ? 0 : header >> 8 == 5 ? Int(header & 0xff) : nil
            case .password: return Int(header & 0xff)
            case .socks4Names: return 0
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
        let size = UInt64(headerBytes(header, direction) + bodyBytes)
        guard direction == .toServer else {
            read.toClient += size
            return serverMessage(header)
        }
        read.toServer += size
        switch clientStage {
        case .offer where header >> 56 == 4:
            // SOCKS4 (CD=1: CONNECT); DSTIP 0.0.0.x with x ≠ 0 means a host name follows the user id (4a).
            socks4Connect = header >> 48 & 0xff == 1
            let address = header & 0xffff_ffff
            socks4NULsLeft = address >> 8 == 0 && address != 0 ? 2 : 1
            clientStage = .socks4Names
            serverStage = .socks4Reply
            return true
        case .offer:
            clientStage = .next
            return true
        case .socks4Names:
            if header == 0 { socks4NULsLeft -= 1 } else { socks4NameBytes += 1 }
            guard socks4NULsLeft == 0 else {
                guard socks4NameBytes > SOCKSLoginAnalyzer.maxSOCKS4Names else { return true }
                context.counters.cleartextOversizedMessages &+= 1
                return false
            }
            if socks4Connect { connectEnd = read.toServer }
            return false
        case .next where header >> 8 == 1:
            // One sub-negotiation per connection (RFC 1929 §2): a second is not SOCKS.
            guard !passwordRead else { return false }
            username = Array(body)
            clientStage = .password
            return true
        case .password:
            pending = CredentialSighting(mechanism: .socksPassword, username: username, secret: Array(body))
            passwordRead = true
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
    func headerBytes(_ header: UInt64, _ direction: Direction) -> Int {
        if direction == .toServer && (clientStage == .password || clientStage == .socks4Names) { return 1 }
        if direction == .toServer && clientStage == .offer && header >> 56 == 4 { return 8 }
        if direction == .toClient && serverStage == .socks4Reply { return 8 }
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
        case .socks4Reply:
            // CD=90: granted.
            if header >> 48 & 0xff == 90, let start = connectEnd {
                tunnel = TunnelStart(kind: .socks4, toServer: start, toClient: read.toClient)
            }
            isDone = true
            return false
        }
    }
}
