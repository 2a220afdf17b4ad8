import PatternFiles
import Crypto
import Foundation

/// The secret key of keyed fingerprints: a credential, token or PII value is
/// reported as HMAC-SHA256(key, value), so a later run (or report) can say
/// "the same password as before" while the value itself is never stored, and
/// nobody without the key can test guesses against the fingerprint.
///
/// The key lives in a file created once with mode 0600 (default
/// `$XDG_STATE_HOME/plainsight/fingerprint.key`, else
/// `~/.local/state/plainsight/fingerprint.key`); runs that share it produce
/// comparable fingerprints.
public struct FingerprintKey: Sendable {
    /// HMAC-SHA256 (RFC 2104) with the key's two padded blocks already
    /// hashed: each fingerprint starts from copies of these states (keying
    /// an HMAC per credential cost more than the rest of the work).
    let inner: SHA256
    let outer: SHA256

    public static let byteCount = 32

    init(bytes: [UInt8]) {
        // Keys are 32 bytes, shorter than SHA-256's 64-byte block: no pre-hash.
        var padded = bytes + [UInt8](repeating: 0, count: 64 - bytes.count)
        var inner = SHA256()
        var outer = SHA256()
        for i in padded.indices { padded[i] ^= 0x36 }
        padded.withUnsafeBytes { inner.update(bufferPointer: $0) }
        for i in padded.indices { padded[i] ^= 0x36 ^ 0x5c }
        padded.withUnsafeBytes { outer.update(bufferPointer: $0) }
        self.inner = inner
        self.outer = outer
    }

    /// A key for this run only (fingerprints comparable within the run).
    public static func ephemeral() -> FingerprintKey { FingerprintKey(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }) }

    /// The default key file's path.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/plainsight/fingerprint.key" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/state/plainsight/fingerprint.key"
    }

    /// Reads the key at `path`, creating it (and its folder, 0700) when missing.
    public static func loadOrCreate(at path: String) throws -> FingerprintKey {
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == byteCount else {
                throw PatternError("fingerprint key \(path): expected \(byteCount) bytes, found \(data.count)")
            }
            return FingerprintKey(bytes: Array(data))
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try? FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        // O_EXCL: two runs starting together must not overwrite each other's key.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST, let data = FileManager.default.contents(atPath: path), data.count == byteCount {
                return FingerprintKey(bytes: Array(data))
            }
            throw PatternError("cannot create fingerprint key \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let written = fresh.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == fresh.count else { throw PatternError("cannot write fingerprint key \(path)") }
        return FingerprintKey(bytes: fresh)
    }

    /// `hmac-sha256:` and the first 24 hex digits (96 bits) of the HMAC of
    /// the parts, each length-prefixed so ("ab", "c") and ("a", "bc") differ.
    public func fingerprint(_ parts: [UInt8]...) -> String {
        // Each part with its length in front: ("ab", "c") and ("a", "bc") differ.
        var innerHash = inner
        for part in parts {
            let n = UInt32(truncatingIfNeeded: part.count).bigEndian
            withUnsafeBytes(of: n) { innerHash.update(bufferPointer: $0) }
            part.withUnsafeBytes { innerHash.update(bufferPointer: $0) }
        }
        var outerHash = outer
        innerHash.finalize().withUnsafeBytes { outerHash.update(bufferPointer: $0) }
        return outerHash.finalize().withUnsafeBytes { mac in
            String(unsafeUninitializedCapacity: FingerprintKey.prefix.count + 24) { out in
                for (i, c) in FingerprintKey.prefix.enumerated() { out[i] = c }
                var i = FingerprintKey.prefix.count
                for k in 0..<12 {
                    out[i] = ASCII.hexDigits[Int(mac[k] >> 4)]
                    out[i + 1] = ASCII.hexDigits[Int(mac[k] & 0x0f)]
                    i += 2
                }
                return i
            }
        }
    }

    static let prefix: [UInt8] = Array("hmac-sha256:".utf8)
}
