import Testing
@testable import Flows
import Decoding
import TestSupport

// MARK: - Deterministic randomness


func randomBytes(_ count: Int, using g: inout SplitMix64) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(count)
    while out.count < count {
        var word = g.next()
        for _ in 0..<min(8, count - out.count) {
            out.append(UInt8(truncatingIfNeeded: word))
            word >>= 8
        }
    }
    return out
}

/// Bytes that differ from their neighbours, so a shifted or misplaced byte shows.
func patternBytes(_ offsets: Range<Int>, salt: Int = 0) -> [UInt8] {
    offsets.map { UInt8(truncatingIfNeeded: $0 &* 131 &+ ($0 >> 8) &+ salt) }
}

/// Where two byte arrays first differ (nil when equal), for short failure
/// messages on large streams.
func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String? {
    if a == b { return nil }
    let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
    let show = { (x: [UInt8]) in i < x.count ? String(x[i]) : "end" }
    return "differ at byte \(i) of \(a.count) vs \(b.count): \(show(a)) vs \(show(b))"
}

/// The sequence number of stream offset `offset` when the SYN carried `isn`.
func seq(_ isn: UInt32, _ offset: Int) -> UInt32 { isn &+ 1 &+ UInt32(truncatingIfNeeded: offset) }

// MARK: - Reassembly harness

/// What the stream handed out, in order.
enum Delivered: Equatable, CustomStringConvertible {
    case data(offset: UInt64, bytes: [UInt8])
    case gap(offset: UInt64, length: UInt64)

    var description: String {
        switch self {
        case .data(let o, let b): return "data(\(o), \(b.count) bytes)"
        case .gap(let o, let l): return "gap(\(o), \(l))"
        }
    }
}

/// Drives one `TCPStream` the way the pipeline does: accept, take the
/// in-order part, then drain `nextItem` until nil. Records every item and
/// checks that items are contiguous.
struct Reassembly {
    var stream = TCPStream()
    var limits = FlowLimits()
    var budget: ReassemblyBudget
    private(set) var items: [Delivered] = []
    /// Items whose offset did not continue the previous item.
    private(set) var continuityErrors: [String] = []
    /// The largest `heldBytes` seen right after an `accept` / after a drain.
    private(set) var maxHeldAfterAccept = 0
    private(set) var maxHeldAfterDrain = 0
    private(set) var maxBudgetAfterAccept = 0
    private(set) var deliveredEnd: UInt64 = 0

    init(isn: UInt32? = nil, maxHeld: Int? = nil, budgetBytes: Int = 1 << 40) {
        budget = ReassemblyBudget(maxBytes: budgetBytes)
        if let maxHeld { limits.maxHeldBytesPerDirection = maxHeld }
        if let isn { stream.start(synSequence: isn) }
    }

    /// Feeds one segment and (by default) drains. Returns the in-order part
    /// `accept` returned, copied.
    @discardableResult
    mutating func feed(
        _ sequence: UInt32, _ payload: [UInt8], wireLength: Int? = nil, fin: Bool = false, drain: Bool = true
    ) -> (bytes: [UInt8], offset: UInt64) {
        var budget = self.budget
        let wire = wireLength ?? payload.count
        let result = payload.withUnsafeBytes { raw in
            let r = stream.accept(
                sequence: sequence, payload: raw, wireLength: wire, fin: fin, limits: limits, budget: &budget)
            return (Array(r.bytes), r.offset)
        }
        self.budget = budget
        maxHeldAfterAccept = max(maxHeldAfterAccept, stream.heldBytes)
        maxBudgetAfterAccept = max(maxBudgetAfterAccept, self.budget.bufferedBytes)
        if !result.0.isEmpty { record(.data(offset: result.1, bytes: result.0)) }
        if drain { self.drain() }
        return result
    }

    /// Feeds the bytes of `data[range]` as stream offsets `range` (SYN-based).
    mutating func feed(
        isn: UInt32, _ data: [UInt8], _ range: Range<Int>, fin: Bool = false, drain: Bool = true
    ) {
        feed(seq(isn, range.lowerBound), Array(data[range]), fin: fin, drain: drain)
    }

    mutating func drain() {
        while let item = stream.nextItem(budget: &budget) {
            switch item {
            case .data(let bytes, let offset): record(.data(offset: offset, bytes: Array(bytes)))
            case .gap(let offset, let length): record(.gap(offset: offset, length: length))
            }
        }
        maxHeldAfterDrain = max(maxHeldAfterDrain, stream.heldBytes)
    }

    mutating func acknowledge(_ sequence: UInt32) {
        stream.acknowledge(sequence)
        drain()
    }

    mutating func finish() {
        stream.finish()
        drain()
    }

