import Testing
@testable import Inspection
import Scanning

/// CSVColumns on tables built here: a header that names columns (RFC 4180
/// quoting, `;` and tab delimiters, names with spaces, a byte order mark),
/// lines that are not a header (a letter, a headerless file's first row),
/// rows that are not the header's shape, values named on every cut of the
/// stream into two pieces, and the budget charged and given back.
@Suite struct CSVColumnsTests {
    /// Feeds `text` in pieces cut at `cuts`, asking for the columns of the
    /// values at `at` (stream offsets) with each piece until they are named
    /// (as values judged late are); returns the names found, by offset.
    static func names(_ text: String, cuts: [Int] = [], at values: [Int]) -> [Int: String] {
        let bytes = Array(text.utf8)
        var csv = CSVColumns()
        var budget = ScanBudget()
        var found: [Int: String] = [:]
        var start = 0
        for end in cuts + [bytes.count] {
            let inPiece = values.filter { $0 < end }.filter { found[$0] == nil }.map { UInt64($0) }
            bytes[start..<end].withUnsafeBytes { piece in
                csv.read(piece, at: UInt64(start), values: inPiece, budget: &budget) { k, name in
                    found[Int(inPiece[k])] = String(decoding: name, as: UTF8.self)
                }
            }
            start = end
        }
        csv.stop(&budget)
        #expect(budget.bytes == 0, "the charge goes back")
        return found
    }

    static let table = "id,first_name,email,card_number,ssn\r\n4821,Dana,dana@corp-mail.io,4069006792188143,600-69-6960\r\n"
        + "4822,\"Lee, Jo\",\"jo@x.io\",,\r\n"

    static func offset(_ needle: String, in text: String = table) -> Int {
        text.utf8.count - text.split(separator: needle, maxSplits: 1, omittingEmptySubsequences: false)[1].utf8.count - needle.utf8.count
    }

    /// Each value asked for once, with the piece it is in (as the scanner
    /// reports most): a value whose row the piece cuts is not named.
    static func namesAskedOnce(_ text: String, cut: Int, at values: [Int]) -> [Int: String] {
        let bytes = Array(text.utf8)
        var csv = CSVColumns()
        var budget = ScanBudget()
        var found: [Int: String] = [:]
        for (start, end) in [(0, cut), (cut, bytes.count)] {
            let inPiece = values.filter { $0 >= start && $0 < end }.map { UInt64($0) }
            bytes[start..<end].withUnsafeBytes { piece in
                csv.read(piece, at: UInt64(start), values: inPiece, budget: &budget) { k, name in
                    found[Int(inPiece[k])] = String(decoding: name, as: UTF8.self)
                }
            }
        }
        csv.stop(&budget)
        return found
    }

    @Test func valuesAreNamedByTheirColumn() {
        let at = ["dana@", "4069", "600-69", "jo@x"].map { Self.offset($0) }
        let expected = [at[0]: "email", at[1]: "card_number", at[2]: "ssn", at[3]: "email"]
        #expect(Self.names(Self.table, at: at) == expected, "a delimiter inside quotes does not count")
        let rows = Self.table.utf8.indices.filter { Self.table.utf8[$0] == UInt8(ascii: "\n") }
            .map { Self.table.utf8.distance(from: Self.table.utf8.startIndex, to: $0) }
        for cut in 1..<Self.table.utf8.count {
            #expect(Self.names(Self.table, cuts: [cut], at: at) == expected, "cut at \(cut)")
            // Asked once: named unless the cut falls between the value and its row's end.
            let once = Self.namesAskedOnce(Self.table, cut: cut, at: at)
            let cutRow = at.filter { a in a < cut && !rows.contains { $0 >= a && $0 < cut } }
            #expect(once == expected.filter { !cutRow.contains($0.key) }, "asked once, cut at \(cut)")
        }
    }

