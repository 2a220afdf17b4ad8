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

    public init(_ flow: Flow) {
        transport = flow.key.transport
        client = flow.clientAddress
        clientPort = flow.clientPort
        server = flow.serverAddress
        serverPort = flow.serverPort
        clientGuessed = flow.clientGuessed
        start = flow.start
    }

    /// `C` and 16 hex digits of a fixed (unkeyed) FNV-1a hash of the
    /// transport, both endpoints and the start time: the same flow gets the
    /// same id in every run, as the output contract requires.
    public var id: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ v: UInt64) {
            for i in 0..<8 {
                h ^= (v >> (8 * UInt64(i))) & 0xff
                h = h &* 0x0000_0100_0000_01b3
            }
        }
        mix(UInt64(transport.rawValue))
        mix(client.high); mix(client.low); mix(UInt64(clientPort))
        mix(server.high); mix(server.low); mix(UInt64(serverPort))
        mix(UInt64(bitPattern: start))
        let hex = String(h, radix: 16)
        return "C" + String(repeating: "0", count: 16 - hex.count) + hex
    }
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

    /// `true`/`false` when payload was seen, nil (omitted) when there was none.
    public var encrypted: Bool? {
        bytes.toServer + bytes.toClient == 0 ? nil : app.isEncrypted
    }

    public init(flow: Flow, inspection: FlowInspection, findings: Int, endReason: FlowEndReason) {
        identity = FlowIdentity(flow)
        end = flow.lastSeen
        app = inspection.app
        packets = flow.packets
        bytes = flow.bytes
        self.findings = findings
        self.endReason = endReason
        midstream = flow.key.transport == .tcp && flow.toServer.startedMidstream && flow.toClient.startedMidstream
        gaps = UInt64(flow.toServer.gaps) + UInt64(flow.toClient.gaps)
        gapBytes = flow.toServer.gapBytes + flow.toClient.gapBytes
    }
}
