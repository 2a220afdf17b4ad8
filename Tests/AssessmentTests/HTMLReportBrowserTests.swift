import Foundation
import Testing
@testable import Assessment

/// The HTML report in a real browser: Debian's chromium prints it to PDF
/// (the page an auditor files, with the print style sheet), poppler reads
/// the words back with their positions and rasterises the pages, and the
/// tests assert on that rendering — the headline numbers sit above their
/// labels, the trend bars and the expiry marks are drawn in their colours
/// where their labels are — and on chromium's network log: the page asked
/// the network for nothing. Skipped, with a message, where chromium or
/// poppler-utils is missing; `scripts/test.sh` installs both. One browser at a
/// time: each run waits on a test thread, and the machine may have two cores.
@Suite(.serialized, .enabled(if: HeadlessChromium.available, Comment(rawValue: HeadlessChromium.missing)))
struct HTMLReportBrowserTests {
    /// Pixels per inch for the colour checks: 1 CSS pixel is about 1 image pixel.
    static let dpi = 96

    @Test func printedReportShowsTheSummaryTrendAndExpiryTimeline() throws {
        try withScratchDirectory { directory in
            let printout = try render(SampleReport.value, in: directory)
            #expect(try HeadlessChromium.pageRequests(printout.netLog) == [])
            let words = try HeadlessChromium.words(printout.pdf)

            // Each headline number is printed large, directly above its label, on the first page.
            for entry in SampleReport.headline {
                let labelWord = String(entry.label.split(separator: " ")[0])
                let placed = words.contains { value in
                    value.text == String(entry.value) && value.page == 1 && words.contains { label in
                        label.text == labelWord && label.page == 1 && abs(label.xMin - value.xMin) < 3
                            && (0..<12).contains(label.yMin - value.yMax) && value.height > 1.5 * label.height
                    }
                }
                #expect(placed, "\(entry.value) is not printed above '\(entry.label)'")
            }

            // The trend: one axis label per run, oldest first, on one line; the bars above them in severity colours,
            // critical only in the last run's bar.
            let runs = SampleReport.trend.map(\.window!)
            let axis = try #require(
                words.filter { $0.text == runs[0] }.lazy.map { first in
                    words.filter { $0.page == first.page && abs($0.midY - first.midY) < 1 && runs.contains($0.text) }
                        .sorted { $0.xMin < $1.xMin }
                }.first { $0.map(\.text) == runs },
                "the trend's axis labels are not printed in one row")
            // The plot spans the y axis's labels: "0" at the bottom, the top tick (15 for 13 exposures) above it.
            let onPage = words.filter { $0.page == axis[0].page && $0.xMax < axis[0].xMin }
            let zero = try #require(onPage.first { $0.text == "0" && (0..<30).contains(axis[0].yMin - $0.midY) })
            let topTick = try #require(onPage.first { $0.text == "15" && abs($0.xMax - zero.xMax) < 1 && $0.midY < zero.midY })
            let page = try HeadlessChromium.pixels(printout.pdf, page: axis[0].page, dpi: Self.dpi, in: directory)
            let barsTop = topTick.midY, barsBottom = zero.midY
            for severity in ["high", "medium", "low", "info"] {
                let n = page.count(
                    HTMLReport.severityFill(severity), xMin: axis[0].xMin - 8, yMin: barsTop, xMax: axis[6].xMax + 8, yMax: barsBottom)
                #expect(n > 100, "\(n) pixels of \(severity) in the trend")
            }
            let critical = HTMLReport.severityFill("critical")
            let inLastBar = page.count(critical, xMin: axis[6].xMin - 4, yMin: barsTop, xMax: axis[6].xMax + 4, yMax: barsBottom)
            let inOthers = page.count(critical, xMin: axis[0].xMin - 8, yMin: barsTop, xMax: axis[5].xMax + 4, yMax: barsBottom)
            #expect(inLastBar > 50 && inOthers == 0, "critical pixels: \(inLastBar) in the last bar, \(inOthers) in the others")

            // The expiry timeline: each certificate's row label, its mark in the status colour, then its days.
            let rows: [(name: String, days: String, status: String)] = [
                ("legacy-vpn.corp.example", "-15", "expired"), ("billing.corp.example", "12", "expiring"),
                ("ldap.corp.example", "27", "expiring"), ("intranet.corp.example", "784", "valid"),
            ]
            for row in rows {
                let pair = words.lazy.compactMap { label -> (HeadlessChromium.Word, HeadlessChromium.Word)? in
                    guard label.text == row.name,
                        let days = words.first(where: {
                            $0.page == label.page && $0.text == row.days && abs($0.midY - label.midY) < 1.5 && $0.xMin > label.xMax
                        })
                    else { return nil }
                    return (label, days)
                }.first
                let (label, days) = try #require(pair, "no timeline row for \(row.name)")
                let timelinePage = try HeadlessChromium.pixels(printout.pdf, page: label.page, dpi: Self.dpi, in: directory)
                let marks = timelinePage.count(
                    HTMLReport.certificateFill(row.status), xMin: label.xMax + 4, yMin: label.midY - 6, xMax: days.xMin, yMax: label.midY + 6)
                #expect(marks > 20, "\(marks) pixels of the \(row.status) colour on the row of \(row.name)")
            }

            let text = try HeadlessChromium.text(printout.pdf)
            #expect(text.contains("3 new exposures at or above high"))
            #expect(text.contains("Every exposure, with remediation and references"))
            #expect(text.contains("hmac-sha256:3f0c9a1be2d47c5e8a61f0b2"))
        }
    }

    /// Markup in report text shows as text on the page, and loads nothing.
    @Test func hostileTextIsPrintedAsText() throws {
        try withScratchDirectory { directory in
            let printout = try render(HostileReport.value, in: directory)
            #expect(try HeadlessChromium.pageRequests(printout.netLog) == [])
            let text = try HeadlessChromium.text(printout.pdf)
            #expect(text.contains(HostileReport.script))
            #expect(text.contains("onerror=alert(1)>"))
        }
    }

    /// The network-log check is not vacuous: a page that does load something is caught.
    @Test func networkLogShowsARequestThePageMakes() throws {
        try withScratchDirectory { directory in
            let page = directory.appendingPathComponent("leaky.html")
            try writePrivately("<!DOCTYPE html><title>t</title><img src=\"http://192.0.2.1/pixel.png\" alt=\"\">", to: page.path)
            let printout = try HeadlessChromium.printToPDF(page, in: directory, stem: "leaky")
            #expect(try HeadlessChromium.pageRequests(printout.netLog) == ["http://192.0.2.1/pixel.png"])
        }
    }

    /// Writes the report (mode 0600) and prints it.
    func render(_ report: AssessmentReport, in directory: URL) throws -> HeadlessChromium.Printout {
        let page = directory.appendingPathComponent("report.html")
        try writePrivately(HTMLReport.render(report), to: page.path)
        let mode = try FileManager.default.attributesOfItem(atPath: page.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        return try HeadlessChromium.printToPDF(page, in: directory, stem: "report")
    }

    func withScratchDirectory(_ body: (URL) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plainsight-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory)
    }
}