    /// RFC 4180: a quote opens a quoted cell only at a cell's start (an inch
    /// mark does not); `""` in a quoted cell is a quote; a line feed in one
    /// does not end the row. A byte order mark before the header is dropped.
    @Test(arguments: [
        ("name,height,email\nDana,5'10\",dana@x.io\nBob,6\",bob@y.io\n", ["dana@x.io", "bob@y.io"]),
        ("id,note,email\n1,\"say \"\"hi\"\"\nthere, now\",z@y.io\n2,,w@v.io\n", ["z@y.io", "w@v.io"]),
        ("\u{FEFF}id,email\n1,a@b.io\n", ["a@b.io"]),
    ])
    func quotesAndMarks(_ text: String, _ values: [String]) {
        let at = values.map { Self.offset($0, in: text) }
        #expect(Self.names(text, at: at) == Dictionary(uniqueKeysWithValues: at.map { ($0, "email") }))
    }

    @Test(arguments: [
        ("Customer ID;E-mail Address;Phone\n1;a@b.io;+1 555\n", "a@b.io", "E-mail Address"),
        ("\"id\"\t\"email\"\n7\tz@y.io\n", "z@y.io", "email"),
        ("name|iban\nJo|DE89 3704\n", "DE89", "iban"),
    ])
    func otherDelimitersAndQuotedNames(_ text: String, _ value: String, _ column: String) {
        let at = Self.offset(value, in: text)
        #expect(Self.names(text, at: [at]) == [at: column])
    }

    /// Not a header: a line of data, one cell, a name that is a token, a
    /// line longer than `maxHeader`, a letter's first lines, a headerless
    /// file's first row (a password in it), a name of more than three words;
    /// not a table: a row with fewer cells than the header, before the value
    /// or on its own row, a last line without its line feed.
    @Test(arguments: [
        "4821,Dana,dana@corp-mail.io\n4822,Jo,jo@x.io\n",
        "Hi Dana, thanks\nyour address dana@corp-mail.io, ok\n",
        "Hi Dana, as promised, here are my details\nMy address is dana@corp-mail.io\n",
        "jsmith,Winter2024\nadoe,dana@corp-mail.io\n",
        "id,word word word word,x\n1,dana@corp-mail.io,2\n",
        "id,name,email\n1,Jo\n2,Dana,dana@corp-mail.io\n",
        "id,email,ssn\nReach me at dana@corp-mail.io\n",
        "id,name,email\ndana@corp-mail.io\n",
        "id,email\n1,a@b.io\nsee dana@corp-mail.io",
        "email\ndana@corp-mail.io\n",
        "id,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\n1,dana@corp-mail.io\n",
        String(repeating: "a", count: 1100) + ",b\n1,dana@corp-mail.io\n",
    ])
    func linesThatAreNotAHeaderNameNothing(_ text: String) {
        #expect(Self.names(text, at: [Self.offset("dana@", in: text)]).isEmpty)
    }

    /// A value judged late, on one of the `keptRows` lines before the one
    /// being read, is still named (short rows go by while the scanner waits
    /// for a hit's window); further back it is not.
    @Test func valuesJudgedLateAreNamedUpToTheKeptRows() {
        let rows = (1...10).map { "\($0),u\($0)@b.io\n" }
        let text = "id,email\n" + rows.joined()
        var csv = CSVColumns()
        var budget = ScanBudget()
        var named: [Int] = []
        Array(text.utf8).withUnsafeBytes { all in
            csv.read(all, at: 0, values: [], budget: &budget) { _, _ in }
            let values = (1...10).map { UInt64(Self.offset("u\($0)@", in: text)) }
            csv.read(UnsafeRawBufferPointer(start: nil, count: 0), at: UInt64(all.count), values: values, budget: &budget) {
                k, name in
                #expect(String(decoding: name, as: UTF8.self) == "email")
                named.append(k + 1)
            }
        }
        // The walk ended after the last line feed: the line being read is
        // empty, the eight before it are rows 3 to 10.
        #expect(named == Array((10 - CSVColumns.keptRows + 1)...10))
        csv.stop(&budget)
        #expect(budget.bytes == 0)
    }

    @Test func aFullBudgetNamesNothing() {
        var csv = CSVColumns()
        var budget = ScanBudget(maxBytes: CSVColumns.charge - 1)
        var named = 0
        Array(Self.table.utf8).withUnsafeBytes {
            csv.read($0, at: 0, values: [UInt64(Self.offset("dana@"))], budget: &budget) { _, _ in named += 1 }
        }
        #expect(named == 0 && csv.phase == .none && budget.bytes == 0 && budget.capHits == 1)
    }
}
