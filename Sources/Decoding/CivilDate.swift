/// A proleptic Gregorian calendar date, converted to and from days since
/// 1970-01-01 with Howard Hinnant's `days_from_civil` / `civil_from_days`
/// (no Foundation, no time zones: everything PlainSight writes is UTC).
public struct CivilDate: Equatable, Sendable {
    public var year: Int64
    public var month: Int64
    public var day: Int64

    public init(year: Int64, month: Int64, day: Int64) {
        self.year = year
        self.month = month
        self.day = day
    }

    public init(daysSinceEpoch days: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    public var daysSinceEpoch: Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Floor division of a microsecond timestamp into (days, microsecond of day).
    public static func split(_ time: Microseconds) -> (days: Int64, microsecondOfDay: Int64) {
        let perDay: Int64 = 86_400_000_000
        let days = time >= 0 ? time / perDay : (time - (perDay - 1)) / perDay
        return (days, time - days * perDay)
    }
}
