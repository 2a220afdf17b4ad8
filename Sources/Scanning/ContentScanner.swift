import PatternFiles

/// What the scan reads of a rule at every hit: plain values, no references.
struct RuleWindow {
    var before: Int32
    var after: Int32
    var group: Int32
    var validator: Validator?
    /// Context words are required: they are looked for before the regex runs.
    var requiresContext: Bool
    /// Context words are required and each holds a letter: a hit with no
    /// letter within their reach cannot have one (numbers-only text).
    var requiresLetters: Bool
    var contextDistance: Int32
    /// Index of the rule's start class in `ContentScanner.startClasses` (-1: none).
    var startClass: Int32 = -1
    /// Index in `ContentScanner.startClasses` of the bytes the rule's regex
    /// can begin a match with (-1: any).
    var regexStart: Int32 = -1
    /// Digit rules: the fewest and most digits a value holds, and the
    /// separators it may hold between them (`ContentScanner.separatorBit`s).
    var minDigits: Int32
    var maxDigits: Int32
    var separators: UInt32
    /// Bits `minDigits...maxDigits` (at most 40).
    var valueSizes: UInt64 { UInt64.max << UInt64(minDigits) & UInt64.max >> UInt64(63 - maxDigits) }
    /// The regex's first byte is never a digit or a separator: a match of a
    /// digit run's hit begins before the run, if anywhere.
    var startsBeforeRuns = false

    init(_ rule: ContentRule) {
        minDigits = Int32(rule.trigger.digits?.lowerBound ?? 0)
        maxDigits = Int32(rule.trigger.digits?.upperBound ?? 0)
        separators = (rule.trigger.separators ?? ContentScanner.separators).reduce(0) { $0 | ContentScanner.separatorBit($1) }
        before = Int32(rule.before)
        after = Int32(rule.after)
        group = Int32(rule.group)
        validator = rule.validator
        requiresContext = rule.context?.effect == .require
        contextDistance = Int32(rule.context?.distance ?? 0)
        requiresLetters = requiresContext && !rule.context!.words.isEmpty
            && rule.context!.words.allSatisfy { $0.contains(where: ContextWords.isLetter) }
    }
}

/// A rule's regex matched near a hit and every check passed.
public struct ScanMatch: Sendable, Equatable {
    /// Index of the rule in `ContentScanner.rules`.
    public var rule: Int
    /// Stream offset of the value's first byte.
    public var offset: UInt64
    /// The value as matched (the rule's capture group). Output masks it.
    public var value: [UInt8]
    /// A context word raised the severity one step.
    public var raised: Bool
    /// For JWTs: what the token says about itself.
    public var jwt: JWTFacts?
    /// The name the text gave the value (a JSON key, a header, a form
    /// field: `FieldName`), as written; empty when there is none.
    public var field: [UInt8] = []
}

/// Bytes the scanner's streams keep between chunks, all streams together:
/// the tail a match may still need, and a deferred hit's window.
public struct ScanBudget: Sendable {
    public var maxBytes: Int
    public private(set) var bytes = 0
    public private(set) var peakBytes = 0
    /// A stream could not keep what a hit at its end needed: the hit was judged on what was there.
    public private(set) var capHits: UInt64 = 0

    public init(maxBytes: Int = 16 << 20) { self.maxBytes = maxBytes }

    /// Charges (or, negative, gives back) `delta` bytes a stream keeps;
    /// false (and a cap hit counted) when they do not fit.
    public mutating func charge(_ delta: Int) -> Bool {
        guard delta <= 0 || bytes + delta <= maxBytes else {
            capHits &+= 1
            return false
        }
        bytes += delta
        peakBytes = max(peakBytes, bytes)
        return true
    }
}

/// What one direction of a stream (or one decoded body) carries from chunk
/// to chunk: the last bytes a hit in the next chunk may look back into, or
/// everything from a hit whose window the chunk cut; where hits were handled
/// up to; the values reported last (a match seen from two hits is one).
public struct StreamScanState: Sendable {
    var carry: [UInt8] = []
    /// Stream offset of `carry[0]`.
    var carryStart: UInt64 = 0
    /// Hits starting before this offset were handled.
    var next: UInt64 = 0
    /// Where the next chunk is expected (a different offset means a gap).
    var end: UInt64 = 0
    /// The values reported that a later hit may still reach, `rule << 48 |
    /// offset`, and where each ends (the same form); at most `recentValues`
    /// (then those that end last: more values than that within a few KB of
    /// each other may be reported twice).
    var recent: [(key: UInt64, end: UInt64)] = []
    static let recentValues = 32
    public internal(set) var scannedBytes: UInt64 = 0
    /// The capacity reserved for `carry`, grown by doubling: what it holds
    /// in memory, by a figure of its own. `carry.capacity` is at least this
    /// much but comes from `malloc_usable_size`, which depends on the chunks
    /// other threads freed — the same capture gave a different peak each run.
    var reserved = 0

    public init() {}

    /// Bytes this state holds (charged to the budget).
    public var heldBytes: Int { reserved }

    /// Makes room for `count` bytes of carry, reserving by doubling.
    mutating func reserveCarry(_ count: Int) {
        guard count > reserved else { return }
        reserved = max(count, 2 * reserved)
        carry.reserveCapacity(reserved)
    }

    /// Drops the carry and its memory.
    mutating func dropCarry() {
        carry = []
        reserved = 0
    }
}

