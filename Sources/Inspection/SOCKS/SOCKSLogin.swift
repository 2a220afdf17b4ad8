import Flows

/// Reads the start of a SOCKS session and reports the password of a SOCKS5
/// username/password sub-negotiation (RFC 1928 §3, RFC 1929 §2), with the
/// proxy's verdict.
///
/// Client: the method offer `VER=5 NMETHODS METHODS...`; when it offers
/// USERNAME/PASSWORD (0x02), the sub-negotiation `VER=1 ULEN UNAME PLEN
/// PASSWD` (read as two messages: `VER ULEN` + name, `PLEN` + password).
/// Server: the chosen method `VER=5 METHOD`, then the sub-negotiation status
/// `VER=1 STATUS`: 0 accepts, anything else rejects (RFC 1929 §2: the proxy
/// then closes the connection).
///
/// A SOCKS4 request carries a user id, not a secret: nothing is reported.
/// The analyzer is `.done` once the proxy has answered the password, picked
/// another method, or the client offered no password (every message is a
/// few bytes, so nothing is read past the handshake).
public final class SOCKSLoginAnalyzer: StreamAnalyzer, FramedDialogue, PendingLogin, SightingSource {
    /// Bytes of each direction read before it stops.
    public let maxDepth: UInt64
    public internal(set) var sightings: [Sighting] = []
    public internal(set) var oversizedMessages: UInt64 = 0
    /// Longest message copied when it spans chunks (every SOCKS message is shorter).
    public static let maxMessage = 256

    @exclusivity(unchecked) var toServer = FramedMessageReader()
    @exclusivity(unchecked) var toClient = FramedMessageReader()
    public internal(set) var isDone = false

    enum ClientStage { case offer, username, password }
    var clientStage: ClientStage = .offer
    /// The proxy's method choice went by: the next server message is the sub-negotiation status.
    var methodChosen = false
    var username: [UInt8] = []
    var pending: CredentialSighting?

    /// USERNAME/PASSWORD (RFC 1928 §3).
    static let passwordMethod: UInt64 = 0x02

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: framing

    func headerSize(_ direction: Direction) -> Int {
        direction == .toServer && clientStage == .password ? 1 : 2
    }

    func bodyLength(header: UInt64, direction: Direction) -> Int? {
        guard direction == .toServer else { return 0 }
        let version = header >> 8
        switch clientStage {
        case .offer: return version == 5 ? Int(header & 0xff) : version == 4 ? 0 : nil
        case .username: return version == 1 ? Int(header & 0xff) : 0  // a request (VER 5): no sub-negotiation
        case .password: return Int(header & 0xff)
        }
    }

    func message(
        header: UInt64, body: UnsafeRawBufferPointer, skipped: Bool, direction: Direction,
        context: inout InspectionContext
    ) -> Bool {
        guard direction == .toServer else { return serverMessage(header) }
        switch clientStage {
        case .offer:
            // SOCKS4 (a user id, no secret), or no USERNAME/PASSWORD offered: nothing to report.
            guard header >> 8 == 5, body.contains(UInt8(SOCKSLoginAnalyzer.passwordMethod)) else {
                isDone = true
                return false
            }
            clientStage = .username
            return true
        case .username:
            guard header >> 8 == 1 else {
                isDone = pending == nil
                return false
            }
            username = Array(body)
            clientStage = .password
            return true
        case .password:
            pending = CredentialSighting(mechanism: .socksPassword, username: username, secret: Array(body))
            return false  // the client has nothing more to say that matters
        }
    }

    /// `VER=5 METHOD`, then `VER=1 STATUS`.
    func serverMessage(_ header: UInt64) -> Bool {
        if !methodChosen {
            guard header >> 8 == 5, header & 0xff == SOCKSLoginAnalyzer.passwordMethod else {
                isDone = true  // another method (or none acceptable, 0xFF): no password is sent
                return false
            }
            methodChosen = true
            return true
        }
        guard header >> 8 == 1 else { return false }
        finish(header & 0xff == 0 ? .accepted : .rejected)
        isDone = true
        return false
    }
}
