import Decoding
import Flows

/// Which analyzers run (`--analyzers`). `flows` — decoding, reassembly, flow
/// records and protocol identification — always runs; the TLS, cleartext
/// and content analyzers join this set as they are built.
public struct AnalyzerSelection: Sendable, Equatable {
    public static let known = ["flows"]
    public var names: Set<String>

    public static let all = AnalyzerSelection(names: Set(known))

    /// Parses a comma-separated list; `all` selects everything.
    public init?(parsing list: String) {
        var names: Set<String> = ["flows"]
        for item in list.split(separator: ",").map({ $0.filter { $0 != " " } }) where !item.isEmpty {
            if item == "all" { names.formUnion(AnalyzerSelection.known); continue }
            guard AnalyzerSelection.known.contains(item) else { return nil }
            names.insert(item)
        }
        self.names = names
    }

    init(names: Set<String>) { self.names = names }
}

/// Everything Inspection keeps for one flow, stored by the pipeline in an
/// array indexed by the flow's table slot. It dispatches each stream event
/// to the flow's analyzers and reports when all of them are done.
public struct FlowInspection {
    public private(set) var identifier: AppIdentifier
    public private(set) var isDone = false

    public init(serverPort: UInt16, transport: TransportProtocol, selection: AnalyzerSelection) {
        identifier = AppIdentifier(serverPort: serverPort, transport: transport)
    }

    public var app: AppProtocol { identifier.app }

    public mutating func ingest(_ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64) {
        guard !isDone else { return }
        if identifier.ingest(bytes, direction: direction, offset: offset) == .done { isDone = true }
    }

    public mutating func gap(direction: Direction, offset: UInt64, length: UInt64) {
        guard !isDone else { return }
        if identifier.gap(direction: direction, offset: offset, length: length) == .done { isDone = true }
    }

    public mutating func end(direction: Direction) {
        identifier.end(direction: direction)
    }
}
