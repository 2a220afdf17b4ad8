import Foundation
import Testing
@testable import Decoding
@testable import Reporting

/// Microseconds since the epoch of a UTC date and time.
func utc(_ year: Int64, _ month: Int64, _ day: Int64, _ hour: Int64 = 0, _ minute: Int64 = 0, _ second: Int64 = 0)
    -> Microseconds
{
    let days = CivilDate(year: year, month: month, day: day).daysSinceEpoch
    return ((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000
}

@Suite("OutputRotation")
struct OutputRotationTests {
    let daily = OutputRotation(path: "/var/lib/plainsight/sensor.jsonl", period: .daily)
    let hourly = OutputRotation(path: "/var/lib/plainsight/sensor.jsonl", period: .hourly)

    @Test func thePeriodGoesBeforeTheExtension() {
        let t = utc(2026, 12, 5, 14, 30, 7)
        #expect(daily.path(at: t) == "/var/lib/plainsight/sensor-2026-12-05.jsonl")
        #expect(hourly.path(at: t) == "/var/lib/plainsight/sensor-2026-12-05T14.jsonl")
        #expect(hourly.path(at: utc(2026, 1, 9, 3)) == "/var/lib/plainsight/sensor-2026-01-09T03.jsonl")
    }

    @Test func yearEndMovesToTheFirstOfJanuary() {
        let lastMicrosecond = utc(2027, 1, 1) - 1
        #expect(daily.path(at: lastMicrosecond) == "/var/lib/plainsight/sensor-2026-12-31.jsonl")
        #expect(hourly.path(at: lastMicrosecond) == "/var/lib/plainsight/sensor-2026-12-31T23.jsonl")
        #expect(daily.periodEnd(containing: lastMicrosecond) == utc(2027, 1, 1))
        #expect(hourly.periodEnd(containing: lastMicrosecond) == utc(2027, 1, 1))
        #expect(daily.path(at: utc(2027, 1, 1)) == "/var/lib/plainsight/sensor-2027-01-01.jsonl")
        #expect(hourly.path(at: utc(2027, 1, 1)) == "/var/lib/plainsight/sensor-2027-01-01T00.jsonl")
    }

    @Test func leapDayIsItsOwnFile() {
        let t = utc(2028, 2, 29, 23, 59, 59)
        #expect(daily.path(at: t) == "/var/lib/plainsight/sensor-2028-02-29.jsonl")
        #expect(daily.periodEnd(containing: t) == utc(2028, 3, 1))
        #expect(daily.path(at: daily.periodEnd(containing: t)) == "/var/lib/plainsight/sensor-2028-03-01.jsonl")
    }

    @Test func aBoundaryBelongsToTheNewPeriod() {
        let boundary = utc(2026, 12, 5, 15)
        #expect(hourly.periodEnd(containing: boundary - 1) == boundary)
        #expect(hourly.periodEnd(containing: boundary) == utc(2026, 12, 5, 16))
        #expect(daily.periodEnd(containing: boundary) == utc(2026, 12, 6))
    }

    /// A nightly job finds a day's files with one glob built from the date,
    /// and sorting names sorts the files in time.
    @Test func namesSortInTimeAndADayMatchesOnePrefix() {
        let start = utc(2026, 12, 30, 22)
        let hours = (0..<72).map { start + Int64($0) * 3_600_000_000 }
        let names = hours.map { hourly.path(at: $0) }
        #expect(names.sorted() == names)
        #expect(Set(names).count == names.count)
        let newYearsEve = names.filter { $0.hasPrefix("/var/lib/plainsight/sensor-2026-12-31") }
        #expect(newYearsEve.count == 24)
        #expect(newYearsEve.allSatisfy { $0.hasSuffix(".jsonl") })
        let days = hours.map { daily.path(at: $0) }
        #expect(days.sorted() == days)
        let expectedDays = ["2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02"]
        #expect(Set(days) == Set(expectedDays.map { "/var/lib/plainsight/sensor-\($0).jsonl" }))
    }

    @Test func onlyTheFileNameExtensionCounts() {
        let t = utc(2026, 12, 5, 14)
        #expect(OutputRotation(path: "sensor", period: .daily).path(at: t) == "sensor-2026-12-05")
        #expect(OutputRotation(path: "/srv/v1.2/sensor", period: .daily).path(at: t) == "/srv/v1.2/sensor-2026-12-05")
        #expect(OutputRotation(path: "/srv/.jsonl", period: .hourly).path(at: t) == "/srv/.jsonl-2026-12-05T14")
        #expect(OutputRotation(path: "out.tar.jsonl", period: .daily).path(at: t) == "out.tar-2026-12-05.jsonl")
    }
}
