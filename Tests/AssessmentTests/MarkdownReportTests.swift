import Testing
@testable import Assessment

@Suite struct MarkdownReportTests {
    @Test func networkTextCannotAddLinksHTMLOrCells() throws {
        var report = AssessmentReport(title: "t", generatedAt: "2026-12-05T02:30:00Z")
        report.newExposures = [AssessmentReport.ExposureRow(
            key: "k", rule: "secret.test", category: "secret", severity: "high", service: "tcp 192.0.2.1:80",
            message: "value [click](http://evil.example) <img src=x onerror=alert(1)> | extra cell",
            evidence: "ab`|**", count: 1, firstSeen: "2026-12-04T10:00:00Z", lastSeen: "2026-12-04T10:00:00Z")]
        let md = MarkdownReport.render(report)
        let row = try #require(md.split(separator: "\n").first { $0.contains("secret.test") })
        #expect(row.contains("\\[click\\](http\\:\\/\\/evil.example)"), "no link, no autolink")
        #expect(row.contains("\\<img src=x onerror=alert(1)\\>"))
        #expect(!row.replacingOccurrences(of: "\\<", with: "").contains("<"), "every < escaped")
        #expect(row.contains("`ab'\\|**`"), "evidence in a code span, its backtick replaced and its pipe escaped")
        let cells = row.replacingOccurrences(of: "\\|", with: "").split(separator: "|", omittingEmptySubsequences: false)
        #expect(cells.count == 9, "seven cells and the two outer bars: \(row)")
    }

    @Test func emptySectionsSaySoAndTheThresholdVerdictIsStated() {
        var report = AssessmentReport(title: "Nightly", generatedAt: "2026-12-05T02:30:00Z")
        report.summary.threshold = "high"
        report.summary.newAtOrAboveThreshold = 3
        let md = MarkdownReport.render(report)
        #expect(md.contains("## New since the baseline\n\nNone."))
        #expect(md.contains("**3 new exposures at or above high: the run fails.**"))
        #expect(md.contains("no baseline (first run)"))
    }
}

extension MarkdownReportTests {
    @Test func longTablesShowTheirFirstRowsAndCountTheRest() {
        var report = AssessmentReport(title: "t", generatedAt: "2026-12-05T02:30:00Z")
        report.credentials = (0..<(MarkdownReport.maxRows + 7)).map {
            AssessmentReport.CredentialRow(
                rule: "credential.http-basic", severity: "high", service: "tcp 192.0.2.\($0 % 250):80", evidence: "********",
                fingerprint: "hmac-sha256:\($0)", count: 1, lastSeen: "2026-12-04T10:00:00Z")
        }
        let md = MarkdownReport.render(report)
        #expect(md.components(separatedBy: "| high | credential.http-basic").count - 1 == MarkdownReport.maxRows)
        #expect(md.contains("… and 7 more, not shown here: report.json lists every one."))
    }
}

extension MarkdownReportTests {
    /// An SNI is any printable ASCII the client chose: backticks and pipes included.
    @Test func anSNIMadeOfBackticksAndPipesStaysInItsCell() throws {
        var report = AssessmentReport(title: "t", generatedAt: "2026-12-05T02:30:00Z")
        report.tls = [AssessmentReport.TLSRow(
            service: "tcp 10.0.0.9:443", sni: ["`| <img src=x onerror=alert(1)> | [click here](https://evil.example/) |`"],
            versions: ["TLSv1.2"], ciphers: [], certificate: nil, findings: [], worstSeverity: nil)]
        let md = MarkdownReport.render(report)
        let row = try #require(md.split(separator: "\n").first { $0.contains("10.0.0.9") })
        let cells = row.replacingOccurrences(of: "\\|", with: "").split(separator: "|", omittingEmptySubsequences: false)
        #expect(cells.count == 7, "five cells: \(row)")
        #expect(!row.replacingOccurrences(of: "\\<", with: "").contains("<"))
        #expect(!row.contains("https://"))
    }
}
