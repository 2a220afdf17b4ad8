import Foundation
import Testing
@testable import Assessment

/// The HTML page as text: sections, stable ids, escaping, empty sections,
/// no external reference. (`HTMLReportBrowserTests` checks the rendered page.)
@Suite struct HTMLReportTests {
    static let sectionsInReadingOrder = [
        "summary", "trend", "new", "top-services", "tls", "certificates", "credentials", "data-exposures", "still-open",
        "resolved", "unobserved", "accepted-risks", "exposures", "inventory",
    ]

    /// Also writes the page to `PLAINSIGHT_REPORT_HTML_OUT` when that is set
    /// (mode 0600): `scripts/report-screenshot.sh` makes the README's screenshot from it.
    @Test func rendersEverySectionInReadingOrder() throws {
        let html = HTMLReport.render(SampleReport.value)
        let positions = Self.sectionsInReadingOrder.map { html.range(of: "<section id=\"\($0)\"")?.lowerBound }
        #expect(!positions.contains(nil), "missing: \(zip(Self.sectionsInReadingOrder, positions).filter { $0.1 == nil }.map(\.0))")
        let found = positions.compactMap { $0 }
        #expect(found == found.sorted())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<title>Nightly assessment — corp network, 2026-12-04</title>"))

        if let path = ProcessInfo.processInfo.environment["PLAINSIGHT_REPORT_HTML_OUT"], !path.isEmpty {
            try writePrivately(html, to: path)
        }
    }

