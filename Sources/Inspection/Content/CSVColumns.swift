import Glibc
import Scanning

/// Names the column a value sits in when a decoded stream is a table — a
/// CSV or TSV export sent over FTP, attached to a mail, uploaded or
/// downloaded — so that a finding says `field email` as it does for a JSON
/// key. Such rows name nothing themselves (`4821,Dana,dana@corp-mail.io`).
///
/// The stream's first line is taken for a header when it splits, at its most
/// frequent delimiter (`,` `;` tab `|`), into cells that each read as a field
/// name (`FieldName.plausible`, word by word: `Card Number` is one; quotes
/// around a cell are dropped): at least three, or two without spaces
/// (`id,email`; `Hi Dana, thanks` is a letter's first line). Then every byte of the stream
/// is walked — only such streams: anything else stops at its first line — to
/// know where each line starts and where its delimiters are; a delimiter or
/// a line feed inside double quotes (RFC 4180) does not count. Every row of
/// a table has as many cells as its header: the first line that has not
/// (prose whose first line happened to look like names, `Hi Dana, thanks`)
/// ends the walk, and nothing more is named. A value's column is the number
/// of delimiters before it on its line, on the line being walked or the one
/// before (a value the scanner judges late is at most a few lines back);
/// further back, or past `maxColumns`, it is not named.
struct CSVColumns {
    /// Longest header line read, and columns named.
    static let maxHeader = 1024
    static let maxColumns = 64
    /// Bytes a stream keeps at most (the header line, two lines' delimiter
    /// offsets), charged to the scan budget from its first piece until it
    /// turns out not to be a table or ends.
    static let charge = maxHeader + 2 * maxColumns * MemoryLayout<UInt64>.size

    enum Phase {
        case header
        case rows
        /// Not a table: nothing more is read.
        case none
    }

    private(set) var phase = Phase.header
    private var charged = false
    /// The header line while it is read; then the names, back to back.
    private var header: [UInt8] = []
    private var names: [Range<Int>] = []
    /// Delimiters in the header line: every row has as many.
    private var headerDelimiters = 0
    private var delimiter: UInt8 = 0
    /// The walk: the stream offset of the next byte, whether it is inside quotes.
    private var walked: UInt64 = 0
    private var quoted = false
    /// Stream offsets where the line being walked (and the one before) start,
    /// and of their delimiters (at most `maxColumns`).
    private var lineStart: UInt64 = 0
    private var lineDelimiters = 0
    private var delimiters: [UInt64] = []
    private var previousStart: UInt64 = 0
    private var previousDelimiters: [UInt64] = []
    private var previousValid = false

