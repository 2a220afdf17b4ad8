import Flows

/// What every per-flow analyzer implements (the inspector interface).
///
/// The pipeline hands an analyzer the reassembled byte stream of each
/// direction in order: data chunks with their stream offset (a view into the
/// packet when in order; valid only during the call), gaps where bytes were
/// lost, and the end of each direction. An analyzer keeps only small state,
/// parses incrementally (a message may span any number of chunks), never
/// does I/O, and answers `.done` once it needs nothing more from the flow;
/// when every analyzer on a flow is done, the flow is bypassed and its later
/// packets cost one table lookup.
///
/// Implementations are dispatched statically from `FlowInspection` (no
/// existential boxes on the packet path).
/// Bytes an analyzer copies are charged to the shared `InspectionContext`,
/// which also carries the counters every cap reports into.
public protocol StreamAnalyzer {
    mutating func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict
    mutating func gap(direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext)
        -> AnalyzerVerdict
    mutating func end(direction: Direction, context: inout InspectionContext)
}

public enum AnalyzerVerdict: Sendable {
    /// Keep sending this flow's data.
    case needMore
    /// Nothing more is needed from this flow.
    case done
}
