import Scanning

/// State shared by all flows' analyzers: the budgets for bytes analyzers
/// copy — partial messages waiting for their end, and the facts kept until a
/// flow's record is written (hellos, certificates) — and the counters of what
/// they did and which caps they hit. Owned by the pipeline, passed `inout`.
public struct InspectionContext: Sendable {
    /// Partial-message bytes all analyzers may hold at once (default 16 MiB).
    public var maxBufferedBytes: Int
    public private(set) var bufferedBytes = 0
    public private(set) var peakBufferedBytes = 0
    /// Handshake facts (hello bodies, certificates) all flows may keep at once
    /// (default 64 MiB): a flood of half-finished handshakes cannot grow memory.
    public var maxKeptBytes: Int
    public private(set) var keptBytes = 0
    public private(set) var peakKeptBytes = 0
    public var counters = InspectionCounters()
    /// Where decoded bodies and parts go (`.off`: not decoded).
    public var content: ContentSink = .off
    /// The pipeline's slot of the flow being inspected, set before each call:
    /// content streams are named by it.
    public var flow: UInt32 = 0
    /// Bytes of each direction a cleartext analyzer reads before it stops
    /// (`--cleartext-depth`): logins and tokens come early in a session; a
    /// download does not need reading to its end.
    public var cleartextDepth: UInt64
    /// Bytes of each direction of a flow the content scanner reads (`--scan-depth`).
    public var scanDepth: UInt64 = defaultScanDepth
    /// Decoded streams that look binary (`TextSniff`) are scanned too (`--scan-binary`).
    public var scanBinary = false
    /// What the content scanner's streams keep between chunks, all together.
    public var scanBudget = ScanBudget()
    /// The scanner's output for the flow being inspected, before it becomes sightings.
    var scanMatches: [ScanMatch] = []
    @usableFromInline var contentSightings: [Sighting] = []
    /// Stream ranges of the chunk being read that a reader decodes for the
    /// scanner (ascending): the raw scan skips them.
    var decodedRanges: [Range<UInt64>] = []
    /// Scan state of each open decoded stream, by flow slot and stream id.
    var pieceScans: [UInt64: PieceScan] = [:]
    /// The UTF-16LE text the raw scan narrowed from the chunk being read (reused).
    var wideText: [UInt8] = []

    public static let defaultCleartextDepth: UInt64 = 1 << 20
    public static let defaultScanDepth: UInt64 = 1 << 20

    public init(maxBufferedBytes: Int = 16 << 20, maxKeptBytes: Int = 64 << 20, cleartextDepth: UInt64 = defaultCleartextDepth) {
        self.maxBufferedBytes = maxBufferedBytes
        self.maxKeptBytes = maxKeptBytes
        self.cleartextDepth = cleartextDepth
    }

    /// Charges `n` bytes of kept facts; false (and a cap hit counted) when over budget.
    mutating func keep(_ n: Int) -> Bool {
        guard keptBytes + n <= maxKeptBytes else {
            counters.keptCapHits &+= 1
            return false
        }
        keptBytes += n
        peakKeptBytes = max(peakKeptBytes, keptBytes)
        return true
    }

