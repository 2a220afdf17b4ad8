#if canImport(Glibc)
import Glibc
#endif

// MARK: - UTF-16LE text inside a raw stream
//
// Windows protocols carry their text as UTF-16LE: a SQL Server query and the
// rows it returns (TDS), names and file contents over SMB, DCE/RPC strings.
// There `4556…` travels as `4 \0 5 \0 5 \0 6 \0 …`, and neither a keyword nor
// a digit run of the scanner matches it: a card number in an unencrypted SQL
// Server session went unseen. `strings -el` shows the way: a run of ASCII
// characters each followed by a zero byte, long enough not to be chance, is
// text. `WideText` finds such runs in a stream read chunk by chunk (a run and
// a character may be cut anywhere) and writes them narrowed, one byte per
// character, runs joined by a NUL, so the narrowed text is a stream of its
// own for the scanner.

/// The UTF-16LE text runs of one direction of a stream, narrowed.
public struct WideText: Sendable, Equatable {
    /// Characters a run needs to count as text: the shortest values the rules
    /// look for (an e-mail address `ab@c.io`) are longer; shorter runs in
    /// binary data (16-bit counters under 0x7F) are common.
    public static let minCharacters = 6
    /// Characters of a run held back until it ends, so that lengths in front
    /// of its strings can be told (`write`): a row of several columns. Charged
    /// to the scan budget while a stream holds.
    public static let holdLimit = 512

    enum Phase: Sendable, Equatable {
        /// No run of `minCharacters` yet (its first characters wait in `pending`).
        case outside
        /// A run is being held in `run`.
        case holding
        /// A run longer than `holdLimit` (or one the budget could not hold) is written as read.
        case streaming
    }

    /// Where the next chunk is expected; any other offset ends the run.
    var next: UInt64 = 0
    /// The characters of a run not yet `minCharacters` long, first in the low byte.
    var pending: UInt64 = 0
    var pendingCount = 0
    var phase = Phase.outside
    var run: [UInt8] = []
    /// `holdLimit` bytes are charged to the scan budget (from the first run held until `release`);
    /// `refused`: the budget had no room, and is not asked again (each run would count a cap hit).
    var charged = false
    var refused = false
    /// The chunk's last byte, when the next chunk's first byte may be its zero.
    var held: UInt8 = 0
    var holds = false
    /// Narrowed bytes written so far (runs and the NULs between them): the
    /// offset of the next byte in the narrowed stream.
    public private(set) var length: UInt64 = 0

    public init() {}

    /// A run is held back: it ends when the other direction speaks (a query's
    /// last packet ends the run the server's reply cannot continue).
    public var isHolding: Bool { phase == .holding }

    /// Reads the chunk at stream offset `offset`; appends the narrowed text
    /// of runs that reached `minCharacters` to `out` (a held run when it ends).
    public mutating func read(
        _ bytes: UnsafeRawBufferPointer, at offset: UInt64, budget: inout ScanBudget, into out: inout [UInt8]
    ) {
        if offset != next { endRun(into: &out) }
        next = offset &+ UInt64(bytes.count)
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let n = bytes.count
        var i = 0
        if holds {
            holds = false
            if base.load(as: UInt8.self) == 0 && WideText.isCharacter(held) {
                push(held, &budget, &out)
                i = 1
            } else {
                endRun(into: &out)
            }
        }
        while i < n {
            if pendingCount > 0 || phase != .outside {
                guard i + 1 < n else {
                    held = base.load(fromByteOffset: i, as: UInt8.self)
                    holds = true
                    break
                }
                let c = base.load(fromByteOffset: i, as: UInt8.self)
                if base.load(fromByteOffset: i + 1, as: UInt8.self) == 0 && WideText.isCharacter(c) {
                    push(c, &budget, &out)
                    i += 2
                } else {
                    endRun(into: &out)  // `c` may still start a run: read on from it
                }
            } else {
                i = WideText.skip(base, from: i, count: n)
                // Outside a run only a zero byte can end a character.
                guard i + 1 < n, let zero = memchr(base + i + 1, 0, n - i - 1) else {
                    held = base.load(fromByteOffset: n - 1, as: UInt8.self)
                    holds = true
                    break
                }
                let z = base.distance(to: UnsafeRawPointer(zero))
                let c = base.load(fromByteOffset: z - 1, as: UInt8.self)
                if WideText.isCharacter(c) { push(c, &budget, &out) }
                i = z + 1
            }
        }
    }

