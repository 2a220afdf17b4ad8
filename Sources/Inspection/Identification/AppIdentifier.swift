import Decoding
import Flows

/// Identifies a flow's application protocol from the first bytes of each
/// direction, running every registered probe for that direction. Ports are
/// only a hint (probes use them to tell look-alike banners apart), so
/// protocols are found on any port and flows picked up mid-stream are
/// identified when their next message starts a segment.
///
/// When the first chunk is too short to decide (a Telnet keystroke, a
/// banner split over segments), up to `maxProbeBytes` are copied and probed
/// again as more arrive; that copy happens at most once per flow direction.
public struct AppIdentifier: StreamAnalyzer {
    public private(set) var app: AppProtocol = .unknown
    let serverPort: UInt16
    let descriptors: [AnalyzerDescriptor]
    var prefix: (toServer: [UInt8], toClient: [UInt8]) = ([], [])
    var decided: (toServer: Bool, toClient: Bool) = (false, false)
    /// The client sent data (or lost some) before the server said anything.
    var clientSpokeFirst = false
    var serverSpoke = false

    /// Bytes of a direction's start kept while probes ask for more.
    public static let maxProbeBytes = 64

    public init(serverPort: UInt16, transport: TransportProtocol) {
        self.serverPort = serverPort
        self.descriptors = transport == .udp ? AnalyzerRegistry.udp : AnalyzerRegistry.tcp
    }

    public var isDone: Bool { app != .unknown || (decided.toServer && decided.toClient) }

    /// Names the protocol from outside the flow's bytes (an FTP data
    /// connection announced on its control channel); nothing is probed.
    mutating func assign(_ app: AppProtocol) {
        self.app = app
        prefix = ([], [])
    }

    /// The first bytes of a direction held while probes wanted more: once a
    /// protocol is named, its analyzer reads them before the current chunk.
    public func heldPrefix(_ d: Direction) -> [UInt8] { d == .toServer ? prefix.toServer : prefix.toClient }

    public mutating func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard !bytes.isEmpty else { return isDone ? .done : .needMore }
        noteSpeaker(direction)
        guard !isDone, !isDecided(direction) else { return isDone ? .done : .needMore }
        let held = direction == .toServer ? prefix.toServer : prefix.toClient
        let result: ProbeResult
        if held.isEmpty {
            result = probe(bytes, direction: direction, final: bytes.count >= AppIdentifier.maxProbeBytes)
        } else {
            var joined = held
            joined.append(contentsOf: bytes.prefix(AppIdentifier.maxProbeBytes - held.count))
            let final = joined.count >= AppIdentifier.maxProbeBytes
            result = joined.withUnsafeBytes { probe($0, direction: direction, final: final) }
            setPrefix(joined, direction)
        }
        switch result {
        case .match:
            break
        case .noMatch:
            markDecided(direction)
        case .needMore:
            let current = direction == .toServer ? prefix.toServer : prefix.toClient
            if current.isEmpty { setPrefix(Array(bytes.prefix(AppIdentifier.maxProbeBytes)), direction) }
            let now = direction == .toServer ? prefix.toServer : prefix.toClient
            if now.count >= AppIdentifier.maxProbeBytes { markDecided(direction) }
        }
        if isDone { prefix = ([], []) }
        return isDone ? .done : .needMore
    }

    /// A gap at the start of a direction hides the bytes probes need.
    public mutating func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        noteSpeaker(direction)
        if !isDecided(direction) { markDecided(direction) }
        return isDone ? .done : .needMore
    }

    /// The direction ended: whatever it held is probed one last time, with
    /// the first match winning, then the direction is decided.
    public mutating func end(direction: Direction, context: inout InspectionContext) {
        guard !isDone, !isDecided(direction) else { return }
        let held = direction == .toServer ? prefix.toServer : prefix.toClient
        if !held.isEmpty { _ = held.withUnsafeBytes { probe($0, direction: direction, final: true) } }
        markDecided(direction)
    }

    /// Runs the probes of `direction` in registry order; the first match
    /// names the protocol. A match does not overtake an earlier probe that
    /// still waits for bytes (an SMTP greeting on port 21 is SMTP however it
    /// was segmented) unless the bytes are `final` (the probe budget is full).
    func probeResult(_ bytes: UnsafeRawBufferPointer, direction: Direction, final: Bool) -> (ProbeResult, AppProtocol) {
        var undecided = false
        for d in descriptors {
            guard let probe = direction == .toServer ? d.probeToServer : d.probeToClient else { continue }
            if direction == .toClient && d.serverGreetsFirst && clientSpokeFirst { continue }
            switch probe(bytes, serverPort) {
            case .match: return undecided && !final ? (.needMore, .unknown) : (.match, d.app)
            case .needMore: undecided = true
            case .noMatch: break
            }
        }
        return (undecided ? .needMore : .noMatch, .unknown)
    }

    mutating func probe(_ bytes: UnsafeRawBufferPointer, direction: Direction, final: Bool) -> ProbeResult {
        let (result, found) = probeResult(bytes, direction: direction, final: final)
        if case .match = result { app = found }
        return result
    }

    mutating func noteSpeaker(_ d: Direction) {
        if d == .toServer {
            if !serverSpoke { clientSpokeFirst = true }
        } else {
            serverSpoke = true
        }
    }

    func isDecided(_ d: Direction) -> Bool { d == .toServer ? decided.toServer : decided.toClient }

    mutating func markDecided(_ d: Direction) {
        if d == .toServer { decided.toServer = true; prefix.toServer = [] } else { decided.toClient = true; prefix.toClient = [] }
    }

    mutating func setPrefix(_ bytes: [UInt8], _ d: Direction) {
        if d == .toServer { prefix.toServer = bytes } else { prefix.toClient = bytes }
    }
}