    mutating func unkeep(_ n: Int) { keptBytes -= n }

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
    /// Handshake messages or records that did not parse; the direction was
    /// given up. ClientHellos are read off the packet thread, which adds its
    /// count to the stats (a malformed one does not stop the direction).
    public var tlsMalformed: UInt64 = 0
    /// Handshake messages longer than `TLSAnalyzer.maxHandshakeMessage`: skipped.
    public var tlsOversizedMessages: UInt64 = 0
    /// Certificates dropped past the per-flow chain caps.
    public var tlsCertificatesDropped: UInt64 = 0
    /// Streams upgraded by STARTTLS (or an equivalent) and handed to TLS.
    public var startTLSUpgrades: UInt64 = 0
    /// A copy an analyzer wanted to make was refused by the shared budget.
    public var bufferCapHits: UInt64 = 0
    /// A hello or certificate was not kept: the facts budget was full.
    public var keptCapHits: UInt64 = 0
    /// HTTP lines (start, header, chunk-size, trailer) longer than `HTTPAnalyzer.maxLine`: skipped.
    public var httpOversizedLines: UInt64 = 0
    /// HTTP requests past `HTTPAnalyzer.maxPendingRequests` awaiting a response: their credentials went out as unknown.
    public var httpPendingOverflows: UInt64 = 0
    /// HTTP messages whose start line, length or chunk framing did not parse; the direction was given up.
    public var httpMalformed: UInt64 = 0
    /// Login messages past their reader's cap (databases 8-32 KiB, LDAP 64 KiB, brokers and SOCKS 8-16 KiB,
    /// NATS lines 16 KiB, IRC SASL messages 1600 bytes): skipped by length (a NATS line is read truncated).
    public var cleartextOversizedMessages: UInt64 = 0
    /// SNMP communities past the per-flow cap (8): counted, not reported.
    public var snmpCommunitiesDropped: UInt64 = 0
    /// SNMPv3 users past `SNMPv3Analyzer.maxUsers` in one flow: their HMACs are not reported.
    public var snmpv3UsersDropped: UInt64 = 0
    /// SIP/RTSP credentials past `HeaderAuthAnalyzer.maxPending` waiting for
    /// their response: the oldest went out as unknown.
    public var cleartextPendingOverflows: UInt64 = 0
    /// Proxy tunnels opened: HTTP CONNECT answered 2xx; SOCKS5 CONNECT answered REP 0, SOCKS4 granted.
    public var connectTunnels: UInt64 = 0
    public var socksTunnels: UInt64 = 0
    /// Tunnels found to carry TLS (its handshake read).
    public var tunnelledTLS: UInt64 = 0

    /// The counter of tunnels opened by `kind` of proxy.
    public static func tunnels(_ kind: TunnelKind) -> WritableKeyPath<InspectionCounters, UInt64> {
        switch kind {
        case .httpConnect: \.connectTunnels
        case .socks5, .socks4: \.socksTunnels
        }
    }

    public func tunnels(_ kind: TunnelKind) -> UInt64 { self[keyPath: Self.tunnels(kind)] }
    /// HTTP/1.1 connections switched to HTTP/2 in clear (`Upgrade: h2c`) and handed to `HTTP2Analyzer`.
    public var h2cUpgrades: UInt64 = 0
    /// HTTP/1.1 connections switched to WebSocket (`101`) whose frames were read (for the
    /// content stage, or for the logins of MQTT or STOMP inside).
    public var webSocketUpgrades: UInt64 = 0
    /// WebSocket frames that broke the framing rules (RFC 6455 §5); the direction was given up.
    public var webSocketMalformed: UInt64 = 0
    /// HTTP/2 frames that broke the framing rules, or header blocks HPACK could not decode; the direction was given up.
    public var http2Malformed: UInt64 = 0
    /// HPACK dynamic tables sized past `HPACKDecoder.maxTableSize`; the direction was given up.
    public var http2TableOverflows: UInt64 = 0
    /// HTTP/2 client directions stopped at `HTTP2Analyzer.maxStreams` requests.
    public var http2StreamCapHits: UInt64 = 0
    /// HTTP/2 requests with credentials past `HTTP2Analyzer.maxPendingStreams` awaiting a response: sent out as unknown.
    public var http2PendingOverflows: UInt64 = 0
    /// HTTP/2 header blocks or read frames longer than `HTTP2Analyzer.maxHeaderBlock`; the direction was given up.
    public var http2OversizedHeaderBlocks: UInt64 = 0
    /// HTTP/2 header lists past `HPACKDecoder.maxHeaderListSize` decoded bytes: the fields past it were not read.
    public var http2TruncatedHeaderLists: UInt64 = 0
    /// HTTP/2 bodies not decoded for the content stage: `HTTP2Analyzer.maxOpenBodies` were open
    /// in their direction (their DATA frames are scanned raw).
    public var http2BodyCapHits: UInt64 = 0
    /// What the content decoders delivered and which of their caps they hit.
    public var content = ContentCounters()
    /// What the content scanner read.
    public var scan = ScanCounters()

    public init() {}
}
