import Testing
@testable import Inspection
import Scanning

/// CSVColumns on tables built here: a header that names columns (RFC 4180
/// quoting, `;` and tab delimiters, names with spaces), lines that are not a
/// header, values named on every cut of the stream into two pieces, and the
/// budget charged and given back.
@Suite struct CSVColumnsTests {
    /// Feeds `text` in pieces cut at `cuts`, asking for the columns of the
    /// values at `at` (stream offsets); returns the names found, by offset.
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

    @Test func valuesAreNamedByTheirColumn() {
        let at = ["dana@", "4069", "600-69", "jo@x"].map { Self.offset($0) }
        let expected = [at[0]: "email", at[1]: "card_number", at[2]: "ssn", at[3]: "email"]
        #expect(Self.names(Self.table, at: at) == expected, "a delimiter inside quotes does not count")
        for cut in 1..<Self.table.utf8.count {
            #expect(Self.names(Self.table, cuts: [cut], at: at) == expected, "cut at \(cut)")
        }
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
    /// line longer than `maxHeader`, a letter's first lines; not a table: a
    /// row with fewer cells than the header.
    @Test(arguments: [
        "4821,Dana,dana@corp-mail.io\n4822,Jo,jo@x.io\n",
        "Hi Dana, thanks\nyour address dana@corp-mail.io, ok\n",
        "id,name,email\n1,Jo\n2,Dana,dana@corp-mail.io\n",
        "email\ndana@corp-mail.io\n",
        "id,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\n1,dana@corp-mail.io\n",
        String(repeating: "a", count: 1100) + ",b\n1,dana@corp-mail.io\n",
    ])
    func linesThatAreNotAHeaderNameNothing(_ text: String) {
        #expect(Self.names(text, at: [Self.offset("dana@", in: text)]).isEmpty)
    }

    /// A value judged late, on a line before the one being read, is still
    /// named; two lines back it is not.
    @Test func aValueTwoLinesBackIsNotNamed() {
        let text = "id,email\n1,a@b.io\n2,c@d.io\n3,e@f.io\n"
        var csv = CSVColumns()
        var budget = ScanBudget()
        var named: [String] = []
        Array(text.utf8).withUnsafeBytes { all in
            csv.read(all, at: 0, values: [], budget: &budget) { _, _ in }
            let values = [Self.offset("c@d", in: text), Self.offset("e@f", in: text)].map(UInt64.init)
            csv.read(UnsafeRawBufferPointer(start: nil, count: 0), at: UInt64(all.count), values: values, budget: &budget) {
                _, name in named.append(String(decoding: name, as: UTF8.self))
            }
        }
        // The walk ended after the last line feed: the line being read is
        // empty, the one before is "3,e@f.io".
        #expect(named == ["email"])
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
