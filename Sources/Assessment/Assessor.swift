import Decoding
import Findings
import Foundation

// MARK: - From records to a report
//
// The assessor takes the records of one run (any number of JSON Lines files,
// in order), keeps those inside the run's time window, applies the accepted
// risks, and builds the inventory and the exposures; `report(against:)` then
// compares them with the previous run's state and gives the report and the
// state to keep for the next run.

public struct AssessmentOptions: Sendable {
    public var title = "PlainSight assessment"
    /// Records outside `[from, to)` (capture time) are not counted; nil: all.
    public var window: TimeWindow?
    public var allowlist = Allowlist()
    /// New exposures at or above it make the run fail (exit code 1).
    public var threshold: Severity?
    /// Certificates expiring within this many days of `now` are flagged.
    public var expiryDays = 30
    /// The run's clock: certificate expiry and accepted-risk expiry are judged by it.
    public var now: Microseconds
    public var inputs: [String] = []
    /// Runs kept for the trend.
    public var history = 30

    public init(now: Microseconds) { self.now = now }
}

/// A span of capture time, e.g. yesterday (UTC).
public struct TimeWindow: Sendable, Equatable {
    public var label: String
    public var from: Microseconds
    public var to: Microseconds

    public init(label: String, from: Microseconds, to: Microseconds) {
        self.label = label
        self.from = from
        self.to = to
    }

    public static let day: Microseconds = 86_400_000_000

    /// The UTC day before the one `now` falls in.
    public static func yesterday(before now: Microseconds) -> TimeWindow {
        let today = now - ((now % day) + day) % day
        return TimeWindow(label: Timestamp.date(today - day), from: today - day, to: today)
    }

    /// One UTC day, `YYYY-MM-DD`.
    public static func day(_ text: String) -> TimeWindow? {
        guard text.count == 10, let start = Timestamp.parse(text) else { return nil }
        return TimeWindow(label: text, from: start, to: start + day)
    }

    func contains(_ rfc3339: String) -> Bool {
        guard let t = Timestamp.parse(rfc3339) else { return false }
        return t >= from && t < to
    }
}

public struct Assessor {
    public let options: AssessmentOptions
    var exposures: [String: Exposure] = [:]
    var services: [Service: ServiceFacts] = [:]
    var certificates: [String: CertificateFacts] = [:]
    var suppressedByEntry: [Int]
    /// Exposure keys an accepted risk suppressed.
    var acceptedKeys: Set<String> = []
    var flows = 0
    public private(set) var recordsOutsideWindow = 0
    public private(set) var policy: String?
    /// The input file (or, after a writer's final stats record, the next writer's part of it) being read.
    var file = 0

    struct ServiceFacts {
        var apps: Set<String> = []
        var cleartext = false
        var encrypted = false
        var flows = 0
        var firstSeen: String
        var lastSeen: String
        var sni: Set<String> = []
        var versions: Set<String> = []
        var ciphers: Set<String> = []
        var certificate: String?
        var certificateSeen = ""
    }

    struct CertificateFacts {
        var facts: FlowLine.CertificateFacts
        var services: Set<String> = []
    }

    public init(options: AssessmentOptions) {
        self.options = options
        suppressedByEntry = Array(repeating: 0, count: options.allowlist.entries.count)
    }

    /// Records from the next input file follow (deduplicated counts are per file).
    public mutating func nextFile() { file += 1 }

