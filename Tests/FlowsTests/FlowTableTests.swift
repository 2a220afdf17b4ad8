import Testing
@testable import Flows
import Decoding
import TestSupport

@Suite("FlowTable")
struct FlowTableTests {
    static var bigLimits: FlowLimits {
        var l = FlowLimits()
        l.maxFlows = 1_000_000
        return l
    }

    /// Exact age order: every touch moves the flow to the newest end.
    static var exactLimits: FlowLimits {
        var l = bigLimits
        l.activityResolution = 0
        return l
    }

    /// Structural checks that must hold after any sequence of operations.
    static func checkInvariants(_ table: FlowTable, _ comment: Comment? = nil) {
        #expect(table.index.count.nonzeroBitCount == 1, comment)
        #expect(table.mask == table.index.count - 1, comment)
        #expect(table.count * 2 <= table.index.count, comment)
        #expect(table.index.filter { $0 != 0 }.count == table.count, comment)
        #expect(table.occupied.filter { $0 }.count == table.count, comment)
        #expect(table.freeSlots.count + table.count == table.flows.count, comment)
        let listed = FlowStage.allCases.flatMap { table.list($0) }
        #expect(listed.count == table.count, comment)
        #expect(Set(listed).count == listed.count, comment)
        for stage in FlowStage.allCases {
            for slot in table.list(stage) { #expect(table[slot].stage == stage, comment) }
        }
    }

    // MARK: index

    @Test func manyRandomKeysAreAllFoundAfterInsertAndNoneAfterRemove() {
        var g = SplitMix64(seed: 1)
        var table = FlowTable(limits: Self.bigLimits, hasher: FlowHasher(seed: (g.next(), g.next(), g.next())))
        #expect(table.index.count == 4096)
        var keys: [FlowKey] = []
        var slots: [Int32] = []
        while keys.count < 50_000 {
            let k = randomKey(using: &g, transport: keys.count % 3 == 0 ? .udp : .tcp)
            guard table.find(k) == nil else { continue }
            keys.append(k)
            slots.append(table.insert(makeFlow(key: k, time: Microseconds(keys.count))))
        }
        #expect(table.count == 50_000)
        #expect(table.slotCapacity == 50_000)
        // 50,000 flows at load <= 1/2: 131,072 index words.
        #expect(table.index.count == 131_072)
        Self.checkInvariants(table)
        var misses = 0
        for (k, slot) in zip(keys, slots) where table.find(k) != slot { misses += 1 }
        #expect(misses == 0)
        for (k, slot) in zip(keys, slots) where table[slot].key != k { misses += 1 }
        #expect(misses == 0)
        // Keys never inserted are not found.
        var strays = 0
        for _ in 0..<10_000 where table.find(randomKey(using: &g)) != nil { strays += 1 }
        #expect(strays == 0)
        for (i, slot) in slots.enumerated() {
            table.remove(slot: slot)
            if i % 10_000 == 0 { Self.checkInvariants(table) }
        }
        #expect(table.count == 0)
        var found = 0
        for k in keys where table.find(k) != nil { found += 1 }
        #expect(found == 0)
        #expect(table.index.allSatisfy { $0 == 0 })
        Self.checkInvariants(table)
    }

    @Test func indexDoublesOnceMoreThanHalfFullAndNeverShrinks() {
        var g = SplitMix64(seed: 15)
        var table = FlowTable(limits: Self.bigLimits, hasher: FlowHasher(seed: (3, 4, 5)))
        var keys: [FlowKey] = []
        var slots: [Int32] = []
        func add() {
            var k = randomKey(using: &g)
            while table.find(k) != nil { k = randomKey(using: &g) }
            keys.append(k)
            slots.append(table.insert(makeFlow(key: k)))
        }
        for _ in 0..<2048 { add() }
        #expect(table.index.count == 4096)
        add()
        #expect(table.index.count == 8192)
        while keys.count < 4096 { add() }
        #expect(table.index.count == 8192)
        add()
        #expect(table.index.count == 16384)
        Self.checkInvariants(table)
        var wrong = 0
        for (k, s) in zip(keys, slots) where table.find(k) != s { wrong += 1 }
        #expect(wrong == 0)
        for s in slots { table.remove(slot: s) }
        #expect(table.index.count == 16384)
        #expect(table.count == 0)
    }

    @Test func removingEveryOtherKeyKeepsTheRestFindable() {
        var g = SplitMix64(seed: 2)
        var table = FlowTable(limits: Self.bigLimits, hasher: FlowHasher(seed: (7, 8, 9)))
        var keys: [FlowKey] = []
        var slots: [Int32] = []
        while keys.count < 20_000 {
            let k = randomKey(using: &g)
            guard table.find(k) == nil else { continue }
            keys.append(k)
            slots.append(table.insert(makeFlow(key: k)))
        }
        for i in stride(from: 0, to: keys.count, by: 2) { table.remove(slot: slots[i]) }
        Self.checkInvariants(table)
        var wrong = 0
        for (i, k) in keys.enumerated() {
            let found = table.find(k)
            if i % 2 == 0 ? found != nil : found != slots[i] { wrong += 1 }
        }
        #expect(wrong == 0)
        #expect(table.count == 10_000)
        // Put them back: all findable again, reusing the freed slots.
        for i in stride(from: 0, to: keys.count, by: 2) { slots[i] = table.insert(makeFlow(key: keys[i])) }
        #expect(table.slotCapacity == 20_000)
        for (k, slot) in zip(keys, slots) where table.find(k) != slot { wrong += 1 }
        #expect(wrong == 0)
        Self.checkInvariants(table)
    }

    /// Keys chosen so that they all start probing in the same few index
    /// words, including the last ones (so probe chains wrap to the start).
    @Test(arguments: [[4095, 4094, 4093], [100], [0, 4095], [2047, 2048]])
    func keysCollidingInTheIndexStayCorrectThroughInsertAndRemove(buckets: [Int]) {
        let hasher = FlowHasher(seed: (0x1234_5678, 0x9abc, 0xdef0))
        var g = SplitMix64(seed: UInt64(buckets[0]) &+ 17)
        var keys: [FlowKey] = []
        while keys.count < 60 {
            let k = randomKey(using: &g)
            if buckets.contains(Int(hasher.hash(k) & 4095)) { keys.append(k) }
        }
        var table = FlowTable(limits: Self.bigLimits, hasher: hasher)
        // Some unrelated keys in between, so clusters merge with other entries.
        var others: [FlowKey] = []
        for _ in 0..<300 { others.append(randomKey(using: &g)) }
        var present: [(FlowKey, Int32)] = []
        for (i, k) in (keys + others).enumerated() where table.find(k) == nil {
            present.append((k, table.insert(makeFlow(key: k, time: Microseconds(i)))))
        }
        #expect(table.index.count == 4096)
        Self.checkInvariants(table)
        // Remove in a shuffled order; after each removal everything else is still found.
        var order = Array(present.indices)
        order.shuffle(using: &g)
        var removed: [FlowKey] = []
        var errors = 0
        for (n, i) in order.enumerated() {
            table.remove(slot: present[i].1)
            removed.append(present[i].0)
            if n % 7 == 0 || n > order.count - 20 {
                for j in order[(n + 1)...] where table.find(present[j].0) != present[j].1 { errors += 1 }
                for k in removed where table.find(k) != nil { errors += 1 }
            }
        }
        #expect(errors == 0)
        #expect(table.count == 0)
        #expect(table.index.allSatisfy { $0 == 0 })
    }

    /// Keys whose whole 64-bit hash is equal: the tag never tells them
    /// apart, the key comparison must. (The keyed hash makes such sets
    /// unpredictable; here the hash is forced by passing it explicitly.)
    @Test func keysWithIdenticalHashesAreToldApartByKey() {
        var table = FlowTable(limits: Self.bigLimits, hasher: FlowHasher(seed: (1, 2, 3)))
        let keys = (0..<400).map { seedIndependentCollidingKey(UInt64($0)) }
        let forced: UInt64 = 0x1234_5678_9abc_def0
        var slots: [Int32] = []
        for k in keys {
            #expect(table.find(k, hash: forced) == nil)
            slots.append(table.insert(makeFlow(key: k), hash: forced))
        }
        var errors = 0
        for (k, s) in zip(keys, slots) where table.find(k, hash: forced) != s { errors += 1 }
        #expect(errors == 0)
        #expect(table.count == keys.count)
    }

    /// Random inserts and removes against a plain array model, with keys
    /// crowded into a few index words and the index growing mid-way.
    @Test func randomInsertsAndRemovesMatchAModel() {
        let hasher = FlowHasher(seed: (99, 98, 97))
        var g = SplitMix64(seed: 3)
        // A pool of keys: a third crowd into the last index words.
        var pool: [FlowKey] = []
        while pool.count < 1500 {
            let k = randomKey(using: &g)
            let crowded = hasher.hash(k) & 4095 >= 4090
            if crowded || pool.count % 3 != 0 { pool.append(k) }
        }
        var table = FlowTable(limits: Self.bigLimits, hasher: hasher)
        var model: [Int: Int32] = [:]  // pool index -> slot
        var errors = 0
        for step in 0..<30_000 {
            let i = Int.random(in: 0..<pool.count, using: &g)
            if let slot = model[i] {
                if Bool.random(using: &g) {
                    table.remove(slot: slot)
                    model[i] = nil
                }
            } else if model.count < 2500 {
                model[i] = table.insert(makeFlow(key: pool[i], time: Microseconds(step)))
            }
            if step % 1000 == 0 {
                for (j, k) in pool.enumerated() where table.find(k) != model[j] { errors += 1 }
            }
        }
        for (j, k) in pool.enumerated() where table.find(k) != model[j] { errors += 1 }
        #expect(errors == 0)
        #expect(table.count == model.count)
        Self.checkInvariants(table)
        for (_, slot) in model { table.remove(slot: slot) }
        #expect(table.count == 0)
        Self.checkInvariants(table)
    }

    @Test func slotsAreReusedAfterRemoval() {
        var g = SplitMix64(seed: 4)
        var table = FlowTable(limits: Self.bigLimits, hasher: FlowHasher(seed: (1, 1, 1)))
        let keys = (0..<5).map { _ in randomKey(using: &g) }
        let slots = keys.map { table.insert(makeFlow(key: $0)) }
        #expect(slots == [0, 1, 2, 3, 4])
        table.remove(slot: 1)
        table.remove(slot: 3)
        #expect(!table.isOccupied(1))
        #expect(!table.isOccupied(3))
        #expect(table.isOccupied(0))
        let k5 = randomKey(using: &g), k6 = randomKey(using: &g), k7 = randomKey(using: &g)
        let s5 = table.insert(makeFlow(key: k5))
        let s6 = table.insert(makeFlow(key: k6))
        #expect(Set([s5, s6]) == [1, 3])
        #expect(table.slotCapacity == 5)
        #expect(table.isOccupied(s5) && table.isOccupied(s6))
        #expect(table[s5].key == k5)
        #expect(table.find(k5) == s5)
        #expect(table.find(keys[1]) == nil)
        #expect(table.find(keys[3]) == nil)
        #expect(table.insert(makeFlow(key: k7)) == 5)
        #expect(table.slotCapacity == 6)
        Self.checkInvariants(table)
    }

    @Test func reusedSlotStartsWithFreshListLinksAndStage() {
        var g = SplitMix64(seed: 5)
        var table = FlowTable(limits: Self.bigLimits, hasher: FlowHasher(seed: (1, 1, 1)))
        let a = table.insert(makeFlow(key: randomKey(using: &g), time: 1, stage: .established))
        let b = table.insert(makeFlow(key: randomKey(using: &g), time: 2, stage: .established))
        table.remove(slot: a)
        let c = table.insert(makeFlow(key: randomKey(using: &g), time: 3, stage: .udp))
        #expect(c == a)
        #expect(table.list(.established) == [b])
        #expect(table.list(.udp) == [c])
        Self.checkInvariants(table)
    }

    // MARK: capacity and eviction

    @Test func isFullAtMaxFlows() {
        var limits = FlowLimits()
        limits.maxFlows = 3
        var g = SplitMix64(seed: 6)
        var table = FlowTable(limits: limits, hasher: FlowHasher(seed: (1, 2, 3)))
        var slots: [Int32] = []
        for _ in 0..<3 {
            #expect(!table.isFull)
            slots.append(table.insert(makeFlow(key: randomKey(using: &g))))
        }
        #expect(table.isFull)
        #expect(table.count == 3)
        table.remove(slot: slots[1])
        #expect(!table.isFull)
        table.insert(makeFlow(key: randomKey(using: &g)))
        #expect(table.isFull)
    }

    @Test func idlestPrefersClosedAndOpeningFlowsOldestFirst() {
        var g = SplitMix64(seed: 7)
        var table = FlowTable(limits: Self.bigLimits, hasher: FlowHasher(seed: (1, 2, 3)))
        #expect(table.idlest() == nil)
        let est = table.insert(makeFlow(key: randomKey(using: &g), time: 0, stage: .established))
        let udp = table.insert(makeFlow(key: randomKey(using: &g), time: 5, stage: .udp))
        let open1 = table.insert(makeFlow(key: randomKey(using: &g), time: 100, stage: .opening))
        let closed1 = table.insert(makeFlow(key: randomKey(using: &g), time: 50, stage: .closed))
        let open2 = table.insert(makeFlow(key: randomKey(using: &g), time: 200, stage: .opening))
        let closed2 = table.insert(makeFlow(key: randomKey(using: &g), time: 300, stage: .closed))
        #expect(table.idlest() == closed1)
        table.remove(slot: closed1)
        #expect(table.idlest() == open1)
        table.remove(slot: open1)
        #expect(table.idlest() == open2)
        table.remove(slot: open2)
        #expect(table.idlest() == closed2)
        table.remove(slot: closed2)
        // Only established and UDP left: the oldest of them.
        #expect(table.idlest() == est)
        table.remove(slot: est)
        #expect(table.idlest() == udp)
        table.remove(slot: udp)
        #expect(table.idlest() == nil)
    }

    @Test func idlestFollowsLastSeenAfterTouch() {
        var g = SplitMix64(seed: 8)
        var table = FlowTable(limits: Self.exactLimits, hasher: FlowHasher(seed: (1, 2, 3)))
        let a = table.insert(makeFlow(key: randomKey(using: &g), time: 10, stage: .established))
        let b = table.insert(makeFlow(key: randomKey(using: &g), time: 20, stage: .established))
        let c = table.insert(makeFlow(key: randomKey(using: &g), time: 30, stage: .udp))
        #expect(table.idlest() == a)
        table.touch(a, at: 40, stage: .established)
        #expect(table.idlest() == b)
        table.touch(b, at: 50, stage: .established)
        #expect(table.idlest() == c)
        // An established flow that closes becomes the preferred victim.
        table.touch(b, at: 60, stage: .closed)
        #expect(table.idlest() == b)
    }

    // MARK: timeouts

    @Test(arguments: [
        (FlowStage.opening, Microseconds(30_000_000)), (.established, 600_000_000), (.closed, 10_000_000),
        (.udp, 60_000_000),
    ])
    func expiredHonoursThePerStageTimeout(stage: FlowStage, timeout: Microseconds) {
        #expect(FlowLimits().timeout(stage) == timeout)
        var g = SplitMix64(seed: 9)
        var table = FlowTable(limits: Self.bigLimits, hasher: FlowHasher(seed: (1, 2, 3)))
        let t0: Microseconds = 1_700_000_000_000_000
        let slot = table.insert(makeFlow(key: randomKey(using: &g), time: t0, stage: stage))
        #expect(table.expired(at: t0) == nil)
        #expect(table.expired(at: t0 + timeout) == nil)
        #expect(table.expired(at: t0 + timeout + 1) == slot)
        // Activity restarts the clock.
        table.touch(slot, at: t0 + timeout, stage: stage)
        #expect(table.expired(at: t0 + timeout + 1) == nil)
        #expect(table.expired(at: t0 + 2 * timeout + 1) == slot)
    }

    @Test func expiredChecksEachStageAgainstItsOwnTimeout() {
        var g = SplitMix64(seed: 10)
        var table = FlowTable(limits: Self.bigLimits, hasher: FlowHasher(seed: (1, 2, 3)))
        let s: Microseconds = 1_000_000
        let est = table.insert(makeFlow(key: randomKey(using: &g), time: 0, stage: .established))
        let udp = table.insert(makeFlow(key: randomKey(using: &g), time: 0, stage: .udp))
        let open = table.insert(makeFlow(key: randomKey(using: &g), time: 0, stage: .opening))
        let closed = table.insert(makeFlow(key: randomKey(using: &g), time: 25 * s, stage: .closed))
        #expect(table.expired(at: 30 * s) == nil)
        #expect(table.expired(at: 31 * s) == open)
        table.remove(slot: open)
        #expect(table.expired(at: 31 * s) == nil)  // closed at 25 s: 6 s idle < 10 s
        #expect(table.expired(at: 36 * s) == closed)
        table.remove(slot: closed)
        #expect(table.expired(at: 60 * s) == nil)
        #expect(table.expired(at: 61 * s) == udp)
        table.remove(slot: udp)
        #expect(table.expired(at: 599 * s) == nil)
        #expect(table.expired(at: 601 * s) == est)
        table.remove(slot: est)
        #expect(table.expired(at: .max / 2) == nil)
    }

    @Test func customTimeoutsAreHonoured() {
        var limits = Self.bigLimits
        limits.openingTimeout = 5
        limits.establishedTimeout = 7
        limits.closedTimeout = 1
        limits.udpTimeout = 3
        var g = SplitMix64(seed: 11)
        for (stage, timeout) in [(FlowStage.opening, Microseconds(5)), (.established, 7), (.closed, 1), (.udp, 3)] {
            var table = FlowTable(limits: limits, hasher: FlowHasher(seed: (1, 2, 3)))
            let slot = table.insert(makeFlow(key: randomKey(using: &g), time: 100, stage: stage))
            #expect(table.expired(at: 100 + timeout) == nil)
            #expect(table.expired(at: 101 + timeout) == slot)
        }
    }

    @Test func expiredLooksAtTheLeastRecentlyActiveFlowOfAStage() {
        var g = SplitMix64(seed: 12)
        var table = FlowTable(limits: Self.exactLimits, hasher: FlowHasher(seed: (1, 2, 3)))
        let a = table.insert(makeFlow(key: randomKey(using: &g), time: 0, stage: .udp))
        let b = table.insert(makeFlow(key: randomKey(using: &g), time: 10, stage: .udp))
        table.touch(a, at: 20, stage: .udp)
        #expect(table.list(.udp) == [b, a])
        #expect(table.expired(at: 10 + 60_000_001) == b)
        table.remove(slot: b)
        #expect(table.expired(at: 10 + 60_000_001) == nil)
        #expect(table.expired(at: 20 + 60_000_001) == a)
    }

    // MARK: stage lists

    /// Within the activity resolution a touch only updates lastSeen (the
    /// list order may be that much stale); past it, the flow moves.
    @Test func touchWithinTheActivityResolutionKeepsTheListOrder() {
        var g = SplitMix64(seed: 14)
        var limits = Self.bigLimits
        limits.activityResolution = 1_000_000
        var table = FlowTable(limits: limits, hasher: FlowHasher(seed: (1, 2, 3)))
        let a = table.insert(makeFlow(key: randomKey(using: &g), time: 0, stage: .established))
        let b = table.insert(makeFlow(key: randomKey(using: &g), time: 10, stage: .established))
        table.touch(a, at: 500_000, stage: .established)
        #expect(table.list(.established) == [a, b])
        #expect(table[a].lastSeen == 500_000)
        table.touch(a, at: 1_000_000, stage: .established)
        #expect(table.list(.established) == [b, a])
        // A stage change always moves the flow.
        table.touch(b, at: 1_000_001, stage: .closed)
        #expect(table.list(.closed) == [b])
        Self.checkInvariants(table)
    }

    @Test func touchMovesAFlowBetweenStageLists() {
        var g = SplitMix64(seed: 13)
        var table = FlowTable(limits: Self.exactLimits, hasher: FlowHasher(seed: (1, 2, 3)))
        let a = table.insert(makeFlow(key: randomKey(using: &g), time: 1, stage: .opening))
        let b = table.insert(makeFlow(key: randomKey(using: &g), time: 2, stage: .opening))
        let c = table.insert(makeFlow(key: randomKey(using: &g), time: 3, stage: .opening))
        let d = table.insert(makeFlow(key: randomKey(using: &g), time: 4, stage: .established))
        #expect(table.list(.opening) == [a, b, c])
        // From the middle of one list to the newest end of another.
        table.touch(b, at: 5, stage: .established)
        #expect(table.list(.opening) == [a, c])
        #expect(table.list(.established) == [d, b])
        #expect(table[b].stage == .established)
        #expect(table[b].lastSeen == 5)
        // Oldest and newest ends too.
        table.touch(a, at: 6, stage: .established)
        table.touch(c, at: 7, stage: .closed)
        #expect(table.list(.opening) == [])
        #expect(table.list(.established) == [d, b, a])
        #expect(table.list(.closed) == [c])
        // Same stage: moves to the newest end.
        table.touch(d, at: 8, stage: .established)
        #expect(table.list(.established) == [b, a, d])
        table.touch(d, at: 9, stage: .established)
        #expect(table.list(.established) == [b, a, d])
        #expect(table[d].lastSeen == 9)
        // A stale timestamp does not move lastSeen back, nor the flow forward.
        table.touch(b, at: 3, stage: .established)
        #expect(table[b].lastSeen == 5)
        #expect(table.list(.established) == [b, a, d])
        table.touch(c, at: 10, stage: .udp)
        #expect(table.list(.closed) == [])
        #expect(table.list(.udp) == [c])
        Self.checkInvariants(table)
        // Removing unlinks from the right list.
        table.remove(slot: a)
        #expect(table.list(.established) == [b, d])
        Self.checkInvariants(table)
    }

    @Test func allSlotsListsEveryFlowOnceOldestStartFirst() {
        var g = SplitMix64(seed: 14)
        var table = FlowTable(limits: Self.bigLimits, hasher: FlowHasher(seed: (1, 2, 3)))
        var starts: [Int32: Microseconds] = [:]
        for i in 0..<200 {
            let start = Microseconds(Int.random(in: 0..<1_000_000, using: &g) * 200 + i)  // distinct
            let stage = FlowStage.allCases[i % 4]
            let slot = table.insert(makeFlow(key: randomKey(using: &g), time: start, stage: stage))
            starts[slot] = start
        }
        for _ in 0..<300 {
            let slot = Int32.random(in: 0..<200, using: &g)
            guard table.isOccupied(slot) else { continue }
            if Int.random(in: 0..<5, using: &g) == 0 {
                table.remove(slot: slot)
                starts[slot] = nil
            } else {
                table.touch(slot, at: 2_000_000_000, stage: FlowStage.allCases.randomElement(using: &g)!)
            }
        }
        let all = table.allSlots()
        #expect(all.count == table.count)
        #expect(Set(all) == Set(starts.keys))
        #expect(all.map { starts[$0]! } == starts.values.sorted())
        Self.checkInvariants(table)
    }
}