    @Test func summaryNumbersAndSectionCountsCarryStableIds() {
        let html = HTMLReport.render(SampleReport.value)
        for entry in SampleReport.headline {
            #expect(html.contains("data-metric=\"\(entry.metric)\"><span class=\"value\" id=\"metric-\(entry.metric)\">\(entry.value)</span>"))
        }
        #expect(html.contains("<span data-metric=\"flows\"><b>18,342</b> flows</span>"))
        #expect(html.contains("data-metric=\"new-at-or-above-threshold\" data-value=\"3\""))
        #expect(html.contains("data-severity=\"critical\">critical<b>1</b>"))
        #expect(html.contains("data-severity=\"high\">high<b>6</b>"))
        #expect(html.contains("data-category=\"cleartext\">cleartext<b>4</b>"))
        for (id, count) in [("new", 5), ("still-open", 8), ("resolved", 2), ("unobserved", 1), ("certificates", 4), ("exposures", 13)] {
            #expect(html.contains("<section id=\"\(id)\" data-count=\"\(count)\">"), "section \(id)")
        }
        // Every exposure of this run appears once in the detailed section, grouped by rule, worst rule first.
        let detail = String(html[html.range(of: "<section id=\"exposures\"")!.lowerBound...])
        let rules = detail.matches(of: /<article class="rule" data-severity="([a-z]+)" data-rule="([^"]+)"/).map { String($0.output.1) }
        #expect(rules.first == "critical")
        #expect(rules.map { rank($0) } == rules.map { rank($0) }.sorted(by: >))
        #expect(rules.count == Set(SampleReport.newExposures.map(\.rule) + SampleReport.stillOpen.map(\.rule)).count)
        #expect(detail.matches(of: /<tr data-key="/).count == 13)
    }

    /// Strings from the network (evidence, messages, service names, SNI,
    /// certificate subjects) and from the report file cannot add markup:
    /// every tag on the page is one the renderer writes, none has an event
    /// handler, and the hostile text is there, escaped.
    @Test func reportTextCannotBecomeMarkup() {
        let html = HTMLReport.render(HostileReport.value)
        #expect(!html.localizedCaseInsensitiveContains("<script"))
        #expect(!html.localizedCaseInsensitiveContains("<img"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("&#39;-alert(1)-&#39;"))

        let tags = Self.tags(html)
        let names = Set(tags.map { String($0.prefix { $0.isLetter || $0.isNumber }).lowercased() })
        #expect(names.isSubset(of: Self.tagsTheRendererWrites), "unexpected: \(names.subtracting(Self.tagsTheRendererWrites))")
        let handlers = tags.filter { $0.firstMatch(of: /\son[a-z]+\s*=/.ignoresCase()) != nil }
        #expect(handlers.isEmpty, "event handlers: \(handlers.prefix(3))")
        // A bidirectional override cannot reorder what the reader sees.
        #expect(!html.unicodeScalars.contains("\u{202E}"))
        #expect(html.contains("invoice\u{FFFD}fdp.exe"))
    }

    /// Each start tag's name and attributes, with the quoted values emptied: a
    /// value is text, and escaping keeps any `"` in it from ending it early.
    static func tags(_ html: String) -> [String] {
        html.matches(of: /<([a-zA-Z][^>]*)>/).map { String($0.output.1).replacing(/"[^"]*"/, with: "\"\"") }
    }

    static let tagsTheRendererWrites: Set<String> = [
        "html", "head", "meta", "title", "style", "body", "main", "header", "footer", "nav", "section", "article", "div", "span",
        "p", "b", "i", "a", "br", "h1", "h2", "h3", "dl", "dt", "dd", "code", "time", "table", "thead", "tbody", "tr", "th", "td",
        "figure", "figcaption", "svg", "line", "rect", "circle", "path", "text",
    ]

    /// The page loads nothing: a CSP that forbids it, and no attribute or style that would ask.
    @Test func refersToNothingOutsideThePage() {
        for report in [SampleReport.value, HostileReport.value] {
            let html = HTMLReport.render(report)
            #expect(html.contains(
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"))
            // Escaped report text holds no `<`, so every tag is the renderer's: look at their attributes.
            let loading = Self.tags(html).filter {
                $0.firstMatch(of: /\s(src|srcset|action|formaction|poster|data|xlink:href)\s*=/.ignoresCase()) != nil
            }
            #expect(loading.isEmpty, "\(loading.prefix(3))")
            let hrefs = html.matches(of: /<[a-zA-Z][^>]*?\shref="([^"]*)"/).map { String($0.output.1) }
            #expect(!hrefs.isEmpty)
            #expect(hrefs.allSatisfy { $0.hasPrefix("#") }, "\(hrefs.filter { !$0.hasPrefix("#") })")
            #expect(html.firstMatch(of: /url\s*\(|@import|<link|<iframe|<object|<embed/.ignoresCase()) == nil)
        }
        // The sample's strings hold no address, so the page names no scheme at all.
        #expect(HTMLReport.render(SampleReport.value).firstMatch(of: /https?:|\/\/[a-z]/.ignoresCase()) == nil)
    }

    @Test func exposureTablesListTheWorstFirstKeepingTheOrderWithinASeverity() throws {
        var report = SampleReport.value
        report.newExposures.reverse()  // cleartext.ftp (medium) … secret (critical)
        let html = HTMLReport.render(report)
        let start = try #require(html.range(of: "<section id=\"new\"")).upperBound
        let section = html[start..<html[start...].range(of: "</section>")!.lowerBound]
        let keys = section.matches(of: /<tr data-key="([^"]+)"/).map { String($0.output.1) }
        let n = SampleReport.newExposures
        // high and medium pairs keep the reversed order they came in.
        #expect(keys == [n[0].key, n[2].key, n[1].key, n[4].key, n[3].key])
    }

    @Test func longTablesShowTheirFirstRowsAndCountTheRest() throws {
        var report = SampleReport.value
        let row = report.newExposures[0]
        report.newExposures = (0..<(HTMLReport.maxRows + 42)).map { i in
            var copy = row
            copy.key = "K\(i)"
            return copy
        }
        let html = HTMLReport.render(report)
        let start = try #require(html.range(of: "<section id=\"new\"")).upperBound
        let section = html[start..<html[start...].range(of: "</section>")!.lowerBound]
        #expect(section.matches(of: /<tr data-key=/).count == HTMLReport.maxRows)
        #expect(section.contains("<p class=\"more\" data-hidden=\"42\">… and 42 more, not shown here: report.json lists every one.</p>"))
        #expect(html.contains("<section id=\"new\" data-count=\"\(HTMLReport.maxRows + 42)\">"), "the section still counts them all")
    }

    @Test func emptySectionsSaySoInOneLine() {
        let html = HTMLReport.render(AssessmentReport(title: "Nothing", generatedAt: "2026-12-05T02:30:00Z"))
        for id in Self.sectionsInReadingOrder where id != "summary" {
            let start = html.range(of: "<section id=\"\(id)\"")!.upperBound
            let section = html[start..<html[start...].range(of: "</section>")!.lowerBound]
            #expect(section.matches(of: /<p class="empty">[^<]+<\/p>/).count == 1, "section \(id)")
            #expect(!section.contains("<table"), "section \(id)")
        }
        #expect(html.contains("<p class=\"empty\">No runs recorded yet.</p>"))
        #expect(html.contains("id=\"report-baseline\">none (nothing to compare with)</dd>"))
        #expect(html.contains("There is no baseline, so every exposure of this run counts as new"))
    }

    @Test func aSingleRunDrawsOneStackedBar() throws {
        var report = AssessmentReport(title: "First run", generatedAt: "2026-12-05T02:30:00Z")
        report.trend = [.init(runAt: "2026-12-05T02:30:00Z", window: "2026-12-04", exposures: 7,
                              bySeverity: ["high": 2, "medium": 5, "bogus": 0], new: 7, resolved: 0)]
        let html = HTMLReport.render(report)
        let chart = try #require(html.firstMatch(of: /<svg [^>]*data-chart="trend"[\s\S]*?<\/svg>/)).output
        let bars = chart.matches(of: /<rect x="([0-9.]+)" y="([0-9.]+)" width="([0-9.]+)" height="([0-9.]+)" fill="(#[0-9a-f]{6})" data-severity="([a-z]+)"/)
        #expect(bars.map { String($0.output.6) } == ["high", "medium"])
        #expect(bars.map { String($0.output.5) } == [HTMLReport.severityFill("high"), HTMLReport.severityFill("medium")])
        // Stacked: medium sits on high, high on the axis; 5 is 2.5 times 2.
        let high = bars[0].output, medium = bars[1].output
        #expect(abs(Double(medium.2)! + Double(medium.4)! - Double(high.2)!) < 0.15)
        #expect(abs(Double(medium.4)! / Double(high.4)! - 2.5) < 0.05)
        #expect(Double(high.3)! <= 46)
        #expect(chart.contains(">2026-12-04</text>"))
        #expect(chart.contains(">7</text>"))
    }

    /// Expired red, expiring amber, valid green; a certificate beyond the axis is an arrow at its edge.
    @Test func expiryTimelineMarksEachCertificateByStatus() throws {
        let html = HTMLReport.render(SampleReport.value)
        let chart = try #require(html.firstMatch(of: /<svg [^>]*data-chart="expiry-timeline"[\s\S]*?<\/svg>/)).output
        let circles = chart.matches(of: /<circle cx="([0-9.]+)"[^>]*fill="(#[0-9a-f]{6})"[^>]*data-status="([a-z]+)"/)
        #expect(circles.map { String($0.output.3) } == ["expired", "expiring", "expiring"])
        #expect(circles.map { String($0.output.2) } == ["expired", "expiring", "expiring"].map(HTMLReport.certificateFill))
        let x = circles.map { Double($0.output.1)! }
        #expect(x == x.sorted() && Set(x).count == 3)
        let arrows = chart.matches(of: /<path d="[^"]*" fill="(#[0-9a-f]{6})" data-status="([a-z]+)"/)
        #expect(arrows.map { String($0.output.2) } == ["valid"])
        #expect(chart.contains(">784 d left</text>"))
        #expect(chart.contains(">-15 d</text>"))
        #expect(chart.contains(">today 2026-12-05</text>"))
    }

    /// The report file is input too: absurd counts and days render, they do not trap.
    @Test func extremeNumbersRenderWithoutTrapping() {
        var report = SampleReport.value
        report.summary.exposures = Int.min
        report.summary.bySeverity = ["high": Int.max, "low": Int.max]
        report.trend[0].bySeverity = ["high": Int.max, "medium": Int.max, "low": -5]
        report.trend[0].exposures = Int.max
        report.certificates[0].daysLeft = Int.min
        report.certificates[3].daysLeft = Int.max
        report.topServices[0].exposures = Int.max
        report.summary.expiryDays = Int.max
        report.credentials[1].rule = report.credentials[0].rule
        report.credentials[0].count = Int.max
        report.credentials[1].count = Int.max
        report.newExposures[1].rule = report.newExposures[0].rule
        report.newExposures[0].count = Int.max
        report.newExposures[1].count = Int.max
        let html = HTMLReport.render(report)
        #expect(html.contains("id=\"metric-exposures\">-9,223,372,036,854,775,808</span>"))
        #expect(html.contains(">\(Int.max)</text>"))
        #expect(html.firstMatch(of: /="-?(nan|inf)"/) == nil)
    }

    @Test func countsAreGroupedAndTimesShortened() {
        #expect(HTMLReport.count(0).html == "0")
        #expect(HTMLReport.count(999).html == "999")
        #expect(HTMLReport.count(1_000).html == "1,000")
        #expect(HTMLReport.count(18_342).html == "18,342")
        #expect(HTMLReport.count(-1_234_567).html == "-1,234,567")
        #expect(HTMLReport.time("2026-12-04T16:28:42.071327Z").html
            == "<time datetime=\"2026-12-04T16:28:42.071327Z\" title=\"2026-12-04T16:28:42.071327Z\">2026-12-04 16:28</time>")
        #expect(HTMLReport.time("last <b>week</b>").html == "last &lt;b&gt;week&lt;/b&gt;")
        #expect([0, 5, 6, 10, 11, 13, 60, 101].map(HTMLReport.tickStep) == [1, 1, 2, 2, 5, 5, 20, 50])
    }
}

