import ArgumentParser
import Assessment
import Capture
import Findings
import Foundation
import PatternFiles
import Pipeline

/// `plainsight assess`: the nightly run.
struct Assess: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assess",
        abstract: "The nightly assessment: read a window of captures and/or sensor JSON Lines, compare with the last run, write reports.",
        discussion: """
            Driven by a YAML configuration (commented example: deploy/assess.example.yaml). Each run writes \
            report.html, report.json and report.md (mode 0600) into a folder of its own under output_dir, \
            with the JSON Lines of the captures it read (traffic.jsonl), then replaces the baseline in \
            state_dir atomically: a run that fails or is killed leaves the previous baseline as it was.

            Exit status: 0 ok; 1 new exposures at or above fail_on; 2 configuration, input or state error \
            (nothing is written to the state then).
            """)

    @Option(help: ArgumentHelp("The configuration file.", valueName: "file"))
    var config: String

    @Option(help: ArgumentHelp(
        "Run as if the clock said this (RFC 3339 or YYYY-MM-DD): picks the window and judges certificate and accepted-risk expiry. For re-runs and tests; not before the baseline's last run.",
        valueName: "time"))
    var now: String?

    func run() throws {
        let clock = try parseNow(now)
        let config: AssessConfig
        do {
            config = try AssessConfig.load(path: self.config)
        } catch let error as AssessmentError {
            printError(error.description)
            throw ExitCode(ExitStatus.inputError)
        }
        do {
            let status = try AssessRun(config: config, now: clock).run()
            if status != 0 { throw ExitCode(status) }
        } catch let error as AssessmentError {
            printError(error.description)
            throw ExitCode(ExitStatus.inputError)
        }
    }
}

/// `plainsight report FILE.jsonl...`: the same reports from any JSON Lines output.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Turn JSON Lines written by read or live into the HTML, Markdown or JSON report.",
        discussion: """
            With no --html, --markdown or --json, the Markdown report goes to standard output. There is no \
            baseline: everything is reported as seen. Files are written with mode 0600.
            """)

    @Argument(help: "JSON Lines files (from read or live with --format json).")
    var files: [String]

    @Option(help: ArgumentHelp("Write the HTML report here (- for standard output).", valueName: "file"))
    var html: String?

    @Option(help: ArgumentHelp("Write the Markdown report here (- for standard output).", valueName: "file"))
    var markdown: String?

    @Option(help: ArgumentHelp("Write the JSON report here (- for standard output).", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Accepted risks (the --allowlist format of read and live).", valueName: "file"))
    var allowlist: String?

    @Option(help: "The report's title.")
    var title = "PlainSight report"

    @Option(help: "Flag certificates expiring within this many days.")
    var certExpiryDays = 30

    @Option(help: ArgumentHelp("Judge certificate and accepted-risk expiry as of this time (RFC 3339 or YYYY-MM-DD; default: now).", valueName: "time"))
    var now: String?

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one JSON Lines file") }
        guard (0...36_500).contains(certExpiryDays) else { throw ValidationError("--cert-expiry-days is 0 to 36500") }
    }

    func run() throws {
        var options = AssessmentOptions(now: try parseNow(now))
        options.title = title
        options.expiryDays = certExpiryDays
        options.inputs = files
        do {
            if let allowlist { options.allowlist = try Allowlist.load(path: allowlist) }
            var assessor = Assessor(options: options)
            for file in files {
                try AuditRecords.read(file, skipped: { printError("warning: skipped \($0)") }) { assessor.add($0) }
                assessor.nextFile()
            }
            let report = assessor.report(against: AssessmentState()).report
            let outputs = [(html, ReportFormat.html), (markdown, .markdown), (json, .json)].compactMap { path, format in
                path.map { ($0, format) }
            }
            if outputs.isEmpty {
                print(MarkdownReport.render(report), terminator: "")
            }
            for (path, format) in outputs {
                let data = try format.render(report)
                if path == "-" { FileHandle.standardOutput.write(data) } else { try PrivateFile.replace(path, with: data) }
            }
        } catch let error as AssessmentError {
            printError(error.description)
            throw ExitCode(ExitStatus.inputError)
        } catch let error as PatternError {
            printError(error.description)
            throw ExitCode(ExitStatus.inputError)
        }
    }
}

