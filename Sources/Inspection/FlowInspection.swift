import Decoding
import Flows
import Scanning

/// Which analyzers run (`--analyzers`). `flows` — decoding, reassembly, flow
/// records and protocol identification — always runs; `tls` reads handshakes
/// (including STARTTLS upgrades); `cleartext` reads logins, tokens and
/// STARTTLS lapses in protocols that should be encrypted; `content` scans
/// every cleartext stream for PII and secrets, with what the cleartext
/// readers decode (HTTP bodies, forms, mail parts, FTP files), and implies
/// `cleartext`.
public struct AnalyzerSelection: Sendable, Equatable {
    public static let known = ["flows", "tls", "cleartext", "content"]
    public let names: Set<String>
    /// Read once per new flow: stored flags, not set lookups.
    public let tls: Bool
    public let cleartext: Bool
    public let content: Bool

    public static let all = AnalyzerSelection(names: Set(known))

    /// Parses a comma-separated list; `all` selects everything.
    public init?(parsing list: String) {
        var names: Set<String> = ["flows"]
        for item in list.split(separator: ",").map({ $0.filter { $0 != " " } }) where !item.isEmpty {
            if item == "all" { names.formUnion(AnalyzerSelection.known); continue }
            guard AnalyzerSelection.known.contains(item) else { return nil }
            names.insert(item)
            if item == "content" { names.insert("cleartext") }
        }
        self.init(names: names)
    }

    init(names: Set<String>) {
        self.names = names
        tls = names.contains("tls")
        cleartext = names.contains("cleartext")
        content = names.contains("content")
    }
}

/// Everything Inspection keeps for one flow, stored by the pipeline in an
/// array indexed by the flow's table slot: identification first, then the
/// analyzers for what was identified — TLS; or, on a cleartext protocol, its
/// login reader and a STARTTLS watch that hands the stream to TLS when it
/// upgrades (HTTP/1.1 that switches to HTTP/2 with `Upgrade: h2c`, or to
/// WebSocket, is handed from one cleartext reader to the other; a proxy's `CONNECT` tunnel is
/// identified anew, and TLS inside it read) — and whether all of it is done.
public struct FlowInspection {
    public private(set) var identifier: AppIdentifier
    /// The handshake reader of a TLS flow (also of an upgraded STARTTLS one).
    public private(set) var tls: TLSAnalyzer?
    var startTLS: StartTLSWatcher?
    /// A proxy's tunnel whose content is still being identified.
    var tunnel: ProxyTunnel?
    /// The tunnel carries TLS or SSH: the flow's payload is protected.
    var tunnelProtected = false
    var cleartext: CleartextAnalyzer?
    var cleartextDone = false
    /// What the cleartext analyzer saw, until the pipeline takes it.
    @usableFromInline var sightings: [Sighting] = []
    /// Data connections the FTP reader saw announced, until the pipeline takes them.
    @usableFromInline var ftpDataEvents: [FTPDataEvent] = []
    /// The reader of an FTP data connection (the pipeline recognised the flow).
    var ftpData: FTPDataReader?
    let tlsEnabled: Bool
    let cleartextEnabled: Bool
    let transport: TransportProtocol
    /// The raw-stream content scan, from identification (when the flow is not
    /// encrypted) until an upgrade to TLS, the scan depth or the flow's end.
    @usableFromInline var scan: FlowScan?
    /// Identification and the analyzers have nothing more to learn.
    @usableFromInline var analyzersDone = false
    /// Nothing more to read on this flow: the pipeline stops reassembling it.
    /// Inlinable: asked after every packet, and a call copied the whole
    /// inspection (200 bytes) to pass it.
    @inlinable public var isDone: Bool { analyzersDone && !(scan?.isActive ?? false) }
    /// The pipeline has sent this flow's TLS handshake to be judged.
    public private(set) var tlsAssessed = false

    /// Takes the TLS handshake to be judged. When the analyzers are done (the
    /// flow is bypassed from here on), the analyzer goes at once, and what
    /// it kept leaves the facts budget: TLS flows live long after their
    /// handshake, and the handshake's bytes now travel with it.
    public mutating func takeTLSHandshake(_ context: inout InspectionContext) -> TLSHandshake? {
        tlsAssessed = true
        guard let analyzer = tls else { return nil }
        let handshake = analyzer.takeHandshake()
        if analyzersDone {
            tls = nil
            analyzer.release(&context)
        }
        return handshake
    }