    /// Outside a run: a position at or after `i` from which reading finds the
    /// same runs, skipping bytes no run of `minCharacters` can start in. Such
    /// a run begins at a character just before a zero byte, and its 12 bytes
    /// hold whole one of the 4-byte windows taken every 4 bytes from there,
    /// reading `c 0 c 0` or `0 c 0 c`; it begins at most 7 bytes before that
    /// window. Runs of 3 characters or less that begin earlier are dropped
    /// either way. The chunk's last 8 bytes are left to the exact walk (a run
    /// there may go on in the next chunk). Text without zero bytes costs one
    /// `memchr`, binary framing about a comparison per 4 bytes.
    static func skip(_ base: UnsafeRawPointer, from i: Int, count n: Int) -> Int {
        guard let zero = memchr(base + i, 0, n - i) else { return max(i, n - 1) }
        let first = max(i, base.distance(to: UnsafeRawPointer(zero)) - 1)
        var p = first
        while p + 4 <= n - 8 {
            let w = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: p, as: UInt32.self))
            if w & 0xff00_ff00 == 0 && isCharacter(UInt8(truncatingIfNeeded: w)) && isCharacter(UInt8(truncatingIfNeeded: w >> 16)) {
                break
            }
            if w & 0x00ff_00ff == 0 && isCharacter(UInt8(truncatingIfNeeded: w >> 8)) && isCharacter(UInt8(truncatingIfNeeded: w >> 24)) {
                break
            }
            p += 4
        }
        return max(first, p - 8)
    }

    /// The run ends here (the other direction spoke, the stream ended; a gap
    /// in offsets ends it in `read`): a held run is written to `out`.
    public mutating func endRun(into out: inout [UInt8]) {
        guard pendingCount > 0 || phase != .outside || holds else { return }
        if phase == .holding { write(into: &out) }
        run.removeAll(keepingCapacity: true)
        pending = 0
        pendingCount = 0
        phase = .outside
        holds = false
    }

    /// Gives back what the stream held (after its last `endRun`).
    public mutating func release(budget: inout ScanBudget) {
        if charged { _ = budget.charge(-WideText.holdLimit) }
        charged = false
        run = []
    }

    @inline(__always)
    mutating func push(_ c: UInt8, _ budget: inout ScanBudget, _ out: inout [UInt8]) {
        switch phase {
        case .streaming:
            out.append(c)
            length &+= 1
        case .holding:
            if run.count < WideText.holdLimit {
                run.append(c)
            } else {
                separate(&out)
                out += run
                out.append(c)
                length &+= UInt64(run.count + 1)
                run.removeAll(keepingCapacity: true)
                phase = .streaming
            }
        case .outside:
            pending |= UInt64(c) << UInt64(8 * pendingCount)
            pendingCount += 1
            guard pendingCount == WideText.minCharacters else { return }
            if !charged && !refused {
                charged = budget.charge(WideText.holdLimit)
                refused = !charged
                if charged { run.reserveCapacity(WideText.holdLimit) }
            }
            if charged {
                phase = .holding
                for k in 0..<pendingCount { run.append(UInt8(truncatingIfNeeded: pending >> UInt64(8 * k))) }
            } else {
                phase = .streaming
                separate(&out)
                for k in 0..<pendingCount { out.append(UInt8(truncatingIfNeeded: pending >> UInt64(8 * k))) }
                length &+= UInt64(pendingCount)
            }
            pending = 0
            pendingCount = 0
        }
    }

    /// Writes the held run. SQL Server (TDS) leads each string of a row or
    /// an RPC parameter with its length in bytes, a 16-bit number that reads
    /// as one more character when it is 0x0A or 0x20–0x7E: `0` glued to a
    /// 24-character e-mail address, `P` to a 40-character token, and the next
    /// column's length between two values. Where the run ends with a chain of
    /// such strings — the whole run, or after a value too short for its
    /// length to read as a character (`Ann Lee`, then `0` and a token) — the
    /// strings are written apart, each after a NUL. Text can end in such a
    /// chain by chance (a character whose value is twice the number of
    /// characters after it): a value holding that character is then cut.
    mutating func write(into out: inout [UInt8]) {
        let start = WideText.chainStart(run) ?? run.count
        if start > 0 {
            separate(&out)
            out += run[..<start]
            length &+= UInt64(start)
        }
        var p = start
        while p < run.count {
            let count = Int(run[p]) / 2
            separate(&out)
            out += run[(p + 1)..<(p + 1 + count)]
            length &+= UInt64(count)
            p += 1 + count
        }
    }

    /// Where the longest chain of length-led strings that ends the run begins; nil: none.
    static func chainStart(_ run: [UInt8]) -> Int? {
        // From the end: a string at `i` ends the run, or where another such chain begins.
        var chains = [Bool](repeating: false, count: run.count + 1)
        chains[run.count] = true
        var first: Int?
        for i in stride(from: run.count - 1, through: 0, by: -1) {
            let c = run[i]
            guard c & 1 == 0 && (c >= 0x20 || c == 0x0a) else { continue }
            let next = i + 1 + Int(c) / 2
            if next <= run.count && chains[next] {
                chains[i] = true
                first = i
            }
        }
        return first
    }

    /// A NUL between runs (and strings): nothing the rules match spans it.
    @inline(__always)
    mutating func separate(_ out: inout [UInt8]) {
        guard length > 0 else { return }
        out.append(0)
        length &+= 1
    }

    /// Printable ASCII, tab, line feed and carriage return: the characters
    /// values and their labels are written in (a non-ASCII letter ends a run).
    @inline(__always)
    static func isCharacter(_ b: UInt8) -> Bool {
        b &- 0x20 < 0x5f || b == 0x09 || b == 0x0a || b == 0x0d
    }
}

