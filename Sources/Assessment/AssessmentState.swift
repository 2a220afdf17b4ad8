import Foundation

// MARK: - The baseline between runs
//
// What one nightly run leaves for the next: the exposures it knew (open,
// resolved, accepted) and the last runs' counts for the trend. It holds what
// the report holds — masked evidence and keyed fingerprints, never a value in
// clear. It is replaced atomically: written whole to a temporary file in the
// same folder, flushed, then renamed over the old one, so a run killed at any
// point leaves either yesterday's state or today's, never half of one.

public struct AssessmentState: Codable, Sendable, Equatable {
    public var formatVersion = 1
    /// When the run that wrote it ran (RFC 3339).
    public var runAt: String?
    /// The last runs, oldest first.
    public var runs: [AssessmentReport.TrendPoint] = []
    /// Every exposure a run reported, by key.
    public var exposures: [String: Stored] = [:]
    /// Every service seen (by name, `tcp 192.0.2.10:80`): first and last capture time over the runs.
    public var services: [String: Seen] = [:]

    public init() {}

    public struct Stored: Codable, Sendable, Equatable {
        public enum Status: String, Codable, Sendable {
            case open, resolved
            /// Suppressed by an accepted risk in the last run.
            case accepted
        }

        public var row: AssessmentReport.ExposureRow
        public var status: Status
        /// When a run last reported it, and when one found it gone.
        public var lastReported: String
        public var resolvedAt: String?
    }

    public struct Seen: Codable, Sendable, Equatable {
        public var firstSeen: String
        public var lastSeen: String
    }

    public static let fileName = "state.json"

    /// The state in `folder`; an empty one when there is none yet (the first run).
    public static func load(from folder: String) throws -> AssessmentState {
        let path = folder + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return AssessmentState() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AssessmentError("\(path): cannot read the state")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            let state = try decoder.decode(AssessmentState.self, from: data)
            guard state.formatVersion == 1 else {
                throw AssessmentError("\(path): state format \(state.formatVersion) is newer than this program understands")
            }
            return state
        } catch let error as AssessmentError {
            throw error
        } catch {
            throw AssessmentError("\(path): the state is not valid (\(error)); move it away to start a new baseline")
        }
    }

    /// Replaces the state in `folder` atomically (0600; the folder is created 0700 when missing).
    public func save(to folder: String) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try PrivateFile.replace(folder + "/" + AssessmentState.fileName, with: try encoder.encode(self))
    }
}

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
    public static func replace(_ path: String, with data: Data) throws {
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
        let error = String(cString: strerror(errno))
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
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
