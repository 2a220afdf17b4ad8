/// The literal prefilter: decides, for each byte position, whether a rule's
/// keyword (or a run of digits) could start there, so that regexes run only
/// near such hits.
///
/// One table of 65,536 bytes indexed by a pair of bytes says what the pair
/// can be: the first two bytes of a keyword of three bytes or more
/// (`longFirst`), its second and third (`longNext`), each in every letter
/// case, where a one- or two-byte keyword begins (`short`), a digit pair
/// (`digitFirst`) or a digit before a digit or a separator (`digitNext`). A
/// position is a candidate when its pair is `short`, `longFirst` with a
/// `longNext` pair after it — common English pairs such as "to" or "se" alone
/// no longer stop the scan — or a digit pair followed by a digit or a
/// separator: a run of digits is looked at from its first pair that is not
/// its last, so a lone two-digit number (`"page":12,`, `09:00`) is not,
/// and no rule wants a run with no more digits than that. The two pairs may come from
/// different keywords ("gi" of `github`, "in" of another), so such a position
/// must also have a long keyword's first three or four bytes (`longHeads`, a
/// bitset by hash): three candidates in five in HTTP text went no further.
/// A candidate is then checked against the keywords that begin with its
/// pair. Everything the scan reads is in flat buffers: no reference counting
/// per byte or per hit.
final class KeywordFilter {
    /// Per pair (`first | second << 8`): `longFirst`, `short` and `longNext` bits.
    private let pairs: UnsafeMutablePointer<UInt8>
    static let longFirst: UInt8 = 1
    static let short: UInt8 = 2
    static let longNext: UInt8 = 4
    static let digitFirst: UInt8 = 8
    /// Two bits above `digitFirst`, as `longNext` is above `longFirst`: the
    /// same shift lines both up with the pair before.
    static let digitNext: UInt8 = 32
    /// `longFirst`, `short` or `digitFirst`: something may start at the pair
    /// (the test at the region's last pair, whose next byte is not there yet).
    static let starts: UInt8 = 11
    /// Bit `headHash(fourBytes | fold)`: a keyword of four bytes or more
    /// begins so; bit `headHash(threeBytes | fold)`: a keyword of three bytes
    /// is that. `fold` sets 0x20 in every byte: letters match in either case,
    /// and other bytes that differ only there (`_` and DEL) merely collide.
    private let longHeads: UnsafeMutablePointer<UInt64>
    static let fold: UInt32 = 0x2020_2020
    /// For each pair, its candidate list's index plus one (0: none).
    private let slots: UnsafeMutablePointer<UInt16>
    /// Candidate lists: `listBounds[2s]..<listBounds[2s+1]` in `listKeywords` (longest keyword first).
    private let listBounds: UnsafeMutablePointer<Int32>
    private let listKeywords: UnsafeMutablePointer<Int32>
    /// Whether list `s` is for a digit pair.
    private let listDigits: UnsafeMutablePointer<Bool>
    /// Keyword `k` is `keywordBytes[keywordBounds[2k]..<keywordBounds[2k+1]]`, lowercased.
    private let keywordBytes: UnsafeMutablePointer<UInt8>
    private let keywordBounds: UnsafeMutablePointer<Int32>
    /// Keyword `k`'s first eight bytes (zero-padded), compared in one go:
    /// `(text | fold) & mask == head`, with `fold` 0x20 where the keyword has
    /// a letter (either case matches) and `mask` covering its length.
    private let heads: UnsafeMutablePointer<(head: UInt64, fold: UInt64, mask: UInt64)>
    let longestKeyword: Int

