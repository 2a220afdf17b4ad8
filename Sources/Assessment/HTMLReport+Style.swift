import Findings

// MARK: - Colours and the style sheet of the HTML report
//
// One palette for badges, chart bars and timeline marks, so a colour means the
// same thing everywhere on the page: red is critical (and an expired
// certificate), orange high, yellow medium, blue low, grey informational; an
// expiring certificate is amber, a valid one green. Fonts are the reader's
// own (no web font: the page makes no request).

extension HTMLReport {
    /// Severities worst first, as the report names them.
    static let severitiesWorstFirst: [String] = Severity.allCases.reversed().map(\.description)

    /// The CSS class of a severity (`sev-high`); an unknown name gets the neutral one.
    static func severityClass(_ name: String?) -> String {
        guard let name, let severity = Severity(name: name) else { return "sev-other" }
        return "sev-\(severity.description)"
    }

    /// Fill of a severity in the charts (the badge colours, see `styleSheet`).
    static func severityFill(_ name: String) -> String {
        switch Severity(name: name) {
        case .critical: return "#b91c1c"
        case .high: return "#ea580c"
        case .medium: return "#eab308"
        case .low: return "#2563eb"
        case .info: return "#94a3b8"
        case nil: return "#cbd5e1"
        }
    }

    /// Certificate marks: expired red, expiring amber, valid green.
    static func certificateFill(_ status: String) -> String {
        switch status {
        case "expired": return "#b91c1c"
        case "expiring": return "#f59e0b"
        default: return "#16a34a"
        }
    }