/// The content scanner: the rules compiled, the keyword prefilter over all of
/// them, and the stream logic that finds a match wherever chunk boundaries
/// cut it. Used by one thread at a time (each regex owns its match data, the
/// seam has one scratch buffer): the capture thread.
public final class ContentScanner: @unchecked Sendable {
    public let rules: [ContentRule]
    let regexes: [CompiledRegex]
    let allowRegexes: [[CompiledRegex]]
    let filter: KeywordFilter
    /// What each hit needs of each rule, in a flat buffer (no reference counting per hit).
    let windows: UnsafeMutablePointer<RuleWindow>
    /// Rules keyword `k` triggers: `keywordRules[keywordRuleBounds[2k]..<keywordRuleBounds[2k+1]]`.
    let keywordRuleBounds: UnsafeMutablePointer<Int32>
    let keywordRules: UnsafeMutablePointer<Int32>
    /// Bytes after keyword `k`'s end its rules' windows reach (plus the lookahead byte).
    let keywordReach: UnsafeMutablePointer<Int32>
    /// Rules triggered by digit runs, by how many digits a run has: those that
    /// may find a value in a run of `d` digits with no separator are
    /// `digitRuleList[digitRuleBounds[d]..<digitRuleBounds[d+1]]` (the rules
    /// whose values hold `d` digits; most runs are wanted by none), in a run of
    /// groups the list at `groupedRuns + d` (every rule whose values hold `d`
    /// digits or fewer: values glued by a separator, SSNs in a
    /// space-separated list, make one run). `d` is `ContentRule.maxDigits + 1`
    /// for longer runs. How far past a run their windows reach.
    let digitRuleBounds: UnsafeMutablePointer<Int32>
    let digitRuleList: UnsafeMutablePointer<Int32>
    static let groupedRuns = ContentRule.maxDigits + 2
    let digitReach: Int
    /// How far before and after a digit run the context words of the rules
    /// that require them are looked for (their windows, then their distance).
    let letterReach: (before: Int, after: Int)
    /// Each rule's context words (empty without context).
    let contextWords: [ContextWords]
    /// Each rule's allowlisted values, and its entropy floor (0: none).
    let allowedValues: [[[UInt8]]]
    let minEntropy: [Double]
    /// Byte sets, four words (256 bits) each: the rules' start classes and
    /// the bytes their regexes can begin a match with.
    let startClasses: UnsafeMutablePointer<UInt64>
    /// Farthest a rule reads after a hit (window, then context words), over all rules.
    let maxAfter: Int
    /// Longest hit: a keyword, or a digit run with its separators.
    let maxHit: Int
    /// Bytes kept before the next hit position: the widest window before a
    /// hit with its context words, the regexes' lookbehind, a digit run's start, a field name.
    let lookback: Int
    /// Stream bytes a region scan needs after a carried position to judge any hit there.
    let reach: Int
    private let scratch: UnsafeMutableRawPointer
    private let scratchSize: Int
    /// The digit run being judged, group by group: its digits, and the
    /// separators (`separatorBit`s) joining it to the next.
    private let groupDigits: UnsafeMutablePointer<Int32>
    private let groupJoints: UnsafeMutablePointer<UInt32>
    /// Bytes of a chunk copied into the seam past the kept bytes' reach at first.
    static let seamSlack = 64

    /// A regex match that a check turned down (collected when `recordsRejections`).
    public struct Rejection: Sendable {
        public var rule: Int
        public var offset: UInt64
        public var value: [UInt8]
        /// `allowlisted`, `validator <name> failed`, `entropy 2.1 < 3.0`, `no context word`.
        public var reason: String
    }

    /// Collect the matches checks turned down (`patterns test`), not only the accepted ones.
    /// Read for every regex window: a scanner belongs to one thread, and the
    /// dynamic exclusivity checks on these two cost more than the test itself.
    @exclusivity(unchecked) public var recordsRejections = false
    @exclusivity(unchecked) public private(set) var rejections: [Rejection] = []

    /// Whether every regex got its JIT compile (the interpreter is about 10x slower).
    public var jit: Bool { regexes.allSatisfy(\.jit) }

