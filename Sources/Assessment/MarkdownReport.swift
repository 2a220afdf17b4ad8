// MARK: - The Markdown report (a ticket, a chat post)
//
// The same content as the HTML report, as GitHub-flavoured Markdown tables.
// Text from the network (messages, evidence, SNI, certificate names) is
// escaped so it cannot add links, images, HTML or table cells.

public enum MarkdownReport {
    public static func render(_ r: AssessmentReport) -> String {
        var out: [String] = []
        out.append("# \(text(r.title))")
        out.append("")
        var facts = ["Generated \(r.generatedAt)"]
        if let w = r.window { facts.append("window \(w.label)" + (w.from.map { " (\($0) – \(w.to ?? "")" } ?? "") + ")") }
        if let p = r.policy { facts.append("TLS policy \(text(p))") }
        facts.append(r.baseline.map { "compared with the run of \($0)" } ?? "no baseline (first run)")
        out.append(facts.joined(separator: " · "))
        out.append("")
        let s = r.summary
        out.append("## Summary")
        out.append("")
        out.append("| exposures | new | still open | resolved | not observed | suppressed | services | cleartext services | flows | certificates expired or expiring (\(s.expiryDays) days) |")
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        out.append("| \(s.exposures) | \(s.new) | \(s.stillOpen) | \(s.resolved) | \(s.unobserved) | \(s.suppressed) | \(s.services) | \(s.cleartextServices) | \(s.flows) | \(s.expiringCertificates) |")
        out.append("")
        out.append("By severity: " + severities.map { "\($0) \(s.bySeverity[$0] ?? 0)" }.joined(separator: ", ") + ".")
        out.append("By category: " + (s.byCategory.isEmpty ? "none" : s.byCategory.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) + ".")
        if let t = s.threshold {
            out.append("")
            out.append(s.newAtOrAboveThreshold > 0
                ? "**\(s.newAtOrAboveThreshold) new exposure\(s.newAtOrAboveThreshold == 1 ? "" : "s") at or above \(t): the run fails.**"
                : "No new exposure at or above \(t).")
        }
        if r.trend.count > 1 {
            out.append("")
            out.append("Trend (exposures per run): " + r.trend.map { "\($0.window ?? $0.runAt) \($0.exposures)" }.joined(separator: " → "))
        }
        section(&out, "New since the baseline", r.newExposures, exposures)
        section(&out, "Top exposed services", r.topServices) { rows in
            table(["service", "apps", "encrypted", "exposures", "worst", "credentials", "PII/secrets"], rows.map {
                [$0.service, $0.apps.joined(separator: ", "), $0.encrypted.map { $0 ? "yes" : "no" } ?? "-", "\($0.exposures)",
                 $0.worstSeverity ?? "-", "\($0.credentials)", "\($0.dataExposures)"]
            })
        }
        section(&out, "TLS", r.tls) { rows in
            table(["service", "SNI", "versions", "cipher suites", "findings"], rows.map {
                [$0.service, $0.sni.joined(separator: ", "), $0.versions.joined(separator: ", "),
                 $0.ciphers.joined(separator: ", "), $0.findings.joined(separator: ", ")]
            })
        }
        section(&out, "Certificates", r.certificates) { rows in
            table(["status", "days left", "not after", "subject", "issuer", "services"], rows.map {
                [$0.status, "\($0.daysLeft)", $0.notAfter, $0.subject, $0.issuer, $0.services.joined(separator: ", ")]
            })
        }
        section(&out, "Credentials in clear", r.credentials) { rows in
            table(["severity", "rule", "service", "evidence", "fingerprint", "count"], codeColumns: [3, 4], rows.map {
                [$0.severity, $0.rule, $0.service, $0.evidence ?? "", $0.fingerprint ?? "", "\($0.count)"]
            })
        }
        section(&out, "PII and secrets in clear", r.dataExposures) { rows in
            table(["severity", "rule", "values", "occurrences", "services"], rows.map {
                [$0.severity, $0.rule, "\($0.values)", "\($0.occurrences)", $0.services.joined(separator: ", ")]
            })
        }
        section(&out, "Still open", r.stillOpen, exposures)
        section(&out, "Resolved", r.resolved, exposures)
        section(&out, "Not observed (no traffic from the service in this window)", r.unobserved, exposures)
        section(&out, "Accepted risks", r.acceptedRisks) { rows in
            table(["reason", "scope", "expires", "suppressed"], rows.map {
                [$0.reason, $0.scope, ($0.expires ?? "never") + ($0.expired ? " (expired: no longer suppresses)" : ""), "\($0.suppressed)"]
            })
        }
        let all = r.newExposures + r.stillOpen
        if !all.isEmpty {
            out.append("")
            out.append("## Remediation")
            var seen = Set<String>()
            for row in all where seen.insert(row.rule).inserted {
                out.append("")
                out.append("- **\(text(row.rule))** (\(row.severity)): \(text(row.remediation ?? "see the rule's documentation"))"
                    + (row.references.isEmpty ? "" : " References: " + text(row.references.joined(separator: "; ")) + "."))
            }
        }
        out.append("")
        return out.joined(separator: "\n")
    }

