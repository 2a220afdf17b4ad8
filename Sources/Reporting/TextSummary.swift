import Findings
import Inspection

/// The terminal report: flows by application, encrypted versus cleartext,
/// the cleartext services a reader should look at first, findings and
/// warnings. Aggregated as records arrive; rendered once at the end.
struct TextSummary {
    struct AppTotals { var flows = 0; var bytes: UInt64 = 0 }
    struct Service: Hashable { var endpoint: String; var app: String }

    var byApp: [String: AppTotals] = [:]
    var flows = 0
    var tcpFlows = 0
    var encrypted = 0
    var cleartext = 0
    var cleartextServices: [Service: AppTotals] = [:]
    /// Distinct cleartext services remembered; a scan or a long live run
    /// must not grow the summary without bound. Later ones are only counted.
    static let maxServices = 10_000
    var servicesNotTracked = 0
    /// TLS handshakes by negotiated version (`none` when no ServerHello was seen).
    var tlsVersions: [String: Int] = [:]
    var findings: [Finding] = []
    var findingsNotShown = 0
    static let maxFindingsShown = 200

    mutating func add(_ r: FlowRecord) {
        flows += 1
        if r.identity.transport == .tcp { tcpFlows += 1 }
        let bytes = r.bytes.toServer + r.bytes.toClient
        byApp[r.app.description, default: AppTotals()].flows += 1
        byApp[r.app.description, default: AppTotals()].bytes += bytes
        if let tls = r.tls { tlsVersions[tls.version ?? "none", default: 0] += 1 }
        switch r.encrypted {
        case true?: encrypted += 1
        case false?:
            cleartext += 1
            let endpoint = r.identity.server.isIPv4
                ? "\(r.identity.server):\(r.identity.serverPort)" : "[\(r.identity.server)]:\(r.identity.serverPort)"
            let key = Service(endpoint: endpoint, app: r.app.description)
            if cleartextServices[key] == nil && cleartextServices.count >= TextSummary.maxServices {
                servicesNotTracked += 1
                break
            }
            cleartextServices[key, default: AppTotals()].flows += 1
            cleartextServices[key, default: AppTotals()].bytes += bytes
        case nil: break
        }
    }

    mutating func add(_ f: Finding) {
        if findings.count < TextSummary.maxFindingsShown { findings.append(f) } else { findingsNotShown += 1 }
    }

    func render(_ s: RunStats) -> String {
        var t = "PlainSight summary\n"
        let inputs = s.inputs.count == 1 ? s.inputs[0] : "\(s.inputs.count) files"
        t += "  input      \(inputs)\n"
        t += "  packets    \(s.packets) (\(humanBytes(s.wireBytes))), \(s.decodedPackets) TCP/UDP decoded\n"
        t += "  time       \(format(s.captureSeconds)) s of capture in \(format(s.wallSeconds)) s\n"
        t += "  flows      \(flows) (\(tcpFlows) TCP, \(flows - tcpFlows) UDP): "
        t += "\(encrypted) encrypted, \(cleartext) cleartext, \(flows - encrypted - cleartext) unidentified or empty\n"
        if !byApp.isEmpty {
            t += "\nFlows by application\n"
            for (app, totals) in byApp.sorted(by: { ($0.value.flows, $1.key) > ($1.value.flows, $0.key) }) {
                t += "  \(pad(app, 10)) \(pad(String(totals.flows), 8, right: true)) \(totals.flows == 1 ? "flow " : "flows")  \(humanBytes(totals.bytes))\n"
            }
        }
        if !cleartextServices.isEmpty {
            t += "\nCleartext services (top 10 by bytes)\n"
            let top = cleartextServices.sorted { ($0.value.bytes, $1.key.endpoint) > ($1.value.bytes, $0.key.endpoint) }.prefix(10)
            if servicesNotTracked > 0 {
                t += "  (\(servicesNotTracked) flows to further services not ranked: more than \(TextSummary.maxServices) services)\n"
            }
            for (service, totals) in top {
                t += "  \(pad(service.endpoint, 28)) \(pad(service.app, 8)) \(pad(String(totals.flows), 6, right: true)) \(totals.flows == 1 ? "flow " : "flows")  \(humanBytes(totals.bytes))\n"
            }
        }
        if !tlsVersions.isEmpty {
            t += "\nTLS handshakes by negotiated version\n"
            for (version, count) in tlsVersions.sorted(by: { $0.key > $1.key }) {
                let label = version == "none" ? "(no ServerHello seen)" : version
                t += "  \(pad(label, 22)) \(pad(String(count), 8, right: true))\n"
            }
            if let policy = s.tlsPolicy { t += "  judged by the \(policy) policy\n" }
        }
        t += "\nFindings: "
        if findings.isEmpty {
            t += "none (analyzers run: \(s.analyzers.joined(separator: ", ")))\n"
        } else {
            t += Severity.allCases.reversed().filter { s.findingsBySeverity[$0.rawValue] > 0 }
                .map { "\(s.findingsBySeverity[$0.rawValue]) \($0)" }.joined(separator: ", ") + "\n"
            for f in findings.sorted(by: { $0.severity > $1.severity }) {
                let times = f.occurrences.map { $0.count > 1 ? " (seen \($0.count) times)" : "" } ?? ""
                t += "  [\(f.severity)] \(f.rule) \(f.flow.client):\(f.flow.clientPort) -> \(f.flow.server):\(f.flow.serverPort) \(f.message)\(times)\n"
            }
            if findingsNotShown > 0 { t += "  ... and \(findingsNotShown) more (use --format json for all)\n" }
        }
        let warnings = s.warnings
        if !warnings.isEmpty {
            t += "\nWarnings\n"
            for w in warnings { t += "  ! \(w)\n" }
        }
        return t
    }

    func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        guard s.count < width else { return s }
        let fill = String(repeating: " ", count: width - s.count)
        return right ? fill + s : s + fill
    }

    func format(_ v: Double) -> String {
        let hundredths = Int((v * 100).rounded())
        let f = hundredths % 100
        return "\(hundredths / 100).\(f < 10 ? "0" : "")\(f)"
    }
}

/// 1536 -> "1.5 KB" (decimal units, one decimal).
func humanBytes(_ n: UInt64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(n)
    var unit = 0
    // 999,950 B rounds to "1000.0 KB": move up a unit when the rounded value would.
    while value >= 999.95 && unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    if unit == 0 { return "\(n) B" }
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) \(units[unit])"
}
