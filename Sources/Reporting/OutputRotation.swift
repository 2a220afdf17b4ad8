import Decoding

/// How a live sensor's `--output` is split into one file per UTC hour or
/// day (`--rotate hourly|daily`), and when each file ends.
///
/// The period goes before the extension: with `--output /var/lib/plainsight/sensor.jsonl`,
/// daily files are `sensor-2026-12-05.jsonl` and hourly ones `sensor-2026-12-05T14.jsonl`
/// (the hour from 14:00 to 15:00 UTC). Names sort in time order, and a day's files,
/// whichever the period, all match `sensor-2026-12-05*.jsonl`: a nightly job builds
/// yesterday's glob from a date. A path with no extension gets the period at its end.
public struct OutputRotation: Sendable, Equatable {
    public enum Period: String, CaseIterable, Sendable {
        case hourly, daily

        var length: Microseconds { self == .hourly ? 3_600_000_000 : 86_400_000_000 }
    }

    public let period: Period
    /// `--output` before and after the point where the period goes.
    let stem: Substring
    let fileExtension: Substring

    public init(path: String, period: Period) {
        self.period = period
        let nameStart = path.lastIndex(of: "/").map(path.index(after:)) ?? path.startIndex
        // The last dot of the file name, not of a folder; a leading dot
        // (".jsonl") names a hidden file rather than starting an extension.
        if let dot = path[nameStart...].lastIndex(of: "."), dot > nameStart {
            stem = path[..<dot]
            fileExtension = path[dot...]
        } else {
            stem = path[...]
            fileExtension = ""
        }
    }

    /// The file for the period that holds `time` (microseconds since the epoch, UTC).
    public func path(at time: Microseconds) -> String {
        let (days, microsecondOfDay) = CivilDate.split(time)
        let date = CivilDate(daysSinceEpoch: days)
        var label = Self.digits(date.year, 4) + "-" + Self.digits(date.month, 2) + "-" + Self.digits(date.day, 2)
        if period == .hourly { label += "T" + Self.digits(microsecondOfDay / Period.hourly.length, 2) }
        return stem + "-" + label + fileExtension
    }

    /// When the period that holds `time` ends: the first microsecond of the next file.
    public func periodEnd(containing time: Microseconds) -> Microseconds {
        let length = period.length
        // Floor division: a period starts on a multiple of its length (hours and days both divide the epoch's days).
        let index = time >= 0 ? time / length : (time - (length - 1)) / length
        return (index + 1) * length
    }

    private static func digits(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
