/// The literal prefilter: decides, for each byte position, whether a rule's
/// keyword (or a run of digits) could start there, so that regexes run only
/// near such hits. One bit per pair of bytes — 65,536 bits, 8 KiB, in L1 —
/// set for the first two bytes of every keyword in every letter case (a
/// one-byte keyword sets its byte followed by anything; digit runs set every
/// digit pair). A position whose pair is unmarked, nearly all of them, costs
/// one load and one test; a marked one is checked against the keywords that
/// begin with that pair.
final class KeywordFilter {
    /// What a marked pair may begin.
    struct Candidates {
        /// Indices into `keywords`, longest first.
        var keywords: [Int] = []
        /// A digit pair: a run of digits may start (or continue) here.
        var digits = false
    }

    private let bits: UnsafeMutablePointer<UInt64>
    /// For each pair, its index in `candidates` plus one (0: unmarked).
    private let slots: UnsafeMutablePointer<UInt16>
    private(set) var candidates: [Candidates] = []
    /// Distinct keywords, lowercased.
    let keywords: [[UInt8]]
    let longestKeyword: Int

    /// `keywords` lowercased; `digits`: whether some rule is triggered by digit runs.
    init(keywords: [[UInt8]], digits: Bool) {
        self.keywords = keywords
        longestKeyword = keywords.map(\.count).max() ?? 0
        bits = .allocate(capacity: 1024)
        bits.initialize(repeating: 0, count: 1024)
        slots = .allocate(capacity: 65536)
        slots.initialize(repeating: 0, count: 65536)
        var lists: [Int: Candidates] = [:]
        func mark(_ pair: Int, _ update: (inout Candidates) -> Void) {
            update(&lists[pair, default: Candidates()])
        }
        for (index, word) in keywords.enumerated() {
            let firsts = KeywordFilter.cases(word[0])
            let seconds = word.count > 1 ? KeywordFilter.cases(word[1]) : (0...255).map { UInt8($0) }
            for a in firsts { for b in seconds { mark(Int(a) | Int(b) << 8) { $0.keywords.append(index) } } }
        }
        if digits {
            for a in UInt8(ascii: "0")...UInt8(ascii: "9") {
                for b in UInt8(ascii: "0")...UInt8(ascii: "9") { mark(Int(a) | Int(b) << 8) { $0.digits = true } }
            }
        }
        // Pairs sharing a keyword list share one entry (case variants, one-byte keywords).
        var shared: [[Int]: [Bool: Int]] = [:]
        for (pair, var list) in lists.sorted(by: { $0.key < $1.key }) {
            list.keywords.sort { keywords[$0].count > keywords[$1].count || (keywords[$0].count == keywords[$1].count && $0 < $1) }
            let slot: Int
            if let existing = shared[list.keywords]?[list.digits] {
                slot = existing
            } else {
                candidates.append(list)
                slot = candidates.count
                shared[list.keywords, default: [:]][list.digits] = slot
            }
            precondition(slot <= Int(UInt16.max), "too many distinct keyword prefixes")
            slots[pair] = UInt16(slot)
            bits[pair >> 6] |= 1 << UInt64(pair & 63)
        }
    }

    deinit {
        bits.deallocate()
        slots.deallocate()
    }

    static func cases(_ byte: UInt8) -> [UInt8] {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"): [byte, byte - 32]
        default: [byte]
        }
    }

    /// The first position in `from..<to` whose pair is marked (`to` <= count - 1).
    @inline(__always)
    func nextMarked(_ base: UnsafeRawPointer, from: Int, to: Int) -> Int {
        var i = from
        while i < to {
            let pair = Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt16.self)))
            if bits[pair >> 6] & (1 << UInt64(pair & 63)) != 0 { return i }
            i &+= 1
        }
        return to
    }

    /// What may start at a marked pair.
    @inline(__always)
    func candidates(_ base: UnsafeRawPointer, at i: Int) -> Int {
        let pair = Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt16.self)))
        return Int(slots[pair]) - 1
    }

    /// Whether keyword `k` is at `i` (ASCII letters in any case); the caller checked it fits.
    @inline(__always)
    func matches(_ k: Int, _ base: UnsafeRawPointer, at i: Int) -> Bool {
        keywords[k].withUnsafeBufferPointer { word in
            for j in 0..<word.count {
                var b = base.load(fromByteOffset: i + j, as: UInt8.self)
                if b >= 0x41 && b <= 0x5a { b |= 0x20 }
                if b != word[j] { return false }
            }
            return true
        }
    }
}
