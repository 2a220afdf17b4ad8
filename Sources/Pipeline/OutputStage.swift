import Decoding
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Findings
import Inspection
import Reporting

/// The end of the pipeline — judging TLS handshakes and writing records — on
/// its own thread, so the capture loop spends its time on packets.
///
/// Judging a handshake (certificate parsing, chain walk, fingerprints,
/// finding texts) and writing JSON cost far more per event than a packet
/// costs: on the shared benchmark, doing them inline made a TLS-heavy run
/// ~55 % slower than one that only tracks flows. Here the capture loop only
/// queues what happened, in order; one serial queue assesses and writes, so
/// the output is exactly what the inline version wrote, line for line.
///
/// Events travel in batches (a queue hop per event would cost more than
/// writing it). At most `maxBatchesInFlight` batches wait at once: when the
/// writer falls behind, the capture loop waits for it (offline: the run
/// slows; live: the kernel buffer absorbs it and counts its drops), so
/// memory stays bounded. A batch is sent early once its handshakes carry
/// `maxBatchBytes` of hello and certificate bytes.
final class OutputStage: @unchecked Sendable {
    enum Event: Sendable {
        /// A flow's handshake to judge; `slot` names the flow until its record is written.
        case handshake(slot: Int32, TLSHandshake, FlowIdentity, AppProtocol, at: Microseconds)
        /// What a cleartext analyzer saw on a flow (credentials, STARTTLS lapses).
        case sightings(slot: Int32, [Sighting], FlowIdentity, AppProtocol, at: Microseconds)
        /// A finished flow; its `tls` summary and finding count are filled in here.
        case flow(slot: Int32, FlowRecord)
        /// A periodic (live) stats record; the finding tallies are filled in here.
        case stats(RunStats, now: Microseconds)
        /// Carry on in another file (live rotation or SIGHUP), between two records.
        case switchFile(String)
    }

    /// `PLAINSIGHT_BENCH_DISCARD_OUTPUT=1`: events are dropped instead of
    /// judged and written, so a benchmark can time the capture thread alone
    /// (Benchmarks/analyzer_overhead.sh). Never set in production: nothing is reported.
    static let discardForBenchmark = getenv("PLAINSIGHT_BENCH_DISCARD_OUTPUT").map { String(cString: $0) == "1" } ?? false

    static let batchSize = 256
    /// 16: with 8 the capture loop waited 0.04-0.06 s per GiB of the shared
    /// workload for bursts of finished flows (0.01-0.02 s with 16; peak RSS
    /// +2 MB). At most 64 MiB of handshakes can wait.
    static let maxBatchesInFlight = 16
    static let maxBatchBytes = 4 << 20

    // Capture-loop side (one thread: no dynamic exclusivity checks).
    @exclusivity(unchecked) private var batch: [Event] = []
    @exclusivity(unchecked) private var batchBytes = 0
    private let queue = DispatchQueue(label: "plainsight.output")
    private let free = DispatchSemaphore(value: OutputStage.maxBatchesInFlight)

    // Writer side: touched only on `queue` (and by the capture loop in and after
    // `drain`, where `queue` renders some findings' lines but touches none of these).
    private let reporter: Reporter
    private let assessor: TLSAssessor?
    private let cleartext: CleartextAssessor?
    @exclusivity(unchecked) private var summaries: [Int32: (summary: TLSSummary, findings: Int)] = [:]
    @exclusivity(unchecked) private(set) var findingsBySeverity = [UInt64](repeating: 0, count: Severity.allCases.count)
    /// Each allowlist entry's reason and the findings it suppressed (read after `drain`).
    var allowlistCounts: [(reason: String, suppressed: UInt64)] {
        zip(allowlist.entries, allowlist.suppressed).map { ($0.reason, $1) }
    }

