import Decoding
import Flows
import Inspection

/// The identity of a flow as written in records: transport, client and
/// server endpoints, and whether the client was guessed.
public struct FlowIdentity: Sendable, Equatable {
    public var transport: TransportProtocol
    public var client: IPAddress
    public var clientPort: UInt16
    public var server: IPAddress
    public var serverPort: UInt16
    public var clientGuessed: Bool
    public var start: Microseconds
    /// VXLAN VNI / GRE key the flow was seen in (0 when none): part of the id,
    /// so the same 5-tuple in two mirror sessions gets two ids.
    public var tunnelContext: UInt32
    /// The flow's packets were IPv6 (IPv4-mapped addresses print as `::ffff:a.b.c.d`).
    public var isIPv6: Bool

    @inlinable
    public init(_ flow: borrowing Flow) {
        transport = flow.key.transport
        client = flow.clientAddress
        clientPort = flow.clientPort
        server = flow.serverAddress
        serverPort = flow.serverPort
        clientGuessed = flow.clientGuessed
        start = flow.start
        tunnelContext = flow.key.tunnelContext
        isIPv6 = flow.key.isIPv6
    }

    /// A fixed (unkeyed) FNV-1a hash of the transport, both endpoints, the
    /// tunnel context and the start time: the same flow gets the same id in every run, as the
    /// output contract requires.
    public var hash: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        h = FlowIdentity.mix(h, UInt64(transport.rawValue))
        h = FlowIdentity.mix(h, client.high)
        h = FlowIdentity.mix(h, client.low)
        h = FlowIdentity.mix(h, UInt64(clientPort))
        h = FlowIdentity.mix(h, server.high)
        h = FlowIdentity.mix(h, server.low)
        h = FlowIdentity.mix(h, UInt64(serverPort))
        if tunnelContext != 0 { h = FlowIdentity.mix(h, UInt64(tunnelContext)) }
        return FlowIdentity.mix(h, UInt64(bitPattern: start))
    }

    /// One FNV-1a-style step over a whole word, with a shift so high bits
    /// reach the low ones.
    static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
        let m = (h ^ word) &* 0x0000_0100_0000_01b3
        return m ^ (m >> 29)
    }

    /// `C` and the 16 hex digits of `hash`.
    public var id: String { ASCII.taggedHex("C", hash) }
}

/// The summary of one finished flow (`type: "flow"`).
public struct FlowRecord: Sendable {
    public var identity: FlowIdentity
    public var end: Microseconds
    public var app: AppProtocol
    public var packets: (toServer: UInt64, toClient: UInt64)
    public var bytes: (toServer: UInt64, toClient: UInt64)
    public var findings: Int
    public var endReason: FlowEndReason
    /// The flow was picked up after its start (no SYN seen).
    public var midstream: Bool
    public var gaps: UInt64
    public var gapBytes: UInt64
    /// 802.1Q VLAN id of the flow's first packet, 0 when untagged.
    public var vlan: UInt16
    /// The handshake, for TLS flows and upgraded (STARTTLS) ones.
    public var tls: TLSSummary?
    /// For an FTP data connection (`app` `ftp-data`): the control connection that announced it.
    public var control: FlowIdentity?

    /// `true` for a protocol that protects its payload, `false` for an
    /// identified cleartext one; nil (omitted) when there was no payload or
    /// the protocol was not identified — an unknown binary protocol may or
    /// may not be encrypted, and the record does not guess.
    public var encrypted: Bool? {
        if bytes.toServer + bytes.toClient == 0 || app == .unknown { return nil }
        // A STARTTLS stream is protected once its handshake got as far as a ServerHello.
        return app.isEncrypted || tls?.version != nil || payloadProtected
    }

    /// The protocol encrypted its own payload after the login (SMB3 encryption).
    public var payloadProtected = false

    public init(flow: Flow, inspection: FlowInspection, findings: Int, endReason: FlowEndReason, tls: TLSSummary? = nil) {
        self.init(
            flow: flow, app: inspection.app, payloadProtected: inspection.payloadProtected, findings: findings,
            endReason: endReason, tls: tls)
    }

    /// The record of a flow still in the flow table, read in place: inlinable
    /// and borrowing, and given the two facts it needs of the inspection,
    /// so that ending a flow does not copy the flow and its inspection
    /// (retaining and releasing every buffer they hold) to read a dozen fields.
    @inlinable
    public init(
        flow: borrowing Flow, app: AppProtocol, payloadProtected: Bool, findings: Int, endReason: FlowEndReason,
        tls: TLSSummary? = nil
    ) {
        self.tls = tls
        identity = FlowIdentity(flow)
        end = flow.lastSeen
        self.app = app
        self.payloadProtected = payloadProtected
        packets = flow.packets
        bytes = flow.bytes
        self.findings = findings
        self.endReason = endReason
        midstream = flow.startedMidstream
        gaps = UInt64(flow.toServer.gaps) + UInt64(flow.toClient.gaps)
        gapBytes = flow.toServer.gapBytes + flow.toClient.gapBytes
        vlan = flow.vlan
    }
}