    /// Compiles every rule; the first mistake is reported with its rule's file and line.
    public init(_ set: ContentRuleSet) throws {
        rules = set.rules
        regexes = try set.rules.map { try CompiledRegex($0.regex, origin: "\($0.source): rule \($0.id)") }
        allowRegexes = try set.rules.map { rule in
            let origin = "\(rule.source): rule \(rule.id): allow pattern"
            let each = try rule.allowedPatterns.map { try CompiledRegex($0, origin: origin) }
            return ContentScanner.combined(each, patterns: rule.allowedPatterns, origin: origin)
        }
        for (rule, regex) in zip(rules, regexes) where rule.group > regex.captureCount {
            throw PatternError("\(rule.source): rule \(rule.id): group \(rule.group), but the regex has \(regex.captureCount) groups")
        }
        var keywords: [[UInt8]] = []
        var byKeyword: [[Int]] = []
        var digits: [Int] = []
        for (r, rule) in rules.enumerated() {
            for word in rule.trigger.keywords {
                if let k = keywords.firstIndex(of: word) {
                    if !byKeyword[k].contains(r) { byKeyword[k].append(r) }
                } else {
                    keywords.append(word)
                    byKeyword.append([r])
                }
            }
            if rule.trigger.digits != nil { digits.append(r) }
        }
        filter = KeywordFilter(keywords: keywords, digits: !digits.isEmpty)
        var classes: [UInt64] = []
        func add(_ set: [Bool]) -> Int32 {
            classes += (0..<4).map { word in (0..<64).reduce(UInt64(0)) { $0 | (set[word * 64 + $1] ? 1 << UInt64($1) : 0) } }
            return Int32(classes.count / 4 - 1)
        }
        let ruleWindows = zip(rules, regexes).map { rule, regex in
            var w = RuleWindow(rule)
            if let set = rule.startClass { w.startClass = add(set) }
            if let set = regex.startBytes {
                w.regexStart = add(set)
                w.startsBeforeRuns = !set.indices.contains { set[$0] && (ContentScanner.isDigit(UInt8($0)) || ContentScanner.isSeparator(UInt8($0))) }
            }
            return w
        }
        windows = KeywordFilter.copy(ruleWindows)
        startClasses = KeywordFilter.copy(classes)
        contextWords = rules.map { ContextWords($0.context?.words ?? []) }
        allowedValues = rules.map { Array($0.allowedValues) }
        minEntropy = rules.map { $0.minEntropy ?? 0 }
        keywordRuleBounds = KeywordFilter.copy(
            byKeyword.reduce(into: [Int32]()) { b, list in b += [b.last ?? 0, (b.last ?? 0) + Int32(list.count)] })
        keywordRules = KeywordFilter.copy(byKeyword.flatMap { $0.map { Int32($0) } })
        // How far past a hit's end (before its start) a rule reads: its window, then its context words.
        let ahead = set.rules.map { $0.after + ($0.context?.distance ?? 0) }
        let behind = set.rules.map { $0.before + ($0.context?.distance ?? 0) }
        keywordReach = KeywordFilter.copy(byKeyword.map { list in Int32((list.map { ahead[$0] }.max() ?? 0) + 1) })
        var bounds: [Int32] = [0]
        var list: [Int32] = []
        for grouped in [false, true] {
            for d in 0..<ContentScanner.groupedRuns {
                list += digits.filter { r in
                    set.rules[r].trigger.digits.map { grouped ? d >= $0.lowerBound : $0.contains(d) } == true
                }.map { Int32($0) }
                bounds.append(Int32(list.count))
            }
        }
        digitRuleBounds = KeywordFilter.copy(bounds)
        digitRuleList = KeywordFilter.copy(list)
        digitReach = (digits.map { ahead[$0] }.max() ?? 0) + 1
        let needLetters = digits.filter { ruleWindows[$0].requiresLetters }
        letterReach = ((needLetters.map { behind[$0] }.max() ?? 0), (needLetters.map { ahead[$0] }.max() ?? 0) + 1)
        maxAfter = (ahead.max() ?? 0) + 1
        maxHit = max(filter.longestKeyword, digits.isEmpty ? 2 : 3 * ContentRule.maxDigits)
        // At least a run's length: a walk back from a digit kept between chunks
        // must see as far as it would in one piece; and a value's field name
        // (`FieldName.reach` before the value, which may begin `before` bytes
        // ahead of its hit) is read the same wherever the chunks were cut.
        lookback = max(
            (behind.max() ?? 0) + (regexes.map(\.lookbehind).max() ?? 0) + 8, digits.isEmpty ? 0 : maxHit + 8,
            (set.rules.map(\.before).max() ?? 0) + FieldName.reach)
        reach = lookback + maxHit + maxAfter
        scratchSize = 3 * reach + 64
        scratch = .allocate(byteCount: scratchSize, alignment: 8)
        // `digitRun` stops at the first digit more than `maxHit` bytes into a
        // run: a run holds at most `maxHit / 2 + 1` groups.
        groupDigits = .allocate(capacity: maxHit + 2)
        groupJoints = .allocate(capacity: maxHit + 2)
    }

    /// A rule's allow patterns as one regex, `(?:a)|(?:b)|…`: one PCRE2 run
    /// per candidate instead of one per pattern (the payment-card rule's
    /// fifteen published test numbers cost fifteen runs on every card the
    /// workload carries, 0.5 % of the capture thread). Each pattern was compiled
    /// alone first, so a mistake still names its own pattern. Patterns with
    /// groups (a back-reference would point elsewhere) or whose text could
    /// reach past its own parentheses (`\Q` quoting, an `x` option's `#`
    /// comments, a leading `(*VERB)`) stay apart.
    static func combined(_ each: [CompiledRegex], patterns: [String], origin: String) -> [CompiledRegex] {
        guard each.count > 1, each.allSatisfy({ $0.captureCount == 0 }), patterns.allSatisfy(isSelfContained),
            let one = try? CompiledRegex(patterns.map { "(?:\($0))" }.joined(separator: "|"), origin: origin)
        else { return each }
        return [one]
    }

    /// Whether a pattern keeps to its own group when wrapped in `(?:…)`.
    static func isSelfContained(_ pattern: String) -> Bool {
        let bytes = Array(pattern.utf8)
        var i = 0
        while i + 1 < bytes.count {
            switch (bytes[i], bytes[i + 1]) {
            case (UInt8(ascii: "\\"), UInt8(ascii: "Q")), (UInt8(ascii: "("), UInt8(ascii: "*")):
                return false
            case (UInt8(ascii: "\\"), _):
                i += 2
                continue
            case (UInt8(ascii: "("), UInt8(ascii: "?")):
                // Option letters up to `)` or `:`, e.g. `(?i)`, `(?x-i:`.
                var j = i + 2
                while j < bytes.count, bytes[j] != UInt8(ascii: ")"), bytes[j] != UInt8(ascii: ":") {
                    if bytes[j] == UInt8(ascii: "x") { return false }
                    guard bytes[j] &- 0x61 < 26 || bytes[j] == UInt8(ascii: "-") || bytes[j] == UInt8(ascii: "^") else { break }
                    j += 1
                }
            default:
                break
            }
            i += 1
        }
        return true
    }

