#if canImport(Glibc)
import Glibc
#endif

/// A buffered writer to standard output or to a file the auditor creates
/// with mode 0600 (its output can describe credentials and personal data,
/// so nobody else may read it, even when the file already existed).
public final class OutputFile {
    public enum OpenError: Error, CustomStringConvertible {
        case cannotOpen(path: String, reason: String)
        public var description: String {
            switch self {
            case .cannotOpen(let path, let reason): return "cannot write \(path): \(reason)"
            }
        }
    }

    /// Touched only by the thread that writes (`reopen` included).
    var fd: Int32
    var ownsDescriptor: Bool
    /// Pending output; records are written straight into it.
    public let sink = ByteSink(capacity: 1 << 17)
    public let isTerminal: Bool

    public static func standardOutput() -> OutputFile { OutputFile(fd: 1, owns: false) }

    /// Opens `path`, emptying it, or with `appending` adding to what it holds
    /// (a live sensor's file for the current hour or day, which a restart
    /// of the sensor must not wipe).
    public init(path: String, appending: Bool = false) throws(OpenError) {
        self.fd = try OutputFile.openOwnerOnly(path, appending: appending)
        self.ownsDescriptor = true
        self.isTerminal = false
    }

    /// Writes what is pending to the current file, then carries on in
    /// `path`, appending (a live sensor's rotation, or a reopen on SIGHUP
    /// after logrotate renamed the file away: the renamed file is closed
    /// complete and left alone). If `path` cannot be opened, nothing changes
    /// and output goes on to the current file.
    public func reopen(path: String) throws(OpenError) {
        let newFD = try OutputFile.openOwnerOnly(path, appending: true)
        flush()
        if ownsDescriptor { close(fd) }
        fd = newFD
        ownsDescriptor = true
    }

    private static func openOwnerOnly(_ path: String, appending: Bool) throws(OpenError) -> Int32 {
        // O_NOFOLLOW: a symlink planted where the report goes (say in /tmp)
        // must not redirect a root-run auditor into truncating another file.
        let fd = open(path, O_WRONLY | O_CREAT | (appending ? O_APPEND : O_TRUNC) | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            let reason = errno == ELOOP ? "it is a symbolic link (refused)" : String(cString: strerror(errno))
            throw .cannotOpen(path: path, reason: reason)
        }
        // An existing file keeps its old mode through O_CREAT: tighten it.
        // Only regular files: `-o /dev/null` must not change a device node.
        var st = stat()
        let isRegular = fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFREG
        guard !isRegular || fchmod(fd, 0o600) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .cannotOpen(path: path, reason: reason)
        }
        return fd
    }

    init(fd: Int32, owns: Bool) {
        self.fd = fd
        self.ownsDescriptor = owns
        self.isTerminal = isatty(fd) == 1
    }

    public func write(_ text: String) {
        var text = text
        text.withUTF8 { sink.append(UnsafeRawBufferPointer($0)) }
        flushIfFull()
    }

    /// Bytes rendered elsewhere; a large block goes out as it is, not through the buffer.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard sink.count + bytes.count >= 1 << 16 else {
            sink.append(bytes)
            return
        }
        flush()
        writeAll(bytes)
    }

    /// Writes the buffer out once it holds 64 KiB or more.
    @inline(__always)
    public func flushIfFull() {
        if sink.count >= 1 << 16 { flush() }
    }

    public func flush() {
        writeAll(sink.view)
        sink.removeAll()
    }

    private func writeAll(_ raw: UnsafeRawBufferPointer) {
        var written = 0
        while written < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }  // a closed pipe: nothing more can be written
            written += n
        }
    }

    deinit {
        flush()
        if ownsDescriptor { close(fd) }
    }
}
