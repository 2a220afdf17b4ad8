import Decoding

/// Dates in finding messages and details (UTC).
enum Timestamp {
    /// `2021-01-01T00:00:00Z`.
    static func rfc3339(_ time: Microseconds) -> String {
        let (days, microOfDay) = CivilDate.split(time)
        let seconds = microOfDay / 1_000_000
        return date(days: days) + "T" + two(seconds / 3600) + ":" + two(seconds / 60 % 60) + ":" + two(seconds % 60) + "Z"
    }

    /// `2021-01-01`.
    static func date(_ time: Microseconds) -> String { date(days: CivilDate.split(time).days) }

    static func date(days: Int64) -> String {
        let d = CivilDate(daysSinceEpoch: days)
        let year = String(d.year)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year + "-" + two(d.month) + "-" + two(d.day)
    }

    static func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
}
