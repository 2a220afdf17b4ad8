// MARK: - The two charts of the HTML report, as inline SVG
//
// Drawn at a fixed view box and scaled by CSS, so they need no script, no
// font and no measurement of text; every mark carries a <title> (a tooltip on
// screen) with its exact numbers, and the tables beside them hold the same
// data for the reader who prints in black and white.

extension HTMLReport {
    // MARK: Trend: exposures per run, stacked by severity

    /// One bar per run, oldest on the left, critical at the bottom of each stack.
    /// A single run draws a single bar; labels thin out past a dozen runs.
    static func trendChart(_ points: [AssessmentReport.TrendPoint]) -> Markup {
        let width = 900.0, height = 230.0
        let left = 46.0, right = 14.0, top = 18.0, bottom = 30.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom

        let otherNames = Set(points.flatMap(\.bySeverity.keys)).filter { rank($0) < 0 }.sorted()
        let stackOrder = severitiesWorstFirst + otherNames
        // Counts come from a file: sum them so that no value, however large, can overflow.
        let counts = points.map { point in point.bySeverity.mapValues { min(max($0, 0), Self.largestCharted) } }
        let highest = counts.map { $0.values.reduce(0) { min($0 + $1, Self.largestCharted) } }.max() ?? 0
        let step = tickStep(for: highest)
        let yMax = max(step, (highest + step - 1) / step * step)
        func y(_ value: Int) -> Double { top + plotHeight - Double(value) / Double(yMax) * plotHeight }

        var svg: Markup = """
            <svg viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)" \
            role="img" aria-labelledby="trend-title" data-chart="trend" font-family="system-ui, sans-serif" font-size="12">
            <title id="trend-title">Exposures per run, by severity</title>

            """
        for tick in stride(from: 0, through: yMax, by: step) {
            svg.append("""
                <line x1="\(left)" x2="\(width - right)" y1="\(y(tick))" y2="\(y(tick))" stroke="\(tick == 0 ? "#94a3b8" : "#e2e8f0")"/>\
                <text x="\(left - 6)" y="\(y(tick) + 4)" text-anchor="end" fill="#64748b">\(tick)</text>

                """)
        }

        let slot = plotWidth / Double(max(points.count, 1))
        let barWidth = min(46, slot * 0.62)
        let labelEvery = max(1, (points.count + 11) / 12)
        for (index, point) in points.enumerated() {
            let x = left + slot * Double(index) + (slot - barWidth) / 2
            let label = runLabel(point)
            var stacked = 0
            for severity in stackOrder {
                let value = counts[index][severity] ?? 0
                guard value > 0 else { continue }
                svg.append("""
                    <rect x="\(x)" y="\(y(stacked + value))" width="\(barWidth)" height="\(y(stacked) - y(stacked + value))" \
                    fill="\(severityFill(severity))" data-severity="\(severity)"><title>\(label): \(value) \(severity)</title></rect>

                    """)
                stacked += value
            }
            let isLast = index == points.count - 1
            if points.count <= 40 {
                svg.append("""
                    <text x="\(x + barWidth / 2)" y="\(y(stacked) - 4)" text-anchor="middle" fill="#0f172a" \
                    font-weight="\(isLast ? "700" : "400")">\(point.exposures)</text>

                    """)
            }
            if index % labelEvery == 0 || isLast {
                svg.append("""
                    <text x="\(x + barWidth / 2)" y="\(height - bottom + 16)" text-anchor="middle" fill="#334155" \
                    font-weight="\(isLast ? "700" : "400")">\(label)</text>

                    """)
            }
        }
        svg.append("</svg>")
        let legend = stackOrder.map { "<span><i style=\"background:\(severityFill($0))\"></i>\($0)</span>" as Markup }
        return "<div class=\"legend\">\(legend)</div>\(svg)"
    }

    /// A run by its traffic window (`2026-12-04`), else by the day it ran.
    static func runLabel(_ point: AssessmentReport.TrendPoint) -> String {
        if let window = point.window, window != "all" { return window }
        return String(point.runAt.prefix(10))
    }

    /// Counts above this are drawn as this (a trillion findings is not a night's traffic).
    static let largestCharted = 1_000_000_000_000

    /// The 1-2-5 step that puts at most five gridlines over `maximum`.
    static func tickStep(for maximum: Int) -> Int {
        var step = 1, decade = 1
        let multiples = [1, 2, 5]
        var index = 0
        while maximum > step * 5 {
            index += 1
            if index % 3 == 0 { decade *= 10 }
            step = multiples[index % 3] * decade
        }
        return step
    }

    // MARK: Certificate expiry: days from the report's time