    public init(serverPort: UInt16, transport: TransportProtocol, selection: AnalyzerSelection) {
        identifier = AppIdentifier(serverPort: serverPort, transport: transport)
        self.transport = transport
        tlsEnabled = selection.tls && transport == .tcp
        cleartextEnabled = selection.cleartext
    }

    /// The cleartext analyzer saw something since the last `takeSightings()`.
    // Inlinable: the pipeline asks for every packet, and an opaque getter
    // made it copy the whole struct out of its array first (204 bytes).
    @inlinable public var hasSightings: Bool { !sightings.isEmpty }

    public mutating func takeSightings() -> [Sighting] {
        defer { sightings = [] }
        return sightings
    }

    public var app: AppProtocol { identifier.app }

    /// The FTP reader saw data connections announced since the last `takeFTPDataEvents()`.
    @inlinable public var hasFTPDataEvents: Bool { !ftpDataEvents.isEmpty }

    public mutating func takeFTPDataEvents() -> [FTPDataEvent] {
        defer { ftpDataEvents = [] }
        return ftpDataEvents
    }

    /// The pipeline recognised this new flow as the data connection a
    /// control channel announced (`transfer` nil: its command not seen yet).
    /// Its bytes are read as a file, not identified.
    public mutating func startFTPData(
        mode: FTPDataAnnouncement.Mode, transfer: FTPTransfer?, name: [UInt8], context: inout InspectionContext
    ) {
        identifier.assign(.ftpData)
        ftpData = FTPDataReader(mode: mode, transfer: transfer, name: name)
        if !context.wantsContent { analyzersDone = true }
    }

    /// The transfer command came after the data connection opened: its file
    /// name and direction apply if no byte was read yet.
    public mutating func setFTPTransfer(mode: FTPDataAnnouncement.Mode, _ transfer: FTPTransfer, name: [UInt8]) {
        guard let reader = ftpData, reader.stream == nil, !reader.isDone else { return }
        ftpData = FTPDataReader(mode: mode, transfer: transfer, name: name)
    }

    /// The cleartext analyzer saw the protocol encrypt the rest of the flow
    /// (SMB3), or a proxy's tunnel carries an encrypted protocol.
    public var payloadProtected: Bool { tunnelProtected || (cleartext?.payloadProtected ?? false) }

    /// The TLS handshake is complete enough to judge (the analyzer is done).
    @inlinable public var tlsReady: Bool { tls?.isDone ?? false }

