import Foundation
import Testing

/// Generated sources must match what their generator makes of the committed
/// data: the cipher-suite table comes from the IANA registry CSV.
@Suite(.enabled(if: pythonIsInstalled(), "python3 is not installed: generated-table check skipped"))
struct GeneratedTableTests {
    @Test func cipherSuiteRegistryIsCurrent() throws {
        let script = Paths.root.appendingPathComponent("scripts/gen_cipher_suites.py")
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", script.path, "--check"]
        let output = Pipe()
        python.standardOutput = output
        python.standardError = output
        try python.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        #expect(python.terminationStatus == 0, "\(text)")
        #expect(text.contains("up to date"))
    }
}

/// Whether `python3` is on the PATH.
func pythonIsInstalled() -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/python3")
    }
}
