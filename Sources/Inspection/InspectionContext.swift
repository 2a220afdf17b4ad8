/// State shared by all flows' analyzers: the budget for bytes analyzers copy
/// (partial handshake messages, STARTTLS lines) and the counters of what they
/// did and which caps they hit. Owned by the pipeline, passed `inout`.
public struct InspectionContext: Sendable {
    /// Bytes all analyzers may hold at once (default 16 MiB).
    public var maxBufferedBytes: Int
    public private(set) var bufferedBytes = 0
    public private(set) var peakBufferedBytes = 0
    public var counters = InspectionCounters()

    public init(maxBufferedBytes: Int = 16 << 20) { self.maxBufferedBytes = maxBufferedBytes }

    /// Reserves `n` bytes; false (and a cap hit counted) when over budget.
    mutating func reserve(_ n: Int) -> Bool {
        guard bufferedBytes + n <= maxBufferedBytes else {
            counters.bufferCapHits &+= 1
            return false
        }
        bufferedBytes += n
        peakBufferedBytes = max(peakBufferedBytes, bufferedBytes)
        return true
    }

    mutating func release(_ n: Int) { bufferedBytes -= n }
}

/// What the analyzers counted (reported in the stats record).
public struct InspectionCounters: Sendable, Equatable {
    /// ClientHello / ServerHello messages read.
    public var tlsClientHellos: UInt64 = 0
    public var tlsServerHellos: UInt64 = 0
    /// Handshake messages or records that did not parse; the direction was given up.
    public var tlsMalformed: UInt64 = 0
    /// Handshake messages longer than `TLSAnalyzer.maxHandshakeMessage`: skipped.
    public var tlsOversizedMessages: UInt64 = 0
    /// Certificates dropped past the per-flow chain caps.
    public var tlsCertificatesDropped: UInt64 = 0
    /// Streams upgraded by STARTTLS (or an equivalent) and handed to TLS.
    public var startTLSUpgrades: UInt64 = 0
    /// A copy an analyzer wanted to make was refused by the shared budget.
    public var bufferCapHits: UInt64 = 0

    public init() {}
}