enum ReportFormat: String, CaseIterable {
    case html, json, markdown

    var fileName: String {
        switch self {
        case .html: "report.html"
        case .json: "report.json"
        case .markdown: "report.md"
        }
    }

    func render(_ report: AssessmentReport) throws -> Data {
        switch self {
        case .html: Data(HTMLReport.render(report).utf8)
        case .json: try AssessmentJSON.encode(report)
        case .markdown: Data(MarkdownReport.render(report).utf8)
        }
    }
}

/// `--now`, or the clock.
func parseNow(_ text: String?) throws -> Int64 {
    guard let text else { return Int64(Date().timeIntervalSince1970 * 1_000_000) }
    guard let t = Timestamp.parse(text) else {
        throw ValidationError("--now: expected RFC 3339 UTC (2026-12-05T02:30:00Z) or YYYY-MM-DD, not '\(text)'")
    }
    return t
}

/// One nightly run: captures to JSON Lines, every input read, the diff, the reports, then the state.
struct AssessRun {
    let config: AssessConfig
    let now: Int64

    func run() throws -> Int32 {
        let window = config.timeWindow(at: now)
        try PrivateFile.makeFolder(config.stateDir)
        let lock = try StateLock(folder: config.stateDir)
        defer { lock.release() }
        removeLeftoverTemporaries()
        let previous = try AssessmentState.load(from: config.stateDir)
        // The trend and the diff go forward in time: a run dated before the
        // baseline's would put its point out of order and compare the wrong way.
        if let runAt = previous.runAt, let last = Timestamp.parse(runAt), now < last {
            throw AssessmentError("""
                this run's time \(Timestamp.rfc3339(now)) (--now or the clock) is before the baseline's last run at \(runAt) \
                (\(config.stateDir)/\(AssessmentState.fileName)); run with a later --now (a past day is assessed with \
                window: YYYY-MM-DD), or start a fresh baseline with another state_dir or by moving the state file away
                """)
        }

        let captures = AssessConfig.expand(config.captures, window: window)
        let sensorFiles = AssessConfig.expand(config.jsonl, window: window)
        for pattern in captures.unmatched + sensorFiles.unmatched { printError("warning: no input matches \(pattern)") }
        guard !captures.files.isEmpty || !sensorFiles.files.isEmpty else {
            throw AssessmentError("no input for \(window?.label ?? "the run"): nothing matches the configured inputs; the baseline is left as it was")
        }
        // Before the run's folder is made: a mistaken input leaves nothing behind.
        for file in sensorFiles.files { try AuditRecords.checkNotFolder(file) }
        let runFolder = config.outputDir + "/" + RunFolders.name(now)
        try PrivateFile.makeFolder(runFolder)

        var jsonl = sensorFiles.files
        if !captures.files.isEmpty {
            let traffic = runFolder + "/traffic.jsonl"
            try readCaptures(captures.files, into: traffic)
            jsonl.insert(traffic, at: 0)
        }

        var options = AssessmentOptions(now: now)
        options.title = config.title
        options.window = window
        options.threshold = config.failOn
        options.expiryDays = config.certExpiryDays
        options.history = config.history
        options.inputs = captures.files + sensorFiles.files
        if let path = config.allowlist {
            do {
                options.allowlist = try Allowlist.load(path: path)
            } catch let error as PatternError {
                throw AssessmentError(error.description)
            }
        }
        var assessor = Assessor(options: options)
        for file in jsonl {
            try AuditRecords.read(file, skipped: { printError("warning: skipped \($0)") }) { assessor.add($0) }
            assessor.nextFile()
        }
        if assessor.recordsOutsideWindow > 0 {
            printError("note: \(assessor.recordsOutsideWindow) records outside the window \(window?.label ?? "") were not counted")
        }
        let (report, state) = assessor.report(against: previous)
        for format in ReportFormat.allCases where config.formats.contains(format.rawValue) {
            try PrivateFile.replace(runFolder + "/" + format.fileName, with: try format.render(report))
        }
        // Last: a run that dies before this line leaves yesterday's baseline whole.
        try state.save(to: config.stateDir)
        RunFolders.prune(config.outputDir, keep: config.keepRuns, current: RunFolders.name(now)) { printError("warning: \($0)") }

        let s = report.summary
        print("\(s.exposures) exposures (\(s.new) new, \(s.stillOpen) still open, \(s.resolved) resolved, \(s.suppressed) findings suppressed by accepted risks); \(s.expiringCertificates) certificates expired or expiring within \(s.expiryDays) days")
        print("reports: \(runFolder)")
        for risk in report.acceptedRisks where risk.expired {
            printError("warning: accepted risk '\(risk.reason)' expired on \(risk.expires ?? "?") and no longer suppresses anything")
        }
        if let threshold = s.threshold, s.newAtOrAboveThreshold > 0 {
            printError("\(s.newAtOrAboveThreshold) new exposure\(s.newAtOrAboveThreshold == 1 ? "" : "s") at or above \(threshold)")
            return ExitStatus.findings
        }
        return ExitStatus.ok
    }

