import PatternFiles
import ArgumentParser
import Capture
import Foundation
import Findings
import Inspection
import Pipeline
import Reporting
import Scanning

#if canImport(Glibc)
import Glibc
#endif

/// Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage or input error.
enum ExitStatus {
    static let ok: Int32 = 0
    static let findings: Int32 = 1
    static let inputError: Int32 = 2
}

struct PlainSight: ParsableCommand {
    // Every command names itself: without `commandName` ArgumentParser
    // derives each name from the type by reflection at every start
    // (~15 M instructions, 5 ms, a tenth of `read`'s start-up).
    static let configuration = CommandConfiguration(
        commandName: "plainsight",
        abstract: "Passive network-traffic auditor: finds data crossing the network unprotected.",
        discussion: """
            Reads pcap/pcapng files or sniffs an interface (a mirror/SPAN port) and writes one record per \
            flow (client, server, application, encrypted or not, packets and bytes) plus a final stats record.

            Exit status: 0 ok; 1 findings at or above --fail-on; 2 usage or input error (unreadable, \
            corrupt or truncated capture, no such interface, no permission).
            """,
        subcommands: [Read.self, Live.self, Patterns.self, Assess.self, Report.self])
}

/// Options shared by `read` and `live`.
struct CommonOptions: ParsableArguments {
    @Option(help: "Output format: text or json (JSON Lines). Default: text on a terminal, json otherwise.")
    var format: String?

    @Option(
        name: .shortAndLong,
        help: ArgumentHelp("Write output to FILE (created with mode 0600) instead of standard output (- for standard output).", valueName: "file"))
    var output: String?

    /// The output file, if any: `-` is standard output, as for `patterns test -` and `assess --json -`.
    var outputPath: String? { output == "-" ? nil : output }

    @Option(help: "BPF capture filter (tcpdump syntax), e.g. 'tcp port 21'.")
    var filter: String?

    @Option(help: "Analyzers to run, comma-separated: \(AnalyzerSelection.known.joined(separator: ", ")) or all.")
    var analyzers = "all"

    @Option(help: "Exit with status 1 when a finding at or above this severity is raised (info, low, medium, high, critical). Default: never.")
    var failOn: String?

    @Option(help: "Flows tracked at once; the idlest is evicted at the cap.")
    var maxFlows = FlowLimitsDefaults.maxFlows

    @Option(help: "Out-of-order TCP bytes held, in MiB, across all flows.")
    var maxHeldMb = FlowLimitsDefaults.maxHeldMB

    @Option(help: "Out-of-order TCP bytes held, in KiB, per direction of one connection.")
    var maxHeldPerFlowKb = FlowLimitsDefaults.maxHeldPerDirectionKB

    @Option(help: "Idle timeout of established TCP connections, in seconds.")
    var tcpTimeout = FlowLimitsDefaults.tcpTimeout

    @Option(help: "Idle timeout of UDP conversations, in seconds.")
    var udpTimeout = FlowLimitsDefaults.udpTimeout

    @Option(help: ArgumentHelp(
        "TLS policy: a name from Patterns/tls/policies (mozilla-modern, mozilla-intermediate, mozilla-old, nist-sp800-52r2, pci-dss-4) or a YAML file.",
        valueName: "name|file"))
    var tlsPolicy = TLSPolicy.defaultName

    @Flag(help: "Judge certificate dates against the current time instead of each packet's capture time.")
    var now = false

    @Option(help: ArgumentHelp(
        "PEM bundle of trusted CAs for chain validation; 'none' turns it off. Default: the system bundle when present.",
        valueName: "file|none"))
    var caBundle: String?

    @Option(help: "Report certificates expiring within this many days (default: the policy's, 30 in the shipped ones).")
    var certExpiryDays: Int?

    @Option(help: "The Patterns folder (default: $PLAINSIGHT_PATTERNS, else the one beside the program, else /usr/local/share/plainsight/Patterns).")
    var patternsDir: String?

