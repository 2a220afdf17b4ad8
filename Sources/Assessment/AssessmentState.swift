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