    mutating func record(_ item: Delivered) {
        switch item {
        case .data(let offset, let bytes):
            if offset != deliveredEnd { continuityErrors.append("\(item) after end \(deliveredEnd)") }
            if bytes.isEmpty { continuityErrors.append("empty \(item)") }
            deliveredEnd = offset + UInt64(bytes.count)
        case .gap(let offset, let length):
            if offset != deliveredEnd { continuityErrors.append("\(item) after end \(deliveredEnd)") }
            if length == 0 { continuityErrors.append("empty \(item)") }
            deliveredEnd = offset + length
        }
        items.append(item)
    }

    /// All delivered data bytes, concatenated (gaps left out).
    var data: [UInt8] {
        items.flatMap { item -> [UInt8] in
            if case .data(_, let b) = item { return b } else { return [] }
        }
    }

    var gapItems: [Delivered] { items.filter { if case .gap = $0 { return true } else { return false } } }

    /// The stream as delivered: a byte per offset, nil inside gaps.
    var reconstructed: [UInt8?] {
        var out: [UInt8?] = []
        for item in items {
            switch item {
            case .data(_, let b): out.append(contentsOf: b.map { Optional($0) })
            case .gap(_, let l): out.append(contentsOf: [UInt8?](repeating: nil, count: Int(l)))
            }
        }
        return out
    }
}

// MARK: - Packets and flows

func address(_ text: String) -> IPAddress {
    guard let a = IPAddress(text) else { fatalError("bad address \(text)") }
    return a
}

func makePacket(
    _ source: String, _ sourcePort: UInt16, _ destination: String, _ destinationPort: UInt16,
    transport: TransportProtocol = .tcp, flags: TCPFlags = [.ack], time: Microseconds = 0, tunnel: UInt32 = 0
) -> DecodedPacket {
    makePacket(
        address(source), sourcePort, address(destination), destinationPort, isIPv6: source.contains(":"),
        transport: transport, flags: flags, time: time, tunnel: tunnel)
}

func makePacket(
    _ source: IPAddress, _ sourcePort: UInt16, _ destination: IPAddress, _ destinationPort: UInt16,
    isIPv6: Bool = false, transport: TransportProtocol = .tcp, flags: TCPFlags = [.ack], time: Microseconds = 0,
    tunnel: UInt32 = 0
) -> DecodedPacket {
    var p = DecodedPacket()
    p.source = source
    p.destination = destination
    p.sourcePort = sourcePort
    p.destinationPort = destinationPort
    p.transport = transport
    p.isIPv6 = isIPv6
    p.tcpFlags = transport == .tcp ? flags : []
    p.timestamp = time
    p.tunnelContext = tunnel
    return p
}

func key(of packet: DecodedPacket) -> (key: FlowKey, sentByLow: Bool) {
    var sentByLow = false
    let k = FlowKey(packet, sentByLow: &sentByLow)
    return (k, sentByLow)
}

func makeFlow(_ packet: DecodedPacket, stage: FlowStage? = nil) -> Flow {
    let (k, low) = key(of: packet)
    var flow = Flow(key: k, first: packet, sentByLow: low)
    if let stage { flow.stage = stage }
    return flow
}

/// A random IPv4 TCP key (ports and addresses random).
func randomKey(using g: inout SplitMix64, transport: TransportProtocol = .tcp) -> FlowKey {
    let p = makePacket(
        IPAddress(ipv4: UInt32.random(in: .min ... .max, using: &g)), UInt16.random(in: 1 ... .max, using: &g),
        IPAddress(ipv4: UInt32.random(in: .min ... .max, using: &g)), UInt16.random(in: 1 ... .max, using: &g),
        transport: transport)
    return key(of: p).key
}

func makeFlow(key: FlowKey, time: Microseconds = 0, stage: FlowStage = .established) -> Flow {
    var p = makePacket(key.lowAddress, key.lowPort, key.highAddress, key.highPort, transport: key.transport)
    p.isIPv6 = !key.lowAddress.isIPv4
    p.tunnelContext = key.tunnelContext
    p.timestamp = time
    var flow = Flow(key: key, first: p, sentByLow: true)
    flow.stage = stage
    return flow
}

extension FlowTable {
    /// The slots on `stage`'s list, oldest first; also checks the back links.
    func list(_ stage: FlowStage) -> [Int32] {
        var forward: [Int32] = []
        var s = oldest[stage.rawValue]
        while s >= 0 && forward.count <= flows.count {
            forward.append(s)
            s = flows[Int(s)].newer
        }
        var backward: [Int32] = []
        s = newest[stage.rawValue]
        while s >= 0 && backward.count <= flows.count {
            backward.append(s)
            s = flows[Int(s)].older
        }
        #expect(Array(backward.reversed()) == forward, "list \(stage) links disagree")
        return forward
    }

    @discardableResult
    mutating func insert(_ flow: Flow) -> Int32 { insert(flow, hash: hash(flow.key)) }

    func find(_ key: FlowKey) -> Int32? { find(key, hash: hash(key)) }
}