/// A decoded stream known to be UTF-16LE (it starts with the byte order mark:
/// a "Unicode text" file), narrowed code unit by code unit: an ASCII code
/// unit as its byte, any other (an accented letter, half of a surrogate
/// pair) as SUB (0x1A), so that a name with an accent keeps its table's tabs
/// and cells; the byte order mark is dropped.
public struct UTF16Narrowing: Sendable, Equatable {
    /// The piece's last byte when it ended inside a code unit.
    var odd: UInt8 = 0
    var holdsOdd = false
    var started = false
    /// Narrowed bytes written so far.
    public private(set) var length: UInt64 = 0

    public init() {}

    /// Reads the next piece of the stream, at stream offset `offset` (pieces
    /// are contiguous; code units start at even offsets: the first piece read
    /// may start after the mark's FF); appends its narrowed text to `out`.
    public mutating func read(_ bytes: UnsafeRawBufferPointer, at offset: UInt64, into out: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        var i = 0
        if !started && !holdsOdd && offset & 1 == 1 {
            started = true  // the FE of the mark
            i = 1
        }
        if holdsOdd {
            holdsOdd = false
            unit(odd, bytes[0], &out)
            i = 1
        }
        while i + 1 < bytes.count {
            unit(bytes[i], bytes[i + 1], &out)
            i += 2
        }
        if i < bytes.count {
            odd = bytes[i]
            holdsOdd = true
        }
    }

    @inline(__always)
    mutating func unit(_ low: UInt8, _ high: UInt8, _ out: inout [UInt8]) {
        defer { started = true }
        if !started && low == 0xff && high == 0xfe { return }
        out.append(high == 0 && low < 0x80 ? low : 0x1a)
        length &+= 1
    }
}
