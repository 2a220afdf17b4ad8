// MARK: - The HTML report
//
// One self-contained HTML5 file a security lead reads in two minutes and an
// auditor files as evidence: inline CSS, inline SVG charts, no script and no
// request of any kind (the Content-Security-Policy forbids them, and the page
// refers to nothing outside itself). Sections come in reading order — what
// happened (summary, trend, new), where (services, TLS, certificates,
// credentials, PII), what changed (still open, resolved, unobserved), what was
// accepted, then every exposure with its remediation and compliance
// references, and the service inventory. A section with nothing to show
// says so in one line. Summary numbers carry `id="metric-NAME"` and
// `data-metric="NAME"`, sections their `id` and `data-count`, so tests and
// scripts can find them.

import Findings

/// Renders an `AssessmentReport` as one HTML page (the caller writes it with mode 0600).
public enum HTMLReport {
    public static func render(_ report: AssessmentReport) -> String {
        let sections: [Markup] = [
            summary(report),
            trend(report),
            newExposures(report),
            topServices(report),
            tlsTable(report),
            certificates(report),
            credentials(report),
            dataExposures(report),
            stillOpen(report),
            resolved(report),
            unobserved(report),
            acceptedRisks(report),
            allExposures(report),
            inventory(report),
        ]
        let page: Markup = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
            <meta name="referrer" content="no-referrer">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="PlainSight (report format \(report.formatVersion))">
            <title>\(report.title)</title>
            <style>
            \(Markup(stringLiteral: styleSheet))
            </style>
            </head>
            <body>
            <main>
            \(header(report))
            \(tableOfContents(report))
            \(sections)
            <footer>PlainSight assessment report, format \(report.formatVersion). Evidence is redacted as in the findings: \
            credentials are masked and identified by keyed fingerprint, never shown in clear. Times are UTC.</footer>
            </main>
            </body>
            </html>

            """
        return page.html
    }

    // MARK: Header and navigation

    static func header(_ report: AssessmentReport) -> Markup {
        var window: Markup = "everything in the inputs"
        if let w = report.window {
            window = "\(w.label)"
            if let from = w.from, let to = w.to {
                window.append(" <span class=\"muted\">(\(time(from)) → \(time(to)))</span>")
            }
        }
        // Rotated hourly files can number in the hundreds: the first dozen say what was read.
        let shownInputs = 12
        var inputs = report.inputs.prefix(shownInputs).map { code($0) }.joined(separator: ", ")
        if report.inputs.isEmpty { inputs = "none listed" }
        if report.inputs.count > shownInputs { inputs.append(" and \(report.inputs.count - shownInputs) more") }
        let baseline: Markup = report.baseline.map { time($0) } ?? "none (nothing to compare with)"
        return """
            <header class="report">
            <div class="kicker">PlainSight assessment</div>
            <h1>\(report.title)</h1>
            <dl>
            <div><dt>Window</dt><dd id="report-window">\(window)</dd></div>
            <div><dt>Generated</dt><dd id="report-generated">\(time(report.generatedAt))</dd></div>
            <div><dt>TLS policy</dt><dd id="report-policy">\(report.policy ?? "not stated")</dd></div>
            <div><dt>Baseline</dt><dd id="report-baseline">\(baseline)</dd></div>
            <div class="inputs"><dt>Inputs (\(report.inputs.count))</dt><dd class="inputs" id="report-inputs">\(inputs)</dd></div>
            </dl>
            </header>
            """
    }

    /// Links to each section with what it holds: the page is long, the reader wants the part that matters.
    static func tableOfContents(_ report: AssessmentReport) -> Markup {
        let entries: [(id: String, title: String, count: Int?)] = [
            ("summary", "Summary", nil), ("trend", "Trend", nil), ("new", "New", report.newExposures.count),
            ("top-services", "Top services", report.topServices.count), ("tls", "TLS", report.tls.count),
            ("certificates", "Certificates", report.certificates.count), ("credentials", "Credentials", report.credentials.count),
            ("data-exposures", "PII and secrets", report.dataExposures.count), ("still-open", "Still open", report.stillOpen.count),
            ("resolved", "Resolved", report.resolved.count), ("unobserved", "Unobserved", report.unobserved.count),
            ("accepted-risks", "Accepted risks", report.acceptedRisks.count),
            ("exposures", "All exposures", report.newExposures.count + report.stillOpen.count),
            ("inventory", "Inventory", report.services.count),
        ]
        let links = entries.map { entry -> Markup in
            let count: Markup = entry.count.map { " <span>\($0)</span>" } ?? ""
            return "<a href=\"#\(entry.id)\">\(entry.title)\(count)</a>"
        }
        return "<nav class=\"toc\" aria-label=\"Sections\">\(links)</nav>\n"
    }

    // MARK: Summary

    static func summary(_ report: AssessmentReport) -> Markup {
        let s = report.summary
        let metrics: [(name: String, label: String, value: Int, tone: String?)] = [
            ("exposures", "Exposures", s.exposures, nil),
            ("new", "New", s.new, s.new > 0 ? "bad" : nil),
            ("resolved", "Resolved", s.resolved, s.resolved > 0 ? "good" : nil),
            ("still-open", "Still open", s.stillOpen, nil),
            ("services", "Services", s.services, nil),
            ("cleartext-services", "Cleartext services", s.cleartextServices, s.cleartextServices > 0 ? "warn" : nil),
            ("expiring-certificates", "Expiring certificates", s.expiringCertificates, s.expiringCertificates > 0 ? "bad" : nil),
        ]
        let tiles = metrics.map { m -> Markup in
            let tone: Markup = m.tone.map { " \($0)" } ?? ""
            return """
                <div class="metric\(tone)" data-metric="\(m.name)"><span class="value" id="metric-\(m.name)">\(count(m.value))</span>\
                <span class="label">\(m.label)</span></div>
                """
        }

        let severityBadges = severityCounts(s.bySeverity).map { entry -> Markup in
            let zero: Markup = entry.count == 0 ? " zero" : ""
            return """
                <span class="badge \(severityClass(entry.name))\(zero)" data-severity="\(entry.name)">\(entry.name)<b>\(count(entry.count))</b></span>
                """
        }
        let categoryChips = s.byCategory.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { entry -> Markup in
            "<span class=\"chip\" data-category=\"\(entry.key)\">\(entry.key)<b>\(count(entry.value))</b></span>"
        }
        let categories: Markup = categoryChips.isEmpty ? "<span class=\"muted\">none</span>" : "\(categoryChips)"

        let secondary: [Markup] = [
            "<span data-metric=\"unobserved\"><b>\(count(s.unobserved))</b> unobserved</span>",
            "<span data-metric=\"suppressed\"><b>\(count(s.suppressed))</b> suppressed by accepted risks</span>",
            "<span data-metric=\"flows\"><b>\(count(s.flows))</b> flows</span>",
            "<span data-metric=\"expiry-days\">certificates count as expiring within <b>\(s.expiryDays)</b> days</span>",
        ]

        // The exit code's reason, in words (no threshold, as in `plainsight report`: no verdict).
        var verdict: Markup = ""
        if let threshold = s.threshold {
            let n = s.newAtOrAboveThreshold
            let outcome: Markup = n > 0
                ? "fail\">\(count(n)) new \(n == 1 ? "exposure" : "exposures") at or above \(threshold): the run fails (non-zero exit code)."
                : "pass\">No new exposure at or above \(threshold)."
            verdict = "<p data-metric=\"new-at-or-above-threshold\" data-value=\"\(n)\" class=\"verdict \(outcome)</p>"
        }

        return """
            <section id="summary">
            <h2>At a glance</h2>
            <div class="metrics">\(tiles)</div>
            <div class="glance">
            <div><h3>By severity</h3><div class="chips" id="by-severity">\(severityBadges.joined(separator: " "))</div></div>
            <div><h3>By category</h3><div class="chips" id="by-category">\(categories)</div></div>
            <div><h3>Compliance references</h3><div class="chips" id="by-framework">\(frameworkChips(report))</div></div>
            </div>
            <p class="secondary">\(secondary.joined(separator: " · "))</p>
            \(verdict)
            </section>

            """
    }

    /// The five severities worst first (zero counts included, so the scale is always visible), then any other name.
    static func severityCounts(_ counts: [String: Int]) -> [(name: String, count: Int)] {
        let known: [(name: String, count: Int)] = severitiesWorstFirst.map { ($0, counts[$0] ?? 0) }
        let others: [(name: String, count: Int)] = counts.filter { rank($0.key) < 0 }.sorted { $0.key < $1.key }
            .map { ($0.key, $0.value) }
        return known + others
    }

    /// Exposures of this run that cite each framework, so an auditor sees at once which controls are touched.
    static func frameworkChips(_ report: AssessmentReport) -> Markup {
        let open = report.newExposures + report.stillOpen
        let chips = complianceFrameworks.compactMap { framework -> Markup? in
            let n = open.filter { row in row.references.contains { $0.hasPrefix(framework.prefix) } }.count
            guard n > 0 else { return nil }
            return "<span class=\"chip \(framework.cssClass)\" data-framework=\"\(framework.prefix)\">\(framework.prefix)<b>\(count(n))</b></span>"
        }
        return chips.isEmpty ? "<span class=\"muted\">none cited</span>" : chips.joined(separator: " ")
    }

    static let complianceFrameworks: [(prefix: String, cssClass: String)] = [
        ("PCI DSS", "ref-pci"), ("SOC 2", "ref-soc2"), ("HIPAA", "ref-hipaa"),
    ]

    // MARK: Trend

    static func trend(_ report: AssessmentReport) -> Markup {
        guard let last = report.trend.last else {
            return section("trend", "Trend", count: nil, empty: "No runs recorded yet.", body: nil)
        }
        let caption: Markup = """
            \(report.trend.count) \(report.trend.count == 1 ? "run" : "runs"), oldest first. \
            Latest: \(count(last.exposures)) exposures, \(count(last.new)) new, \(count(last.resolved)) resolved.
            """
        let chart: Markup = "<figure>\(trendChart(report.trend))<figcaption>\(caption)</figcaption></figure>"
        return section("trend", "Trend", count: nil, empty: "", body: chart)
    }

    // MARK: Exposure tables (new, still open, resolved, unobserved)

    enum ExposureColumn {
        case severity, rule, service, evidence, count, firstSeen, lastSeen, firstReported, remediation

        var heading: Markup {
            switch self {
            case .severity: return "<th>Severity</th>"
            case .rule: return "<th>Rule</th>"
            case .service: return "<th>Service</th>"
            case .evidence: return "<th>Evidence</th>"
            case .count: return "<th class=\"num\">Count</th>"
            case .firstSeen: return "<th>First seen</th>"
            case .lastSeen: return "<th>Last seen</th>"
            case .firstReported: return "<th>First reported</th>"
            case .remediation: return "<th>Remediation</th>"
            }
        }

        func cell(_ row: AssessmentReport.ExposureRow) -> Markup {
            switch self {
            case .severity: return "<td>\(HTMLReport.severityBadge(row.severity))</td>"
            case .rule: return "<td><code class=\"rule\">\(row.rule)</code><div class=\"note\">\(row.message)</div></td>"
            case .service: return "<td>\(HTMLReport.service(row.service, app: row.app))</td>"
            case .evidence: return "<td class=\"evidence\">\(HTMLReport.evidence(row.evidence))</td>"
            case .count: return "<td class=\"num\">\(HTMLReport.count(row.count))</td>"
            case .firstSeen: return "<td class=\"time\">\(HTMLReport.time(row.firstSeen))</td>"
            case .lastSeen: return "<td class=\"time\">\(HTMLReport.time(row.lastSeen))</td>"
            case .firstReported: return "<td class=\"time\">\(HTMLReport.time(row.firstReported))</td>"
            case .remediation: return "<td class=\"remediation\">\(row.remediation ?? "—")</td>"
            }
        }
    }

    /// Rows worst first, in the model's order within a severity (the model sorts already; the reader relies on it).
    static func exposureTable(_ rows: [AssessmentReport.ExposureRow], _ columns: [ExposureColumn]) -> Markup {
        let ordered = rows.enumerated().sorted {
            (rank($1.element.severity), $0.offset) < (rank($0.element.severity), $1.offset)
        }.map(\.element)
        let body = ordered.prefix(maxRows).map { row in "<tr data-key=\"\(row.key)\">\(columns.map { $0.cell(row) })</tr>" as Markup }
        return table(head: "\(columns.map(\.heading))", rows: body, hidden: ordered.count - body.count)
    }

    static func newExposures(_ report: AssessmentReport) -> Markup {
        let intro: Markup = report.baseline.map { "Seen in this run and not open in the baseline of \(time($0)), worst first." }
            ?? "There is no baseline, so every exposure of this run counts as new, worst first."
        return section(
            "new", "New since the baseline", count: report.newExposures.count, intro: intro,
            empty: report.baseline == nil ? "No exposure in this run." : "Nothing new since the baseline.",
            body: report.newExposures.isEmpty ? nil
                : exposureTable(report.newExposures, [.severity, .rule, .service, .evidence, .count, .firstSeen, .remediation]))
    }

    static func stillOpen(_ report: AssessmentReport) -> Markup {
        section(
            "still-open", "Still open", count: report.stillOpen.count, intro: "Open in the baseline and seen again in this run.",
            empty: "Nothing from the baseline is still open.",
            body: report.stillOpen.isEmpty ? nil
                : exposureTable(report.stillOpen, [.severity, .rule, .service, .evidence, .count, .firstReported, .lastSeen]))
    }

    static func resolved(_ report: AssessmentReport) -> Markup {
        section(
            "resolved", "Resolved", count: report.resolved.count,
            intro: "Open in the baseline, not seen in this run although their service sent traffic.",
            empty: "Nothing resolved since the baseline.",
            body: report.resolved.isEmpty ? nil
                : exposureTable(report.resolved, [.severity, .rule, .service, .evidence, .firstReported, .lastSeen]))
    }

    static func unobserved(_ report: AssessmentReport) -> Markup {
        section(
            "unobserved", "Unobserved", count: report.unobserved.count,
            intro: "Open in the baseline, but their service sent no traffic in this run: neither fixed nor confirmed.",
            empty: "Every service with an open exposure in the baseline was seen in this run.",
            body: report.unobserved.isEmpty ? nil
                : exposureTable(report.unobserved, [.severity, .rule, .service, .evidence, .firstReported, .lastSeen]))
    }

    // MARK: Services

    static func topServices(_ report: AssessmentReport) -> Markup {
        section(
            "top-services", "Top exposed services", count: report.topServices.count, intro: "Ranked by what they expose.",
            empty: "No service exposed anything in this run.",
            body: report.topServices.isEmpty ? nil : serviceTable(report.topServices, withBars: true))
    }

    static func inventory(_ report: AssessmentReport) -> Markup {
        section(
            "inventory", "Service inventory", count: report.services.count, intro: "Every server endpoint seen in this run.",
            empty: "No server endpoint seen.",
            body: report.services.isEmpty ? nil : serviceTable(report.services, withBars: false))
    }

    static func serviceTable(_ rows: [AssessmentReport.ServiceRow], withBars: Bool) -> Markup {
        let most = max(1, rows.map(\.exposures).max() ?? 1)
        let body = rows.prefix(maxRows).map { row -> Markup in
            let bar: Markup = "<span class=\"fill\" style=\"width:\(Double(row.exposures) / Double(most) * 90)px\"></span>"
            let exposures: Markup = withBars ? "<div class=\"bar\">\(bar)\(count(row.exposures))</div>" : count(row.exposures)
            let protection: Markup = switch row.encrypted {
            case true?: "<span class=\"chip st-valid\">encrypted</span>"
            case false?: "<span class=\"chip st-new\">cleartext</span>"
            case nil: "<span class=\"muted\">no payload</span>"
            }
            let apps: Markup = row.apps.isEmpty ? "<span class=\"muted\">unidentified</span>" : "\(row.apps.joined(separator: ", "))"
            return """
                <tr><td><code class="svc">\(row.service)</code></td><td>\(apps)</td><td>\(protection)</td>\
                <td class="num">\(exposures)</td><td>\(row.worstSeverity.map { severityBadge($0) } ?? "—")</td>\
                <td class="num">\(count(row.credentials))</td><td class="num">\(count(row.dataExposures))</td>\
                <td class="num">\(count(row.flows))</td><td class="time">\(time(row.firstSeen))</td><td class="time">\(time(row.lastSeen))</td></tr>
                """
        }
        let head = headings(
            ["Service", "Protocol", "Payload", "Exposures", "Worst", "Credentials", "PII/secrets", "Flows", "First seen", "Last seen"],
            numeric: ["Exposures", "Credentials", "PII/secrets", "Flows"])
        return table(head: head, rows: body, hidden: rows.count - body.count)
    }

    // MARK: TLS and certificates

    static func tlsTable(_ report: AssessmentReport) -> Markup {
        let rows = report.tls.prefix(maxRows).map { row -> Markup in
            let certificate: Markup = row.certificate.map { sha in
                "<a href=\"#\(certificateAnchor(sha))\"><code class=\"digest\" title=\"\(sha)\">\(String(sha.prefix(16)))…</code></a>"
            } ?? "<span class=\"muted\">not visible</span>"
            let findings: Markup = row.findings.isEmpty
                ? "<span class=\"muted\">none</span>" : row.findings.map { code($0) }.joined(separator: "<br>")
            return """
                <tr><td><code class="svc">\(row.service)</code></td><td>\(list(row.sni))</td><td>\(list(row.versions))</td>\
                <td>\(row.ciphers.map { code($0) }.joined(separator: "<br>"))</td><td>\(certificate)</td><td>\(findings)</td>\
                <td>\(row.worstSeverity.map { severityBadge($0) } ?? "<span class=\"muted\">ok</span>")</td></tr>
                """
        }
        return section(
            "tls", "TLS", count: report.tls.count,
            intro: report.policy.map { "Judged by the \($0) policy." } ?? "",
            empty: "No TLS service seen in this run.",
            body: rows.isEmpty ? nil
                : table(head: headings(["Service", "SNI", "Versions", "Cipher suites", "Certificate", "Findings", "Worst"]), rows: rows, hidden: report.tls.count - rows.count))
    }

    static func certificates(_ report: AssessmentReport) -> Markup {
        guard !report.certificates.isEmpty else {
            return section("certificates", "Certificate expiry", count: 0, empty: "No certificate seen in this run.", body: nil)
        }
        let rows = report.certificates.prefix(maxRows).map { cert -> Markup in
            let expired: Markup = cert.status == "expired" ? " class=\"expired\"" : ""
            return """
                <tr id="\(certificateAnchor(cert.sha256))"\(expired) data-status="\(cert.status)">\
                <td>\(certificateStatus(cert.status))</td><td class="num">\(cert.daysLeft)</td>\
                <td>\(cert.subject)</td><td>\(cert.issuer)</td><td class="time">\(time(cert.notAfter))</td>\
                <td>\(serviceList(cert.services, shown: 6))</td>\
                <td><code class="digest" title="\(cert.sha256)">\(String(cert.sha256.prefix(16)))…</code></td></tr>
                """
        }
        let body: Markup = """
            <figure>\(expiryTimeline(report.certificates, expiryDays: report.summary.expiryDays, generatedAt: report.generatedAt))</figure>
            \(table(head: headings(["Status", "Days left", "Subject", "Issuer", "Not after", "Services", "SHA-256"], numeric: ["Days left"]), rows: rows, hidden: report.certificates.count - rows.count))
            """
        return section(
            "certificates", "Certificate expiry", count: report.certificates.count,
            intro: "Soonest expiry first; amber: within \(report.summary.expiryDays) days, red: expired.", empty: "", body: body)
    }

    static func certificateStatus(_ status: String) -> Markup {
        let css = ["expired": "st-expired", "expiring": "st-expiring", "valid": "st-valid"][status] ?? "sev-other"
        return "<span class=\"badge \(css)\">\(status)</span>"
    }

    /// Fragment ids keep letters, digits and hyphens only: the digest comes from the report file.
    static func certificateAnchor(_ sha256: String) -> String {
        "cert-" + String(sha256.unicodeScalars.filter { $0.properties.isASCIIHexDigit || $0 == "-" }.map(Character.init))
    }

    // MARK: Credentials, PII and secrets

    static func credentials(_ report: AssessmentReport) -> Markup {
        guard !report.credentials.isEmpty else {
            return section("credentials", "Credentials in clear", count: 0, empty: "No credential seen in clear.", body: nil)
        }
        var byRule: [String: (rows: Int, occurrences: Int)] = [:]
        for row in report.credentials {
            let seen = byRule[row.rule] ?? (0, 0)
            byRule[row.rule] = (seen.rows + 1, total([seen.occurrences, row.count]))
        }
        let chips = byRule.sorted { ($1.value.rows, $0.key) < ($0.value.rows, $1.key) }.map { entry -> Markup in
            let occurrences: Markup = "<span class=\"muted\">× \(count(entry.value.occurrences))</span>"
            return "<span class=\"chip\" data-rule=\"\(entry.key)\">\(entry.key)<b>\(count(entry.value.rows))</b> \(occurrences)</span>"
        }
        let rows = report.credentials.prefix(maxRows).map { row -> Markup in
            """
            <tr><td>\(severityBadge(row.severity))</td><td><code>\(row.rule)</code></td><td><code class="svc">\(row.service)</code></td>\
            <td class="evidence">\(evidence(row.evidence))</td><td><code>\(row.fingerprint ?? "—")</code></td>\
            <td class="num">\(count(row.count))</td><td class="time">\(time(row.lastSeen))</td></tr>
            """
        }
        let head = headings(["Severity", "Type", "Service", "Masked", "Fingerprint", "Count", "Last seen"], numeric: ["Count"])
        let body: Markup = "<p class=\"chips\">\(chips.joined(separator: " "))</p>\n\(table(head: head, rows: rows, hidden: report.credentials.count - rows.count))"
        return section(
            "credentials", "Credentials in clear", count: report.credentials.count,
            intro: "Masked; the keyed fingerprint recognises the same secret across runs without revealing it.", empty: "", body: body)
    }

    static func dataExposures(_ report: AssessmentReport) -> Markup {
        let rows = report.dataExposures.map { row -> Markup in
            """
            <tr><td>\(severityBadge(row.severity))</td><td><code>\(row.rule)</code></td><td>\(row.category)</td>\
            <td class="num">\(count(row.values))</td><td class="num">\(count(row.occurrences))</td>\
            <td>\(serviceList(row.services, shown: 6))</td></tr>
            """
        }
        return section(
            "data-exposures", "PII and secrets in clear", count: report.dataExposures.count, intro: "By type; values are never shown.",
            empty: "No PII or secret seen in clear.",
            body: rows.isEmpty ? nil
                : table(
                    head: headings(
                        ["Severity", "Type", "Category", "Distinct values", "Occurrences", "Services"],
                        numeric: ["Distinct values", "Occurrences"]),
                    rows: rows))
    }

    // MARK: Accepted risks

    static func acceptedRisks(_ report: AssessmentReport) -> Markup {
        let rows = report.acceptedRisks.map { risk -> Markup in
            let status: Markup = risk.expired
                ? "<span class=\"badge st-expired\">expired</span>" : "<span class=\"badge st-valid\">active</span>"
            return """
                <tr\(risk.expired ? " class=\"expired\"" : "") data-expired="\(risk.expired ? "true" : "false")"><td>\(status)</td>\
                <td>\(risk.reason)</td><td><code>\(risk.scope)</code></td><td class="time">\(risk.expires ?? "never")</td>\
                <td class="num">\(count(risk.suppressed))</td></tr>
                """
        }
        return section(
            "accepted-risks", "Accepted risks", count: report.acceptedRisks.count,
            intro: "Allowlist entries; an expired entry no longer suppresses anything.", empty: "No accepted risk is configured.",
            body: rows.isEmpty ? nil
                : table(head: headings(["Status", "Reason", "Scope", "Expires", "Suppressed"], numeric: ["Suppressed"]), rows: rows))
    }

    // MARK: Every exposure, by rule

    /// Exposures of this run (new and still open) grouped by rule, worst rule first:
    /// remediation and references belong to the rule, so each is printed once.
    static func allExposures(_ report: AssessmentReport) -> Markup {
        let newKeys = Set(report.newExposures.map(\.key))
        let rows = report.newExposures + report.stillOpen
        let groups = Dictionary(grouping: rows, by: \.rule).map { rule, rows in
            // `grouping` makes no empty group: there is a worst row.
            (rule: rule, rows: rows, worst: rows.max { rank($0.severity) < rank($1.severity) }!.severity)
        }
        let ordered = groups.sorted {
            (rank($1.worst), $1.rows.count, $0.rule) < (rank($0.worst), $0.rows.count, $1.rule)
        }
        let cards = ordered.map { ruleCard($0.rule, rows: $0.rows, worst: $0.worst, newKeys: newKeys) }
        return section(
            "exposures", "Every exposure, with remediation and references", count: rows.count,
            intro: "This run's exposures (new and still open), grouped by rule, worst first.",
            empty: "No exposure in this run.", body: cards.isEmpty ? nil : "\(cards)")
    }

    /// One rule: what it is, how to fix it, which standards it touches, then each exposure.
    static func ruleCard(_ rule: String, rows: [AssessmentReport.ExposureRow], worst: String, newKeys: Set<String>) -> Markup {
        let remediations = unique(rows.compactMap(\.remediation))
        let references = unique(rows.flatMap(\.references))
        let occurrences = total(rows.map(\.count))
        let remediation: Markup = remediations.isEmpty
            ? "" : "<p><b>Remediation.</b> \(remediations.map { Markup(text: $0) }.joined(separator: "<br>"))</p>"
        let refs: Markup = references.isEmpty
            ? "" : "<p class=\"refs\"><b>References</b> \(references.map(reference).joined(separator: " "))</p>"
        let what: Markup = """
            \(rows[0].category) · \(rows.count) \(rows.count == 1 ? "exposure" : "exposures"), \
            \(count(occurrences)) \(occurrences == 1 ? "occurrence" : "occurrences")
            """
        let tableRows = rows.prefix(maxRows).map { row -> Markup in
            let status: Markup = newKeys.contains(row.key)
                ? "<span class=\"badge st-new\">new</span>" : "<span class=\"badge st-open\">open</span>"
            let policyRule: Markup = row.policyRule.map { "<div class=\"note\">policy: \(code($0))</div>" } ?? ""
            return """
                <tr data-key="\(row.key)"><td>\(status)</td><td>\(severityBadge(row.severity))</td>\
                <td>\(service(row.service, app: row.app))</td><td>\(row.message)\(policyRule)</td><td class="evidence">\(evidence(row.evidence))</td>\
                <td class="num">\(count(row.count))</td><td class="time">\(time(row.firstSeen))</td><td class="time">\(time(row.lastSeen))</td></tr>
                """
        }
        let head = headings(
            ["Status", "Severity", "Service", "What", "Evidence", "Count", "First seen", "Last seen"], numeric: ["Count"])
        return """
            <article class="rule" data-severity="\(Severity(name: worst)?.description ?? "other")" data-rule="\(rule)">
            <header>\(severityBadge(worst))<h3>\(code(rule))</h3><span class="what">\(what)</span></header>
            \(remediation)\(refs)
            \(table(head: head, rows: tableRows, hidden: rows.count - tableRows.count))
            </article>
            """
    }

    static func reference(_ text: String) -> Markup {
        let css = complianceFrameworks.first { text.hasPrefix($0.prefix) }?.cssClass
        return "<span class=\"chip\(css.map { Markup(" \($0)") } ?? "")\">\(text)</span>"
    }

    // MARK: Building blocks

    /// A section: heading (with the count when given), an intro line, then the body or, with none, one line saying so.
    static func section(_ id: String, _ title: String, count: Int?, intro: Markup = "", empty: String, body: Markup?) -> Markup {
        let countBadge: Markup = count.map { " <span class=\"count\">\(HTMLReport.count($0))</span>" } ?? ""
        let dataCount: Markup = count.map { " data-count=\"\($0)\"" } ?? ""
        let content: Markup = body ?? "<p class=\"empty\">\(empty)</p>"
        let introLine: Markup = intro.html.isEmpty ? "" : "<p class=\"intro\">\(intro)</p>\n"
        return """
            <section id="\(id)"\(dataCount)>
            <h2>\(title)\(countBadge)</h2>
            \(introLine)\(content)
            </section>

            """
    }

    /// Rows a table shows: a report of a busy network can hold a hundred thousand exposures
    /// (every PII value is one), and a page nobody can scroll helps nobody; report.json has them all.
    static let maxRows = 200

    /// A table; `hidden` rows left out are counted below it.
    static func table(head: Markup, rows: [Markup], hidden: Int = 0) -> Markup {
        let more: Markup = hidden > 0
            ? "\n<p class=\"more\" data-hidden=\"\(hidden)\">… and \(count(hidden)) more, not shown here: report.json lists every one.</p>" : ""
        return """
            <div class="table-wrap"><table>
            <thead><tr>\(head)</tr></thead>
            <tbody>
            \(rows.joined(separator: "\n"))
            </tbody></table></div>\(more)
            """
    }

    /// Column headings; numeric columns are right-aligned, like their cells.
    static func headings(_ titles: [String], numeric: Set<String> = []) -> Markup {
        "\(titles.map { numeric.contains($0) ? "<th class=\"num\">\($0)</th>" : "<th>\($0)</th>" as Markup })"
    }

    static func severityBadge(_ name: String) -> Markup {
        "<span class=\"badge \(severityClass(name))\">\(name)</span>"
    }

    static func service(_ service: String, app: String?) -> Markup {
        "<code class=\"svc\">\(service)</code>\(app.map { Markup(" <span class=\"chip\">\($0)</span>") } ?? "")"
    }

    static func code(_ text: String) -> Markup {
        "<code>\(text)</code>"
    }

    static func evidence(_ text: String?) -> Markup {
        text.map { "<code>\($0)</code>" } ?? "<span class=\"muted\">—</span>"
    }

    static func list(_ items: [String]) -> Markup {
        items.isEmpty ? "<span class=\"muted\">—</span>" : "\(items.joined(separator: ", "))"
    }

    static func serviceList(_ items: [String], shown: Int) -> Markup {
        var out = items.prefix(shown).map { Markup("<code class=\"svc\">\($0)</code>") }.joined(separator: "<br>")
        if items.count > shown { out.append("<br><span class=\"muted\">and \(items.count - shown) more</span>") }
        return out
    }

    /// `2026-12-04 16:28` for an RFC 3339 time (the exact value stays in `datetime`); anything else as given.
    static func time(_ value: String?) -> Markup {
        guard let value else { return "<span class=\"muted\">—</span>" }
        let characters = Array(value)
        guard characters.count >= 16, characters[10] == "T" else { return "\(value)" }
        let shown = String(characters[0..<10]) + " " + String(characters[11..<16])
        return "<time datetime=\"\(value)\" title=\"\(value)\">\(shown)</time>"
    }

    /// A count with thousands separators (`12,345`), whatever the locale.
    static func count(_ n: Int) -> Markup {
        let digits = String(n.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return "\(n < 0 ? "-" : "")\(grouped)"
    }

    /// A sum that stops at `Int.max`: counts come from a file, and a page must render whatever it says.
    static func total(_ counts: [Int]) -> Int {
        counts.reduce(0) { sum, n in
            let (result, overflow) = sum.addingReportingOverflow(n)
            return overflow ? (n > 0 ? Int.max : Int.min) : result
        }
    }

    static func unique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }
}