    static let severities = ["critical", "high", "medium", "low", "info"]

    static func exposures(_ rows: [AssessmentReport.ExposureRow]) -> [String] {
        table(["severity", "rule", "service", "evidence", "count", "first seen", "message"], codeColumns: [3], rows.map {
            [$0.severity, $0.rule, $0.service, $0.evidence ?? "", "\($0.count)", $0.firstSeen, $0.message]
        })
    }

    static func section<Row>(_ out: inout [String], _ title: String, _ rows: [Row], _ body: ([Row]) -> [String]) {
        out.append("")
        out.append("## \(title)")
        out.append("")
        if rows.isEmpty {
            out.append("None.")
        } else {
            out += body(rows)
        }
    }

    /// Rows a table shows (as in the HTML report); report.json has them all.
    static let maxRows = 200

    /// A table: every cell is text from the report, escaped (`text`), or in
    /// `codeColumns` a code span (`code`); nothing passes through as it is.
    static func table(_ header: [String], codeColumns: Set<Int> = [], _ rows: [[String]]) -> [String] {
        var lines = ["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in "---|" }.joined()]
            + rows.prefix(maxRows).map { row in
                "| " + row.enumerated().map { codeColumns.contains($0.offset) ? code($0.element) : text($0.element) }
                    .joined(separator: " | ") + " |"
            }
        if rows.count > maxRows { lines += ["", "… and \(rows.count - maxRows) more, not shown here: report.json lists every one."] }
        return lines
    }

    /// Text with Markdown's active characters escaped, kept on one line, with
    /// control and bidirectional-override characters replaced (as in the HTML
    /// report) and the starts of GFM autolinks (`://`, `www.`) broken.
    static func text(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\", "`", "*", "_", "[", "]", "<", ">", "|", "#", "!", "&": out.append("\\"); out.unicodeScalars.append(c)
            case "\n", "\r", "\t": out.append(" ")
            case _ where isHidden(c): out.append("\u{FFFD}")
            default: out.unicodeScalars.append(c)
            }
        }
        return out.replacingOccurrences(of: "://", with: "\\:\\/\\/").replacingOccurrences(of: "www.", with: "www\\.")
    }

    /// Controls and the bidirectional overrides and isolates.
    static func isHidden(_ c: Unicode.Scalar) -> Bool {
        c.value < 0x20 || c.value == 0x7f || (0x80..<0xa0).contains(c.value) || (0x202a...0x202e).contains(c.value)
            || (0x2066...0x2069).contains(c.value) || c.value == 0x200e || c.value == 0x200f
    }

    /// A code span (evidence keeps its `*` masks): backticks become `'`, a pipe
    /// is escaped (GFM splits table cells before it reads code spans), hidden
    /// characters are replaced.
    static func code(_ s: String) -> String {
        guard !s.isEmpty else { return "-" }
        var out = "`"
        for c in s.unicodeScalars {
            switch c {
            case "`": out.append("'")
            case "|": out.append("\\|")
            case _ where isHidden(c): out.append("\u{FFFD}")
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "`"
    }
}
