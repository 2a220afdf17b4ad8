import Decoding

/// The bounded flow table: an open-addressing index (linear probing,
/// backward-shift deletion, seeded hash) over a slab of `Flow` values.
///
/// A flow lives in one slot from creation to removal, so other stages can
/// keep per-flow state in arrays indexed by the same slot number. Each
/// `FlowStage` keeps its flows in a list ordered by last activity, so the
/// idle sweep and eviction look only at the oldest ends.
///
/// Why not `Dictionary`: its SipHash alone made the flow stage 2.4–3× the
/// cost of reading the capture (swift-notes.md); this table hashes the key
/// with one keyed multiply-fold and compares 32-bit tags before touching a flow.
public struct FlowTable {
    public let limits: FlowLimits
    @usableFromInline let hasher: FlowHasher
    /// Index words: 0 = empty, else (low 32 bits of hash) << 32 | (slot + 1).
    @usableFromInline var index: [UInt64]
    @usableFromInline var mask: Int
    @usableFromInline var flows: [Flow] = []
    var freeSlots: [Int32] = []
    var occupied: [Bool] = []
    public private(set) var count = 0
    /// Oldest and newest slot of each stage's list (-1 = empty).
    @usableFromInline var oldest = [Int32](repeating: -1, count: FlowStage.allCases.count)
    @usableFromInline var newest = [Int32](repeating: -1, count: FlowStage.allCases.count)

    public init(limits: FlowLimits = FlowLimits(), hasher: FlowHasher = FlowHasher()) {
        self.limits = limits
        self.hasher = hasher
        let size = 4096
        index = [UInt64](repeating: 0, count: size)
        mask = size - 1
        flows.reserveCapacity(FlowTable.reservedSlots(limits))
        occupied.reserveCapacity(FlowTable.reservedSlots(limits))
    }

    /// Slots whose memory is reserved up front: address space only (a page
    /// is backed when a flow first uses it), 20 MiB here and 13 MiB for the
    /// pipeline's inspections at 65,536 slots; past that the arrays double
    /// as before. Growing by doubling from the start moved every flow into
    /// fresh pages each time, and the page faults (1.5-3.7 us each here) were
    /// most of the capture thread's system time. Not the whole default table
    /// (262,144 flows, 128 MiB): a sensor under `ulimit -v` or strict
    /// overcommit would fail to start.
    public static func reservedSlots(_ limits: FlowLimits) -> Int { min(limits.maxFlows, 1 << 16) }

    public var isFull: Bool { count >= limits.maxFlows }

    /// The number of slots ever used; per-slot side arrays must be this long.
    public var slotCapacity: Int { flows.count }

    @inlinable
    public func hash(_ key: FlowKey) -> UInt64 { hasher.hash(key) }

    /// The slot of `key`, if it is tracked. Always inlined: called once per
    /// packet, a call copied the table's 192-byte header to pass it.
    @inlinable @inline(__always)
    public func find(_ key: FlowKey, hash: UInt64) -> Int32? {
        let tag = hash & 0xffff_ffff
        var i = Int(truncatingIfNeeded: tag) & mask
        while true {
            let word = index[i]
            if word == 0 { return nil }
            if word >> 32 == tag {
                let slot = Int32(truncatingIfNeeded: word & 0xffff_ffff) - 1
                if flows[Int(slot)].key == key { return slot }
            }
            i = (i + 1) & mask
        }
    }