    /// `keywords` lowercased; `digits`: whether some rule is triggered by digit runs.
    init(keywords: [[UInt8]], digits: Bool) {
        longestKeyword = keywords.map(\.count).max() ?? 0
        pairs = .allocate(capacity: 65536)
        pairs.initialize(repeating: 0, count: 65536)
        longHeads = .allocate(capacity: 1024)
        longHeads.initialize(repeating: 0, count: 1024)
        for word in keywords where word.count >= 3 {
            var head: UInt32 = 0
            for (j, b) in word.prefix(4).enumerated() { head |= UInt32(b) << UInt32(8 * j) }
            let hash = KeywordFilter.headHash(head | (word.count == 3 ? 0x0020_2020 : KeywordFilter.fold))
            longHeads[hash >> 6] |= 1 << UInt64(hash & 63)
        }
        slots = .allocate(capacity: 65536)
        slots.initialize(repeating: 0, count: 65536)

        var lists: [Int: (keywords: [Int], digits: Bool)] = [:]
        for (index, word) in keywords.enumerated() {
            let firsts = KeywordFilter.cases(word[0])
            let seconds = word.count > 1 ? KeywordFilter.cases(word[1]) : (0...255).map { UInt8($0) }
            for a in firsts {
                for b in seconds {
                    let pair = Int(a) | Int(b) << 8
                    lists[pair, default: ([], false)].keywords.append(index)
                    pairs[pair] |= word.count >= 3 ? KeywordFilter.longFirst : KeywordFilter.short
                }
            }
            if word.count >= 3 {
                for b in KeywordFilter.cases(word[1]) {
                    for c in KeywordFilter.cases(word[2]) { pairs[Int(b) | Int(c) << 8] |= KeywordFilter.longNext }
                }
            }
        }
        if digits {
            for a in UInt8(ascii: "0")...UInt8(ascii: "9") {
                for b in UInt8(ascii: "0")...UInt8(ascii: "9") {
                    let pair = Int(a) | Int(b) << 8
                    lists[pair, default: ([], false)].digits = true
                    pairs[pair] |= KeywordFilter.digitFirst | KeywordFilter.digitNext
                }
                // A digit before one of the separators a digit run may hold.
                for b in UInt8.min...UInt8.max where ContentScanner.isSeparator(b) {
                    pairs[Int(a) | Int(b) << 8] |= KeywordFilter.digitNext
                }
            }
        }
        // Pairs with the same list (case variants, one-byte keywords) share it.
        var shared: [[Int]: [Bool: Int]] = [:]
        var bounds: [Int32] = []
        var flat: [Int32] = []
        var digitLists: [Bool] = []
        for (pair, var list) in lists.sorted(by: { $0.key < $1.key }) {
            list.keywords.sort { (keywords[$0].count, -$0) > (keywords[$1].count, -$1) }
            let slot: Int
            if let existing = shared[list.keywords]?[list.digits] {
                slot = existing
            } else {
                bounds += [Int32(flat.count), Int32(flat.count + list.keywords.count)]
                flat += list.keywords.map { Int32($0) }
                digitLists.append(list.digits)
                slot = digitLists.count
                shared[list.keywords, default: [:]][list.digits] = slot
            }
            precondition(slot <= Int(UInt16.max), "too many distinct keyword prefixes")
            slots[pair] = UInt16(slot)
        }
        listBounds = KeywordFilter.copy(bounds)
        listKeywords = KeywordFilter.copy(flat)
        listDigits = KeywordFilter.copy(digitLists)
        var wordBounds: [Int32] = []
        var bytes: [UInt8] = []
        for word in keywords {
            wordBounds += [Int32(bytes.count), Int32(bytes.count + word.count)]
            bytes += word
        }
        keywordBytes = KeywordFilter.copy(bytes)
        keywordBounds = KeywordFilter.copy(wordBounds)
        heads = KeywordFilter.copy(
            keywords.map { word in
                var head: UInt64 = 0
                var fold: UInt64 = 0
                var mask: UInt64 = 0
                for (j, b) in word.prefix(8).enumerated() {
                    head |= UInt64(b) << UInt64(8 * j)
                    mask |= 0xff << UInt64(8 * j)
                    if b &- 0x61 < 26 { fold |= 0x20 << UInt64(8 * j) }
                }
                return (head, fold, mask)
            })
    }

    deinit {
        pairs.deallocate()
        longHeads.deallocate()
        slots.deallocate()
        listBounds.deallocate()
        listKeywords.deallocate()
        listDigits.deallocate()
        keywordBytes.deallocate()
        keywordBounds.deallocate()
        heads.deallocate()
    }