    /// Microseconds since the epoch, now: allowlist entries expire by the calendar.
    private func wallClock() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_nsec) / 1000
    }

    /// ClientHellos found malformed when read here (the capture thread
    /// counts the other malformed TLS messages; read after `drain`).
    @exclusivity(unchecked) private(set) var malformedClientHellos: UInt64 = 0
    /// Cleartext sightings past the cap of distinct findings (read after `drain`).
    var cleartextFindingsDropped: UInt64 { cleartext?.dropped ?? 0 }
    /// PII/secret matches not reported because their flow reported them as a credential.
    var contentDuplicatesOfCredentials: UInt64 { cleartext?.contentDuplicatesOfCredentials ?? 0 }

    /// Accepted risks: matching findings are counted, not written.
    @exclusivity(unchecked) private(set) var allowlist: Allowlist

    init(reporter: Reporter, assessor: TLSAssessor?, cleartext: CleartextAssessor?, allowlist: Allowlist) {
        self.reporter = reporter
        self.assessor = assessor
        self.cleartext = cleartext
        self.allowlist = allowlist
        batch.reserveCapacity(OutputStage.batchSize)
    }

    /// Queues one event; `bytes` is what it keeps alive (handshake copies).
    func send(_ event: consuming Event, bytes: Int = 0) {
        batch.append(event)
        batchBytes += bytes
        if batch.count >= OutputStage.batchSize || batchBytes >= OutputStage.maxBatchBytes { submit() }
    }

    /// Hands the current batch to the writer (waits while too many are pending).
    func submit() {
        guard !batch.isEmpty else { return }
        let events = batch
        batch = []
        batch.reserveCapacity(OutputStage.batchSize)
        batchBytes = 0
        free.wait()
        queue.async {
            self.write(events)
            self.free.signal()
        }
    }

    /// Returns once everything sent so far is judged and written, then the
    /// deduplicated cleartext findings with their final counts. The last
    /// partial batch is written on the calling thread: a small capture never
    /// starts the output thread at all.
    func drain() {
        queue.sync {}
        let events = batch
        batch = []
        batchBytes = 0
        write(events)
        // The queue is idle now: it renders half of the findings' lines.
        writeDeduplicated(helper: queue)
    }

    /// Writes the cleartext findings that are new or seen again since the
    /// last time (each counted in the tallies once, when first written);
    /// `helper`: an idle queue that may build and render some of them.
    private func writeDeduplicated(helper: DispatchQueue? = nil) {
        guard let cleartext, !OutputStage.discardForBenchmark else { return }
        let changed = cleartext.takeChanged()
        let now = wallClock()
        var written: [Int] = []
        written.reserveCapacity(changed.count)
        for position in changed.indices {
            let f = changed.summary(position)
            if allowlist.suppresses(rule: f.rule, flow: f.flow, now: now, count: f.isNew) { continue }
            if f.isNew { findingsBySeverity[f.severity.rawValue] &+= 1 }
            written.append(position)
        }
        reporter.findings(count: written.count, renderingAlsoOn: helper) { [written] in changed[written[$0]].finding }
    }

    /// Writes a batch in order, each event read in place (copying the
    /// records out of the array cost as much as writing some of them).
    private func write(_ events: [Event]) {
        guard !OutputStage.discardForBenchmark else { return }
        events.withUnsafeBufferPointer { for i in $0.indices { write($0[i]) } }
    }

    private func write(_ event: Event) {
        switch event {
        case .handshake(let slot, var handshake, let flow, let app, let time):
            guard let assessor else { return }
            // The capture thread keeps the ClientHello unread: it is checked here.
            if !handshake.readClientHello() { malformedClientHellos &+= 1 }
            let (summary, findings) = assessor.assess(handshake, flow: flow, app: app, at: time)
            summaries[slot] = (summary, findings.count)
            for finding in findings where !allowlist.suppresses(finding, now: wallClock()) {
                findingsBySeverity[finding.severity.rawValue] &+= 1
                reporter.finding(finding)
            }
        case .sightings(let slot, let sightings, let flow, let app, let time):
            for sighting in sightings { cleartext?.note(sighting, slot: slot, flow: flow, app: app, at: time) }
        case .flow(let slot, var record):
            if let judged = summaries.removeValue(forKey: slot) {
                record.tls = judged.summary
                record.findings += judged.findings
            }
            if let cleartext { record.findings += cleartext.flowEnded(slot: slot, record: record) }
            reporter.flow(record)
        case .stats(var stats, let now):
            writeDeduplicated()
            stats.cleartextFindingsDropped = cleartext?.dropped ?? 0
            stats.contentDuplicatesOfCredentials = cleartext?.contentDuplicatesOfCredentials ?? 0
            stats.allowlist = allowlistCounts
            stats.findingsBySeverity = findingsBySeverity
            stats.inspection.tlsMalformed &+= malformedClientHellos
            reporter.stats(stats, final: false, now: now)
        case .switchFile(let path):
            // The deduplicated findings end the old file with their counts so
            // far; in the new one they count again from zero (each file says
            // what happened while it was open).
            writeDeduplicated()
            // A sensor keeps running when the new file cannot be made (a
            // full or read-only disk): records stay in the open file, and
            // the next rotation or SIGHUP tries again.
            do throws(OutputFile.OpenError) {
                try reporter.reopen(path: path)
                cleartext?.restartCounts()
            } catch {
                writeStandardError("plainsight: \(error.description); records go on to the file open before\n")
            }
        }
    }
}