    /// Adds a flow; the caller has made room (`isFull` is false) and checked
    /// the key is not present. Returns its slot. Consumed: moved into the
    /// slab, not copied (a copy retains and releases every buffer it holds).
    public mutating func insert(_ flow: consuming Flow, hash: UInt64) -> Int32 {
        precondition(count < limits.maxFlows, "caller must evict before inserting")
        let stage = flow.stage
        if (count + 1) * 2 > index.count { grow() }
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            flows[Int(slot)] = flow
            occupied[Int(slot)] = true
        } else {
            slot = Int32(flows.count)
            flows.append(flow)
            occupied.append(true)
        }
        place(slot: slot, tag: hash & 0xffff_ffff)
        count += 1
        flows[Int(slot)].newer = -1
        flows[Int(slot)].older = -1
        link(slot, stage: stage)
        return slot
    }

    /// Removes the flow in `slot`. The caller has already written its record.
    public mutating func remove(slot: Int32) {
        let stage = flows[Int(slot)].stage
        unlink(slot, stage: stage)
        let tag = hash(flows[Int(slot)].key) & 0xffff_ffff
        var i = Int(truncatingIfNeeded: tag) & mask
        while index[i] & 0xffff_ffff != UInt64(slot + 1) { i = (i + 1) & mask }
        // Backward-shift deletion keeps every probe chain unbroken without tombstones.
        var hole = i
        var j = (i + 1) & mask
        while index[j] != 0 {
            let ideal = Int(truncatingIfNeeded: index[j] >> 32) & mask
            // Move j into the hole when its ideal position is not in (hole, j].
            if (j > hole && (ideal <= hole || ideal > j)) || (j < hole && (ideal <= hole && ideal > j)) {
                index[hole] = index[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        index[hole] = 0
        occupied[Int(slot)] = false
        freeSlots.append(slot)
        count -= 1
    }

    /// The flow in `slot`. Inlinable so that reading one field or mutating
    /// in place does not copy the whole `Flow` (or heap-allocate the
    /// accessor's frame) on every packet.
    @inlinable
    public subscript(slot: Int32) -> Flow {
        get { flows[Int(slot)] }
        _modify { yield &flows[Int(slot)] }
    }

    /// Adds the stream counters of the flow in `slot`. Here, not at the
    /// caller: `counters.add(table[slot][stream: d])` copied the whole flow
    /// (retaining and releasing every buffer it holds) to read one stream.
    public func addStreamCounters(_ slot: Int32, to counters: inout FlowCounters) {
        counters.add(flows[Int(slot)].toServer)
        counters.add(flows[Int(slot)].toClient)
    }

    public func isOccupied(_ slot: Int32) -> Bool { occupied[Int(slot)] }

    /// Marks the flow active at `time` and, if its stage changed or its
    /// place in the age list is older than `activityResolution`, moves it to
    /// the newest end of its stage's list.
    @inlinable
    public mutating func touch(_ slot: Int32, at time: Microseconds, stage: FlowStage) {
        let i = Int(slot)
        if flows[i].stage == stage && time - flows[i].linkedAt < limits.activityResolution {
            // The common case on a busy link: recently relinked, same stage.
            if time > flows[i].lastSeen { flows[i].lastSeen = time }
            return
        }
        relink(slot, at: time, to: stage)
    }

    @usableFromInline
    mutating func relink(_ slot: Int32, at time: Microseconds, to stage: FlowStage) {
        let old = flows[Int(slot)].stage
        let newer = time >= flows[Int(slot)].lastSeen
        // A late packet (older timestamp) does not move the flow forward, so
        // each list stays ordered by last activity.
        if old != stage || newer {
            unlink(slot, stage: old)
            flows[Int(slot)].stage = stage
            link(slot, stage: stage)
        }
        if newer { flows[Int(slot)].lastSeen = time }
        flows[Int(slot)].linkedAt = flows[Int(slot)].lastSeen
    }

    /// A flow whose idle timeout has passed at `now`, if any.
    public func expired(at now: Microseconds) -> Int32? {
        for stage in FlowStage.allCases {
            let slot = oldest[stage.rawValue]
            if slot >= 0 && now - flows[Int(slot)].lastSeen > limits.timeout(stage) { return slot }
        }
        return nil
    }

    /// Stages in the order eviction looks at them: cheap-to-lose ones first.
    static let evictionOrder: [[FlowStage]] = [[.closed, .opening], [.udp, .established]]

    /// The flow that has been idle longest, preferring ones that are closed
    /// or still opening (cheap to lose) over established ones.
    public func idlest() -> Int32? {
        for group in FlowTable.evictionOrder {
            var best: Int32 = -1
            for stage in group {
                let slot = oldest[stage.rawValue]
                if slot >= 0 && (best < 0 || flows[Int(slot)].lastSeen < flows[Int(best)].lastSeen) { best = slot }
            }
            if best >= 0 { return best }
        }
        return nil
    }

    /// Every tracked slot, for flushing at the end of input (oldest first).
    public func allSlots() -> [Int32] {
        var slots: [Int32] = []
        slots.reserveCapacity(count)
        for stage in FlowStage.allCases {
            var s = oldest[stage.rawValue]
            while s >= 0 {
                slots.append(s)
                s = flows[Int(s)].newer
            }
        }
        return slots.sorted { flows[Int($0)].start < flows[Int($1)].start }
    }

    // MARK: internals

    mutating func place(slot: Int32, tag: UInt64) {
        var i = Int(truncatingIfNeeded: tag) & mask
        while index[i] != 0 { i = (i + 1) & mask }
        index[i] = tag << 32 | UInt64(slot + 1)
    }

    mutating func grow() {
        let old = index
        index = [UInt64](repeating: 0, count: old.count * 2)
        mask = index.count - 1
        for word in old where word != 0 {
            place(slot: Int32(truncatingIfNeeded: word & 0xffff_ffff) - 1, tag: word >> 32)
        }
    }

    mutating func link(_ slot: Int32, stage: FlowStage) {
        let s = stage.rawValue
        flows[Int(slot)].older = newest[s]
        flows[Int(slot)].newer = -1
        if newest[s] >= 0 { flows[Int(newest[s])].newer = slot } else { oldest[s] = slot }
        newest[s] = slot
    }

    mutating func unlink(_ slot: Int32, stage: FlowStage) {
        let s = stage.rawValue
        let older = flows[Int(slot)].older, newer = flows[Int(slot)].newer
        if older >= 0 { flows[Int(older)].newer = newer } else { oldest[s] = newer }
        if newer >= 0 { flows[Int(newer)].older = older } else { newest[s] = older }
        flows[Int(slot)].older = -1
        flows[Int(slot)].newer = -1
    }
}