    @Option(help: "Bytes of each direction of a cleartext flow read for logins and tokens, in KiB.")
    var cleartextDepthKb = Int(InspectionContext.defaultCleartextDepth >> 10)

    @Option(help: ArgumentHelp(
        "YAML file of accepted risks: findings matching an entry (rule, server/client address or CIDR, port) are counted in the stats record instead of written; each entry needs a reason and may expire.",
        valueName: "file"))
    var allowlist: String?

    @Flag(help: "Write '(redacted)' instead of usernames in credential findings.")
    var redactUsernames = false

    @OptionGroup var rules: ContentRuleOptions

    @Flag(help: ArgumentHelp(
        "Show PII and secret values in full in findings (default: masked, e.g. **** **** **** 1111). The output then holds the very data it reports: keep it as safe as the traffic."))
    var reveal = false

    @Option(help: "Bytes of each direction of a flow scanned for PII and secrets, in KiB.")
    var scanDepthKb = Int(InspectionContext.defaultScanDepth >> 10)

    @Flag(help: "Scan decoded bodies, files and attachments that look binary (a NUL or control bytes in their first 512 bytes: images, archives) for PII and secrets too; by default they are skipped and counted.")
    var scanBinary = false

    @Option(help: ArgumentHelp(
        "Key file of credential fingerprints (32 bytes, created 0600 when missing; runs sharing it give comparable fingerprints). Default: $XDG_STATE_HOME/plainsight/fingerprint.key or ~/.local/state/plainsight/fingerprint.key; 'none': a key for this run only.",
        valueName: "file|none"))
    var fingerprintKey: String?

    func validate() throws {
        if let format, OutputFormat(rawValue: format) == nil {
            throw ValidationError("--format must be text or json, not '\(format)'")
        }
        if AnalyzerSelection(parsing: analyzers) == nil {
            throw ValidationError(
                "--analyzers: unknown analyzer in '\(analyzers)'; known: \(AnalyzerSelection.known.joined(separator: ", ")), all")
        }
        if let failOn, Severity(name: failOn) == nil {
            throw ValidationError("--fail-on must be one of info, low, medium, high, critical")
        }
        guard maxFlows > 0, maxHeldMb >= 0, maxHeldPerFlowKb >= 0, tcpTimeout > 0, udpTimeout > 0 else {
            throw ValidationError("limits and timeouts must be positive")
        }
        // Upper bounds keep the unit conversions below from overflowing.
        guard maxFlows <= 100_000_000 else { throw ValidationError("--max-flows is at most 100000000") }
        guard maxHeldMb <= 1 << 20 else { throw ValidationError("--max-held-mb is at most 1048576 (1 TiB)") }
        guard maxHeldPerFlowKb <= 1 << 30 else { throw ValidationError("--max-held-per-flow-kb is at most 1073741824") }
        guard tcpTimeout <= 315_360_000, udpTimeout <= 315_360_000 else {
            throw ValidationError("timeouts are at most 315360000 seconds (10 years)")
        }
        guard cleartextDepthKb > 0 && cleartextDepthKb <= 1 << 30 else {
            throw ValidationError("--cleartext-depth-kb is 1 to 1073741824")
        }
        guard scanDepthKb > 0 && scanDepthKb <= 1 << 30 else {
            throw ValidationError("--scan-depth-kb is 1 to 1073741824")
        }
        if let days = certExpiryDays, days < 0 || days > 36_500 {
            throw ValidationError("--cert-expiry-days is 0 to 36500")
        }
    }

