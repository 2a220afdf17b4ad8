import Foundation
import Testing

/// `Captures/utf16-content.pcap`, recorded on loopback (`RECORD_ONLY=utf16content
/// Captures/record.sh`): fake values in UTF-16LE, which no rule reads as sent.
/// 18102: curl downloads an Excel-style "Unicode text" export (byte order mark,
/// tab-separated: `name`, `email`, `card_number`, `aws_access_key_id`, two rows)
/// from a python HTTP server. 18103: a scripted SQL Server (TDS) exchange — no
/// SQL Server here — a SQL batch whose query holds an e-mail address, and a
/// result row with it and a card number, each value led by its length in bytes
/// (the address's, 52, reads as the character `4`).
struct UTF16ContentCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("utf16-content.pcap")

    /// rule, value, server port, source, field (nil: none). The first row's card
    /// and key are judged after the second row was read (their rules look past them).
    static let planted: [(String, String, Int, String, String?)] = [
        ("pii.email", "marta.kowalczyk@corp-mail.io", 18102, "http-response-body", "email"),
        ("pii.email", "tomas.lindqvist@corp-mail.io", 18102, "http-response-body", "email"),
        ("pii.payment-card", "4556820855197399", 18102, "http-response-body", "card_number"),
        ("pii.payment-card", "5312083725117590", 18102, "http-response-body", "card_number"),
        ("secret.aws-access-key-id", "AKIAB2QPARU2UT7JYRDB", 18102, "http-response-body", "aws_access_key_id"),
        ("secret.aws-access-key-id", "AKIAUQNEK2RI2OL6WXJ2", 18102, "http-response-body", "aws_access_key_id"),
        ("pii.email", "oskar.brennan@corp-mail.io", 18103, "utf16-text", nil),
        ("pii.payment-card", "4556889949796516", 18103, "utf16-text", nil),
    ]

    static func utf16(_ text: String) -> Data { Data(Array(text.utf16).flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }) }

    @Test func whatTheWireShows() throws {
        let bytes = try Data(contentsOf: Self.capture)
        for (rule, value, _, _, _) in Self.planted {
            #expect(bytes.range(of: Data(value.utf8)) == nil, "\(rule): not readable as sent")
            #expect(bytes.range(of: Self.utf16(value)) != nil, "\(rule): in UTF-16LE")
        }
        #expect(bytes.range(of: Data([0x34, 0x00]) + Self.utf16("oskar.brennan@")) != nil, "the address's length reads as a `4`")
    }

    @Test func everyPlantedValueIsFoundNamedAndRedacted() throws {
        let run = try plainsight(["read", Self.capture.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let found = run.records.filter { ["pii", "secret"].contains($0["category"] as? String ?? "") }
        #expect(found.count == Self.planted.count, "one finding per value, no more: \(found.map { $0["rule"] ?? "" })")
        for (rule, value, port, source, field) in Self.planted {
            let matching = found.filter { record in
                let details = record["details"] as? [String: String] ?? [:]
                return record["rule"] as? String == rule && serverPort(record) == port && details["source"] == source
                    && details["value_length"] == String(value.utf8.count) && details["field"] == field
                    && Self.shows(record["evidence"] as? String ?? "", value)
            }
            #expect(matching.count == 1, "\(rule) \(value.suffix(4)) on \(port) from \(source), field \(field ?? "none")")
        }
        for (_, value, _, _, _) in Self.planted {
            #expect(!run.stdout.contains(value), "redacted without --reveal")
        }
        let stats = try #require(run.records.last { $0["type"] as? String == "stats" })
        let content = try #require(stats["content"] as? [String: Any])
        #expect((content["streams"] as? [String: Int])?["utf16-text"] == 2, "the TDS flow's two directions")
        #expect((content["scan"] as? [String: Int])?["binary_streams"] == 0, "the export is not judged binary")
    }

    /// Whether masked evidence shows `value`'s ends: its last four characters, and its first unless masked.
    static func shows(_ evidence: String, _ value: String) -> Bool {
        evidence.hasSuffix(String(value.suffix(4))) && (evidence.first == "*" || evidence.first == value.first)
    }

    func serverPort(_ record: [String: Any]) -> Int? {
        ((record["flow"] as? [String: Any])?["server"] as? [String: Any])?["port"] as? Int
    }
}

/// nDPI's `mssql_tds.pcap` (../shared): real SQL Server sessions whose RPC
/// parameters carry, in UTF-16LE, a Polish organisation's contact address.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: Paths.realCaptures.path),
                "../shared/captures/real is absent (a fresh clone): the real TDS capture is skipped"))
struct UTF16RealCaptureTests {
    @Test func anAddressInARealSQLServerSessionIsFound() throws {
        let capture = Paths.realCaptures.appendingPathComponent("ndpi__mssql_tds.pcap")
        let run = try plainsight(["read", capture.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let found = run.records.filter { ($0["category"] as? String) == "pii" }
        #expect(found.map { $0["rule"] as? String } == ["pii.email"])
        #expect((found.first?["details"] as? [String: String])?["source"] == "utf16-text")
        #expect(!run.stdout.contains("skpt@skpt.gdansk.pl"), "redacted")
        // Plain ASCII scanning never saw it: the address is only on the wire in UTF-16LE.
        let bytes = try Data(contentsOf: capture)
        #expect(bytes.range(of: Data("skpt@skpt.gdansk.pl".utf8)) == nil)
        #expect(bytes.range(of: UTF16ContentCaptureTests.utf16("skpt@skpt.gdansk.pl")) != nil)
    }
}