    /// Each certificate a mark on a day axis centred on the report's time:
    /// red past the left of "today" (expired), amber up to `expiryDays`,
    /// green beyond. The axis spans a few expiry windows; a certificate
    /// further out (or long expired) sits at the edge as an arrow, with its
    /// real number of days beside it. The soonest `timelineRows` get a row.
    static func expiryTimeline(_ all: [AssessmentReport.CertificateRow], expiryDays: Int, generatedAt: String) -> Markup {
        // A certificate whose expiry is not known has no place on the axis (the table lists it).
        let certificates = all.filter { $0.status != "unknown" }
        let window = min(max(1, expiryDays), 3650)  // from the config: keep the axis arithmetic in range
        let latest = Double(max(3 * window, 90))
        let earliest = -Double(max(window, 30)) / (certificates.contains { $0.daysLeft < 0 } ? 1 : 3)
        let rows = Array(certificates.prefix(timelineRows))

        let width = 900.0, rowHeight = 24.0, top = 28.0, bottom = 10.0
        let axisLeft = 270.0, axisRight = width - 96
        let height = top + rowHeight * Double(rows.count) + bottom
        func x(_ days: Double) -> Double {
            axisLeft + (min(max(days, earliest), latest) - earliest) / (latest - earliest) * (axisRight - axisLeft)
        }
        let plotBottom = height - bottom

        var svg: Markup = """
            <svg viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)" \
            role="img" aria-labelledby="timeline-title" data-chart="expiry-timeline" font-family="system-ui, sans-serif" font-size="12">
            <title id="timeline-title">Certificate expiry, in days from \(String(generatedAt.prefix(10)))</title>
            <rect x="\(x(earliest))" y="\(top)" width="\(x(0) - x(earliest))" height="\(plotBottom - top)" fill="#fef2f2"/>
            <rect x="\(x(0))" y="\(top)" width="\(x(Double(window)) - x(0))" height="\(plotBottom - top)" fill="#fffbeb"/>
            <rect x="\(x(Double(window)))" y="\(top)" width="\(x(latest) - x(Double(window)))" height="\(plotBottom - top)" fill="#f0fdf4"/>

            """
        let ticks: [(days: Double, label: String)] = [
            (earliest, "\(Int(earliest)) d"), (0, "today \(String(generatedAt.prefix(10)))"),
            (Double(window), "+\(window) d"), (latest, "+\(Int(latest)) d"),
        ]
        for tick in ticks {
            let anchor = tick.days == earliest ? "start" : tick.days == latest ? "end" : "middle"
            svg.append("""
                <line x1="\(x(tick.days))" x2="\(x(tick.days))" y1="\(top - 4)" y2="\(plotBottom)" stroke="\(tick.days == 0 ? "#0f172a" : "#cbd5e1")" \
                stroke-width="\(tick.days == 0 ? 1.5 : 1)"\(tick.days == Double(window) ? " stroke-dasharray=\"4 3\"" : "")/>\
                <text x="\(x(tick.days))" y="\(top - 8)" text-anchor="\(anchor)" fill="#334155">\(tick.label)</text>

                """)
        }

        for (index, certificate) in rows.enumerated() {
            let centre = top + rowHeight * (Double(index) + 0.5)
            let days = Double(certificate.daysLeft)
            let markX = x(days)
            let fill = certificateFill(certificate.status)
            let tooltip: Markup = """
                <title>\(certificate.subject) — \(certificate.status), not after \(certificate.notAfter) (\(certificate.daysLeft) days)</title>
                """
            svg.append("""
                <line x1="8" x2="\(axisRight)" y1="\(centre + rowHeight / 2)" y2="\(centre + rowHeight / 2)" stroke="#f1f5f9"/>\
                <text x="\(axisLeft - 10)" y="\(centre + 4)" text-anchor="end" fill="#0f172a">\(shortSubject(certificate.subject))</text>

                """)
            if days < earliest || days > latest {
                // Off the axis: an arrow at the edge pointing the way it lies.
                let direction = days < earliest ? -1.0 : 1.0
                let tip = markX + direction * 7
                svg.append("""
                    <path d="M \(markX - direction * 5) \(centre - 7) L \(tip) \(centre) L \(markX - direction * 5) \(centre + 7) Z" \
                    fill="\(fill)" data-status="\(certificate.status)">\(tooltip)</path>

                    """)
            } else {
                svg.append("""
                    <circle cx="\(markX)" cy="\(centre)" r="6.5" fill="\(fill)" stroke="#fff" stroke-width="1.5" \
                    data-status="\(certificate.status)">\(tooltip)</circle>

                    """)
            }
            let dayLabel = certificate.daysLeft < 0 ? "\(certificate.daysLeft) d" : "\(certificate.daysLeft) d left"
            let labelX = days > latest ? axisRight + 10 : markX + 11
            // Text a shade darker than the mark: amber on the pale amber band is hard to read.
            let labelFill = ["expired": "#991b1b", "expiring": "#b45309"][certificate.status] ?? "#475569"
            svg.append("""
                <text x="\(labelX)" y="\(centre + 4)" fill="\(labelFill)" \
                font-weight="600">\(dayLabel)</text>

                """)
        }
        svg.append("</svg>")

        let legend: Markup = """
            <div class="legend"><span><i style="background:\(certificateFill("expired"))"></i>expired</span>\
            <span><i style="background:\(certificateFill("expiring"))"></i>expires within \(window) days</span>\
            <span><i style="background:\(certificateFill("valid"))"></i>valid</span></div>
            """
        let more: Markup = certificates.count > rows.count
            ? "<figcaption>The \(rows.count) soonest of \(certificates.count) certificates; all are in the table.</figcaption>" : ""
        return "\(legend)\(svg)\(more)"
    }

    static let timelineRows = 24

    /// The common name when the subject has one (`CN=api.example.com, O=…`), cut to fit the label column.
    static func shortSubject(_ subject: String) -> String {
        var name = subject
        if let range = subject.range(of: "CN=") {
            name = String(subject[range.upperBound...].prefix { $0 != "," && $0 != "/" })
        }
        return name.count > 34 ? String(name.prefix(33)) + "…" : name
    }
}
