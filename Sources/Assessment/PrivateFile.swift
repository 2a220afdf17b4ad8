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
        let temporary = temporaryPath(path, pid: getpid())
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

    /// Where `replace` writes `path` before renaming it: `path.tmp-PID`, the
    /// writer's process id marking whose it is.
    static func temporaryPath(_ path: String, pid: pid_t) -> String { path + temporaryMarker + String(pid) }
    static let temporaryMarker = ".tmp-"

    /// Removes the temporary files a killed run left in `folder` beside the
    /// files `names` (`state.json.tmp-4242`), and returns their paths. Only
    /// stale ones go: their process is gone, or its id now belongs to a
    /// process started after the file was last written (the id was reused).
    /// A live writer's file is left alone, and so is any other name.
    public static func removeStaleTemporaries(in folder: String, names: Set<String>) -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var removed: [String] = []
        for entry in entries {
            guard let marker = entry.range(of: temporaryMarker, options: .backwards), names.contains(String(entry[..<marker.lowerBound])),
                  let pid = pid_t(entry[marker.upperBound...]), pid > 0, String(pid) == entry[marker.upperBound...]
            else { continue }
            let path = folder + "/" + entry
            var st = stat()
            guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, isStale(pid: pid, writtenAt: st.st_mtim.tv_sec) else {
                continue
            }
            if unlink(path) == 0 { removed.append(path) }
        }
        return removed.sorted()
    }

    /// Whether a file `pid` wrote (last at `writtenAt`, seconds since the epoch) can no longer be that process's.
    static func isStale(pid: pid_t, writtenAt: Int) -> Bool {
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        // Alive (or not ours to signal): stale only if it started after the
        // file was written. A second of slack covers the clock-tick rounding
        // of the start time; when it cannot be read, the file is kept.
        guard let started = processStart(pid) else { return false }
        return started > writtenAt + 1
    }

    /// When process `pid` started (seconds since the epoch), from its
    /// `/proc/PID/stat` start time (clock ticks since boot) and the boot time in `/proc/stat`.
    static func processStart(_ pid: pid_t) -> Int? {
        guard let line = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let command = line.range(of: ")", options: .backwards),
              let system = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let bootLine = system.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let boot = Int(bootLine.dropFirst(6))
        else { return nil }
        // After the command name (which may hold spaces and parentheses):
        // field 3 (state) onwards; the start time is field 22.
        let fields = line[command.upperBound...].split(separator: " ")
        let ticks = Int(sysconf(Int32(_SC_CLK_TCK)))
        guard fields.count > 19, let start = Int(fields[19]), ticks > 0 else { return nil }
        return boot + start / ticks
    }
}