    /// The pipeline's settings; loads the TLS policy (a missing or malformed
    /// policy file is an input error, reported before any packet is read).
    func auditorOptions() throws -> AuditorOptions {
        var o = AuditorOptions()
        o.analyzers = AnalyzerSelection(parsing: analyzers)!  // safe: checked in validate()
        o.flows.maxFlows = maxFlows
        o.flows.maxHeldBytesTotal = maxHeldMb << 20
        o.flows.maxHeldBytesPerDirection = maxHeldPerFlowKb << 10
        o.flows.establishedTimeout = Int64(tcpTimeout) * 1_000_000
        o.flows.udpTimeout = Int64(udpTimeout) * 1_000_000
        o.cleartextDepth = UInt64(cleartextDepthKb) << 10
        o.scanDepth = UInt64(scanDepthKb) << 10
        o.scanBinary = scanBinary
        var content: ContentReporting?
        if o.analyzers.content {
            do {
                let scanner = try ContentScanner(rules.load(patternsDir: patternsDir))
                if !scanner.jit { printError("warning: PCRE2 JIT is not available here; content scanning runs interpreted (slower)") }
                o.scanner = scanner
                content = ContentReporting(rules: scanner.rules, reveal: reveal)
            } catch let error as PatternError {
                printError(error.description)
                throw ExitCode(ExitStatus.inputError)
            }
        }
        if let allowlist {
            do {
                o.allowlist = try Allowlist.load(path: allowlist)
            } catch let error as PatternError {
                printError(error.description)
                throw ExitCode(ExitStatus.inputError)
            }
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            for entry in o.allowlist.expired(at: now) {
                printError("warning: allowlist entry '\(entry.reason)' has expired and no longer suppresses anything")
            }
        }
        if o.analyzers.cleartext {
            do {
                let rules = try CleartextRules.load(patterns: try PatternsDirectory.locate(explicit: patternsDir))
                let key: FingerprintKey
                switch fingerprintKey {
                case "none": key = FingerprintKey.ephemeral()
                case let path?: key = try FingerprintKey.loadOrCreate(at: path)
                case nil:
                    // A sensor user without a writable home still runs; its
                    // fingerprints are then comparable within the run only.
                    do {
                        key = try FingerprintKey.loadOrCreate(at: FingerprintKey.defaultPath())
                    } catch let error as PatternError {
                        printError("warning: \(error.description); credential fingerprints are comparable within this run only (see --fingerprint-key)")
                        key = FingerprintKey.ephemeral()
                    }
                }
                o.cleartext = CleartextAssessor(
                    rules: rules, fingerprints: key, redactUsernames: redactUsernames, content: content)
            } catch let error as PatternError {
                printError(error.description)
                throw ExitCode(ExitStatus.inputError)
            }
        }
        if o.analyzers.tls {
            do {
                var policy = try TLSPolicy.load(tlsPolicy, patterns: try PatternsDirectory.locate(explicit: patternsDir))
                if let days = certExpiryDays { policy.certificate.expiringWithinDays = days }
                let trust: TrustStore?
                switch caBundle {
                case "none": trust = nil
                case let path?:
                    guard FileManager.default.isReadableFile(atPath: path) else {
                        throw PatternError("--ca-bundle: cannot read \(path)")
                    }
                    trust = TrustStore(path: path)
                case nil: trust = TrustStore.system()
                }
                let judgeAt: Int64? = now ? Int64(Date().timeIntervalSince1970 * 1_000_000) : nil
                o.tls = TLSAssessor(policy: policy, now: judgeAt, trust: trust)
            } catch let error as PatternError {
                printError(error.description)
                throw ExitCode(ExitStatus.inputError)
            }
        }
        return o
    }

    /// `rotatedPath`: a live sensor's file for the current hour or day, in
    /// place of --output; appended to, since a restart must not wipe it.
    func makeReporter(rotatedPath: String? = nil) throws -> Reporter {
        let file: OutputFile
        if let rotatedPath {
            file = try OutputFile(path: rotatedPath, appending: true)
        } else if let outputPath {
            file = try OutputFile(path: outputPath)
        } else {
            file = OutputFile.standardOutput()
        }
        let chosen = format.flatMap(OutputFormat.init(rawValue:)) ?? (file.isTerminal ? .text : .json)
        return Reporter(format: chosen, output: file)
    }

