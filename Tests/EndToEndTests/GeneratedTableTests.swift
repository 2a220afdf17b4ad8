import Foundation
import Testing

/// Generated sources must match what their generator makes of the committed
/// data: the cipher-suite table comes from the IANA registry CSV.
@Suite(.enabled(if: pythonIsInstalled(), "python3 is not installed: generated-table check skipped"))
struct GeneratedTableTests {
    @Test func cipherSuiteRegistryIsCurrent() throws {
        let script = Paths.root.appendingPathComponent("scripts/gen_cipher_suites.py")
        let run = try runTool("/usr/bin/env", ["python3", script.path, "--check"], withErrors: true)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("up to date"))
    }
}

/// Whether `python3` is on the PATH.
func pythonIsInstalled() -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/python3")
    }
}
