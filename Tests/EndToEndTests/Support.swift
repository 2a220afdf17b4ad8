import Foundation

/// Runs the `plainsight` binary the way a user does and collects what it wrote.
struct PlainSightRun {
    var status: Int32
    var stdout: String
    var stderr: String

    /// The JSON Lines records on standard output.
    var records: [[String: Any]] { parseRecords(stdout) }
    var flows: [[String: Any]] { records.filter { $0["type"] as? String == "flow" } }
    var stats: [String: Any]? { records.last { $0["type"] as? String == "stats" } }
}

enum Paths {
    /// The package root, found from this file's location.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let captures = root.appendingPathComponent("Captures")
    /// The shared real captures beside the checkout, absent in a user's fresh clone.
    static let realCaptures = root.deletingLastPathComponent().appendingPathComponent("shared/captures/real")
    /// The shared benchmark workload generator, also absent in a fresh clone.
    static let benchGenerator = root.deletingLastPathComponent().appendingPathComponent("shared/bench/gen_traffic.py")

    /// The binary built next to the test bundle.
    static var binary: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("plainsight")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        for config in ["debug", "release"] {
            let candidate = root.appendingPathComponent(".build/\(config)/plainsight")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return beside
    }

    /// `XDG_STATE_HOME` of every run: the fingerprint key is created here,
    /// not in the home of whoever runs the tests.
    static let stateHome = temporaryDirectory()

    /// A new folder for one test's files, inside `scratch`.
    static func temporaryDirectory() -> URL {
        let dir = scratch.appendingPathComponent(UUID().uuidString)
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// One folder per test process, removed when the process exits: the
    /// captures and outputs the tests write (about 30 MB a run) do not pile up in /tmp.
    static let scratch: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plainsight-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Paths.scratch) }
        return dir
    }()
}

/// Runs plainsight with `arguments` (in `directory`, if given); waits at most `timeout` seconds.
func plainsight(
    _ arguments: [String], in directory: URL? = nil, timeout: Double = 60, whileRunning: ((Process) -> Void)? = nil
) throws -> PlainSightRun {
    let process = Process()
    process.executableURL = Paths.binary
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    process.environment = ProcessInfo.processInfo.environment.merging(["XDG_STATE_HOME": Paths.stateHome.path]) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes while the process runs, so a large output cannot block it.
    let outData = Collected(), errData = Collected()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { outData.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter()
    DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    whileRunning?(process)
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    group.wait()
    return PlainSightRun(
        status: process.terminationStatus, stdout: String(decoding: outData.data, as: UTF8.self),
        stderr: String(decoding: errData.data, as: UTF8.self))
}

/// A helper tool's exit status and output.
struct ToolRun {
    var status: Int32
    var output: String
}

/// Runs the program at `path` with `arguments` (and `environment` over this
/// process's) to its end: its standard output, and its standard error too
/// when `withErrors` (else dropped).
func runTool(_ path: String, _ arguments: [String], environment: [String: String] = [:], withErrors: Bool = false) throws -> ToolRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = withErrors ? out : FileHandle.nullDevice
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return ToolRun(status: process.terminationStatus, output: text)
}

/// tshark's standard output for `arguments`.
func tshark(_ arguments: [String]) throws -> String { try runTool("/usr/bin/tshark", arguments).output }

func parseRecords(_ text: String) -> [[String: Any]] {
    text.split(separator: "\n").compactMap {
        (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
    }
}

/// "tcp 10.0.0.1:1234 > 10.0.0.2:80" for a flow record's `flow` object.
func endpoints(_ flow: [String: Any]) -> String {
    let f = flow["flow"] as? [String: Any] ?? flow
    let c = f["client"] as! [String: Any], s = f["server"] as! [String: Any]
    return "\(f["transport"] ?? "?") \(c["ip"]!):\(c["port"]!) > \(s["ip"]!):\(s["port"]!)"
}

/// The oracle's conversations for a capture, as endpoint strings.
func oracleConversations(_ oracle: URL, transports: Set<String> = ["tcp", "udp"]) throws -> Set<String> {
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: oracle)) as! [String: Any]
    let conversations = json["conversations"] as! [[String: Any]]
    return Set(conversations.filter { transports.contains($0["transport"] as! String) }.map(endpoints))
}

/// Bytes read by a background reader; read only after `DispatchGroup.wait`.
final class Collected: @unchecked Sendable {
    var data = Data()
}

/// The number of TCP streams (connections) in an oracle.
func oracleStreamCount(_ oracle: URL) throws -> Int {
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: oracle)) as! [String: Any]
    return (json["conversations"] as! [[String: Any]]).filter { $0["transport"] as? String == "tcp" }.count
}
