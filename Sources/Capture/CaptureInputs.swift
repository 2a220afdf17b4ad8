#if canImport(Glibc)
import Glibc
#endif

/// Expands the paths given to `plainsight read` into the files to read, in
/// order: files as given, folders as their regular files sorted by name
/// (rotated tcpdump output sorts into time order). In a folder, hidden files
/// and files that do not start like a pcap or pcapng capture are skipped
/// (and counted in `skipped`); a file named explicitly is always read, so a
/// bad one gets a clear error.
public enum CaptureInputs {
    public struct Expansion: Sendable {
        public var files: [String]
        /// Files in folders that were not captures, by folder.
        public var skipped: [(folder: String, count: Int)]
    }

    /// The first four bytes of the capture formats libpcap reads: pcap
    /// (both byte orders, micro- and nanosecond) and pcapng.
    static let magics: Set<UInt32> = [0xa1b2_c3d4, 0xd4c3_b2a1, 0xa1b2_3c4d, 0x4d3c_b2a1, 0x0a0d_0d0a]

    static func looksLikeCapture(_ path: String) -> Bool {
        guard let file = fopen(path, "rb") else { return false }
        defer { fclose(file) }
        var magic: UInt32 = 0
        guard fread(&magic, 4, 1, file) == 1 else { return false }
        return magics.contains(UInt32(bigEndian: magic))
    }

    public static func expand(_ paths: [String]) throws(CaptureError) -> Expansion {
        var files: [String] = []
        var skipped: [(String, Int)] = []
        for path in paths {
            var st = stat()
            guard stat(path, &st) == 0 else {
                throw CaptureError(.noSuchPath, "\(path): no such file or directory")
            }
            if st.st_mode & S_IFMT == S_IFDIR {
                guard let dir = opendir(path) else {
                    throw CaptureError(.unreadable, "\(path): cannot open folder: \(String(cString: strerror(errno)))")
                }
                var names: [String] = []
                var notCaptures = 0
                while let entry = readdir(dir) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                        String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                    }
                    guard !name.hasPrefix(".") else { continue }
                    let full = path.hasSuffix("/") ? path + name : path + "/" + name
                    var fst = stat()
                    guard stat(full, &fst) == 0, fst.st_mode & S_IFMT == S_IFREG else { continue }
                    if looksLikeCapture(full) { names.append(full) } else { notCaptures += 1 }
                }
                closedir(dir)
                guard !names.isEmpty else {
                    throw CaptureError(.noSuchPath, "\(path): folder holds no files that are pcap or pcapng captures")
                }
                if notCaptures > 0 { skipped.append((path, notCaptures)) }
                files.append(contentsOf: names.sorted())
            } else {
                files.append(path)
            }
        }
        return Expansion(files: files, skipped: skipped)
    }
}