    public mutating func add(_ record: AuditRecord) {
        switch record {
        case .finding(let f):
            if let window = options.window, !window.contains(f.lastSeen ?? f.ts) {
                recordsOutsideWindow += 1
                return
            }
            touch(f.service, seen: f.firstSeen ?? f.ts, f.lastSeen ?? f.ts)
            if let app = f.app, app != "unknown" { services[f.service]!.apps.insert(app) }
            let key = Exposure.key(f)
            if !options.allowlist.entries.isEmpty, let server = IPAddress(f.service.ip), let entry = options.allowlist.entry(
                matching: f.rule, server: server, port: UInt16(clamping: f.service.port), client: f.client.flatMap(IPAddress.init),
                at: options.now)
            {
                suppressedByEntry[entry] += 1
                acceptedKeys.insert(key)
                return
            }
            if exposures[key] == nil { exposures[key] = Exposure(f, key: key) }
            exposures[key]!.add(f, file: file)
        case .flow(let flow):
            if let window = options.window, !window.contains(flow.tsStart) {
                recordsOutsideWindow += 1
                return
            }
            flows += 1
            touch(flow.service, seen: flow.tsStart, flow.tsEnd)
            Assessor.note(flow, in: &services[flow.service]!)
            if let cert = flow.tls?.certificate {
                certificates[cert.sha256, default: CertificateFacts(facts: cert)].services.insert(flow.service.name)
            }
        case .stats(let tlsPolicy, let final):
            if let tlsPolicy { policy = tlsPolicy }
            // The writer ended here: lines after it in the same file (a sensor
            // restarted into its day's file) count from zero again.
            if final { file += 1 }
        }
    }

    /// A flow's facts, added to its service's in place (a copy taken out and
    /// written back would copy the sets on every insert).
    static func note(_ flow: FlowLine, in s: inout ServiceFacts) {
        s.flows += 1
        if flow.app != "unknown" { s.apps.insert(flow.app) }
        if flow.encrypted == true { s.encrypted = true }
        if flow.encrypted == false { s.cleartext = true }
        guard let tls = flow.tls else { return }
        if let v = tls.version { s.versions.insert(v) }
        if let c = tls.cipher { s.ciphers.insert(c) }
        if let n = tls.sni { s.sni.insert(n) }
        if let cert = tls.certificate, flow.tsEnd >= s.certificateSeen {
            s.certificate = cert.sha256
            s.certificateSeen = flow.tsEnd
        }
    }

    mutating func touch(_ service: Service, seen first: String, _ last: String) {
        if services[service] == nil {
            services[service] = ServiceFacts(firstSeen: first, lastSeen: last)
        } else {
            services[service]!.firstSeen = min(services[service]!.firstSeen, first)
            services[service]!.lastSeen = max(services[service]!.lastSeen, last)
        }
    }

    // MARK: The report

    /// The report of this run against `previous` (an empty state: no baseline),
    /// and the state to keep for the next run.
    public func report(against previous: AssessmentState) -> (report: AssessmentReport, state: AssessmentState) {
        let runAt = Timestamp.rfc3339(options.now)
        var state = previous
        state.runAt = runAt
        var report = AssessmentReport(
            title: options.title, generatedAt: runAt,
            window: options.window.map {
                AssessmentReport.Window(label: $0.label, from: Timestamp.rfc3339($0.from), to: Timestamp.rfc3339($0.to))
            },
            inputs: options.inputs, policy: policy, baseline: previous.runAt)

        let current = exposures.values.sorted(by: Assessor.worstFirst)
        for exposure in current {
            let known = previous.exposures[exposure.key]
            // An accepted exposure seen now is no longer suppressed (its entry expired
            // or was removed): it is new again, and counts against the threshold.
            let wasOpen = known?.status == .open
            let firstReported = wasOpen ? known!.row.firstReported : runAt
            let row = exposure.row(firstReported: firstReported)
            if wasOpen { report.stillOpen.append(row) } else { report.newExposures.append(row) }
            state.exposures[exposure.key] = AssessmentState.Stored(row: row, status: .open, lastReported: runAt)
        }
        let observed = Set(services.keys.map(\.name))
        for (key, known) in previous.exposures.sorted(by: { Assessor.worstFirst($0.value.row, $1.value.row) })
        where known.status != .resolved && exposures[key] == nil {
            if acceptedKeys.contains(key) {
                state.exposures[key]!.status = .accepted
                state.exposures[key]!.lastReported = runAt
            } else if observed.contains(known.row.service) {
                report.resolved.append(known.row)
                state.exposures[key]!.status = .resolved
                state.exposures[key]!.resolvedAt = runAt
            } else if known.status == .open {
                report.unobserved.append(known.row)
            }
        }
        // Resolved exposures, and accepted ones no longer seen, are remembered for the history's length, then forgotten.
        let keepSince = options.now - Microseconds(options.history) * TimeWindow.day
        state.exposures = state.exposures.filter { _, stored in
            switch stored.status {
            case .open: true
            case .resolved: (stored.resolvedAt.flatMap(Timestamp.parse) ?? .max) >= keepSince
            case .accepted: (Timestamp.parse(stored.lastReported) ?? .max) >= keepSince
            }
        }

        // Services: first and last seen over the runs; one silent for the history's length is forgotten.
        for (service, facts) in services {
            var seen = previous.services[service.name] ?? .init(firstSeen: facts.firstSeen, lastSeen: facts.lastSeen)
            seen.firstSeen = min(seen.firstSeen, facts.firstSeen)
            seen.lastSeen = max(seen.lastSeen, facts.lastSeen)
            state.services[service.name] = seen
        }
        state.services = state.services.filter { (Timestamp.parse($0.value.lastSeen) ?? .max) >= keepSince }

        fillInventory(&report, current: current, seen: state.services)
        fillSummary(&report, current: current)
        let point = AssessmentReport.TrendPoint(
            runAt: runAt, window: options.window?.label, exposures: report.summary.exposures,
            bySeverity: report.summary.bySeverity, new: report.summary.new, resolved: report.summary.resolved)
        state.runs = Array((previous.runs + [point]).suffix(options.history))
        report.trend = state.runs
        return (report, state)
    }

