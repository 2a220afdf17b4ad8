import Capture
import Decoding
import Findings
import Reporting

#if canImport(Glibc)
import Glibc
#endif

/// How a run ended, for the exit code.
public struct RunResult: Sendable {
    public var stats: RunStats
    /// Input problems (unreadable file, truncated capture, ...), each worded for the user.
    public var inputErrors: [String]
    /// The highest severity found, if any finding was raised.
    public var highestSeverity: Severity? {
        Severity.allCases.reversed().first { stats.findingsBySeverity[$0.rawValue] > 0 }
    }
}

/// Offline analysis: reads the files in order as one stream of time.
public struct OfflineRun {
    public var files: [String]
    public var filter: String?
    public var showProgress: Bool

    public init(files: [String], filter: String?, showProgress: Bool) {
        self.files = files
        self.filter = filter
        self.showProgress = showProgress
    }

    /// Reads every file into `auditor`, which writes to `reporter`. A file
    /// that cannot be opened or breaks part-way is reported and skipped;
    /// everything found before (and in later files) is kept. The auditor is
    /// the caller's: a command about to exit can leave its tables to the
    /// operating system instead of freeing them.
    public func run(_ auditor: inout Auditor, reporter: Reporter) -> RunResult {
        let started = Clock.seconds()
        auditor.setInputs(files)
        var errors: [String] = []
        var sources: [(String, CaptureSource?)] = []
        for path in files {
            do throws(CaptureError) {
                let source = try CaptureSource.openFile(path)
                if let filter { try source.setFilter(filter) }
                guard LinkType(rawValue: source.linkType).isSupported else {
                    throw CaptureError(
                        .unsupportedLinkType,
                        "\(path): unsupported link type \(source.linkType) (DLT_\(source.linkTypeName)); supported: "
                            + LinkType.supported.map { $0.name }.joined(separator: ", "))
                }
                sources.append((path, source))
            } catch {
                errors.append(error.description)
                sources.append((path, nil))
            }
        }
        let totalBytes = sources.reduce(Int64(0)) { $0 + ($1.1?.fileSize ?? 0) }
        var progress = showProgress ? Progress(totalBytes: totalBytes) : nil
        var doneBytes: Int64 = 0
        for (index, (_, maybeSource)) in sources.enumerated() {
            guard let source = maybeSource else { continue }
            let linkType = LinkType(rawValue: source.linkType)
            loop: while true {
                switch source.next() {
                case .packet(let p):
                    auditor.process(p.bytes, wireLength: p.wireLength, linkType: linkType, timestamp: p.timestamp)
                    if progress != nil && source.packetsRead & 0x3fff == 0 {
                        progress!.update(
                            doneBytes: doneBytes + (source.bytePosition ?? 0), file: index + 1, files: sources.count)
                    }
                case .timeout:
                    continue
                case .end:
                    break loop
                case .failed(let error):
                    errors.append(error.description)
                    break loop
                }
            }
            doneBytes += source.fileSize
        }
        progress?.clear()
        for e in errors { auditor.noteInputError(e) }
        auditor.finish()
        auditor.setWallSeconds(Clock.seconds() - started)
        let now = auditor.stats.lastPacket ?? Clock.nowMicroseconds()
        reporter.stats(auditor.stats, final: true, now: now)
        return RunResult(stats: auditor.stats, inputErrors: errors)
    }
}

/// Set from the SIGINT/SIGTERM handler; the live loop polls it.
nonisolated(unsafe) private var stopRequested: sig_atomic_t = 0
/// Set from the SIGHUP handler (reopen the output file); the live loop polls it.
nonisolated(unsafe) private var reopenRequested: sig_atomic_t = 0

/// Live capture from an interface until a signal, a duration or a packet count.
public struct LiveRun {
    public var options: LiveOptions
    public var filter: String?
    public var duration: Double?
    public var count: UInt64?
    public var user: String?
    /// Seconds between periodic stats records (JSON output).
    public var statsInterval: Double
    /// The output file, when there is one: rotated and reopened on SIGHUP.
    /// The reporter must already be writing to its `path`.
    public var output: SensorOutput?