    /// Reads the next piece of the stream (contiguous, from offset 0).
    /// `offsets`: ascending stream offsets of values in it or before it;
    /// `name` is called with each one's index and its column's name.
    mutating func read(
        _ piece: UnsafeRawBufferPointer, at offset: UInt64, values offsets: [UInt64], budget: inout ScanBudget,
        name: (Int, UnsafeRawBufferPointer) -> Void
    ) {
        guard phase != .none else { return }
        guard offset == walked, charged || budget.charge(CSVColumns.charge) else { return stop(&budget) }
        charged = true
        var i = 0
        if phase == .header {
            i = readHeader(piece)
            guard phase == .rows else {
                if phase == .none { stop(&budget) }
                return
            }
        }
        var k = 0
        while k < offsets.count {
            let target = offsets[k]
            if target >= offset + UInt64(piece.count) { break }
            if target > walked {
                i = walk(piece, from: i, to: Int(target - offset), offset: offset)
                guard phase == .rows else { return stop(&budget) }
            }
            if let column = column(at: target), column < names.count {
                header.withUnsafeBytes { name(k, UnsafeRawBufferPointer(rebasing: $0[names[column]])) }
            }
            k += 1
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
        previousDelimiters = []
        if charged { _ = budget.charge(-CSVColumns.charge) }
        charged = false
    }

    /// The header line: collected up to its line feed, then judged. Returns
    /// the index in `piece` after it (the piece's end while it goes on).
    private mutating func readHeader(_ piece: UnsafeRawBufferPointer) -> Int {
        let room = CSVColumns.maxHeader - header.count
        var end: Int?
        if let base = piece.baseAddress, let hit = memchr(base, 0x0a, min(piece.count, room + 1)) {
            end = base.distance(to: UnsafeRawPointer(hit))
        }
        let take = min(end ?? piece.count, room)
        header.append(contentsOf: UnsafeRawBufferPointer(rebasing: piece[..<take]))
        walked += UInt64(take)
        guard let end, take == end else {
            if header.count >= CSVColumns.maxHeader { phase = .none }
            return piece.count
        }
        walked += 1  // the line feed
        lineStart = walked
        phase = judgeHeader() ? .rows : .none
        return end + 1
    }

    /// Whether the header line names columns; if so, keeps the names.
    private mutating func judgeHeader() -> Bool {
        if header.last == UInt8(ascii: "\r") { header.removeLast() }
        var best = (byte: UInt8(0), count: 0)
        for d in [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")] {
            let n = header.reduce(0) { $1 == d ? $0 + 1 : $0 }
            if n > best.count { best = (d, n) }
        }
        guard best.count >= 1 else { return false }
        delimiter = best.byte
        var cells: [Range<Int>] = []
        var start = 0
        for j in 0...header.count where j == header.count || header[j] == delimiter {
            cells.append(CSVColumns.trimmed(header, start..<j))
            start = j + 1
        }
        let all = header.withUnsafeBytes { h in
            cells.allSatisfy { cell in
                !cell.isEmpty && CSVColumns.words(UnsafeRawBufferPointer(rebasing: h[cell])).allSatisfy(FieldName.plausible)
            }
        }
        let spaced = cells.contains { cell in header[cell].contains(UInt8(ascii: " ")) }
        guard all, cells.count >= 3 || (cells.count == 2 && !spaced) else { return false }
        names = Array(cells.prefix(CSVColumns.maxColumns))
        headerDelimiters = cells.count - 1
        return true
    }

    /// A cell without the blanks and the double quotes around it.
    static func trimmed(_ line: [UInt8], _ cell: Range<Int>) -> Range<Int> {
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

    /// A cell's words, split at single spaces (an empty word for two in a row).
    static func words(_ cell: UnsafeRawBufferPointer) -> [UnsafeRawBufferPointer] {
        cell.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false).map { UnsafeRawBufferPointer(rebasing: $0) }
    }

    /// Walks `piece[from..<to]`, keeping the current and the previous
    /// line's delimiters; a row with another number of cells than the header
    /// ends it (phase `none`; the caller gives the charge back).
    private mutating func walk(_ piece: UnsafeRawBufferPointer, from: Int, to: Int, offset: UInt64) -> Int {
        var j = from
        while j < to {
            let b = piece[j]
            if b == UInt8(ascii: "\"") {
                quoted.toggle()
            } else if !quoted {
                if b == delimiter {
                    lineDelimiters += 1
                    if delimiters.count < CSVColumns.maxColumns { delimiters.append(offset + UInt64(j)) }
                } else if b == UInt8(ascii: "\n") {
                    // An empty line (a last CRLF, a blank separator) is no row.
                    let empty = offset + UInt64(j) - lineStart <= 1 && lineDelimiters == 0
                    guard empty || lineDelimiters == headerDelimiters else {
                        phase = .none
                        return to
                    }
                    lineDelimiters = 0
                    swap(&delimiters, &previousDelimiters)
                    delimiters.removeAll(keepingCapacity: true)
                    previousStart = lineStart
                    previousValid = true
                    lineStart = offset + UInt64(j) + 1
                }
            }
            j += 1
        }
        walked = offset + UInt64(to)
        return to
    }

    /// The column of the value at stream offset `at`, on one of the two lines known.
    private func column(at: UInt64) -> Int? {
        let line: [UInt64]
        if at >= lineStart {
            line = delimiters
        } else if previousValid && at >= previousStart {
            line = previousDelimiters
        } else {
            return nil
        }
        let before = line.reduce(0) { $1 < at ? $0 + 1 : $0 }
        return before < CSVColumns.maxColumns && before <= headerDelimiters ? before : nil
    }
}