    public mutating func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) {
        // Scanned after the analyzers, without the bytes they decode for the
        // scanner (an HTTP body, a mail): those are scanned decoded, not as sent.
        // The phases are read in place: `scan?.isScanning(direction)` may copy
        // the scan (its arrays retained and released) when not inlined.
        let scanning = (direction == .toServer ? scan?.toServerPhase : scan?.toClientPhase) == .scanning
        defer {
            if scanning && (direction == .toServer ? scan?.toServerPhase : scan?.toClientPhase) == .scanning,
                let scanner = context.scanner
            {
                scan!.ingest(bytes, direction: direction, offset: offset, transport: transport, scanner: scanner, context: &context)
            }
        }
        // Emptied only when not empty: `removeAll` is a call even then, on every chunk.
        if !context.decodedRanges.isEmpty { context.decodedRanges.removeAll(keepingCapacity: true) }
        guard !analyzersDone else { return }
        if let ftpData {
            ftpData.ingest(bytes, direction: direction, context: &context)
            if ftpData.isDone { analyzersDone = true }
        } else if let tls {
            if tls.ingest(bytes, direction: direction, offset: offset, context: &context) == .done { analyzersDone = true }
        } else if tunnel != nil {
            identifyTunnel(bytes, direction: direction, offset: offset, context: &context)
        } else if startTLS != nil || cleartext != nil {
            inspectCleartext(bytes, direction: direction, offset: offset, context: &context)
        } else {
            identify(bytes, direction: direction, offset: offset, context: &context)
        }
    }

    public mutating func gap(direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext) {
        guard !analyzersDone else { return }
        if let ftpData {
            ftpData.end(direction: direction, complete: false, context: &context)
            if ftpData.isDone { analyzersDone = true }
        } else if let tls {
            if tls.gap(direction: direction, offset: offset, length: length, context: &context) == .done { analyzersDone = true }
        } else if let inside = tunnel {
            // A gap hides that direction's first bytes; the other may still name what the tunnel carries.
            if inside.identifier.gap(direction: direction, offset: offset, length: length, context: &context) == .done {
                tunnel = nil
                analyzersDone = true
            }
        } else if startTLS != nil || cleartext != nil {
            startTLS = nil  // a gap loses the unit boundaries an upgrade is found by
            if let cleartext, !cleartextDone {
                cleartextDone = cleartext.gap(direction: direction, offset: offset, length: length, context: &context) == .done
                collect(cleartext)
            }
            analyzersDone = cleartext == nil || cleartextDone
        } else if identifier.gap(direction: direction, offset: offset, length: length, context: &context) == .done {
            analyzersDone = true
        }
    }

    public mutating func end(direction: Direction, context: inout InspectionContext) {
        if context.scanner != nil && !identifier.isDone && !identifier.isDecided(direction) {
            // Still being identified: what identification held is all this direction said.
            let held = identifier.heldPrefix(direction)
            identifier.end(direction: direction, context: &context)
            if !identifier.app.isEncrypted {
                held.withUnsafeBytes { startScan(direction, prefix: [], $0, offset: 0, context: &context) }
            }
        } else {
            identifier.end(direction: direction, context: &context)
        }
        if scan != nil, let scanner = context.scanner { scan!.end(direction: direction, scanner: scanner, context: &context) }
        ftpData?.end(direction: direction, complete: true, context: &context)
        tunnel?.identifier.end(direction: direction, context: &context)
        tls?.end(direction: direction, context: &context)
        if let cleartext, !cleartextDone {
            cleartext.end(direction: direction, context: &context)
            collect(cleartext)
        }
    }

    /// Drops the analyzers' state when the flow's record has been written
    /// (the slot is reused by the next flow).
    public mutating func release(_ context: inout InspectionContext) {
        if let scanner = context.scanner {
            scan?.stop(scanner: scanner, context: &context)
            context.abandonPieceScans(scanner: scanner)
        }
        scan = nil
        tls?.release(&context)
        tls = nil
        startTLS = nil
        tunnel = nil
        tunnelProtected = false
        ftpData?.finish(complete: false, &context)
        ftpData = nil
        ftpDataEvents = []
        // Ending both directions returns whatever the analyzer still holds
        // to the budget (an analyzer that finished early may hold nothing).
        if let cleartext {
            cleartext.end(direction: .toServer, context: &context)
            cleartext.end(direction: .toClient, context: &context)
        }
        cleartext = nil
        sightings = []
        analyzersDone = true
    }

    /// Runs identification; when it names TLS, a cleartext protocol with an
    /// analyzer or an upgradable one, the matching analyzers start from the
    /// direction's first byte: the bytes identification held, then this chunk.
    mutating func identify(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) {
        let held = (toServer: identifier.heldPrefix(.toServer), toClient: identifier.heldPrefix(.toClient))
        let verdict = identifier.ingest(bytes, direction: direction, offset: offset, context: &context)
        guard verdict == .done else {
            if identifier.isDecided(direction) {
                startScan(direction, prefix: direction == .toServer ? held.toServer : held.toClient, bytes, offset: offset, context: &context)
            }
            return
        }
        let app = identifier.app
        if app == .tls {
            if tlsEnabled { tls = TLSAnalyzer() }
        } else {
            if tlsEnabled, let dialect = StartTLSWatcher.dialect(for: app) { startTLS = StartTLSWatcher(dialect: dialect) }
            if cleartextEnabled || tlsEnabled && FlowInspection.mayOpenTunnel(app, held.toServer, bytes, direction) {
                // Without the cleartext readers a proxy's reader still runs, to find
                // its tunnel for the TLS analyzer (what it sees is dropped: `collect`).
                cleartext = CleartextAnalyzer.make(
                    for: app, depth: context.cleartextDepth, transport: transport, serverPort: identifier.serverPort)
            }
        }
        // Everything not known to be encrypted is scanned for PII and secrets,
        // from the start of each direction not scanned yet (the replay below).
        if context.scanner != nil {
            if app.isEncrypted {
                stopScan(&context)
            } else {
                if scan == nil { scan = FlowScan() }
                _ = scan!.start(.toServer)
                _ = scan!.start(.toClient)
            }
        }
        if tls == nil && startTLS == nil && cleartext == nil {
            analyzersDone = true
            guard scan != nil else { return }
        }
        // Replay what came before this chunk, then the chunk itself.
        func replay(_ prefix: [UInt8], _ d: Direction) {
            let chunkStartsAfterPrefix = d != direction || offset == UInt64(prefix.count)
            if !prefix.isEmpty && chunkStartsAfterPrefix {
                prefix.withUnsafeBytes { ingest($0, direction: d, offset: 0, context: &context) }
            }
        }
        replay(held.toServer, .toServer)
        replay(held.toClient, .toClient)
        ingest(bytes, direction: direction, offset: offset, context: &context)
    }

    /// A SOCKS5 flow, or an HTTP one whose client starts with `CONNECT `: a
    /// proxy that may open a tunnel (`held` or, when nothing was held, the
    /// chunk is the start of the client's stream).
    static func mayOpenTunnel(
        _ app: AppProtocol, _ held: [UInt8], _ bytes: UnsafeRawBufferPointer, _ direction: Direction
    ) -> Bool {
        if app == .socks { return true }
        guard app == .http else { return false }
        if !held.isEmpty { return held.withUnsafeBytes { Probes.hasPrefix($0, "CONNECT ") == .match } }
        return direction == .toServer && Probes.hasPrefix(bytes, "CONNECT ") == .match
    }

    /// What the cleartext reader saw, for the pipeline; dropped when the
    /// reader runs only to find a proxy's tunnel (`cleartext` not selected).
    mutating func collect(_ cleartext: CleartextAnalyzer) {
        if cleartextEnabled {
            cleartext.collect(into: &sightings)
        } else {
            var dropped: [Sighting] = []
            cleartext.collect(into: &dropped)
        }
    }

    /// A cleartext protocol: its analyzer reads the chunk first (the reply
    /// that accepts an upgrade is still cleartext), then the STARTTLS watch;
    /// once the stream upgrades, the analyzer ends and TLS reads the rest.
    mutating func inspectCleartext(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) {
        if let cleartext, !cleartextDone {
            cleartextDone = cleartext.ingest(bytes, direction: direction, offset: offset, context: &context) == .done
            collect(cleartext)
            if case .login(let reader) = cleartext, !reader.dataEvents.isEmpty {
                ftpDataEvents += reader.dataEvents
                reader.dataEvents = []
            }
            if cleartextEnabled, let upgrade = cleartext.h2cUpgrade {
                context.counters.h2cUpgrades &+= 1
                let next = HTTP2Analyzer(maxDepth: context.cleartextDepth, upgrade: upgrade)
                switchProtocols(to: .http2(next), bytes, direction: direction, offset: offset, context: &context)
            } else if let upgrade = cleartext.webSocketUpgrade, cleartextEnabled,
                context.wantsContent || upgrade.carries != nil
            {
                // Read for the content stage, or for the logins of MQTT or STOMP inside.
                context.counters.webSocketUpgrades &+= 1
                let next = WebSocketAnalyzer(maxDepth: context.cleartextDepth, upgrade: upgrade)
                switchProtocols(to: .webSocket(next), bytes, direction: direction, offset: offset, context: &context)
            }
            if cleartextDone, let start = cleartext.tunnel {
                // The proxy's reader is done; what the tunnel carries is identified from its first bytes.
                context.counters[keyPath: InspectionCounters.tunnels(start.kind)] &+= 1
                startTLS = nil
                tunnel = ProxyTunnel(start)
                identifyTunnel(bytes, direction: direction, offset: offset, context: &context)
                return
            }
        }
        if startTLS != nil { watchUpgrade(bytes, direction: direction, offset: offset, context: &context) }
        if tls != nil || payloadProtected { stopScan(&context) }
        if tls != nil {
            if let cleartext, !cleartextDone {
                cleartext.end(direction: .toServer, context: &context)
                cleartext.end(direction: .toClient, context: &context)
                collect(cleartext)
            }
            cleartextDone = true
        } else if startTLS == nil && (cleartext == nil || cleartextDone) {
            analyzersDone = true
        }
    }

    /// A proxy's tunnel: identified like a flow of its own. TLS inside it is
    /// read from the tunnel's start in each direction (the bytes the probes
    /// held first, then the chunk); an encrypted protocol ends the raw-stream
    /// scan; anything else is scanned on as the cleartext it is.
    mutating func identifyTunnel(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) {
        guard let inside = tunnel,
            let held = inside.identify(bytes, direction: direction, offset: offset, context: &context)
        else { return }
        tunnel = nil
        analyzersDone = true
        let app = inside.identifier.app
        guard app.isEncrypted else { return }
        tunnelProtected = true
        stopScan(&context)
        guard app == .tls && tlsEnabled else { return }
        context.counters.tunnelledTLS &+= 1
        let start = inside.start
        let analyzer = TLSAnalyzer(startingAt: (start.toServer, start.toClient), tunnel: start.kind)
        tls = analyzer
        analyzersDone = false
        for (prefix, d) in [(held.toServer, Direction.toServer), (held.toClient, .toClient)] where !prefix.isEmpty {
            // What the probes held from the tunnel's start, read first: in the other
            // direction, or in this one when this chunk follows it.
            let begin = inside.startOffset(d)
            if d != direction || offset == begin + UInt64(prefix.count) {
                _ = prefix.withUnsafeBytes { analyzer.ingest($0, direction: d, offset: begin, context: &context) }
            }
        }
        if analyzer.ingest(bytes, direction: direction, offset: offset, context: &context) == .done { analyzersDone = true }
    }

    /// Every probe ruled out `direction` while the other one may still name the
    /// protocol: its bytes are not the start of TLS or SSH, so they are scanned
    /// from its first byte (the prefix identification held, then the chunk).
    mutating func startScan(
        _ direction: Direction, prefix: [UInt8], _ bytes: UnsafeRawBufferPointer, offset: UInt64,
        context: inout InspectionContext
    ) {
        guard let scanner = context.scanner else { return }
        if scan == nil { scan = FlowScan() }
        guard scan!.start(direction) else { return }
        if !prefix.isEmpty && offset == UInt64(prefix.count) {
            prefix.withUnsafeBytes {
                scan!.ingest($0, direction: direction, offset: 0, transport: transport, scanner: scanner, context: &context)
            }
        }
        scan!.ingest(bytes, direction: direction, offset: offset, transport: transport, scanner: scanner, context: &context)
    }

    /// The stream turned encrypted (STARTTLS, SMB3): its bytes are no longer scanned.
    mutating func stopScan(_ context: inout InspectionContext) {
        guard scan != nil, let scanner = context.scanner else { return }
        scan!.stop(scanner: scanner, context: &context)
        scan = nil
    }

    /// HTTP/1.1 switched protocols at a `101` (to HTTP/2 in clear, to
    /// WebSocket): the HTTP/1 analyzer has stopped; `next` reads on from where
    /// each direction's frames begin (the server's may already start inside
    /// this chunk).
    mutating func switchProtocols(
        to next: CleartextAnalyzer, _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64,
        context: inout InspectionContext
    ) {
        cleartext = next
        cleartextDone = next.ingest(bytes, direction: direction, offset: offset, context: &context) == .done
        next.collect(into: &sightings)
    }

    mutating func watchUpgrade(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) {
        guard let event = startTLS?.ingest(bytes, direction: direction, offset: offset) else { return }
        switch event {
        case .none:
            break
        case .finished:
            startTLS = nil
        case .upgrade(let toServer, let toClient):
            context.counters.startTLSUpgrades &+= 1
            let analyzer = TLSAnalyzer(startingAt: (toServer, toClient), upgradedFrom: identifier.app)
            tls = analyzer
            startTLS = nil
            // The TLS bytes may already start inside this chunk.
            if analyzer.ingest(bytes, direction: direction, offset: offset, context: &context) == .done { analyzersDone = true }
        }
    }
}