    public init(
        options: LiveOptions, filter: String?, duration: Double?, count: UInt64?, user: String?,
        statsInterval: Double, output: SensorOutput? = nil
    ) {
        self.options = options
        self.filter = filter
        self.duration = duration
        self.count = count
        self.user = user
        self.statsInterval = statsInterval
        self.output = output
    }

    public func run(auditorOptions: AuditorOptions, reporter: Reporter) throws(CaptureError) -> RunResult {
        let source = try CaptureSource.openLive(options)
        if let filter { try source.setFilter(filter) }
        guard LinkType(rawValue: source.linkType).isSupported else {
            throw CaptureError(
                .unsupportedLinkType,
                "\(options.interface): unsupported link type \(source.linkType) (DLT_\(source.linkTypeName))")
        }
        if let user { try Privileges.drop(to: user) }
        // The handlers only set a flag (all a signal handler may safely
        // do); the loop below acts on it between packets.
        stopRequested = 0
        reopenRequested = 0
        signal(SIGINT) { _ in stopRequested = 1 }
        signal(SIGTERM) { _ in stopRequested = 1 }
        // SIGHUP reopens the output file; writing to standard output there
        // is nothing to reopen, and a hangup keeps its default meaning.
        if output != nil { signal(SIGHUP) { _ in reopenRequested = 1 } }
        // A parent may have started us with these signals blocked (some
        // supervisors and process libraries do): unblock them, or Ctrl-C,
        // `systemctl stop` and `systemctl reload` would never reach the handler.
        var handledSignals = sigset_t()
        sigemptyset(&handledSignals)
        sigaddset(&handledSignals, SIGINT)
        sigaddset(&handledSignals, SIGTERM)
        if output != nil { sigaddset(&handledSignals, SIGHUP) }
        sigprocmask(SIG_UNBLOCK, &handledSignals, nil)
        defer {
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
            if output != nil { signal(SIGHUP, SIG_DFL) }
        }

        let started = Clock.seconds()
        var nextStats = started + statsInterval
        var nextFlush = started + 1
        var auditor = Auditor(options: auditorOptions, reporter: reporter)
        auditor.setInputs([options.interface])
        let linkType = LinkType(rawValue: source.linkType)
        var errors: [String] = []
        var captured: UInt64 = 0
        var output = self.output
        /// Drop counts and run time into the stats, before a stats record.
        func updateStats(_ now: Double) {
            if let drops = source.dropCounts() { auditor.setDrops(kernel: drops.kernel, interface: drops.interface) }
            auditor.setWallSeconds(now - started)
        }
        loop: while stopRequested == 0 {
            switch source.next() {
            case .packet(let p):
                auditor.process(p.bytes, wireLength: p.wireLength, linkType: linkType, timestamp: p.timestamp)
                captured += 1
                if let count, captured >= count { break loop }
            case .timeout:
                // Quiet link: let idle flows expire on the wall clock.
                auditor.sweep(now: Clock.nowMicroseconds())
            case .end:
                break loop
            case .failed(let error):
                errors.append(error.description)
                break loop
            }
            let now = Clock.seconds()
            if let duration, now - started >= duration { break }
            if now >= nextFlush {
                nextFlush = now + 1
                auditor.flushOutput()
                // Rotation and SIGHUP are looked at here, once a second, not per
                // packet: records reach the output thread at this pace anyway.
                let reopen = reopenRequested != 0
                if reopen { reopenRequested = 0 }
                if let change = output?.due(reopenRequested: reopen) {
                    updateStats(now)
                    auditor.switchOutput(change, now: Clock.nowMicroseconds())
                }
            }
            if now >= nextStats {
                nextStats = now + statsInterval
                updateStats(now)
                auditor.writeStats(now: Clock.nowMicroseconds())
            }
        }
        if let drops = source.dropCounts() { auditor.setDrops(kernel: drops.kernel, interface: drops.interface) }
        for e in errors { auditor.noteInputError(e) }
        auditor.finish()
        auditor.setWallSeconds(Clock.seconds() - started)
        reporter.stats(auditor.stats, final: true, now: Clock.nowMicroseconds())
        return RunResult(stats: auditor.stats, inputErrors: errors)
    }
}
