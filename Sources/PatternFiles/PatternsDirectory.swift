import Foundation

/// Finds the `Patterns/` folder: the rule files (TLS policies and rule
/// texts, cleartext rules, and later content rules) that users read, copy
/// and extend.
public enum PatternsDirectory {
    /// Installed copies, after the ones next to the program.
    public static let installed = ["/usr/local/share/plainsight/Patterns", "/usr/share/plainsight/Patterns"]

    /// `explicit` (`--patterns-dir`), else `$PLAINSIGHT_PATTERNS`, else a
    /// `Patterns` folder beside the executable or above it (a source
    /// checkout's `.build/release/plainsight` finds the checkout's own), else
    /// the installed locations.
    public static func locate(explicit: String?) throws -> URL {
        if let explicit { return try checked(URL(fileURLWithPath: explicit), from: "--patterns-dir") }
        if let env = ProcessInfo.processInfo.environment["PLAINSIGHT_PATTERNS"], !env.isEmpty {
            return try checked(URL(fileURLWithPath: env), from: "PLAINSIGHT_PATTERNS")
        }
        var folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = folder.appendingPathComponent("Patterns")
            if isPatterns(candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        for path in installed where isPatterns(URL(fileURLWithPath: path)) { return URL(fileURLWithPath: path) }
        throw PatternError(
            "cannot find the Patterns folder (TLS policies, cleartext rules); give it with --patterns-dir or PLAINSIGHT_PATTERNS, "
                + "or install it as \(installed[0])")
    }

    public static func isPatterns(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("tls").path, isDirectory: &isDirectory)
            && isDirectory.boolValue
    }

    static func checked(_ url: URL, from source: String) throws -> URL {
        guard isPatterns(url) else { throw PatternError("\(source): \(url.path) is not a Patterns folder (no tls/ inside)") }
        return url
    }
}
