import Decoding

/// Dates in finding messages and details, reports and state files (UTC).
public enum Timestamp {
    /// `2021-01-01T00:00:00Z`.
    public static func rfc3339(_ time: Microseconds) -> String {
        let (days, microOfDay) = CivilDate.split(time)
        let seconds = microOfDay / 1_000_000
        return date(days: days) + "T" + two(seconds / 3600) + ":" + two(seconds / 60 % 60) + ":" + two(seconds % 60) + "Z"
    }

    /// `2021-01-01`.
    public static func date(_ time: Microseconds) -> String { date(days: CivilDate.split(time).days) }

    public static func date(days: Int64) -> String {
        let d = CivilDate(daysSinceEpoch: days)
        let year = String(d.year)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year + "-" + two(d.month) + "-" + two(d.day)
    }

    static func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
}

extension Timestamp {
    /// Parses the RFC 3339 UTC times PlainSight writes — `2026-03-02T09:00:00Z`,
    /// with up to six fraction digits — and `YYYY-MM-DD` (midnight); nil for anything else.
    public static func parse(_ text: String) -> Microseconds? {
        let b = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var v: Int64 = 0
            for c in b[from..<(from + count)] {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int64(c - 0x30)
            }
            return v
        }
        guard b.count >= 10, b[4] == 0x2d, b[7] == 0x2d, let y = number(0, 4), let mo = number(5, 2), let d = number(8, 2),
              (1...12).contains(mo), (1...31).contains(d)
        else { return nil }
        let date = CivilDate(year: y, month: mo, day: d)
        // 2026-02-30 is not a day (the civil arithmetic would make it 2 March).
        let back = CivilDate(daysSinceEpoch: date.daysSinceEpoch)
        guard back.month == mo && back.day == d else { return nil }
        let day = date.daysSinceEpoch * 86_400_000_000
        if b.count == 10 { return day }
        guard b.count >= 20, b[10] == 0x54, b[13] == 0x3a, b[16] == 0x3a, b.last == 0x5a,
              let h = number(11, 2), let mi = number(14, 2), let s = number(17, 2), h < 24, mi < 60, s < 61
        else { return nil }
        var micros: Int64 = 0
        if b.count > 20 {
            let digits = b.count - 21
            guard b[19] == 0x2e, (1...6).contains(digits), let f = number(20, digits) else { return nil }
            micros = f * [100_000, 10_000, 1_000, 100, 10, 1][digits - 1]
        }
        return day + ((h * 60 + mi) * 60 + s) * 1_000_000 + micros
    }
}
