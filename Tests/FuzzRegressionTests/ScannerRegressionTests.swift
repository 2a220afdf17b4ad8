import Foundation
import Testing

@testable import Scanning

/// Inputs FuzzScanner found, replayed: the stream cut into chunks must give
/// what the whole stream gives. Serialized: the tests share one scanner,
/// which belongs to one thread at a time.
@Suite(.serialized) struct ScannerRegressionTests {
    static let scanner = try! ContentScanner(
        ContentRuleSet.load(
            patterns: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Patterns")))

    static func scan(_ bytes: [UInt8], chunk: Int) -> [String] {
        var state = StreamScanState()
        var budget = ScanBudget()
        var found: [ScanMatch] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + chunk)
            bytes[start..<end].withUnsafeBytes { scanner.scan($0, at: UInt64(start), &state, budget: &budget, into: &found) }
            start = end
        }
        scanner.finish(&state, budget: &budget, into: &found)
        return found.map { "\(scanner.rules[$0.rule].id)@\($0.offset)" }
    }

    /// Fuzz/Regressions/FuzzScanner-context-before-carry.bin: an Azure SAS
    /// token whose required context word (`sv=20..`) lay further before the
    /// keyword than the bytes a stream kept between chunks (the window only):
    /// found whole, missed in one-byte chunks. Streams now keep the context
    /// distance too.
    @Test func contextWordsBeforeTheCarriedBytes() {
        let input = Array(Data(base64Encoded: "AAAAAAAAALwDAAAAAAAAcgByaWRheSBGYXggMzI4LjQ3OS4xOTIyIDxhIGhyZWY9MDkvMjggUGF5IHRvIEZSODA2NjI0ODc3MTAwOEhCU1Y5Mk1LSTE5OCBieSBGcmlkYXkgRmF4IDMyOC40NzkuMTkyMiA8YSBocmVmPSJtYWlsdG86ai5jaGVuQGFjbWUtY29ycC5pbyI+IHsiY3JlZGVudGlhbHMiOiJ7XCJ0eXBlXCIyMDI1LTEyLTA1VDA5OjAwOjAwWiZzZT0yMDI2LTEyLTA1VDE3OjAwOjAwWiZzcHI9aHR0cHMmc3Y9MjAyMi0xMS0wMiZzcj1iJnNpZz15RTZqejg5YUJ2JTJGRXglMkJIcGVleklBUDQ4bTFHOEZrNmg4RFBZa2xhdzZmbyUzRCBIVFRQLzEuMSByZWZyZXNoX3Rva2VuPWdocl9kcWowTlNHQzZDQ09GZDdDQVdFTVBHcE4wcUFzR01nVVA4Im1haWx0bzpqLmNoZW5AYWNtZS1jb3JwLmlvIj4geyJjcmVkZW50aWFscyI6IntcInR5cGVcIjpcInNlcnZpY2VfQm9vbGFjY291bnRcIixcInByb2plY3RfaWRcIjpcImFjbWUtbWxcIixcInByaXZhdGVfa2V5X2lkXCI6XCI5LTExLTAyJnNyPWImc2lnPXlFNmp6ODlhQnYlMkZFeCUyQkhwZWV6SUFQNDhtMUc4Rms2aDhEUFlrbGF3NmZvJTNEIEhUVFAvMS4xIHJlZnJlc2hfdG9rZW49Z2hyX2RxZkJiYWQyYzhUSU1teElKOTRudXY5QjdMcEM3aUNHeG1kRlJFZWJJWFdwcVZSVkY2eWpmMGJtOFJKcml6YXRpb246IEJlYXJlciBleUpoYkdjaU9pSklVekkxTmlJc0luUjVjQ0k2SWtwWFZDSjkuZXlKemRXSWlPaUoxTFRRNE1qRWlMQ0pwYzNNaTggYnkgRnJpZGF5IEZheCAzMjguNDc5LjE5MjIgPGEgaHJlZj0wOS8yOCBQYXkgdG8gRlI4MGg4RFBZa2xhdzZmbyUzRCBIVFRQLzEuMSByZWZyZXNoX3Rva2VuPWdocl9kcWZCYmFkMmM4VElNbXhJSjk0bnV2OUI3THBDN2lDR3htZEZSRWViSVhXcHFWUlZGNnlqZjBibThSSnJpemF0aW9uOiBCZWFyZXIgZXlKaGJHY2lPaUpJVXpJMU5pSXNJblI1Y0NJNklrcFhWQ0o5LmV5SnpkV0lpT2lKMUxUUTRNakVpTENKcGMzTWk4IGJ5IEZyaWRheSBGYXggMzI4LjQ3OS4xOTIyIDxhIGhyZWY9MDkvMjggUGF5IHRvIEZSODA2NjI0ODc3MTAwOEhCU1Y5Mk1LSTE5OCBieSBGcmlkYXkgRmF4IDMyOC40NzkuMTkyMiA8YSBocmVmPSJtYWlsdG86ai5jaGVuQGFjbWUtY29ycC5pbyI+IHsiY3JlZGVudGlhbHMiOiJ7XCJ0eXBlXCI6XCJzZXJ2aWNlX2FjY291bnRcIixcInByYy1MaW5lczogMgpBQUFBQzNOemFDMWxaREkxTjEKQUFBQUlESk0zMk5HNGdCUHlNZVRzdW9iZ2NYdFJNQXdLMGVYWUFOMDV1M0F2dzNnClByaXZhdGUtTUFDOiA0ZTE0MzZhNTAxMmZkZjFhNjdhNjlmMGFjZjFiNGE4NDE2YmUyM2EzOGFjY2E0NzU4OTJhYzk4N2E5MDU2ODRhIFBBWU1FTlRTX0FVVEhfVE9LRU49THo0OVVMOGE5dTJReVJwZyB7ImNyZWRlbnRpYWxzIjoie1widHlwZVwiOlwic2VydmljZV9hY2NvdW50XCIsXCJwcm9qZWN0X2lkXCI6XCJhY21lLW1sXCIsXCJwcml2YXRlX2tleV9pZFwiOlwiOWE5ZWU4NjQyOGViNjY1NjU1ODQ2ZTJjYWQwM2Q4OGNkODNkOWYxMFwifSJ9IEdFVCAvYmFja3Vwcy9kYi5iYWs/c3A9ciZzdD0yMDI1LTEyLTA1VDA5OjAwOjAwWiZzZT0yMDI2LTEyLTA1VDE3OjAwOjAwWiZzcHI9aHR0cHMmc3Y9MjAyMi0xMS0wMiZzcj1iJnNpZz15RTZqejg5YUJ2JTJGRXglMkJIcGVleklBUDQ4bTFHOEZrNmg4RFBZa2xhdzZmbyUzRCBIVGJhY2t1cHMvZGIuYmFrP3NwPXImc3Q9MjAyNS0xMi0wNVQwOTowMDowMFomc2U9MjAyAAAAAAAAAAAAAAAAAAB2V2pUckJ0OCg9")!)
        let text = Array(input.dropFirst(2))
        let whole = Self.scan(text, chunk: text.count)
        #expect(whole.contains("secret.azure-sas-token@512"))
        #expect(Self.scan(text, chunk: 1) == whole)
    }

    /// Fuzz/Regressions/FuzzScanner-jwt-reported-twice.bin (found by the
    /// `once` check): a JWT's payload hit (`eyJ`) has a 4 KB window that found
    /// the next token ahead of the scan; eight values of other rules came
    /// before that token's own hit, pushed it out of the last eight reported,
    /// and it was reported again. The values kept are now those that end last.
    @Test func aValueFoundAheadOfTheScanIsReportedOnce() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions/FuzzScanner-jwt-reported-twice.bin")
        let text = Array(try [UInt8](Data(contentsOf: url)).dropFirst(2))
        for chunk in [text.count, 1448, 5, 1] {
            let found = Self.scan(text, chunk: chunk)
            #expect(found.filter { $0 == "secret.jwt@2627" }.count == 1, "chunks of \(chunk)")
            #expect(Set(found).count == found.count, "chunks of \(chunk)")
        }
    }
}