    func exitStatus(_ result: RunResult) -> Int32 {
        for e in result.inputErrors { printError(e) }
        if !result.inputErrors.isEmpty { return ExitStatus.inputError }
        if let threshold = failOn.flatMap(Severity.init(name:)), let worst = result.highestSeverity, worst >= threshold {
            return ExitStatus.findings
        }
        return ExitStatus.ok
    }
}

/// Defaults shown in --help, taken from the flow stage's own limits.
enum FlowLimitsDefaults {
    static let limits = AuditorOptions().flows
    static let maxFlows = limits.maxFlows
    static let maxHeldMB = limits.maxHeldBytesTotal >> 20
    static let maxHeldPerDirectionKB = limits.maxHeldBytesPerDirection >> 10
    static let tcpTimeout = Int(limits.establishedTimeout / 1_000_000)
    static let udpTimeout = Int(limits.udpTimeout / 1_000_000)
}

struct Read: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Analyze pcap/pcapng files or folders of them (read in name order, as one stream of time).")

    @Argument(help: "Capture files or folders (a folder's files are read sorted by name).")
    var paths: [String]

    @OptionGroup var common: CommonOptions

    @Flag(inversion: .prefixedNo, help: "Show progress on standard error (default: when it is a terminal).")
    var progress: Bool = isatty(2) == 1

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one capture file or folder") }
    }

    func run() throws {
        let files: [String]
        do {
            files = try captureFiles(paths)
        } catch {
            printError(error.description)
            throw ExitCode(ExitStatus.inputError)
        }
        let reporter = try common.makeReporter()
        var auditor = Auditor(options: try common.auditorOptions(), reporter: reporter)
        let result = OfflineRun(files: files, filter: common.filter, showProgress: progress)
            .run(&auditor, reporter: reporter)
        let status = common.exitStatus(result)
        // Everything is written and flushed. Exit with the auditor still
        // alive: freeing its flow tables, aggregates and compiled rules one
        // object at a time took 0.10-0.12 s per GiB of traffic (7 % of the run).
        withExtendedLifetime(auditor) { Glibc.exit(status) }
    }
}

