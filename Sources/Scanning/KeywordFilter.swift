/// The literal prefilter: decides, for each byte position, whether a rule's
/// keyword (or a run of digits) could start there, so that regexes run only
/// near such hits.
///
/// Three bitmaps of 65,536 bits (8 KiB each, together in L1) indexed by a
/// pair of bytes: `longFirst` marks the first two bytes of every keyword of
/// three bytes or more and `longNext` its second and third, each in every
/// letter case; `short` marks where a one- or two-byte keyword or a digit pair
/// begins. A position is a candidate when `short` has its pair, or when
/// `longFirst` has its pair and `longNext` the following one — common English
/// pairs such as "to" or "se" alone no longer stop the scan. A candidate is
/// then checked against the keywords that begin with its pair. Everything the
/// scan reads is in flat buffers: no reference counting per byte or per hit.
final class KeywordFilter {
    private let longFirst: UnsafeMutablePointer<UInt64>
    private let longNext: UnsafeMutablePointer<UInt64>
    private let short: UnsafeMutablePointer<UInt64>
    /// `longFirst` or `short`: the one test most positions fail.
    private let anyFirst: UnsafeMutablePointer<UInt64>
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
        longFirst = KeywordFilter.bitmap()
        longNext = KeywordFilter.bitmap()
        short = KeywordFilter.bitmap()
        anyFirst = KeywordFilter.bitmap()
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
                    KeywordFilter.set(word.count >= 3 ? longFirst : short, pair)
                }
            }
            if word.count >= 3 {
                for b in KeywordFilter.cases(word[1]) {
                    for c in KeywordFilter.cases(word[2]) { KeywordFilter.set(longNext, Int(b) | Int(c) << 8) }
                }
            }
        }
        if digits {
            for a in UInt8(ascii: "0")...UInt8(ascii: "9") {
                for b in UInt8(ascii: "0")...UInt8(ascii: "9") {
                    let pair = Int(a) | Int(b) << 8
                    lists[pair, default: ([], false)].digits = true
                    KeywordFilter.set(short, pair)
                }
            }
        }
        for w in 0..<1024 { anyFirst[w] = longFirst[w] | short[w] }
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
        for bits in [longFirst, longNext, short, anyFirst] { bits.deallocate() }
        slots.deallocate()
        listBounds.deallocate()
        listKeywords.deallocate()
        listDigits.deallocate()
        keywordBytes.deallocate()
        keywordBounds.deallocate()
        heads.deallocate()
    }

    static func bitmap() -> UnsafeMutablePointer<UInt64> {
        let bits = UnsafeMutablePointer<UInt64>.allocate(capacity: 1024)
        bits.initialize(repeating: 0, count: 1024)
        return bits
    }

    static func set(_ bits: UnsafeMutablePointer<UInt64>, _ pair: Int) { bits[pair >> 6] |= 1 << UInt64(pair & 63) }

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

    @inline(__always) static func test(_ bits: UnsafeMutablePointer<UInt64>, _ pair: Int) -> Bool {
        bits[pair >> 6] & (1 << UInt64(pair & 63)) != 0
    }

    /// `test` read a byte at a time: a different index from `test`'s, so the
    /// compiler does not share one mask between them (see `nextCandidate`).
    @inline(__always) static func testByte(_ bits: UnsafeMutablePointer<UInt64>, _ pair: Int) -> Bool {
        #if _endian(little)
        let byte = pair >> 3
        #else
        let byte = pair >> 3 ^ 7  // a word's low bits are in its last byte
        #endif
        return (UnsafeRawPointer(bits).load(fromByteOffset: byte, as: UInt8.self) >> UInt8(pair & 7)) & 1 != 0
    }

    @inline(__always) static func pair(_ base: UnsafeRawPointer, _ i: Int) -> Int {
        Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt16.self)))
    }

    /// The first candidate position in `from..<to` of a region of `count`
    /// bytes (`to` <= count - 1: a position needs its pair); `to` if none. At
    /// the region's last pair the third byte is missing: a long keyword's
    /// first pair alone makes it a candidate there. Not inlined: as a leaf of
    /// its own the loop keeps its pointers in registers (about eight
    /// instructions for a position that is no candidate).
    @inline(never)
    func nextCandidate(_ base: UnsafeRawPointer, from: Int, to: Int, count: Int) -> Int {
        let anyFirst = self.anyFirst
        let short = self.short
        let longNext = self.longNext
        var i = from
        let full = min(to, count - 2)
        while i < full {
            // The test most positions fail, alone in its loop: written as one
            // loop with the others, the compiler prepared the second test's
            // mask at every position (two more instructions each; `testByte`).
            while i < full && !KeywordFilter.test(anyFirst, KeywordFilter.pair(base, i)) { i &+= 1 }
            guard i < full else { break }
            if KeywordFilter.testByte(short, KeywordFilter.pair(base, i))
                || KeywordFilter.testByte(longNext, KeywordFilter.pair(base, i + 1))
            {
                return i
            }
            i &+= 1
        }
        if i < to && KeywordFilter.test(anyFirst, KeywordFilter.pair(base, i)) { return i }
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
