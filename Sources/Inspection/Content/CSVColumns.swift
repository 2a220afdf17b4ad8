import Glibc
import Scanning

/// Names the column a value sits in when a decoded stream is a table — a
/// CSV or TSV export sent over FTP, attached to a mail, uploaded or
/// downloaded — so that a finding says `field email` as it does for a JSON
/// key. Such rows name nothing themselves (`4821,Dana,dana@corp-mail.io`).
/// A wrong name is worse than none, and a name is printed in clear: so the
/// tests below are strict.
///
/// The header: the stream's first line (a UTF-8 byte order mark dropped),
/// split at its most frequent delimiter (`,` `;` tab `|`) into at least
/// three cells, or two without spaces (`Hi Dana, thanks` is a letter's
/// first line). Each cell, quotes around it dropped, is a name: at most 64
/// bytes, at most three words of letters and `_ - .` with no digit (a
/// headerless file's first row holds data such as `Winter2024`), each word
/// as `FieldName.plausible` accepts it (`Card Number`, `e-mail`).
///
/// Then every byte of the stream is walked — only such streams: anything
/// else stops at its first line — cell by cell as RFC 4180 reads them (a
/// quote opens a quoted cell only at a cell's start; `""` inside one is a
/// quote; delimiters and line feeds in it do not count). Every row has as
/// many cells as the header: the first that has not ends the walk, and
/// nothing more is named. A value is named only when its row is complete in
/// what was read and has the header's cell count: the row it is in ends
/// within the piece being read (a row cut by the piece's end, or the
/// stream's last line without a line feed, names nothing), or it is one of
/// the `keptRows` rows before the one being walked (a value the scanner
/// judged late: its window reached past the piece, and short rows went by).
struct CSVColumns {
    /// Longest header line read, and columns named.
    static let maxHeader = 1024
    static let maxColumns = 64
    /// Longest column name, and words in one.
    static let maxName = 64
    static let maxWords = 3
    /// Complete rows kept, newest last, for values judged late.
    static let keptRows = 8
    /// Bytes a stream keeps (a header line cut between pieces, then the
    /// names and the delimiter offsets of the row being walked and of the
    /// rows kept), charged to the scan budget while it keeps them. A stream
    /// whose first line is whole in its first piece and is no header keeps
    /// and charges nothing.
    static let charge = maxHeader + (1 + keptRows) * (1 + maxColumns) * MemoryLayout<UInt64>.size

    enum Phase {
        case header
        case rows
        /// Not a table: nothing more is read.
        case none
    }

    /// RFC 4180's reading of the byte after the last one walked.
    enum Cell {
        case start
        case unquoted
        case quoted
        /// A quote inside a quoted cell: its end, or the first of `""`.
        case quoteInQuoted
    }

    private(set) var phase = Phase.header
    private var charged = false
    /// The header line while it is cut between pieces; then the names, back to back.
    private var header: [UInt8] = []
    private var names: [Range<Int>] = []
    /// Delimiters in the header line: every row has as many.
    private var headerDelimiters = 0
    private var delimiter: UInt8 = 0
    /// The walk: the stream offset of the next byte, where it is in its cell.
    private var walked: UInt64 = 0
    private var cell = Cell.start
    /// The row being walked: its start, its delimiters (all counted; the first
    /// `maxColumns` kept as stream offsets).
    private var rowStart: UInt64 = 0
    private var rowDelimiters = 0
    private var delimiters: [UInt64] = []
    /// The complete rows before it, up to `keptRows`, in a ring of slots of
    /// `rowSlot` offsets each: the row's start, then its kept delimiters
    /// (every complete row has the header's count).
    private var recentRows: [UInt64] = []
    private var recentCount = 0
    private var recentNext = 0
    private var rowSlot: Int { 1 + min(headerDelimiters, CSVColumns.maxColumns) }

    /// Reads the next piece of the stream (contiguous, from offset 0).
    /// `offsets`: ascending stream offsets of values in it or before it;
    /// `name` is called with each named one's index and its column's name.
    mutating func read(
        _ piece: UnsafeRawBufferPointer, at offset: UInt64, values offsets: [UInt64], budget: inout ScanBudget,
        name: (Int, UnsafeRawBufferPointer) -> Void
    ) {
        guard phase != .none else { return }
        guard offset == walked else { return stop(&budget) }
        var i = 0
        if phase == .header {
            i = readHeader(piece, budget: &budget)
            guard phase == .rows else {
                if phase == .none { stop(&budget) }
                return
            }
        }
        for (k, target) in offsets.enumerated() {
            if target >= offset + UInt64(piece.count) { break }
            if target > walked {
                i = walk(piece, from: i, to: Int(target - offset), offset: offset)
                guard phase == .rows else { return stop(&budget) }
            }
            if let column = column(at: target, piece, from: i), column < names.count {
                header.withUnsafeBytes { name(k, UnsafeRawBufferPointer(rebasing: $0[names[column]])) }
            }
        }
        _ = walk(piece, from: i, to: piece.count, offset: offset)
        if phase != .rows { stop(&budget) }
    }