    static func copy<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(values.count, 1))
        _ = UnsafeMutableBufferPointer(start: p, count: values.count).initialize(from: values)
        return p
    }

    static func cases(_ byte: UInt8) -> [UInt8] {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"): [byte, byte - 32]
        default: [byte]
        }
    }

    @inline(__always) static func pair(_ base: UnsafeRawPointer, _ i: Int) -> Int {
        Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt16.self)))
    }

    /// 16 bits of a multiplicative hash of a keyword's (folded) head.
    @inline(__always) static func headHash(_ head: UInt32) -> Int { Int(truncatingIfNeeded: (head &* 0x9e37_79b1) >> 16) }

    /// Whether a keyword of three bytes or more can begin at `i` (four bytes
    /// readable there): its head's bit is set, for four bytes or for three.
    @inline(__always) func hasLongHead(_ base: UnsafeRawPointer, at i: Int) -> Bool {
        let four = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt32.self)) | KeywordFilter.fold
        let h4 = KeywordFilter.headHash(four)
        let h3 = KeywordFilter.headHash(four & 0x00ff_ffff)
        return longHeads[h4 >> 6] & (1 << UInt64(h4 & 63)) != 0 || longHeads[h3 >> 6] & (1 << UInt64(h3 & 63)) != 0
    }

    /// Whether a keyword or a digit run can start at the pair whose bits are `this`, the next pair's being `next`.
    @inline(__always) static func isCandidate(_ this: UInt8, next: UInt8) -> Bool {
        this & short != 0 || (this & longFirst != 0 && next & longNext != 0) || (this & digitFirst != 0 && next & digitNext != 0)
    }

    /// The first candidate position in `from..<to` of a region of `count`
    /// bytes (`to` <= count - 1: a position needs its pair); `to` if none. At
    /// the region's last pair the third byte is missing: a long keyword's
    /// first pair alone makes it a candidate there.
    ///
    /// Positions are tested eight at a time without a branch each: the table
    /// bytes of their nine pairs packed into one word, and one mask says which
    /// position (if any) is a candidate. One position in ten has a keyword's
    /// first pair and most of those are not candidates; testing them one by
    /// one mispredicted a branch at each (the engine scanned 770 MB/s that
    /// way, 960 MB/s four at a time). Each pair is its own two-byte read:
    /// cutting four pairs out of one eight-byte read took more instructions
    /// (the engine on the workload's HTTP text: 730-800 MB/s four at a time
    /// that way, 830 eight at a time, 925-930 with a read per pair). Not
    /// inlined: as a leaf of its own the loop keeps its pointers in registers.
    @inline(never)
    func nextCandidate(_ base: UnsafeRawPointer, from: Int, to: Int, count: Int) -> Int {
        let pairs = self.pairs
        var i = from
        let full = min(to, count - 2)
        // Eight positions and the pair after them (bytes i..<i+10); a long
        // head reads four bytes from the eighth position.
        let eightEnd = min(full - 7, count - 10)
        while i < eightEnd {
            @inline(__always) func pairBits(_ k: Int) -> UInt64 { UInt64(pairs[KeywordFilter.pair(base, i &+ k)]) }
            var lanes = pairBits(0)
            lanes |= pairBits(1) << 8
            lanes |= pairBits(2) << 16
            lanes |= pairBits(3) << 24
            lanes |= pairBits(4) << 32
            lanes |= pairBits(5) << 40
            lanes |= pairBits(6) << 48
            lanes |= pairBits(7) << 56
            // Per lane j: bit 1 its `short` bit; bit 0 its `longFirst` and lane
            // j+1's `longNext`; bit 3 its `digitFirst` and lane j+1's `digitNext`.
            let next = lanes >> 10 | pairBits(8) << 54
            var hits = lanes & (0x0202_0202_0202_0202 | (next & 0x0909_0909_0909_0909))
            while hits != 0 {
                let lane = hits.trailingZeroBitCount >> 3
                if hits >> UInt64(8 * lane) & 0x0a != 0 || hasLongHead(base, at: i &+ lane) { return i &+ lane }
                hits &= ~(0xff << UInt64(8 * lane))
            }
            i &+= 8
        }
        while i < full {
            if KeywordFilter.isCandidate(pairs[KeywordFilter.pair(base, i)], next: pairs[KeywordFilter.pair(base, i + 1)]) {
                return i
            }
            i &+= 1
        }
        if i < to && pairs[KeywordFilter.pair(base, i)] & KeywordFilter.starts != 0 { return i }
        return to
    }

    /// The candidate list of the pair at `i`: keyword indices, and whether a digit run may start.
    @inline(__always)
    func candidates(_ base: UnsafeRawPointer, at i: Int) -> (keywords: Range<Int>, digits: Bool) {
        let slot = Int(slots[KeywordFilter.pair(base, i)]) - 1
        guard slot >= 0 else { return (0..<0, false) }
        return (Int(listBounds[2 * slot])..<Int(listBounds[2 * slot + 1]), listDigits[slot])
    }

    @inline(__always) func keyword(inList position: Int) -> Int { Int(listKeywords[position]) }

    @inline(__always) func length(_ k: Int) -> Int { Int(keywordBounds[2 * k + 1] - keywordBounds[2 * k]) }

    /// Whether keyword `k` is at `i` (ASCII letters in any case) in a region
    /// of `count` bytes; the caller checked it fits.
    @inline(__always)
    func matches(_ k: Int, _ base: UnsafeRawPointer, at i: Int, count: Int) -> Bool {
        let start = Int(keywordBounds[2 * k])
        let n = Int(keywordBounds[2 * k + 1]) - start
        var j = 0
        if i + 8 <= count {
            let h = heads[k]
            let text = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            guard (text | h.fold) & h.mask == h.head else { return false }
            j = min(n, 8)
        }
        while j < n {
            var b = base.load(fromByteOffset: i + j, as: UInt8.self)
            if b &- 0x41 < 26 { b |= 0x20 }
            if b != keywordBytes[start + j] { return false }
            j += 1
        }
        return true
    }
}
