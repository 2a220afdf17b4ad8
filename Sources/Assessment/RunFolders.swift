import Decoding
import Findings
import Foundation

// MARK: - The per-run report folders
//
// Each run writes its reports into a folder of its own under `output_dir`,
// named by the run's time. Only folders so named are the assessment's: the
// retention (`keep_runs`) and the cleanup of a killed run's temporary files
// look at those and at nothing else a site keeps there.

public enum RunFolders {
    /// `2026-12-05T023000Z`: the run's time without colons (sortable, one folder per run and second).
    public static func name(_ time: Microseconds) -> String {
        Timestamp.rfc3339(time).replacingOccurrences(of: ":", with: "")
    }

    /// The run time a folder name stands for; nil for a name `name(_:)` would not give.
    static func time(ofName name: String) -> Microseconds? {
        guard name.utf8.count == 18 else { return nil }
        let hour = name.prefix(13), minute = name.dropFirst(13).prefix(2), rest = name.dropFirst(15)
        guard let time = Timestamp.parse("\(hour):\(minute):\(rest)"), self.name(time) == name else { return nil }
        return time
    }

    /// The run folders in `outputDir`, oldest first: real folders (not
    /// symbolic links) named by a run time.
    public static func list(in outputDir: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: outputDir)) ?? []
        return entries.compactMap { entry -> (String, Microseconds)? in
            var st = stat()
            guard let time = time(ofName: entry), lstat(outputDir + "/" + entry, &st) == 0, st.st_mode & S_IFMT == S_IFDIR
            else { return nil }
            return (entry, time)
        }.sorted { $0.1 < $1.1 }.map(\.0)
    }

    /// Deletes the oldest run folders in `outputDir` so that `keep` are left,
    /// `current` (this run's) always among them; a folder that cannot be
    /// deleted is named in `failed` and kept.
    public static func prune(_ outputDir: String, keep: Int, current: String, failed: (String) -> Void) {
        let others = list(in: outputDir).filter { $0 != current }
        for name in others.dropLast(max(0, keep - 1)) {
            do {
                try FileManager.default.removeItem(atPath: outputDir + "/" + name)
            } catch {
                failed("\(outputDir)/\(name): cannot delete the old run's folder (\(error.localizedDescription))")
            }
        }
    }
}