    deinit {
        scratch.deallocate()
        groupDigits.deallocate()
        groupJoints.deallocate()
        windows.deallocate()
        keywordRuleBounds.deallocate()
        keywordRules.deallocate()
        keywordReach.deallocate()
        digitRuleBounds.deallocate()
        digitRuleList.deallocate()
        startClasses.deallocate()
    }

    // MARK: Streams

    /// Scans one in-order chunk of a stream that starts at `offset`. A chunk
    /// not starting where the last one ended follows a gap: what was kept is
    /// judged as it is first.
    public func scan(
        _ bytes: UnsafeRawBufferPointer, at offset: UInt64, _ state: inout StreamScanState, budget: inout ScanBudget,
        into matches: inout [ScanMatch]
    ) {
        guard !bytes.isEmpty, bytes.count < Int.max / 2 else { return }
        if offset != state.end {
            finish(&state, budget: &budget, into: &matches)
            state.next = offset
        }
        state.end = offset + UInt64(bytes.count)
        state.scannedBytes &+= UInt64(bytes.count)
        let base = bytes.baseAddress!
        var deferred: UInt64?
        var chunkFrom: Int
        if !state.carry.isEmpty {
            // The seam: what was kept, then the chunk's start, in the scratch
            // buffer — first as much as a hit near the seam usually needs, more
            // only when one asks for it (a JWT's window is kilobytes long).
            let kept = state.carry.count
            state.carry.withUnsafeBytes { scratch.copyMemory(from: $0.baseAddress!, byteCount: kept) }
            var limit = min(kept + min(bytes.count, lookback + maxHit + ContentScanner.seamSlack), scratchSize)
            (scratch + kept).copyMemory(from: base, byteCount: limit - kept)
            let seamEnd = min(kept + lookback, limit)
            var from = Int(state.next - state.carryStart)
            while true {
                let end = scanRegion(
                    UnsafeRawPointer(scratch), count: limit, regionStart: state.carryStart, from: from, to: seamEnd,
                    final: false, &state, into: &matches)
                switch end {
                case .deferred(let d):
                    let full = min(kept + min(bytes.count, reach + lookback), scratchSize)
                    if limit < full {
                        (scratch + limit).copyMemory(from: base + (limit - kept), byteCount: full - limit)
                        limit = full
                        from = d
                        continue
                    }
                    deferred = state.carryStart + UInt64(d)
                    chunkFrom = bytes.count
                case .handled(let upTo):
                    chunkFrom = upTo - kept
                }
                break
            }
        } else {
            chunkFrom = Int(state.next - offset)
        }
        if deferred == nil && chunkFrom < bytes.count {
            if case .deferred(let d) = scanRegion(
                base, count: bytes.count, regionStart: offset, from: chunkFrom, to: bytes.count, final: false, &state,
                into: &matches)
            {
                deferred = offset + UInt64(d)
            }
        }
        keep(bytes, at: offset, from: deferred ?? state.end, &state, budget: &budget, into: &matches)
    }

    /// The stream ended (or a gap cut it): hits waiting for more bytes are judged on what there is.
    public func finish(_ state: inout StreamScanState, budget: inout ScanBudget, into matches: inout [ScanMatch]) {
        if !state.carry.isEmpty && state.next < state.carryStart + UInt64(state.carry.count) {
            let from = Int(state.next - state.carryStart)
            let carry = state.carry  // shares storage: read while `state` is being updated
            _ = carry.withUnsafeBytes { kept in
                scanRegion(
                    kept.baseAddress!, count: kept.count, regionStart: state.carryStart, from: from, to: kept.count,
                    final: true, &state, into: &matches)
            }
        }
        release(&state, budget: &budget)
        state.next = state.end
    }