    static let styleSheet = """
        :root { color-scheme: light; }
        * { box-sizing: border-box; }
        body { margin: 0; background: #f1f5f9; color: #0f172a; line-height: 1.45;
          font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
        main { max-width: 1200px; margin: 0 auto; padding: 24px 24px 40px; }
        code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
        code { overflow-wrap: anywhere; }
        code.svc, code.digest, code.rule { white-space: nowrap; }
        a { color: #1d4ed8; text-decoration: none; }
        header.report { background: #0f172a; color: #f8fafc; border-radius: 10px; padding: 20px 24px; margin-bottom: 16px; }
        header.report h1 { margin: 0 0 2px; font-size: 24px; font-weight: 650; }
        header.report .kicker { color: #94a3b8; font-size: 12px; letter-spacing: .08em; text-transform: uppercase; }
        header.report dl { display: grid; grid-template-columns: repeat(auto-fit, minmax(210px, 1fr)); gap: 10px 24px; margin: 14px 0 0; }
        header.report dt { color: #94a3b8; font-size: 11px; text-transform: uppercase; letter-spacing: .06em; }
        header.report dd { margin: 2px 0 0; overflow-wrap: anywhere; }
        header.report dl > div.inputs { grid-column: 1 / -1; }
        header.report dd.inputs { font-size: 12px; color: #cbd5e1; }
        header.report dd.inputs code { color: #e2e8f0; }
        nav.toc { display: flex; flex-wrap: wrap; gap: 6px; margin: 0 0 16px; }
        nav.toc a { color: #1e3a8a; background: #fff; border: 1px solid #cbd5e1; border-radius: 999px; padding: 2px 10px;
          text-decoration: none; font-size: 12.5px; }
        nav.toc a span { color: #64748b; }
        section { background: #fff; border: 1px solid #e2e8f0; border-radius: 10px; padding: 16px 20px; margin-bottom: 16px; }
        h2 { font-size: 17px; margin: 0 0 10px; display: flex; align-items: baseline; gap: 8px; }
        h2 .count { font-size: 12px; font-weight: 600; color: #475569; background: #e2e8f0; border-radius: 999px; padding: 1px 8px; }
        h3 { font-size: 15px; margin: 0; }
        p.intro { margin: -4px 0 10px; color: #475569; }
        p.empty { margin: 0; color: #64748b; font-style: italic; }
        p.more { margin: 6px 0 0; color: #64748b; font-size: 13px; }
        .metrics { display: grid; grid-template-columns: repeat(auto-fit, minmax(128px, 1fr)); gap: 10px; }
        .metric { border: 1px solid #e2e8f0; border-radius: 8px; padding: 10px 12px; border-top: 4px solid #cbd5e1; }
        .metric .value { display: block; font-size: 30px; font-weight: 700; line-height: 1.1; font-variant-numeric: tabular-nums; }
        .metric .label { display: block; color: #475569; font-size: 12px; }
        .metric.bad { border-top-color: #b91c1c; } .metric.bad .value { color: #b91c1c; }
        .metric.warn { border-top-color: #f59e0b; } .metric.warn .value { color: #b45309; }
        .metric.good { border-top-color: #16a34a; } .metric.good .value { color: #15803d; }
        .glance { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 24px; margin-top: 14px; }
        .glance h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: #64748b; margin: 0 0 6px; }
        .chips { display: flex; flex-wrap: wrap; gap: 6px; }
        .secondary { color: #475569; margin: 12px 0 0; font-size: 13px; }
        .secondary b { color: #0f172a; }
        .verdict { margin: 14px 0 0; padding: 8px 12px; border-radius: 6px; font-weight: 600; }
        .verdict.fail { background: #fee2e2; color: #7f1d1d; border-left: 4px solid #b91c1c; }
        .verdict.pass { background: #dcfce7; color: #14532d; border-left: 4px solid #16a34a; }
        .badge { display: inline-block; border-radius: 4px; padding: 1px 7px; font-size: 11.5px; font-weight: 650;
          text-transform: uppercase; letter-spacing: .03em; white-space: nowrap; }
        .badge b { font-weight: 800; margin-left: 4px; }
        .sev-critical { background: #b91c1c; color: #fff; }
        .sev-high { background: #ea580c; color: #fff; }
        .sev-medium { background: #eab308; color: #422006; }
        .sev-low { background: #2563eb; color: #fff; }
        .sev-info { background: #e2e8f0; color: #334155; }
        .sev-other { background: #f1f5f9; color: #334155; border: 1px solid #cbd5e1; }
        .zero { opacity: .35; }
        .st-expired { background: #b91c1c; color: #fff; }
        .st-expiring { background: #f59e0b; color: #451a03; }
        .st-valid { background: #dcfce7; color: #14532d; }
        .st-new { background: #fee2e2; color: #991b1b; }
        .st-open { background: #e2e8f0; color: #334155; }
        .chip { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 12px; background: #f1f5f9;
          border: 1px solid #e2e8f0; color: #334155; white-space: nowrap; }
        .chip b { margin-left: 4px; }
        .ref-pci { background: #eff6ff; border-color: #bfdbfe; color: #1e40af; }
        .ref-soc2 { background: #f5f3ff; border-color: #ddd6fe; color: #5b21b6; }
        .ref-hipaa { background: #f0fdfa; border-color: #99f6e4; color: #115e59; }
        .table-wrap { overflow-x: auto; }
        table { width: 100%; border-collapse: collapse; font-size: 13px; }
        th { text-align: left; font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: #475569;
          background: #f8fafc; border-bottom: 2px solid #e2e8f0; padding: 6px 8px; white-space: nowrap; }
        td { border-bottom: 1px solid #eef2f7; padding: 6px 8px; vertical-align: top; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        td.time { white-space: nowrap; color: #334155; }
        td .note { color: #475569; font-size: 12px; margin-top: 2px; }
        td.remediation { color: #334155; font-size: 12.5px; min-width: 220px; }
        td.evidence { min-width: 9em; }
        tr.expired td { background: #fef2f2; }
        .muted { color: #94a3b8; }
        .bar { display: flex; align-items: center; gap: 6px; }
        .bar span.fill { display: inline-block; height: 8px; border-radius: 4px; background: #ea580c; min-width: 2px; }
        figure { margin: 0 0 10px; }
        figure svg { width: 100%; height: auto; display: block; }
        figcaption { color: #475569; font-size: 12.5px; margin-top: 4px; }
        .legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: 12px; color: #334155; margin: 0 0 6px; }
        .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
        article.rule { border: 1px solid #e2e8f0; border-left: 4px solid #cbd5e1; border-radius: 8px; padding: 12px 14px; margin: 0 0 12px; }
        article.rule[data-severity="critical"] { border-left-color: #b91c1c; }
        article.rule[data-severity="high"] { border-left-color: #ea580c; }
        article.rule[data-severity="medium"] { border-left-color: #eab308; }
        article.rule[data-severity="low"] { border-left-color: #2563eb; }
        article.rule header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px; margin-bottom: 6px; }
        article.rule header .what { color: #475569; font-size: 12.5px; }
        article.rule p { margin: 4px 0 8px; }
        article.rule p.refs { display: flex; flex-wrap: wrap; gap: 6px; align-items: baseline; }
        footer { color: #64748b; font-size: 12px; text-align: center; margin-top: 20px; }
        @page { margin: 12mm 10mm; }
        @media print {
          * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
          body { background: #fff; font-size: 10.5px; }
          main { max-width: none; padding: 0; }
          nav.toc { display: none; }
          header.report { border-radius: 0; }
          section { border: none; border-radius: 0; padding: 0; margin: 0 0 14px; }
          h2 { display: block; break-after: avoid; border-bottom: 1px solid #cbd5e1; padding-bottom: 3px; }
          p.intro { break-after: avoid; margin-top: 0; }
          .metrics { grid-template-columns: repeat(7, minmax(0, 1fr)); gap: 6px; }
          .metric { padding: 6px 8px; }
          tr, .metric, figure, article.rule { break-inside: avoid; }
          .table-wrap { overflow: visible; }
          table { font-size: 10px; }
          code, .mono { font-size: 9.5px; }
          .metric .value { font-size: 24px; }
        }
        """
}