    /// `current`: this run's exposures, worst first.
    func fillInventory(_ report: inout AssessmentReport, current: [Exposure], seen: [String: AssessmentState.Seen]) {
        var byService: [String: [Exposure]] = [:]
        for e in exposures.values { byService[e.service.name, default: []].append(e) }
        report.services = services.sorted { $0.key < $1.key }.map { service, s in
            let list = byService[service.name] ?? []
            return AssessmentReport.ServiceRow(
                service: service.name, transport: service.transport, ip: service.ip, port: service.port,
                apps: s.apps.sorted(), encrypted: s.cleartext ? false : s.encrypted ? true : nil, flows: s.flows,
                firstSeen: seen[service.name]?.firstSeen ?? s.firstSeen, lastSeen: s.lastSeen, exposures: list.count,
                worstSeverity: list.map(\.severity).max()?.description,
                credentials: list.filter { $0.category == "credential" }.count,
                dataExposures: list.filter { $0.category == "pii" || $0.category == "secret" }.count)
        }
        report.topServices = Array(
            report.services.filter { $0.exposures > 0 }.sorted {
                (rank($0.worstSeverity), $0.exposures, $1.service) > (rank($1.worstSeverity), $1.exposures, $0.service)
            }.prefix(10))
        report.tls = services.sorted { $0.key < $1.key }.compactMap { service, s in
            guard !s.versions.isEmpty || !s.ciphers.isEmpty || s.certificate != nil else { return nil }
            let list = (byService[service.name] ?? []).filter { $0.category == "tls" || $0.category == "certificate" }
            return AssessmentReport.TLSRow(
                service: service.name, sni: s.sni.sorted(), versions: s.versions.sorted(), ciphers: s.ciphers.sorted(),
                certificate: s.certificate, findings: Set(list.map(\.rule)).sorted(),
                worstSeverity: list.map(\.severity).max()?.description)
        }
        report.certificates = certificates.values.map { c in
            // No or an unreadable `not_after`: `unknown`, neither counted nor drawn (not "expired in 1970").
            let notAfter = Timestamp.parse(c.facts.notAfter)
            let daysLeft = notAfter.map { Int(($0 - options.now).dividedRoundingDown(by: TimeWindow.day)) } ?? 0
            let status = notAfter.map { $0 < options.now ? "expired" : daysLeft <= options.expiryDays ? "expiring" : "valid" }
                ?? "unknown"
            return AssessmentReport.CertificateRow(
                sha256: c.facts.sha256, subject: c.facts.subject, issuer: c.facts.issuer, notBefore: c.facts.notBefore,
                notAfter: c.facts.notAfter, daysLeft: daysLeft, status: status, services: c.services.sorted())
        }.sorted { ($0.daysLeft, $0.sha256) < ($1.daysLeft, $1.sha256) }
        report.credentials = current.filter { $0.category == "credential" }.map {
            AssessmentReport.CredentialRow(
                rule: $0.rule, severity: $0.severity.description, service: $0.service.name, evidence: $0.evidence,
                fingerprint: $0.fingerprint, count: $0.count, lastSeen: $0.lastSeen)
        }
        var byRule: [String: [Exposure]] = [:]
        for e in current where e.category == "pii" || e.category == "secret" { byRule[e.rule, default: []].append(e) }
        report.dataExposures = byRule.map { rule, list in
            AssessmentReport.DataTypeRow(
                rule: rule, category: list[0].category, severity: list.map(\.severity).max()!.description,
                values: list.count, occurrences: list.reduce(0) { $0.addingReportingOverflow($1.count).overflow ? .max : $0 + $1.count },
                services: Set(list.map(\.service.name)).sorted())
        }.sorted { (rank($0.severity), $0.values, $1.rule) > (rank($1.severity), $1.values, $0.rule) }
        report.acceptedRisks = options.allowlist.entries.enumerated().map { i, entry in
            AssessmentReport.AcceptedRisk(
                reason: entry.reason, scope: entry.scope, expires: entry.expiresDay,
                expired: (entry.expires ?? .max) < options.now, suppressed: suppressedByEntry[i])
        }
    }

