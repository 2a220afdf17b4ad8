import Decoding

/// One tracked conversation: its identity, client and server sides, counts
/// per direction, TCP state and the two reassembly streams.
public struct Flow: Sendable {
    public var key: FlowKey
    /// The client is the low endpoint of `key` (else the high one).
    public var clientIsLow: Bool
    /// No SYN or SYN-ACK was seen: the client was guessed from the ports.
    public var clientGuessed: Bool
    public var start: Microseconds
    public var lastSeen: Microseconds
    public var stage: FlowStage
    public var packets: (toServer: UInt64, toClient: UInt64) = (0, 0)
    /// Payload bytes on the wire.
    public var bytes: (toServer: UInt64, toClient: UInt64) = (0, 0)
    public var finSeen: (toServer: Bool, toClient: Bool) = (false, false)
    public var resetSeen = false
    /// The innermost 802.1Q VLAN id of the first packet (0 when untagged):
    /// reported, not part of the key.
    public var vlan: UInt16
    /// A TCP flow whose first packet was not a SYN: picked up mid-connection.
    public var startedMidstream: Bool
    /// All inspectors are done: later packets are only counted.
    public var bypassed = false
    public var toServer = TCPStream()
    public var toClient = TCPStream()

    // Links of the per-stage list, ordered by `linkedAt` (slot numbers, -1 = none).
    var newer: Int32 = -1
    var older: Int32 = -1
    /// When the flow was last moved to the newest end of its stage's list;
    /// `lastSeen - linkedAt` stays below `FlowLimits.activityResolution`.
    @usableFromInline var linkedAt: Microseconds

    /// Starts a flow from its first packet. The client is the SYN sender, the
    /// receiver of a SYN-ACK, else the sender of a first packet sent to a
    /// service's well-known port from one that is not (`toServicePort`: a NAS
    /// sending from 1645 to a RADIUS server on 1812), else the endpoint with
    /// the higher (ephemeral) port, else the sender of the first packet.
    public init(key: FlowKey, first packet: DecodedPacket, sentByLow: Bool, toServicePort: Bool = false) {
        self.key = key
        start = packet.timestamp
        lastSeen = packet.timestamp
        linkedAt = packet.timestamp
        vlan = packet.vlan
        startedMidstream = packet.transport == .tcp && !packet.tcpFlags.contains(.syn)
        let flags = packet.tcpFlags
        if packet.transport == .tcp && flags.contains(.syn) {
            // SYN: sender is the client; SYN-ACK: receiver is.
            clientIsLow = flags.contains(.ack) ? !sentByLow : sentByLow
            clientGuessed = false
            stage = .opening
        } else {
            if toServicePort {
                clientIsLow = sentByLow
            } else if packet.sourcePort != packet.destinationPort {
                clientIsLow = (packet.sourcePort > packet.destinationPort) == sentByLow
            } else {
                clientIsLow = sentByLow
            }
            clientGuessed = true
            stage = packet.transport == .tcp ? .established : .udp
        }
    }

    /// The direction of a packet sent by the low (or high) endpoint.
    @inlinable
    public func direction(sentByLow: Bool) -> Direction {
        sentByLow == clientIsLow ? .toServer : .toClient
    }

    @inlinable public var clientAddress: IPAddress { clientIsLow ? key.lowAddress : key.highAddress }
    @inlinable public var serverAddress: IPAddress { clientIsLow ? key.highAddress : key.lowAddress }
    @inlinable public var clientPort: UInt16 { clientIsLow ? key.lowPort : key.highPort }
    @inlinable public var serverPort: UInt16 { clientIsLow ? key.highPort : key.lowPort }

    public var hasPayload: Bool { bytes.toServer + bytes.toClient > 0 }
}

extension Flow {
    /// The reassembly stream of the bytes travelling in `direction`.
    @inlinable
    public subscript(stream direction: Direction) -> TCPStream {
        get { direction == .toServer ? toServer : toClient }
        _modify {
            if direction == .toServer { yield &toServer } else { yield &toClient }
        }
    }
}