/// Writes a report with mode 0600 (it describes exposures), replacing any file there.
func writePrivately(_ text: String, to path: String) throws {
    try? FileManager.default.removeItem(atPath: path)
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
    }
}

/// A report whose every string is attacker-chosen markup.
enum HostileReport {
    static let script = "<script>alert(1)</script>"
    static let breakout = "\"><img src=x onerror=alert(1)>"
    static let quote = "'-alert(1)-'"

    static var value: AssessmentReport {
        let payload = script + breakout + quote
        var report = SampleReport.value
        report.title = payload
        report.inputs = [payload]
        report.policy = payload
        report.baseline = payload
        report.window = .init(label: payload, from: payload, to: payload)
        report.summary.bySeverity[payload] = 1
        report.summary.byCategory[payload] = 1
        report.summary.threshold = payload
        let hostileRow = { (row: AssessmentReport.ExposureRow) -> AssessmentReport.ExposureRow in
            var row = row
            row.key = payload
            row.rule = payload
            row.category = payload
            row.service = payload
            row.app = payload
            row.message = "user 'invoice\u{202E}fdp.exe' " + payload
            row.evidence = payload
            row.firstSeen = payload
            row.remediation = payload
            row.references = [payload]
            row.policyRule = payload
            return row
        }
        report.newExposures = report.newExposures.map(hostileRow)
        report.stillOpen = report.stillOpen.map(hostileRow)
        report.resolved = report.resolved.map(hostileRow)
        report.unobserved = report.unobserved.map(hostileRow)
        report.newExposures[0].severity = payload
        report.trend[0].window = payload
        report.trend[1].bySeverity[payload] = 2
        report.acceptedRisks[0].reason = payload
        report.acceptedRisks[0].scope = payload
        report.acceptedRisks[0].expires = payload
        report.topServices[0].service = payload
        report.topServices[0].apps = [payload]
        report.topServices[0].worstSeverity = payload
        report.tls[0].service = payload
        report.tls[0].sni = [payload]
        report.tls[0].versions = [payload]
        report.tls[0].ciphers = [payload]
        report.tls[0].certificate = payload
        report.tls[0].findings = [payload]
        report.certificates[0].sha256 = payload
        report.certificates[0].subject = "CN=" + payload
        report.certificates[0].issuer = payload
        report.certificates[0].status = payload
        report.certificates[0].services = [payload]
        report.credentials[0].evidence = payload
        report.credentials[0].fingerprint = payload
        report.credentials[0].rule = payload
        report.dataExposures[0].rule = payload
        report.dataExposures[0].services = [payload]
        return report
    }
}