    func fillSummary(_ report: inout AssessmentReport, current: [Exposure]) {
        var s = AssessmentReport.Summary()
        s.exposures = current.count
        for e in current {
            s.bySeverity[e.severity.description, default: 0] += 1
            s.byCategory[e.category, default: 0] += 1
        }
        s.new = report.newExposures.count
        s.stillOpen = report.stillOpen.count
        s.resolved = report.resolved.count
        s.unobserved = report.unobserved.count
        s.suppressed = suppressedByEntry.reduce(0, +)
        s.services = services.count
        s.cleartextServices = services.values.filter(\.cleartext).count
        s.flows = flows
        s.expiryDays = options.expiryDays
        s.expiringCertificates = report.certificates.filter { $0.status == "expired" || $0.status == "expiring" }.count
        if let threshold = options.threshold {
            s.threshold = threshold.description
            s.newAtOrAboveThreshold = report.newExposures.filter { (Severity(name: $0.severity) ?? .info) >= threshold }.count
        }
        report.summary = s
    }

    /// Worst severity first, then rule, service name and key ascending: one
    /// order for this run's exposures and the baseline's rows alike.
    static func worstFirst<E: WorstFirstOrdered>(_ a: E, _ b: E) -> Bool {
        (a.severityRank, b.rule, b.serviceName, b.key) > (b.severityRank, a.rule, a.serviceName, a.key)
    }
}

/// What `Assessor.worstFirst` sorts by. Every field is stored (an exposure
/// keeps its service's name): a comparison builds no string.
protocol WorstFirstOrdered {
    /// Higher is worse, as `rank(_:)`.
    var severityRank: Int { get }
    var rule: String { get }
    var serviceName: String { get }
    var key: String { get }
}

extension Exposure: WorstFirstOrdered {
    var severityRank: Int { severity.rawValue }
}

extension AssessmentReport.ExposureRow: WorstFirstOrdered {
    var severityRank: Int { rank(severity) }
    var serviceName: String { service }
}

/// A severity name's order, higher is worse (-1: none, or a name the model does
/// not use). Called by every sort comparison: a switch, not `Severity(name:)`
/// (which lowercases a copy).
func rank(_ severity: String?) -> Int {
    switch severity {
    case "info": 0
    case "low": 1
    case "medium": 2
    case "high": 3
    case "critical": 4
    default: -1
    }
}

extension Int64 {
    func dividedRoundingDown(by d: Int64) -> Int64 { self >= 0 ? self / d : -((-self + d - 1) / d) }
}
