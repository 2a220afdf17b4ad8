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
    /// of its strings can be told (`write`): a length below 0x7F leads at
    /// most 63 characters. Charged to the scan budget while a stream holds.
    public static let holdLimit = 128

    /// Whether strings may be led by their lengths (a protocol's bytes, not a file's text).
    let lengthPrefixed: Bool

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
    /// `holdLimit` bytes are charged to the scan budget (from the first run held until `release`).
    var charged = false
    /// The chunk's last byte, when the next chunk's first byte may be its zero.
    var held: UInt8 = 0
    var holds = false
    /// Narrowed bytes written so far (runs and the NULs between them): the
    /// offset of the next byte in the narrowed stream.
    public private(set) var length: UInt64 = 0

    /// `lengthPrefixed`: a raw stream, whose short runs are held to find the
    /// lengths of the strings in them (`write`); a file's text is written as read.
    public init(lengthPrefixed: Bool) { self.lengthPrefixed = lengthPrefixed }

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

    /// The run ends here (a datagram's end, a gap, the stream's end): a held
    /// run is written to `out`.
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
            if lengthPrefixed && !charged && budget.charge(WideText.holdLimit) {
                charged = true
                run.reserveCapacity(WideText.holdLimit)
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
    /// an RPC parameter with its length in bytes, a 16-bit number that
    /// below 0x7F reads as one more character: `0` glued to a 24-character
    /// e-mail address, `P` to a 40-character token, and the next column's
    /// length between two values. A run that is exactly a chain of such
    /// strings is written as the strings, each after a NUL. (A run of text
    /// may be such a chain by chance, about one in a hundred: it is then
    /// split at those places.)
    mutating func write(into out: inout [UInt8]) {
        var p = 0
        while p < run.count && run[p] & 1 == 0 && run[p] >= 0x20 { p += 1 + Int(run[p]) / 2 }
        guard p == run.count else {
            separate(&out)
            out += run
            length &+= UInt64(run.count)
            return
        }
        p = 0
        while p < run.count {
            let count = Int(run[p]) / 2
            separate(&out)
            out += run[(p + 1)..<(p + 1 + count)]
            length &+= UInt64(count)
            p += 1 + count
        }
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