    /// Nothing more is read; what was kept goes back to the budget.
    mutating func stop(_ budget: inout ScanBudget) {
        phase = .none
        header = []
        names = []
        delimiters = []
        recentRows = []
        recentCount = 0
        if charged { _ = budget.charge(-CSVColumns.charge) }
        charged = false
    }

    // MARK: the header

    /// The header line: judged in place when the first piece holds it
    /// whole, else collected (charged) up to its line feed. Returns the
    /// index in `piece` after it (the piece's end while it goes on).
    private mutating func readHeader(_ piece: UnsafeRawBufferPointer, budget: inout ScanBudget) -> Int {
        let room = CSVColumns.maxHeader - header.count
        var end: Int?
        if let base = piece.baseAddress, let hit = memchr(base, 0x0a, min(piece.count, room + 1)) {
            end = base.distance(to: UnsafeRawPointer(hit))
        }
        guard let end else {
            // The line goes on in the next piece (or is too long for a header).
            guard piece.count < room, charged || budget.charge(CSVColumns.charge) else {
                phase = .none
                return piece.count
            }
            charged = true
            header.append(contentsOf: piece)
            walked += UInt64(piece.count)
            return piece.count
        }
        walked += UInt64(end + 1)
        rowStart = walked
        if header.isEmpty {
            judgeHeader(UnsafeRawBufferPointer(rebasing: piece[..<end]), budget: &budget)
        } else {
            header.append(contentsOf: piece[..<end])
            let line = header
            line.withUnsafeBytes { judgeHeader($0, budget: &budget) }
        }
        return end + 1
    }