struct Live: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Capture from an interface (e.g. a mirror/SPAN port) until Ctrl-C, --duration or --count.",
        discussion: """
            Needs root or the CAP_NET_RAW and CAP_NET_ADMIN capabilities. With --user, root is given up once \
            the capture is open. SIGINT/SIGTERM stop cleanly: open flows are written and a final stats record \
            (with kernel and interface drop counts) follows. With --output, SIGHUP closes the file and opens \
            the same name again (for logrotate: a file renamed away is left complete and a new one is created).
            """)

    @Option(name: .shortAndLong, help: "Interface to capture on.")
    var interface: String?

    @Flag(help: "List the interfaces that can be captured on, then exit.")
    var listInterfaces = false

    @Option(help: "Snap length: bytes captured per packet.")
    var snaplen: Int32 = 262_144

    @Option(help: "Kernel capture buffer size, in MB.")
    var bufferSize: Int32 = 64

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "Stop after this many packets.")
    var count: UInt64?

    @Flag(inversion: .prefixedNo, help: "Put the interface in promiscuous mode.")
    var promisc = true

    @Option(help: "Drop root privileges to this user once the capture is open.")
    var user: String?

    @Option(help: "Seconds between periodic stats records (JSON output).")
    var statsInterval: Double = 60

    @Option(help: ArgumentHelp(
        "Start a new output file every UTC hour or day: hourly or daily (needs --output).",
        discussion: "The period goes before the extension: -o sensor.jsonl writes sensor-2026-12-05.jsonl (daily) or sensor-2026-12-05T14.jsonl (hourly). Each file ends with a stats record; a file that exists is appended to.",
        valueName: "period"))
    var rotate: String?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if !listInterfaces && interface == nil { throw ValidationError("give an interface with -i (see --list-interfaces)") }
        if snaplen < 64 { throw ValidationError("--snaplen must be at least 64") }
        if bufferSize < 1 || bufferSize > 2047 { throw ValidationError("--buffer-size is 1 to 2047 MB") }
        if statsInterval <= 0 { throw ValidationError("--stats-interval must be positive") }
        if let rotate {
            if OutputRotation.Period(rawValue: rotate) == nil { throw ValidationError("--rotate is hourly or daily") }
            if common.outputPath == nil { throw ValidationError("--rotate needs --output FILE: the files are named after it") }
            if common.format == "text" { throw ValidationError("--rotate writes JSON Lines: it cannot be used with --format text") }
        }
    }

    func run() throws {
        if listInterfaces {
            do {
                for (name, description) in try CaptureSource.interfaces() {
                    print(description.map { "\(name)\t\($0)" } ?? name)
                }
            } catch {
                printError(error.description)
                throw ExitCode(ExitStatus.inputError)
            }
            return
        }
        var options = LiveOptions(interface: interface!)  // safe: checked in validate()
        options.snapLength = snaplen
        options.bufferMegabytes = bufferSize
        options.promiscuous = promisc
        let auditorOptions = try common.auditorOptions()
        let period = rotate.flatMap(OutputRotation.Period.init(rawValue:))
        let output = common.outputPath.map { SensorOutput(path: $0, rotate: period) }
        let reporter = try common.makeReporter(rotatedPath: period == nil ? nil : output?.path)
        let run = LiveRun(
            options: options, filter: common.filter, duration: duration, count: count, user: user,
            statsInterval: statsInterval, output: output)
        let result: RunResult
        do {
            result = try run.run(auditorOptions: auditorOptions, reporter: reporter)
        } catch {
            printError(error.description)
            throw ExitCode(ExitStatus.inputError)
        }
        let status = common.exitStatus(result)
        if status != 0 { throw ExitCode(status) }
    }
}

/// The capture files `paths` name (a folder: its captures in name order); the
/// files a folder holds that are not captures are said on standard error.
func captureFiles(_ paths: [String]) throws(CaptureError) -> [String] {
    let expansion = try CaptureInputs.expand(paths)
    for (folder, count) in expansion.skipped {
        printError("\(folder): skipped \(count) file\(count == 1 ? "" : "s") that are not pcap or pcapng captures")
    }
    return expansion.files
}

func printError(_ message: String) {
    var bytes = Array("plainsight: \(message)\n".utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}

// glibc's mmap threshold fixed at 8 MiB. It starts at 128 KiB and rises
// only as mapped blocks are freed; meanwhile blocks above it were mapped,
// faulted in page by page and unmapped, and freed heap was trimmed and
// faulted in again. On a GiB of the shared workload (11 interleaved
// rounds): page faults 54 k -> 49 k, wall -5 % with all analyzers and -12 %
// with `flows`; peak RSS unchanged. 32 MiB (glibc's own ceiling) saved a
// little more (-7 %, -14 %), but then a program under valgrind, whose heap
// cannot grow past 8 MiB, fails its first 1 MiB allocation. Swift's Glibc
// module imports neither `mallopt` nor M_MMAP_THRESHOLD (-3 in <malloc.h>):
// looked up by name, and skipped on a libc without it.
if let symbol = dlsym(nil, "mallopt") {
    let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    _ = mallopt(-3, 8 << 20)
}

// Usage errors exit with 2 (ArgumentParser's default would be 64).
do {
    var command = try PlainSight.parseAsRoot()
    try command.run()
} catch let error as ExitCode {
    exit(error.rawValue)
} catch let error as OutputFile.OpenError {
    printError(error.description)
    exit(ExitStatus.inputError)
} catch {
    if PlainSight.exitCode(for: error) == .success { PlainSight.exit(withError: error) }
    printError(PlainSight.message(for: error) + " (see --help)")
    exit(ExitStatus.inputError)
}
