#if canImport(Glibc)
import Glibc
#endif

/// Expands the paths given to `plainsight read` into the files to read, in
/// order: files as given, folders as their regular files sorted by name
/// (rotated tcpdump output sorts into time order), hidden files skipped.
public enum CaptureInputs {
    public static func expand(_ paths: [String]) throws(CaptureError) -> [String] {
        var files: [String] = []
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
                while let entry = readdir(dir) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                        String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                    }
                    guard !name.hasPrefix(".") else { continue }
                    let full = path.hasSuffix("/") ? path + name : path + "/" + name
                    var fst = stat()
                    if stat(full, &fst) == 0 && fst.st_mode & S_IFMT == S_IFREG { names.append(full) }
                }
                closedir(dir)
                guard !names.isEmpty else { throw CaptureError(.noSuchPath, "\(path): folder holds no files") }
                files.append(contentsOf: names.sorted())
            } else {
                files.append(path)
            }
        }
        return files
    }
}
