import Decoding
import Reporting

#if canImport(Glibc)
import Glibc
#endif

/// Where a live sensor's records go, and when they move to another file:
/// at each hour or day boundary of the sensor's wall clock with `--rotate`
/// (not the packets' capture time: a file holds what the sensor wrote in
/// that hour or day), and on SIGHUP, which reopens the same name so that
/// logrotate can rename the file away.
///
/// The capture loop asks `due` once a second; the switch itself is queued
/// behind the records already sent (`Auditor.switchOutput`), so it happens
/// on the output thread between two records and none is lost or written twice.
///
/// A switch is made only once its file could be made: while it cannot (a
/// full or read-only disk, no permission), records go on to the open file and
/// the switch is tried again at the next check, so a new period starts in its
/// own file as soon as the disk allows, not at the next boundary or SIGHUP.
/// A SIGHUP while the open file is still in place (not renamed away) changes
/// nothing: reopening it would only restart the deduplicated findings' counts
/// in the middle of the file (`CleartextAssessor.restartCounts`).
public struct SensorOutput {
    public enum Switch: Equatable, Sendable {
        /// The period ended: the old file gets a closing stats record, then records go to `to`.
        case rotate(to: String)
        /// SIGHUP: close the file and open the same name again (created 0600 if it was renamed away).
        case reopen(String)

        var path: String {
            switch self {
            case .rotate(let path), .reopen(let path): return path
            }
        }
    }

    /// The real wall clock (microseconds since the epoch, UTC).
    public static let systemClock: @Sendable () -> Microseconds = { Clock.nowMicroseconds() }

    private let rotation: OutputRotation?
    /// The file records go to now.
    public private(set) var path: String
    private var periodEnd: Microseconds
    private let clock: @Sendable () -> Microseconds
    /// The file `path` named when the sensor last made it (or, at the first
    /// check, the one the reporter opened): a SIGHUP finds out with it
    /// whether the file was renamed away.
    private var openFile: FileIdentity?
    /// A SIGHUP whose file could not be made yet.
    private var reopenPending = false
    /// The file that could not be made (said once on stderr, not at every try).
    private var unavailable: String?

    /// `clock` decides the period; a test passes its own to cross a boundary without waiting for one.
    public init(
        path: String, rotate period: OutputRotation.Period?, clock: @escaping @Sendable () -> Microseconds = SensorOutput.systemClock
    ) {
        self.clock = clock
        guard let period else {
            rotation = nil
            self.path = path
            periodEnd = .max
            return
        }
        let rotation = OutputRotation(path: path, period: period)
        let now = clock()
        self.rotation = rotation
        self.path = rotation.path(at: now)
        periodEnd = rotation.periodEnd(containing: now)
    }

    /// The switch to make now, if any: a rotation once the wall clock has
    /// passed the end of the current period (if the sensor was busy or the
    /// clock jumped, the file is the one for the current time, not the next
    /// one in line), else a reopen when SIGHUP asked for one and the file was
    /// renamed away; either only once its new file could be made.
    public mutating func due(reopenRequested: Bool) -> Switch? {
        if openFile == nil { openFile = FileIdentity(path) }
        if reopenRequested { reopenPending = true }
        if let rotation {
            let now = clock()
            if now >= periodEnd {
                let next = rotation.path(at: now)
                if let made = make(next) {
                    path = next
                    periodEnd = rotation.periodEnd(containing: now)
                    openFile = made
                    reopenPending = false
                    return .rotate(to: path)
                }
            }
        }
        guard reopenPending else { return nil }
        if let openFile, FileIdentity(path) == openFile {
            reopenPending = false
            return nil
        }
        guard let made = make(path) else { return nil }
        openFile = made
        reopenPending = false
        return .reopen(path)
    }

    /// Creates `file` (0600, appending to one that exists, never through a
    /// symbolic link: as the output thread will open it) and closes it again;
    /// nil when it cannot be made. Made here, on the capture loop, it tells at
    /// once whether the switch can be made; the output thread's own open of a
    /// file that exists then fails only in a race with someone removing it,
    /// and says so.
    private mutating func make(_ file: String) -> FileIdentity? {
        let fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        let error = errno
        guard fd < 0 else {
            defer { close(fd) }
            unavailable = nil
            var st = stat()
            return fstat(fd, &st) == 0 ? FileIdentity(st) : nil
        }
        if unavailable != file {
            unavailable = file
            let reason = error == ELOOP ? "it is a symbolic link (refused)" : String(cString: strerror(error))
            writeStandardError(
                "plainsight: cannot write \(file): \(reason); records go on to the file open now, and \(file) is tried again every second\n")
        }
        return nil
    }
}

/// A file's device and inode: the same file whatever it is called.
struct FileIdentity: Equatable {
    var device: UInt64
    var inode: UInt64

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }

    /// The file `path` names now (following no link); nil if there is none.
    init?(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        self.init(st)
    }
}