    /// A whole message (a UDP datagram): scanned alone, nothing kept.
    public func scanMessage(_ bytes: UnsafeRawBufferPointer, at offset: UInt64, _ state: inout StreamScanState, into matches: inout [ScanMatch]) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        state.scannedBytes &+= UInt64(bytes.count)
        scanRegion(base, count: bytes.count, regionStart: offset, from: 0, to: bytes.count, final: true, &state, into: &matches)
        state.end = offset + UInt64(bytes.count)
        state.next = state.end
    }

    public func release(_ state: inout StreamScanState, budget: inout ScanBudget) {
        _ = budget.charge(-state.heldBytes)
        state.dropCarry()
        state.carryStart = state.end
    }

    /// Keeps the stream's bytes from `from - lookback` (what the next chunk's hits may
    /// look back into, or a deferred hit's window) to the chunk's end.
    func keep(
        _ bytes: UnsafeRawBufferPointer, at offset: UInt64, from: UInt64, _ state: inout StreamScanState,
        budget: inout ScanBudget, into matches: inout [ScanMatch]
    ) {
        let oldHeld = state.heldBytes
        var next = min(from, state.end)
        var keepFrom = next >= UInt64(lookback) ? next - UInt64(lookback) : 0
        keepFrom = max(keepFrom, state.carry.isEmpty ? offset : state.carryStart)
        if state.end - keepFrom > UInt64(2 * reach) {
            // The window arithmetic keeps this from happening; it bounds the carry all the same.
            keepFrom = state.end - UInt64(lookback)
            next = max(next, keepFrom)
        }
        if keepFrom >= offset {
            state.carry.removeAll(keepingCapacity: true)
            state.reserveCarry(bytes.count - Int(keepFrom - offset))
            state.carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[Int(keepFrom - offset)...]))
        } else {
            state.carry.removeFirst(Int(keepFrom - state.carryStart))
            state.reserveCarry(state.carry.count + bytes.count)
            state.carry.append(contentsOf: bytes)
        }
        state.carryStart = keepFrom
        state.next = next
        if !budget.charge(state.heldBytes - oldHeld) {
            // No room: judge a deferred hit on what there is, keep nothing.
            _ = budget.charge(-oldHeld)
            let carry = state.carry
            _ = carry.withUnsafeBytes { kept in
                scanRegion(
                    kept.baseAddress!, count: kept.count, regionStart: state.carryStart,
                    from: Int(state.next - state.carryStart), to: kept.count, final: true, &state, into: &matches)
            }
            state.dropCarry()
            state.carryStart = state.end
            state.next = state.end
        }
    }

    // MARK: Regions

    /// How a region scan ended.
    enum RegionEnd {
        /// The hit at this position needs bytes past the region: judge it when they come.
        case deferred(Int)
        /// Every hit before `to` was handled; hits were handled up to this position
        /// (past `to` when a digit run went on).
        case handled(upTo: Int)
    }

    /// Handles the hits starting in `from..<to` of a contiguous region whose
    /// first byte is at stream offset `regionStart`. Unless `final`, a hit
    /// whose window runs past the region stops the scan (deferred).
    @discardableResult
    func scanRegion(
        _ base: UnsafeRawPointer, count: Int, regionStart: UInt64, from: Int, to: Int, final: Bool,
        _ state: inout StreamScanState, into matches: inout [ScanMatch]
    ) -> RegionEnd {
        var i = from
        while i < to {
            if i + 1 >= count { return final ? .handled(upTo: count) : .deferred(i) }
            let last = min(to, count - 1)
            i = filter.nextCandidate(base, from: i, to: last, count: count)
            if i == last {
                // `to`, or the region's last byte, whose pair is not all here.
                if i >= to { break }
                return final ? .handled(upTo: count) : .deferred(i)
            }
            let candidates = filter.candidates(base, at: i)
            var advance = i + 1
            for position in candidates.keywords {
                let k = filter.keyword(inList: position)
                let length = filter.length(k)
                if i + length > count {
                    if final { continue }
                    return .deferred(i)
                }
                guard filter.matches(k, base, at: i, count: count) else { continue }
                let hitEnd = i + length
                if !final && hitEnd + Int(keywordReach[k]) > count { return .deferred(i) }
                for j in Int(keywordRuleBounds[2 * k])..<Int(keywordRuleBounds[2 * k + 1]) {
                    let r = Int(keywordRules[j])
                    // A rule with a start class has its keyword inside the value:
                    // its match starts at the keyword at the latest. Others may
                    // name the value before it (`"iban":`, `DISCORD_TOKEN=`).
                    evaluate(
                        r, hit: i..<hitEnd, kind: .keyword, latestStart: windows[r].startClass >= 0 ? i : nil, base, count: count,
                        regionStart: regionStart, &state, into: &matches)
                }
            }
            if candidates.digits {
                switch digitRun(base, count: count, at: i, final: final) {
                case .incomplete:
                    return .deferred(i)
                case .notStart:
                    // Inside a run that began more than `maxHit` bytes back: so is
                    // every digit to the group's end (a 9 KB blob of digits took
                    // a walk back from each). Not past `to`: the next region must
                    // start where its walk back sees as far.
                    var p = i + 1
                    while p < to && ContentScanner.isDigit(base.load(fromByteOffset: p, as: UInt8.self)) { p += 1 }
                    advance = p
                case .run(let run, let digits, let groups):
                    let grouped = groups.count > 1
                    let list = grouped ? ContentScanner.groupedRuns + digits : digits
                    let wanting = Int(digitRuleBounds[list])..<Int(digitRuleBounds[list + 1])
                    if !wanting.isEmpty {
                        if !final && run.upperBound + digitReach > count { return .deferred(i) }
                        var letters: NearestLetters?
                        for j in wanting {
                            let r = Int(digitRuleList[j])
                            let w = windows[r]
                            // One group: the list took the rules whose values hold as many digits.
                            guard !grouped || holdsValue(groups, w)
                            else { continue }
                            if w.requiresLetters && !recordsRejections {
                                // Lines of numbers (metrics, CSV, timestamps) are runs
                                // with no word near them: a rule that needs one has nothing
                                // to find: `evaluate` and `accepts` look for the words no
                                // further than `before + distance` ahead of the run and
                                // `after + 1 + distance` past it (a window only shrinks; the
                                // distance counts from the match). `patterns test` runs the
                                // regex all the same, to say why each candidate was turned down.
                                let near = letters ?? nearestLetters(base, count: count, around: run)
                                letters = near
                                if near.before < max(0, run.lowerBound - Int(w.before + w.contextDistance))
                                    && near.after >= run.upperBound + Int(w.after + 1 + w.contextDistance)
                                { continue }
                            }
                            // The value is made of the run's digits: its match starts within the run at the latest.
                            evaluate(
                                r, hit: run, kind: grouped ? .groupedDigits : .digits, latestStart: run.upperBound, base, count: count,
                                regionStart: regionStart, &state, into: &matches)
                        }
                    }
                    advance = max(advance, run.upperBound)
                }
            }
            i = advance
        }
        return .handled(upTo: max(i, to))
    }

    /// What a hit is: a keyword, or a run of digits — one group of them, or
    /// groups joined by separators, which may hold several values glued together.
    enum HitKind {
        case keyword
        case digits
        case groupedDigits
    }

    enum DigitRun {
        /// `digits`: how many the run holds, `ContentRule.maxDigits + 1` standing for more
        /// (or for a run cut at `maxHit` bytes).
        case run(Range<Int>, digits: Int, groups: RunGroups)
        /// The run reaches the region's end: more digits may follow.
        case incomplete
        /// Inside a run that started earlier (handled from its start).
        case notStart
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    @inline(__always) public static func isSeparator(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x2d || b == 0x2e || b == 0x28 || b == 0x29 || b == 0x2f
    }

    /// The separators a digit run may hold: space `-` `.` `(` `)` `/`.
    static let separators: [UInt8] = Array(" -.()/".utf8)

    /// A separator's bit in a rule's `RuleWindow.separators`: its low five
    /// bits, which tell the six apart (0x20-0x2f).
    @inline(__always) static func separatorBit(_ b: UInt8) -> UInt32 { 1 << UInt32(b & 31) }

    /// A digit run's groups, as `digitRun` read them (into `groupDigits` and `groupJoints`).
    struct RunGroups {
        var count = 0
        /// Digits in all groups.
        var digits = 0
        /// Bit `d` (at most 63): a group holds `d` digits.
        var sizes: UInt64 = 0
        /// Every separator (`separatorBit`) between two groups.
        var joints: UInt32 = 0
    }

    /// Adds a group of `digits` to a run, and the separators after it (none after the last).
    @inline(__always)
    func record(_ groups: inout RunGroups, digits: Int, joint: UInt32) {
        groupDigits[groups.count] = Int32(truncatingIfNeeded: digits)
        groupJoints[groups.count] = joint
        groups.count &+= 1
        groups.digits &+= digits
        groups.sizes |= 1 << UInt64(min(digits, 63))
        groups.joints |= joint
    }

    /// Whether some of a run's groups in a row, joined only by the rule's
    /// separators, hold as many digits as its values do. Values are whole
    /// groups (the rules' regexes do not start or end inside one), so this is
    /// the only way a run holds one: to an SSN rule (`-`, 9 digits) an IP
    /// address (`10.20.13.247`) or a timestamp (`1701234567.123`) holds none,
    /// and `536-22-8726 536-22-8727` two.
    @inline(__always)
    func holdsValue(_ groups: RunGroups, _ w: RuleWindow) -> Bool {
        // None of its separators joins two groups: a value is one group.
        if groups.joints & w.separators == 0 { return groups.sizes & w.valueSizes != 0 }
        var first = 0
        var held: Int32 = 0
        for last in 0..<groups.count {
            if last > 0 && groupJoints[last - 1] & ~w.separators != 0 {
                first = last
                held = 0
            }
            held &+= groupDigits[last]
            while held > w.maxDigits {
                held &-= groupDigits[first]
                first &+= 1
            }
            if held >= w.minDigits { return true }
        }
        return false
    }

    /// The last ASCII letter before a digit run and the first after it, within
    /// `letterReach` (`before`: -1, `after`: `Int.max` when there is none).
    /// Context words are made of letters: where a required one's search would
    /// see no letter, there is no word to find and no regex to run.
    struct NearestLetters {
        var before: Int
        var after: Int
    }

    @inline(never)
    func nearestLetters(_ base: UnsafeRawPointer, count: Int, around run: Range<Int>) -> NearestLetters {
        NearestLetters(
            before: lastLetter(base, in: max(0, run.lowerBound - letterReach.before)..<run.lowerBound),
            after: firstLetter(base, in: run.upperBound..<min(count, run.upperBound + letterReach.after)))
    }

    /// The position of the last ASCII letter in `range`, -1 if none; eight
    /// bytes at a time (number-only lines have no letter to stop at).
    @inline(__always)
    func lastLetter(_ base: UnsafeRawPointer, in range: Range<Int>) -> Int {
        var p = range.upperBound
        while p - 8 >= range.lowerBound {
            let letters = ContentScanner.letters(base.loadUnaligned(fromByteOffset: p - 8, as: UInt64.self))
            if letters != 0 { return p - 8 + (63 - letters.leadingZeroBitCount) / 8 }
            p -= 8
        }
        while p > range.lowerBound {
            p -= 1
            if ContextWords.isLetter(base.load(fromByteOffset: p, as: UInt8.self)) { return p }
        }
        return -1
    }

    /// The position of the first ASCII letter in `range`, `Int.max` if none.
    @inline(__always)
    func firstLetter(_ base: UnsafeRawPointer, in range: Range<Int>) -> Int {
        var p = range.lowerBound
        while p + 8 <= range.upperBound {
            let letters = ContentScanner.letters(base.loadUnaligned(fromByteOffset: p, as: UInt64.self))
            if letters != 0 { return p + letters.trailingZeroBitCount / 8 }
            p += 8
        }
        while p < range.upperBound {
            if ContextWords.isLetter(base.load(fromByteOffset: p, as: UInt8.self)) { return p }
            p += 1
        }
        return Int.max
    }

    /// The high bit of each byte of `x` (read little-endian) that is an ASCII
    /// letter: case folded, then `a`...`z` by two carry-free additions.
    @inline(__always) static func letters(_ x: UInt64) -> UInt64 {
        let folded = (UInt64(littleEndian: x) | 0x2020_2020_2020_2020) & 0x7f7f_7f7f_7f7f_7f7f
        let atLeastA = folded &+ 0x1f1f_1f1f_1f1f_1f1f
        let pastZ = folded &+ 0x0505_0505_0505_0505
        return atLeastA & ~pastZ & ~UInt64(littleEndian: x) & 0x8080_8080_8080_8080
    }

    /// The run of digits around the digit pair at `i`: digits with at most
    /// two separators (space, `-`, `.`, `(`, `)`, `/`) between them.
    func digitRun(_ base: UnsafeRawPointer, count: Int, at i: Int, final: Bool) -> DigitRun {
        // Walk back to the run's start.
        var start = i
        while start > 0 {
            if ContentScanner.isDigit(base.load(fromByteOffset: start - 1, as: UInt8.self)) {
                start -= 1
            } else if start >= 2, ContentScanner.isSeparator(base.load(fromByteOffset: start - 1, as: UInt8.self)), ContentScanner.isDigit(base.load(fromByteOffset: start - 2, as: UInt8.self)) {
                start -= 2
            } else if start >= 3, ContentScanner.isSeparator(base.load(fromByteOffset: start - 1, as: UInt8.self)), ContentScanner.isSeparator(base.load(fromByteOffset: start - 2, as: UInt8.self)),
                ContentScanner.isDigit(base.load(fromByteOffset: start - 3, as: UInt8.self))
            {
                start -= 3
            } else {
                break
            }
            if i - start > maxHit { return .notStart }
        }
        // Walk forward, group by group. The walk stops only after a digit: the
        // run ends where it stops.
        var groups = RunGroups()
        var group = start
        var j = start
        while j < count {
            let b = base.load(fromByteOffset: j, as: UInt8.self)
            if ContentScanner.isDigit(b) {
                j += 1
                // A run is looked into up to `maxHit` bytes: where it ends does
                // not wait for the rest of a long blob of digits.
                if j - start > maxHit { break }
                continue
            }
            guard ContentScanner.isSeparator(b) else { break }
            // Up to two separators, then a digit.
            var joint = ContentScanner.separatorBit(b)
            if j + 1 < count && ContentScanner.isDigit(base.load(fromByteOffset: j + 1, as: UInt8.self)) {
                record(&groups, digits: j - group, joint: joint)
                j += 1
            } else if j + 2 < count, case let second = base.load(fromByteOffset: j + 1, as: UInt8.self), ContentScanner.isSeparator(second),
                ContentScanner.isDigit(base.load(fromByteOffset: j + 2, as: UInt8.self))
            {
                joint |= ContentScanner.separatorBit(second)
                record(&groups, digits: j - group, joint: joint)
                j += 2
            } else if j + 2 >= count && !final {
                return .incomplete
            } else {
                break
            }
            group = j
        }
        if j >= count && !final && j - start <= maxHit { return .incomplete }
        record(&groups, digits: j - group, joint: 0)
        // More digits than any value holds is still worth a look (values glued
        // together), to the run's first `maxHit` bytes: `maxDigits + 1` stands for it.
        let digits = j - start > maxHit ? ContentRule.maxDigits + 1 : min(groups.digits, ContentRule.maxDigits + 1)
        return .run(start..<j, digits: digits, groups: groups)
    }

    /// Runs rule `r`'s regex in the window around one hit and reports each
    /// match that passes the rule's checks (a match two hits' windows both
    /// hold is reported once: `recent`). `latestStart`: where a match of this
    /// hit must start by, when the hit is inside the value — PCRE2 then does
    /// not try the rest of the window, which is most of its work where the
    /// window holds no match.
    func evaluate(
        _ r: Int, hit: Range<Int>, kind: HitKind, latestStart: Int?, _ base: UnsafeRawPointer, count: Int,
        regionStart: UInt64,
        _ state: inout StreamScanState, into matches: inout [ScanMatch]
    ) {
        let offsetBits: UInt64 = 0xffff_ffff_ffff
        let w = windows[r]
        let regex = regexes[r]
        var windowStart = max(0, hit.lowerBound - Int(w.before))
        if w.startClass >= 0 {
            // Start where the run of bytes a match may hold before its keyword begins.
            let set = startClasses + 4 * Int(w.startClass)
            var start = hit.lowerBound
            while start > windowStart {
                let b = Int(base.load(fromByteOffset: start - 1, as: UInt8.self))
                guard set[b >> 6] & (1 << UInt64(b & 63)) != 0 else { break }
                start -= 1
            }
            windowStart = start
        }
        let windowEnd = min(count, hit.upperBound + Int(w.after) + 1)
        if w.regexStart >= 0 {
            // No byte a match can begin with where one may begin, no regex: a
            // digit run with no capital letter before it cannot hold a UK NINO
            // or an IBAN, one with no `+` an E.164 number: about half a million
            // PCRE2 calls per GiB of the shared workload, none of them a match.
            let set = startClasses + 4 * Int(w.regexStart)
            var p = windowStart
            // A run holds digits and separators only: nothing such a match begins with.
            let last = min(latestStart ?? windowEnd, windowEnd - 1, kind != .keyword && w.startsBeforeRuns ? hit.lowerBound - 1 : Int.max)
            while p <= last {
                let b = Int(base.load(fromByteOffset: p, as: UInt8.self))
                if set[b >> 6] & (1 << UInt64(b & 63)) != 0 { break }
                p += 1
            }
            if p > last { return }
        }
        if w.requiresContext && windowEnd - windowStart > 2 * Int(w.contextDistance) {
            // A wide window (a wide rule, a long digit run) costs the regex more than the
            // words cost to look for: no context word within reach of anything it can match, no regex.
            let distance = Int(w.contextDistance)
            let from = max(0, windowStart - distance)
            let text = UnsafeRawBufferPointer(start: base + from, count: min(count, windowEnd + distance) - from)
            guard contextWords[r].found(in: text) else { return }
        }
        let subjectStart = max(0, windowStart - regex.lookbehind - 1)
        let subject = UnsafeRawBufferPointer(start: base + subjectStart, count: windowEnd - subjectStart)
        var at = windowStart - subjectStart
        let startLimit = latestStart.map { $0 - subjectStart } ?? subject.count
        while at <= startLimit, regex.match(subject, from: at, startingBy: startLimit), let whole = regex.range(0) {
            let matchStart = whole.lowerBound + subjectStart
            let matchEnd = whole.upperBound + subjectStart
            // A match reaching the hit's end is the last this hit has (unless
            // turned down in a run of groups, below): a later one in the window has a hit of its own
            // (its keyword, its digits). One ending before it leaves the rest of
            // the hit to look at: two numbers glued by a space are one digit run.
            at = matchEnd >= hit.upperBound ? subject.count + 1 : whole.isEmpty ? whole.upperBound + 1 : whole.upperBound
            guard let group = regex.range(Int(w.group)), !group.isEmpty else { continue }
            let value = UnsafeRawBufferPointer(rebasing: subject[group])
            let offset = regionStart + UInt64(subjectStart + group.lowerBound)
            let key = UInt64(r) << 48 | (offset & offsetBits)
            // Reported already, or inside a value of this rule that was (a
            // password `abc/db_pass=x` holds `db_pass=x`: one finding).
            guard !state.recent.contains(where: { $0.key >> 48 == UInt64(r) && $0.key <= key && key < $0.end }) else {
                continue
            }
            var jwt: JWTFacts?
            guard let raised = accepts(r, value, match: matchStart..<matchEnd, base, count: count, offset: offset, jwt: &jwt)
            else {
                // In a run of glued values a turned-down match may have taken its
                // neighbour's first group (`1234 4539 5787 6362 1486`): the next
                // value may begin inside it. The rules' lookbehinds keep PCRE2 from
                // starting mid-number, so this is about one more call per rejection.
                if kind == .groupedDigits { at = whole.lowerBound + 1 }
                continue
            }
            // Forget values no later hit can reach: hits come in stream order, and
            // none looks back further than `lookback`. One that a wide window found
            // ahead of the scan (a JWT's reaches 4 KB on) stays until its own hit.
            let hitOffset = regionStart + UInt64(hit.lowerBound)
            let reachable = hitOffset >= UInt64(lookback) ? hitOffset - UInt64(lookback) : 0
            state.recent.removeAll { $0.end & offsetBits <= reachable }
            if state.recent.count == StreamScanState.recentValues {
                let first = state.recent.indices.min { state.recent[$0].end & offsetBits < state.recent[$1].end & offsetBits }!
                state.recent.remove(at: first)
            }
            state.recent.append((key, key + UInt64(value.count)))
            let valueStart = subjectStart + group.lowerBound
            let leadStart = max(0, valueStart - FieldName.reach)
            let lead = UnsafeRawBufferPointer(start: base + leadStart, count: valueStart - leadStart)
            let field = FieldName.before(lead, textStartsStream: regionStart == 0 && leadStart == 0)
            matches.append(
                ScanMatch(
                    rule: r, offset: offset, value: Array(value), raised: raised, jwt: jwt,
                    field: field.map { Array(lead[$0]) } ?? []))
        }
    }

    /// The rule's checks on a value: allowlist, validator, entropy, context.
    /// nil when rejected; otherwise whether a context word raises the severity.
    /// A JWT's validation reads what the token says about itself: `jwt`.
    func accepts(
        _ r: Int, _ value: UnsafeRawBufferPointer, match: Range<Int>, _ base: UnsafeRawPointer, count: Int, offset: UInt64,
        jwt: inout JWTFacts?
    ) -> Bool? {
        // Read from the flat per-rule tables: copying the rule (strings,
        // lists, sets) for every candidate cost more than the checks.
        let w = windows[r]
        func reject(_ reason: @autoclosure () -> String) -> Bool? {
            if recordsRejections { rejections.append(Rejection(rule: r, offset: offset, value: Array(value), reason: reason())) }
            return nil
        }
        for allowed in allowedValues[r] where allowed.elementsEqual(value) { return reject("allowlisted value") }
        for allow in allowRegexes[r] where allow.match(value, from: 0) { return reject("allowlisted pattern") }
        if let validator = w.validator {
            // A JWT's check is reading it (two JSON objects): read once, the facts kept for the match.
            let passed: Bool
            if validator == .jwt {
                jwt = JWTFacts(token: value)
                passed = jwt != nil
            } else {
                passed = validator.accepts(value)
            }
            if !passed { return reject("validator \(validator.rawValue) failed") }
        }
        let floor = minEntropy[r]
        if floor > 0 {
            let entropy = Entropy.shannon(value)
            if entropy < floor { return reject("entropy \(Double(Int(entropy * 100)) / 100) below \(floor)") }
        }
        let words = contextWords[r]
        guard !words.isEmpty else { return false }
        let distance = Int(w.contextDistance)
        let from = max(0, match.lowerBound - distance)
        let to = min(count, match.upperBound + distance)
        let found = words.found(in: UnsafeRawBufferPointer(start: base + from, count: to - from))
        if w.requiresContext { return found ? false : reject("no context word within \(distance) bytes") }
        return found
    }
}

extension ContentScanner {
    /// Scans a whole text as one stream (rule examples, `patterns test`).
    public func matches(_ text: [UInt8]) -> [ScanMatch] {
        var state = StreamScanState()
        var budget = ScanBudget()
        var found: [ScanMatch] = []
        text.withUnsafeBytes { scan($0, at: 0, &state, budget: &budget, into: &found) }
        finish(&state, budget: &budget, into: &found)
        return found
    }
}
