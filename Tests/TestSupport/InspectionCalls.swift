import Flows
import Inspection

// Tests that do not look at the analyzers' shared budget or counters call
// the analyzers without a context: each call gets a fresh one.

extension AppIdentifier {
    public mutating func ingest(_ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64) -> AnalyzerVerdict {
        var context = InspectionContext()
        return ingest(bytes, direction: direction, offset: offset, context: &context)
    }

    public mutating func gap(direction: Direction, offset: UInt64, length: UInt64) -> AnalyzerVerdict {
        var context = InspectionContext()
        return gap(direction: direction, offset: offset, length: length, context: &context)
    }

    public mutating func end(direction: Direction) {
        var context = InspectionContext()
        end(direction: direction, context: &context)
    }
}

extension FlowInspection {
    public mutating func ingest(_ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64) {
        var context = InspectionContext()
        ingest(bytes, direction: direction, offset: offset, context: &context)
    }

    public mutating func gap(direction: Direction, offset: UInt64, length: UInt64) {
        var context = InspectionContext()
        gap(direction: direction, offset: offset, length: length, context: &context)
    }

    public mutating func end(direction: Direction) {
        var context = InspectionContext()
        end(direction: direction, context: &context)
    }
}
