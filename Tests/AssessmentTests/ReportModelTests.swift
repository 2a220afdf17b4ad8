import Foundation
import Testing
@testable import Assessment

/// The JSON report is the model encoded with the documented snake_case names.
@Suite struct ReportModelTests {
    @Test func encodesWithSnakeCaseNamesAndDecodesBack() throws {
        var report = AssessmentReport(title: "t", generatedAt: "2026-12-05T02:30:00.000000Z")
        report.summary.newAtOrAboveThreshold = 2
        let data = try AssessmentJSON.encode(report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((object["summary"] as? [String: Any])?["new_at_or_above_threshold"] as? Int == 2)
        #expect(object["format_version"] as? Int == 1)
        #expect(try AssessmentJSON.decode(data) == report)
    }
}
