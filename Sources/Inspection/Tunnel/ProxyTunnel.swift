import Flows

/// Who opened a tunnel through a proxy.
public enum TunnelKind: UInt8, Sendable, CustomStringConvertible {
    /// An HTTP proxy answered `CONNECT host:port` with 2xx (RFC 9110 §9.3.6).
    case httpConnect
    /// A SOCKS5 proxy answered a CONNECT request with REP 0 (RFC 1928 §6).
    case socks5
    /// A SOCKS4 (or 4a) proxy granted a CONNECT request (CD 90).
    case socks4

    public var description: String {
        switch self {
        case .httpConnect: "http-connect"
        case .socks5: "socks5"
        case .socks4: "socks4"
        }
    }
}

/// Where a proxy's tunnel begins in each direction of the flow that carries
/// it: the client's bytes after its request, the proxy's after its answer.
public struct TunnelStart: Sendable, Equatable {
    public var kind: TunnelKind
    public var toServer: UInt64
    public var toClient: UInt64
}

/// A tunnel being identified: its bytes are probed like a new flow's, at
/// offsets counted from the tunnel's start, so that TLS inside it can be read
/// by the TLS analyzer (and SSH, or any other encrypted protocol, is no
/// longer scanned as cleartext). A class: the flow slot holds a reference
/// (an identifier inline would add ~100 bytes to every slot).
final class ProxyTunnel {
    let start: TunnelStart
    var identifier: AppIdentifier

    init(_ start: TunnelStart) {
        self.start = start
        // No port hint: the probes that decide here (TLS, SSH) need none.
        identifier = AppIdentifier(serverPort: 0, transport: .tcp)
    }

    func startOffset(_ direction: Direction) -> UInt64 { direction == .toServer ? start.toServer : start.toClient }

    /// Probes the part of a chunk (at stream `offset`) that lies inside the
    /// tunnel. Returns the first bytes each direction's probes held before
    /// this chunk when this chunk named the protocol, nil otherwise.
    func identify(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> (toServer: [UInt8], toClient: [UInt8])? {
        let begin = startOffset(direction)
        let end = offset + UInt64(bytes.count)
        guard end > begin, !identifier.isDone else { return nil }
        let skip = begin > offset ? Int(begin - offset) : 0
        let held = (toServer: identifier.heldPrefix(.toServer), toClient: identifier.heldPrefix(.toClient))
        let inner = UnsafeRawBufferPointer(rebasing: bytes[skip...])
        let verdict = identifier.ingest(inner, direction: direction, offset: offset + UInt64(skip) - begin, context: &context)
        return verdict == .done ? held : nil
    }
}
