import Foundation

/// The JSON report: the model with snake_case keys, sorted, indented (a file people diff).
public enum AssessmentJSON {
    public static func encode(_ report: AssessmentReport) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(report)
    }

    public static func decode(_ data: Data) throws -> AssessmentReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(AssessmentReport.self, from: data)
    }
}
