import TestSupport
import Testing
@testable import Scanning

/// UTF-16LE runs found in a stream read in chunks, narrowed.
@Suite struct WideTextTests {
    static func utf16(_ text: String) -> [UInt8] { Array(text.utf16).flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] } }

    /// The narrowed text of `stream` read in chunks ending at `cuts`, then ended.
    static func narrow(_ stream: [UInt8], cuts: [Int] = [], budget: Int = 1 << 20) -> [UInt8] {
        var wide = WideText()
        var out: [UInt8] = []
        var budget = ScanBudget(maxBytes: budget)
        var from = 0
        for end in cuts + [stream.count] where end >= from {
            stream[from..<end].withUnsafeBytes { wide.read($0, at: UInt64(from), budget: &budget, into: &out) }
            from = end
        }
        wide.endRun(into: &out)
        #expect(wide.length == UInt64(out.count), "length counts every byte written")
        wide.release(budget: &budget)
        #expect(budget.bytes == 0, "the budget is given back")
        return out
    }

    /// The same thing the slow way, on the whole stream: `strings -el` with
    /// the minimum length, runs joined by a NUL.
    static func reference(_ s: [UInt8]) -> [UInt8] {
        var runs: [[UInt8]] = []
        var run: [UInt8] = []
        var i = 0
        while i < s.count {
            if i + 1 < s.count && s[i + 1] == 0 && WideText.isCharacter(s[i]) {
                run.append(s[i])
                i += 2
            } else {
                if run.count >= WideText.minCharacters { runs.append(run) }
                run = []
                i += 1
            }
        }
        if run.count >= WideText.minCharacters { runs.append(run) }
        return Array(runs.flatMap(strings).joined(separator: [0]))
    }

    /// A run that ends with a chain of strings each led by its length in
    /// bytes (0x0A or 0x20-0x7E, even): what comes before the chain, then the strings.
    static func strings(_ run: [UInt8]) -> [[UInt8]] {
        guard run.count <= WideText.holdLimit else { return [run] }
        func isChain(_ from: Int) -> Bool {
            var p = from
            while p < run.count && run[p] % 2 == 0 && (run[p] >= 0x20 || run[p] == 0x0a) { p += 1 + Int(run[p]) / 2 }
            return p == run.count
        }
        guard let start = (0..<run.count).first(where: isChain) else { return [run] }
        var parts = start > 0 ? [Array(run[..<start])] : []
        var p = start
        while p < run.count {
            parts.append(Array(run[(p + 1)..<(p + 1 + Int(run[p]) / 2)]))
            p += 1 + Int(run[p]) / 2
        }
        return parts
    }

    @Test func aRunInBinaryFramingIsNarrowed() {
        let stream: [UInt8] = [0x01, 0x01, 0x00, 0x40] + Self.utf16("SELECT card FROM t") + [0xff, 0x00, 0x12]
        #expect(Self.narrow(stream) == Array("SELECT card FROM t".utf8))
    }

    @Test func shortRunsAreNotText() {
        // Column names and 16-bit counters under 0x7F look like short runs.
        let stream = Self.utf16("card") + [0x04, 0x10] + Self.utf16("ab") + [0x00, 0x00, 0x41, 0x00, 0x42, 0x00]
        #expect(Self.narrow(stream).isEmpty)
        #expect(Self.narrow(Self.utf16("abcde")).isEmpty && Self.narrow(Self.utf16("abcdef")) == Array("abcdef".utf8))
    }

    @Test func runsAreJoinedByANul() {
        let stream = Self.utf16("first run") + [0x02, 0x00, 0x00] + Self.utf16("second\r\n run")
        #expect(Self.narrow(stream) == Array("first run".utf8) + [0] + Array("second\r\n run".utf8))
    }

    @Test func aRunAtAnOddOffsetIsFound() {
        let stream: [UInt8] = [0x99] + Self.utf16("odd start here") + [0x01]
        #expect(Self.narrow(stream) == Array("odd start here".utf8))
    }

    @Test func aNonASCIICharacterEndsARun() {
        // "é" is E9 00: a Latin-1 letter the rules never need; CJK is two non-zero bytes.
        let stream = Self.utf16("Jos\u{e9} Garc\u{ed}a lives at 4556 7375")
        #expect(Self.narrow(stream) == Array("a lives at 4556 7375".utf8))
    }

    @Test func textWithoutZeroBytesGivesNothing() {
        #expect(Self.narrow(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)).isEmpty)
    }

    @Test func everyCutGivesTheWholeStreamsText() {
        let stream: [UInt8] = [0x01, 0x00] + Self.utf16("INSERT INTO t VALUES ('4556 7375 8689 9855')") + [0x00, 0x07]
            + Self.utf16("short") + [0x30] + Self.utf16("ann.lee@corp-mail.net") + [0x41]
        let whole = Self.narrow(stream)
        #expect(whole == Self.reference(stream))
        for a in 0...stream.count {
            #expect(Self.narrow(stream, cuts: [a]) == whole, "cut at \(a)")
        }
        for a in stride(from: 0, to: stream.count, by: 3) {
            #expect(Self.narrow(stream, cuts: Array(stride(from: a, to: stream.count, by: 1))) == whole, "bytes one by one from \(a)")
        }
    }

    @Test func randomStreamsAgreeWithTheReference() {
        var rng = SplitMix64(seed: 7)
        for round in 0..<1500 {
            // Runs of characters and zeros that form and break, in binary
            // framing of a density that changes from round to round.
            let zeros = 1 + rng.next() % 8, binary = 1 + rng.next() % 12
            let stream = (0..<Int(rng.next() % 400)).map { k -> UInt8 in
                let r = rng.next()
                if k % 2 == 1 && r % zeros != 0 { return 0 }
                return r % binary == 0 ? UInt8(truncatingIfNeeded: r >> 8) : UInt8(0x20 + (r >> 8) % 0x5f)
            }
            let cuts = (0..<Int(rng.next() % 6)).map { _ in Int(rng.next() % UInt64(stream.count + 1)) }.sorted()
            #expect(Self.narrow(stream, cuts: cuts) == Self.reference(stream), "round \(round)")
        }
    }

    @Test func aJumpInOffsetsEndsTheRun() {
        let text = Self.utf16("abcdefghij")
        var budget = ScanBudget()
        var wide = WideText()
        var out: [UInt8] = []
        text[..<8].withUnsafeBytes { wide.read($0, at: 0, budget: &budget, into: &out) }  // four characters: not yet a run
        text[8...].withUnsafeBytes { wide.read($0, at: 100, budget: &budget, into: &out) }  // the rest after a gap: six more
        wide.endRun(into: &out)
        #expect(out == Array("efghij".utf8))
        var udp = WideText()
        out = []
        text[..<8].withUnsafeBytes { udp.read($0, at: 0, budget: &budget, into: &out) }
        udp.endRun(into: &out)  // a datagram's end
        text[8...].withUnsafeBytes { udp.read($0, at: 8, budget: &budget, into: &out) }
        udp.endRun(into: &out)
        #expect(out == Array("efghij".utf8))
    }

    /// A SQL Server row: each NVARCHAR value after its length in bytes, which reads as a character.
    @Test func lengthsInFrontOfStringsAreTakenOut() {
        let email = "ann.lee@corp-mail.example"  // 25 characters: 50 bytes, "2"
        let token = "tok_abcdefghij0123456789abcdefghij012"  // 37: 74 bytes, "J"
        let row: [UInt8] = [0xd1] + [50, 0] + Self.utf16(email) + [74, 0] + Self.utf16(token) + [0x38, 0x01, 0x00, 0x00, 0x00]
        #expect(Self.narrow(row) == Array(email.utf8) + [0] + Array(token.utf8))
        for cut in 0...row.count { #expect(Self.narrow(row, cuts: [cut]) == Self.narrow(row), "cut at \(cut)") }
        // After a value too short for its length to read as a character (14 bytes), a
        // 5-character one (its length a line feed), a small integer (65: "A").
        let name = [0xd1, 14, 0] + Self.utf16("Ann Lee") + [48, 0] + Self.utf16("tok_abcdefghij0123456789") + [0xfd]
        #expect(Self.narrow(name) == Array("Ann Lee\0tok_abcdefghij0123456789".utf8))
        let admin = [0xd1, 48, 0] + Self.utf16("tok_abcdefghij0123456789") + [10, 0] + Self.utf16("admin") + [0xfd]
        #expect(Self.narrow(admin) == Array("tok_abcdefghij0123456789\0admin".utf8))
        let small = [0xd1, 0x41, 0x00, 48, 0] + Self.utf16("tok_abcdefghij0123456789") + [0xfd]
        #expect(Self.narrow(small) == Array("A\0tok_abcdefghij0123456789".utf8))
        // Text that only starts like a chain is left whole.
        #expect(Self.narrow(Self.utf16("2 pieces of text")) == Array("2 pieces of text".utf8))
    }

    @Test func aLongRunIsWrittenAsItIs() {
        let long = String(repeating: "x", count: WideText.holdLimit + 40)
        #expect(Self.narrow([0x10] + Self.utf16("~" + long)) == Array(("~" + long).utf8))
    }

    @Test func withoutBudgetARunIsWrittenAsRead() {
        let row = [0xd1] + [44, 0] + Self.utf16("abcdefghijklmnopqrstuv") + [0xff]
        #expect(Self.narrow(row) == Array("abcdefghijklmnopqrstuv".utf8))
        #expect(Self.narrow(row, budget: 64) == Array(",abcdefghijklmnopqrstuv".utf8), "the length stays: nothing was held")
        var budget = ScanBudget(maxBytes: 64)
        var wide = WideText()
        var out: [UInt8] = []
        (row + row + row).withUnsafeBytes { wide.read($0, at: 0, budget: &budget, into: &out) }
        #expect(budget.capHits == 1 && budget.bytes == 0, "asked once, not for every run")
    }

    /// A file known to be UTF-16LE: every code unit, accents as SUB, so its cells stay whole.
    @Test func aUTF16FileIsNarrowedUnitByUnit() {
        let text = "Name\tCity\r\nM\u{fc}ller\t\u{d6}sterreich \u{1F600}\r\n"
        let file: [UInt8] = [0xff, 0xfe] + Self.utf16(text)
        let expected = Array("Name\tCity\r\nM\u{1a}ller\t\u{1a}sterreich \u{1a}\u{1a}\r\n".utf8)
        for cut in 0...file.count {
            var narrowing = UTF16Narrowing()
            var out: [UInt8] = []
            file[..<cut].withUnsafeBytes { narrowing.read($0, at: 0, into: &out) }
            file[cut...].withUnsafeBytes { narrowing.read($0, at: UInt64(cut), into: &out) }
            #expect(out == expected, "cut at \(cut)")
            #expect(narrowing.length == UInt64(out.count))
        }
        // The mark's FF came alone and was not read (the scan waits for the next byte).
        var narrowing = UTF16Narrowing()
        var out: [UInt8] = []
        file[1...].withUnsafeBytes { narrowing.read($0, at: 1, into: &out) }
        #expect(out == expected)
    }
}