    /// Whether the header line names columns; if so, keeps the names (charged).
    private mutating func judgeHeader(_ text: UnsafeRawBufferPointer, budget: inout ScanBudget) {
        phase = .none
        var line = text
        if line.starts(with: [0xef, 0xbb, 0xbf]) { line = UnsafeRawBufferPointer(rebasing: line[3...]) }
        if line.last == UInt8(ascii: "\r") { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
        var best = (byte: UInt8(0), count: 0)
        for d in [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")] {
            let n = line.reduce(0) { $1 == d ? $0 + 1 : $0 }
            if n > best.count { best = (d, n) }
        }
        guard best.count >= 1, best.count < CSVColumns.maxColumns else { return }
        var cells: [Range<Int>] = []
        var start = 0
        for j in 0...line.count where j == line.count || line[j] == best.byte {
            cells.append(CSVColumns.trimmed(line, start..<j))
            start = j + 1
        }
        let spaced = cells.contains { line[$0].contains(UInt8(ascii: " ")) }
        guard cells.count >= 3 || !spaced,
            cells.allSatisfy({ CSVColumns.isName(UnsafeRawBufferPointer(rebasing: line[$0])) }),
            charged || budget.charge(CSVColumns.charge)
        else { return }
        charged = true
        var kept: [UInt8] = []
        for cell in cells {
            names.append(kept.count..<(kept.count + cell.count))
            kept += line[cell]
        }
        header = kept
        delimiter = best.byte
        headerDelimiters = cells.count - 1
        phase = .rows
    }

    /// A cell without the blanks and the double quotes around it.
    static func trimmed(_ line: UnsafeRawBufferPointer, _ cell: Range<Int>) -> Range<Int> {
        var lo = cell.lowerBound
        var hi = cell.upperBound
        while lo < hi && line[lo] == UInt8(ascii: " ") { lo += 1 }
        while hi > lo && line[hi - 1] == UInt8(ascii: " ") { hi -= 1 }
        if hi - lo >= 2 && line[lo] == UInt8(ascii: "\"") && line[hi - 1] == UInt8(ascii: "\"") {
            lo += 1
            hi -= 1
        }
        return lo..<hi
    }

    /// A column name: see the type's comment.
    static func isName(_ cell: UnsafeRawBufferPointer) -> Bool {
        guard !cell.isEmpty, cell.count <= maxName, !cell.contains(where: { $0 &- 0x30 < 10 }) else { return false }
        let words = cell.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        return words.count <= maxWords && words.allSatisfy { FieldName.plausible(UnsafeRawBufferPointer(rebasing: $0)) }
    }

    // MARK: the rows

    /// The reading of byte `b` in a cell that was at `state`: the state
    /// after it, and whether it is a delimiter or a line feed that counts.
    @inline(__always)
    static func step(_ state: Cell, _ b: UInt8, delimiter: UInt8) -> (Cell, counts: Bool) {
        let separates = b == delimiter || b == UInt8(ascii: "\n")
        switch state {
        case .start:
            if b == UInt8(ascii: "\"") { return (.quoted, false) }
            return separates ? (.start, true) : (.unquoted, false)
        case .unquoted:
            return separates ? (.start, true) : (.unquoted, false)
        case .quoteInQuoted:
            // `""` is a quote; after the closing quote, another byte (malformed) goes on unquoted.
            if b == UInt8(ascii: "\"") { return (.quoted, false) }
            return separates ? (.start, true) : (.unquoted, false)
        case .quoted:
            return (b == UInt8(ascii: "\"") ? .quoteInQuoted : .quoted, false)
        }
    }

    /// Walks `piece[from..<to]`, keeping the current and the previous
    /// row's delimiters; a row with another number of cells than the header
    /// ends it (phase `none`; the caller gives the charge back).
    private mutating func walk(_ piece: UnsafeRawBufferPointer, from: Int, to: Int, offset: UInt64) -> Int {
        var j = from
        while j < to {
            let b = piece[j]
            let (next, counts) = CSVColumns.step(cell, b, delimiter: delimiter)
            cell = next
            if counts {
                if b == delimiter {
                    rowDelimiters += 1
                    if delimiters.count < CSVColumns.maxColumns { delimiters.append(offset + UInt64(j)) }
                } else {
                    // An empty line (a last CRLF, a blank separator) is no row.
                    let blank = rowDelimiters == 0 && offset + UInt64(j) - rowStart <= 1
                    guard blank || rowDelimiters == headerDelimiters else {
                        phase = .none
                        return to
                    }
                    if !blank { keepRow() }
                    delimiters.removeAll(keepingCapacity: true)
                    rowDelimiters = 0
                    rowStart = offset + UInt64(j) + 1
                }
            }
            j += 1
        }
        walked = offset + UInt64(to)
        return to
    }

    /// The column of the value at stream offset `at`, when its row is
    /// complete and whole: the one being walked if it ends within `piece`
    /// (from index `from`, where the walk is) with the header's cell count,
    /// else the newest kept row that starts at or before it.
    private func column(at: UInt64, _ piece: UnsafeRawBufferPointer, from: Int) -> Int? {
        func column(_ row: some Collection<UInt64>) -> Int? {
            let before = row.reduce(0) { $1 < at ? $0 + 1 : $0 }
            return before < CSVColumns.maxColumns ? before : nil
        }
        if at >= rowStart { return rowEnds(piece, from: from) ? column(delimiters) : nil }
        for back in 0..<recentCount {
            let slot = (recentNext - 1 - back + CSVColumns.keptRows) % CSVColumns.keptRows * rowSlot
            if recentRows[slot] <= at { return column(recentRows[(slot + 1)..<(slot + rowSlot)]) }
        }
        return nil
    }

    /// The row just walked is complete: kept in the ring, over its oldest.
    private mutating func keepRow() {
        if recentRows.isEmpty { recentRows = [UInt64](repeating: 0, count: CSVColumns.keptRows * rowSlot) }
        let slot = recentNext * rowSlot
        recentRows[slot] = rowStart
        for k in 0..<(rowSlot - 1) { recentRows[slot + 1 + k] = delimiters[k] }
        recentNext = (recentNext + 1) % CSVColumns.keptRows
        recentCount = min(recentCount + 1, CSVColumns.keptRows)
    }

    /// Whether the row being walked ends (a line feed that counts) within
    /// `piece` after index `from`, with as many delimiters as the header.
    private func rowEnds(_ piece: UnsafeRawBufferPointer, from: Int) -> Bool {
        var state = cell
        var count = rowDelimiters
        var j = from
        while j < piece.count {
            let b = piece[j]
            let (next, counts) = CSVColumns.step(state, b, delimiter: delimiter)
            state = next
            if counts {
                if b != delimiter { return count == headerDelimiters }
                count += 1
                if count > headerDelimiters { return false }
            }
            j += 1
        }
        return false
    }
}