    /// Deletes what a killed run left half-written (`state.json.tmp-PID`,
    /// `report.html.tmp-PID`) in the state folder and the run folders, with
    /// the state lock held; a file whose writer is alive (a run of another
    /// configuration sharing `output_dir`) is kept.
    func removeLeftoverTemporaries() {
        var removed = PrivateFile.removeStaleTemporaries(in: config.stateDir, names: [AssessmentState.fileName])
        let reports = Set(ReportFormat.allCases.map(\.fileName))
        for folder in RunFolders.list(in: config.outputDir) {
            removed += PrivateFile.removeStaleTemporaries(in: config.outputDir + "/" + folder, names: reports)
        }
        for path in removed { printError("note: removed \(path), left by a run that did not finish") }
    }

    /// Runs the pipeline over the captures (a folder: its captures in name
    /// order), as `read` would with the configured policy.
    func readCaptures(_ paths: [String], into path: String) throws {
        let files: [String]
        do {
            files = try captureFiles(paths)
        } catch {
            throw AssessmentError(error.description)
        }
        var arguments = ["--format", "json", "--output", path, "--cert-expiry-days", String(config.certExpiryDays)]
        if let policy = config.tlsPolicy { arguments += ["--tls-policy", policy] }
        if let patterns = config.patternsDir { arguments += ["--patterns-dir", patterns] }
        let common: CommonOptions
        do {
            common = try CommonOptions.parse(arguments)
        } catch {
            throw AssessmentError("cannot set up the capture reading: \(CommonOptions.message(for: error))")
        }
        let reporter = try common.makeReporter()
        var auditor = Auditor(options: try common.auditorOptions(), reporter: reporter)
        let result = OfflineRun(files: files, filter: nil, showProgress: false).run(&auditor, reporter: reporter)
        // A truncated or corrupt capture: what came before the break counts; say where it broke.
        for error in result.inputErrors { printError("warning: \(error)") }
    }
}

/// One run at a time per state folder (`flock` on `state_dir/lock`).
struct StateLock {
    let fd: Int32

    init(folder: String) throws {
        let path = folder + "/lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AssessmentError("\(path): cannot open the lock (\(String(cString: strerror(errno))))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw AssessmentError("\(path): another assess run holds the state; try again when it has finished")
        }
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
