import Foundation

// MARK: - Files the assessment writes
//
// Reports and the baseline describe where secrets travel: they are private
// (0600, in folders made 0700) and replaced whole — written to a temporary
// file beside the target, flushed, renamed over it, the folder flushed — so a
// reader or a crash never sees half of one.

/// Files the assessment writes: 0600 in folders it creates 0700, replaced atomically.
public enum PrivateFile {
    public static func makeFolder(_ path: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw AssessmentError("\(path): not a folder") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw AssessmentError("\(path): cannot create the folder (\(error.localizedDescription))")
        }
    }

    /// Writes `data` to a temporary file beside `path`, flushes it, renames it over `path`, flushes the folder.
    /// Only a regular file (or a name not taken) is replaced: renaming over
    /// `/dev/stdout` or a FIFO would put a file where a device or pipe was.
    public static func replace(_ path: String, with data: Data) throws {
        var st = stat()
        if lstat(path, &st) == 0 && st.st_mode & S_IFMT != S_IFREG {
            throw AssessmentError("\(path): not a regular file; give a file name (or - for standard output where offered)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        try makeFolder(folder.isEmpty ? "." : folder)
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AssessmentError("\(temporary): cannot create (\(String(cString: strerror(errno))))") }
        var ok = fchmod(fd, 0o600) == 0
        data.withUnsafeBytes { raw in
            var done = 0
            while ok && done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { ok = false } else { done += n }
            }
        }
        ok = ok && fsync(fd) == 0
        var error = ok ? "" : String(cString: strerror(errno))
        close(fd)
        if ok && rename(temporary, path) != 0 {
            error = String(cString: strerror(errno))
            ok = false
        }
        guard ok else {
            unlink(temporary)
            throw AssessmentError("\(path): cannot write (\(error))")
        }
        let dir = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }
}
