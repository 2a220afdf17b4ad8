import Decoding
import Findings
import Flows
import Inspection
import Reporting
import Scanning

/// Settings of the per-packet pipeline.
public struct AuditorOptions: Sendable {
    public var decoding = DecodingLimits()
    public var flows = FlowLimits()
    public var analyzers = AnalyzerSelection.all
    /// Judges TLS handshakes (nil: the `tls` analyzer is off).
    public var tls: TLSAssessor?
    /// Judges and deduplicates cleartext sightings (nil: the `cleartext` analyzer is off).
    public var cleartext: CleartextAssessor?
    /// Accepted risks (`--allowlist`).
    public var allowlist = Allowlist()
    /// Bytes per direction the cleartext analyzers read (`--cleartext-depth`).
    public var cleartextDepth = InspectionContext.defaultCleartextDepth
    /// Bytes analyzers may copy in all (partial handshake messages, ...).
    public var maxAnalyzerBytes = 16 << 20
    /// Scans cleartext for PII and secrets (nil: the `content` analyzer is off, or decodes only).
    public var scanner: ContentScanner?
    /// Bytes per direction the content scanner reads (`--scan-depth`).
    public var scanDepth = InspectionContext.defaultScanDepth
    /// Decoded streams that look binary are scanned too (`--scan-binary`).
    public var scanBinary = false
    public init() {}
}

/// The per-packet pipeline: decode, find or create the flow, reassemble,
/// inspect; write each flow's record when it ends.
///
/// A value type owned by the capture loop, so the compiler proves exclusive
/// access statically (no runtime exclusivity checks per packet). Per-flow
/// inspection state lives in `inspections`, indexed by the flow's table slot.
/// The packet path allocates nothing: the decoded packet is reused, in-order
/// payload is delivered as a view into libpcap's buffer, and only early TCP
/// data (held for reassembly) and new flows cost memory.
public struct Auditor {
    public private(set) var stats = RunStats()
    var decoder: PacketDecoder
    var table: FlowTable
    var inspections: [FlowInspection] = []
    var context: InspectionContext
    var budget: ReassemblyBudget
    var packet = DecodedPacket()
    let options: AuditorOptions
    /// Judges handshakes and writes records on its own thread (see `OutputStage`).
    let output: OutputStage
    var nextSweep: Microseconds = .min
    /// FTP data connections announced on control channels.
    var ftpExpectations: FTPDataExpectations
    /// The control connection of each open FTP data flow, by slot (for its record).
    var ftpDataControls: [Int32: FlowIdentity] = [:]

    static let directions: [Direction] = [.toServer, .toClient]

    /// How often (in capture time) idle flows and stale fragments are swept.
    static let sweepInterval: Microseconds = 1_000_000

    public init(options: AuditorOptions, reporter: Reporter, hasher: FlowHasher = FlowHasher()) {
        self.options = options
        output = OutputStage(
            reporter: reporter, assessor: options.tls, cleartext: options.cleartext, allowlist: options.allowlist)
        decoder = PacketDecoder(limits: options.decoding)
        table = FlowTable(limits: options.flows, hasher: hasher)
        inspections.reserveCapacity(FlowTable.reservedSlots(options.flows))
        ftpExpectations = FTPDataExpectations(hasher: hasher)
        context = InspectionContext(maxBufferedBytes: options.maxAnalyzerBytes, cleartextDepth: options.cleartextDepth)
        if options.analyzers.content { context.content = options.scanner.map { .scanning($0) } ?? .counting }
        context.scanDepth = options.scanDepth
        context.scanBinary = options.scanBinary
        stats.tlsPolicy = options.tls?.policy.name
        budget = ReassemblyBudget(
            maxBytes: options.flows.maxHeldBytesTotal, maxSegments: options.flows.maxHeldSegmentsTotal)
        stats.flowCap = options.flows.maxFlows
        stats.analyzers = options.analyzers.names.sorted()
        stats.heldBytesCap = options.flows.maxHeldBytesTotal
    }

    /// Processes one captured frame.
    public mutating func process(
        _ frame: UnsafeRawBufferPointer, wireLength: Int, linkType: LinkType, timestamp: Microseconds
    ) {
        stats.packets &+= 1
        stats.wireBytes &+= UInt64(wireLength)
        if timestamp < stats.firstPacket ?? .max { stats.firstPacket = timestamp }
        if timestamp > stats.lastPacket ?? .min { stats.lastPacket = timestamp }
        // Sweep once per second of capture time; a clock that jumped back (a
        // bogus future timestamp, files out of order) restarts the schedule.
        if timestamp >= nextSweep || timestamp < nextSweep &- 2 * Auditor.sweepInterval { sweep(now: timestamp) }

        guard decoder.decode(frame, wireLength: wireLength, linkType: linkType, timestamp: timestamp, into: &packet)
            == .decoded
        else { return }
        stats.decodedPackets &+= 1

        var sentByLow = false
        let key = FlowKey(packet, sentByLow: &sentByLow)
        let hash = table.hash(key)
        var slot: Int32
        if let found = table.find(key, hash: hash) {
            slot = found
            if packet.transport == .tcp && table[slot].stage == .closed
                && packet.tcpFlags.contains(.syn) && !packet.tcpFlags.contains(.ack)
            {
                // The 5-tuple is reused by a new connection after the old one closed.
                finishFlow(slot, reason: .closed)
                slot = createFlow(key, hash: hash, sentByLow: sentByLow)
            }
        } else {
            slot = createFlow(key, hash: hash, sentByLow: sentByLow)
        }

        context.flow = UInt32(slot)
        let stage = Auditor.apply(
            packet, sentByLow: sentByLow, to: &table[slot], &inspections[Int(slot)], limits: options.flows,
            budget: &budget, counters: &stats.flowCounters, context: &context)
        table.touch(slot, at: timestamp, stage: stage)
        if !inspections[Int(slot)].tlsAssessed && inspections[Int(slot)].tlsReady { assessTLS(slot, at: timestamp) }
        if inspections[Int(slot)].hasSightings || context.hasContentSightings { sendSightings(slot, at: timestamp) }
        if inspections[Int(slot)].hasFTPDataEvents { noteFTPData(slot, at: timestamp) }
    }

    /// Keeps the data connections an FTP control channel announced; a
    /// transfer command names the file of one (already open, or still to open).
    mutating func noteFTPData(_ slot: Int32, at time: Microseconds) {
        for event in inspections[Int(slot)].takeFTPDataEvents() {
            switch event {
            case .announced(let a):
                // EPSV names no address: the control connection's server listens.
                let control = FlowIdentity(table[slot])
                let server = table[slot].serverAddress
                ftpExpectations.announce(a.address ?? server, a.port, mode: a.mode, control: control, now: time)
                // A server behind NAT may announce its inside address in a 227 while
                // clients connect to the one they reached (RFC 2428 §1's motivation).
                if a.mode == .passive, let address = a.address, address != server {
                    ftpExpectations.announce(
                        server, a.port, mode: a.mode, control: control, now: time, countsWhenUnused: false)
                }
            case .transfer(let a, let transfer, let name):
                let server = table[slot].serverAddress
                for address in a.address.map({ $0 == server || a.mode == .active ? [$0] : [$0, server] }) ?? [server] {
                    guard
                        let (entry, opened) = ftpExpectations.transfer(address, a.port, transfer, name: name, now: time),
                        let (dataSlot, start) = opened, ftpDataControls[dataSlot] != nil, table[dataSlot].start == start,
                        inspections[Int(dataSlot)].app == .ftpData
                    else { continue }
                    inspections[Int(dataSlot)].setFTPTransfer(
                        mode: Auditor.dataMode(entry, table[dataSlot]), transfer, name: name)
                }
            }
        }
    }

    /// A new TCP flow to an announced endpoint is an FTP data connection.
    /// Its listener is the flow's server (the SYN's receiver); a flow picked
    /// up midstream had its sides guessed from the ports, so its client
    /// endpoint is tried too.
    mutating func linkFTPData(_ slot: Int32) {
        let flow = table[slot]
        var entry = ftpExpectations.open(
            flow.serverAddress, flow.serverPort, slot: slot, start: flow.start, now: flow.start)
        if entry == nil && flow.clientGuessed {
            entry = ftpExpectations.open(
                flow.clientAddress, flow.clientPort, slot: slot, start: flow.start, now: flow.start)
        }
        guard let entry else { return }
        stats.ftpDataConnections &+= 1
        ftpDataControls[slot] = entry.control
        inspections[Int(slot)].startFTPData(
            mode: Auditor.dataMode(entry, flow), transfer: entry.transfer, name: entry.name, context: &context)
    }

    /// How the data flow was opened, in its own terms: `.passive` when its
    /// server is the FTP server (the listener of a PASV, not of a PORT).
    static func dataMode(_ entry: FTPDataExpectations.Entry, _ flow: Flow) -> FTPDataAnnouncement.Mode {
        let listenerIsServer = flow.serverAddress == entry.address && flow.serverPort == entry.port
        return listenerIsServer ? entry.mode : (entry.mode == .passive ? .active : .passive)
    }

    /// Queues what the flow's cleartext analyzer saw, stamped with the
    /// packet that completed it.
    mutating func sendSightings(_ slot: Int32, at time: Microseconds) {
        var sightings = inspections[Int(slot)].takeSightings()
        if context.hasContentSightings {
            if sightings.isEmpty { sightings = context.takeContentSightings() } else { sightings += context.takeContentSightings() }
        }
        guard options.cleartext != nil else { return }
        output.send(.sightings(slot: slot, sightings, FlowIdentity(table[slot]), inspections[Int(slot)].app, at: time))
    }

    /// Sends a flow's TLS handshake to be judged, once: its findings are
    /// written when the handshake ends (a long-lived connection is reported
    /// then, not when it closes), its `tls` summary with the flow record.
    mutating func assessTLS(_ slot: Int32, at time: Microseconds) {
        guard let handshake = inspections[Int(slot)].takeTLSHandshake(&context), options.tls != nil else { return }
        let bytes = handshake.certificateBytes
        output.send(
            .handshake(slot: slot, handshake, FlowIdentity(table[slot]), inspections[Int(slot)].app, at: time),
            bytes: bytes)
    }

    /// Applies one packet to its flow and the flow's inspection state. One
    /// exclusive access to each for the whole packet: no per-field table
    /// lookups, no copies of the flow. Returns the flow's new stage.
    static func apply(
        _ packet: DecodedPacket, sentByLow: Bool, to flow: inout Flow, _ inspection: inout FlowInspection,
        limits: FlowLimits, budget: inout ReassemblyBudget, counters: inout FlowCounters,
        context: inout InspectionContext
    ) -> FlowStage {
        let direction = flow.direction(sentByLow: sentByLow)
        let payloadLength = UInt64(packet.payloadWireLength)
        if direction == .toServer {
            flow.packets.toServer &+= 1
            flow.bytes.toServer &+= payloadLength
        } else {
            flow.packets.toClient &+= 1
            flow.bytes.toClient &+= payloadLength
        }
        guard packet.transport == .tcp else {
            if flow.bypassed {
                counters.bypassedPackets &+= 1
            } else if !packet.payload.isEmpty {
                let offset = (direction == .toServer ? flow.bytes.toServer : flow.bytes.toClient) - payloadLength
                inspection.ingest(packet.payload, direction: direction, offset: offset, context: &context)
                if inspection.isDone { flow.bypassed = true }
            }
            return .udp
        }

        let flags = packet.tcpFlags
        if flags.contains(.rst) { flow.resetSeen = true }
        if flags.contains(.fin) {
            if direction == .toServer { flow.finSeen.toServer = true } else { flow.finSeen.toClient = true }
        }
        var stage = flow.stage
        if flags.contains(.rst) || (flow.finSeen.toServer && flow.finSeen.toClient) {
            stage = .closed
        } else if stage == .opening && !(flags.contains(.syn) && !flags.contains(.ack)) {
            stage = .established
        }
        if flow.bypassed {
            counters.bypassedPackets &+= 1
            return stage
        }

        // Data on a SYN (TCP Fast Open) starts one past the SYN's sequence number.
        var sequence = packet.sequenceNumber
        if flags.contains(.syn) {
            flow[stream: direction].start(synSequence: sequence)
            sequence &+= 1
        }
        let inOrder = flow[stream: direction].accept(
            sequence: sequence, payload: packet.payload, wireLength: packet.payloadWireLength,
            fin: flags.contains(.fin), limits: limits, budget: &budget)
        if flags.contains(.ack) { flow[stream: direction.reversed].acknowledge(packet.acknowledgmentNumber) }
        if !inOrder.bytes.isEmpty {
            inspection.ingest(inOrder.bytes, direction: direction, offset: inOrder.offset, context: &context)
        }
        drain(&flow[stream: direction], direction, into: &inspection, budget: &budget, context: &context)
        if flags.contains(.ack) {
            drain(&flow[stream: direction.reversed], direction.reversed, into: &inspection, budget: &budget, context: &context)
        }

        if inspection.isDone {
            // Nothing more to learn from this flow: stop reassembling it.
            flow.bypassed = true
            flow.toServer.discardHeld(budget: &budget)
            flow.toClient.discardHeld(budget: &budget)
        }
        return stage
    }

    /// Delivers whatever reassembly made ready in one direction (held data
    /// whose hole filled, gaps given up on).
    static func drain(
        _ stream: inout TCPStream, _ direction: Direction, into inspection: inout FlowInspection,
        budget: inout ReassemblyBudget, context: inout InspectionContext
    ) {
        guard stream.hasHeldData || stream.flushPending else { return }
        while let item = stream.nextItem(budget: &budget) {
            switch item {
            case .data(let bytes, let offset):
                bytes.withUnsafeBytes { inspection.ingest($0, direction: direction, offset: offset, context: &context) }
            case .gap(let offset, let length):
                inspection.gap(direction: direction, offset: offset, length: length, context: &context)
            }
        }
    }

    mutating func createFlow(_ key: FlowKey, hash: UInt64, sentByLow: Bool) -> Int32 {
        if table.isFull, let victim = table.idlest() {
            finishFlow(victim, reason: .evicted)
            stats.flowCounters.flowsEvicted &+= 1
        }
        let flow = Flow(key: key, first: packet, sentByLow: sentByLow, toServicePort: Auditor.toServicePort(packet))
        let inspection = FlowInspection(
            serverPort: flow.serverPort, transport: key.transport, selection: options.analyzers)
        // Both moved, not copied, into their slots.
        let slot = table.insert(consume flow, hash: hash)
        if Int(slot) < inspections.count {
            inspections[Int(slot)] = consume inspection
        } else {
            inspections.append(consume inspection)
        }
        if key.transport == .tcp && ftpExpectations.count > 0 { linkFTPData(slot) }
        stats.flowCounters.flowsCreated &+= 1
        stats.flowCounters.peakFlows = max(stats.flowCounters.peakFlows, table.count)
        return slot
    }

    /// A UDP flow's first datagram went to a well-known port of a UDP
    /// protocol PlainSight reads, from another port: its sender is the client
    /// (the higher port is not always the client's: Cisco devices send RADIUS
    /// from 1645 to 1812, agents send SNMP traps from 161 to 162, RADIUS
    /// servers send CoA from 1812 to a NAS on 3799). Only that way round: a
    /// datagram from such a port to another one is often no service's (a SIP
    /// phone's STUN request from 5060, a client's ephemeral port that happens
    /// to be 1812).
    static func toServicePort(_ packet: DecodedPacket) -> Bool {
        packet.transport == .udp && packet.sourcePort != packet.destinationPort
            && AnalyzerRegistry.udpServicePorts.contains(packet.destinationPort)
    }

    /// Ends a flow: delivers what reassembly still holds (holes as gaps),
    /// tells the inspectors each direction ended, writes the flow record and
    /// frees the slot.
    mutating func finishFlow(_ slot: Int32, reason: FlowEndReason) {
        // A connection that closed and then timed out, was evicted, was
        // still listed at the end of input or saw its 5-tuple reused ended by closing.
        let reason = table[slot].stage == .closed ? .closed : reason
        context.flow = UInt32(slot)
        for direction in Auditor.directions {
            if table[slot].key.transport == .tcp && !table[slot].bypassed {
                table[slot][stream: direction].finish()
                Auditor.drain(
                    &table[slot][stream: direction], direction, into: &inspections[Int(slot)], budget: &budget,
                    context: &context)
            }
            table[slot][stream: direction].discardHeld(budget: &budget)
            inspections[Int(slot)].end(direction: direction, context: &context)
        }
        table.addStreamCounters(slot, to: &stats.flowCounters)
        // A handshake that never completed (only a ClientHello, a refused
        // connection) is judged on what was seen.
        if !inspections[Int(slot)].tlsAssessed && inspections[Int(slot)].tls != nil {
            assessTLS(slot, at: table[slot].lastSeen)
        }
        if inspections[Int(slot)].hasSightings || context.hasContentSightings { sendSightings(slot, at: table[slot].lastSeen) }
        var record = FlowRecord(
            flow: table[slot], app: inspections[Int(slot)].app, payloadProtected: inspections[Int(slot)].payloadProtected,
            findings: 0, endReason: reason)
        if record.app == .ftpData { record.control = ftpDataControls.removeValue(forKey: slot) }
        output.send(.flow(slot: slot, consume record))
        inspections[Int(slot)].release(&context)
        table.remove(slot: slot)
    }

    /// Ends flows idle past their timeout and drops stale fragments.
    public mutating func sweep(now: Microseconds) {
        nextSweep = now &+ Auditor.sweepInterval
        while let slot = table.expired(at: now) {
            finishFlow(slot, reason: .idle)
            stats.flowCounters.flowsTimedOut &+= 1
        }
        decoder.expireFragments(now: now)
        ftpExpectations.expire(now: now)
    }

    /// Hands what is queued to the output thread now (live: records are
    /// written within a second, however slowly batches fill).
    public mutating func flushOutput() { output.submit() }

    /// Ends every open flow (end of input or shutdown) and completes the stats.
    public mutating func finish() {
        for slot in table.allSlots() { finishFlow(slot, reason: .endOfInput) }
        output.drain()
        stats.findingsBySeverity = output.findingsBySeverity
        stats.cleartextFindingsDropped = output.cleartextFindingsDropped
        stats.contentDuplicatesOfCredentials = output.contentDuplicatesOfCredentials
        stats.allowlist = output.allowlistCounts
        collectCounters()
        stats.inspection.tlsMalformed &+= output.malformedClientHellos
    }

    /// Queues a periodic stats record (live), in order with the flows and findings.
    public mutating func writeStats(now: Microseconds) {
        collectCounters()
        output.send(.stats(stats, now: now))
        output.submit()
    }

    /// Moves the output to another file between two records (a live
    /// sensor's rotation, or a reopen on SIGHUP): everything queued before
    /// goes to the old file, everything after to the new one. A rotation
    /// first ends the old file with a stats record, so each file closes
    /// with the counters as they stood when it ended.
    public mutating func switchOutput(_ change: SensorOutput.Switch, now: Microseconds) {
        if case .rotate = change { writeStats(now: now) }
        output.send(.switchFile(change.path))
        output.submit()
    }

    /// Copies the stage counters into `stats` (for periodic live stats too).
    public mutating func collectCounters() {
        stats.decode = decoder.counters
        stats.fragmentsReassembled = decoder.fragments.datagramsReassembled
        stats.fragmentsTimedOut = decoder.fragments.datagramsTimedOut
        stats.fragmentCapHits = decoder.fragments.capHits
        stats.peakHeldBytes = budget.peakBufferedBytes
        stats.inspection = context.counters
        stats.inspection.scan.peakHeldBytes = UInt64(context.scanBudget.peakBytes)
        stats.inspection.scan.heldCapHits = context.scanBudget.capHits
        stats.ftpDataExpired = ftpExpectations.expired
        stats.ftpDataDropped = ftpExpectations.dropped
        stats.peakAnalyzerBytes = context.peakBufferedBytes
        stats.peakKeptBytes = context.peakKeptBytes
    }

    public mutating func noteInputError(_ message: String) {
        stats.inputError = stats.inputError.map { $0 + "; " + message } ?? message
    }

    public mutating func setDrops(kernel: UInt64, interface: UInt64) {
        stats.kernelDrops = kernel
        stats.interfaceDrops = interface
    }

    public mutating func setInputs(_ names: [String]) { stats.inputs = names }

    public mutating func setWallSeconds(_ seconds: Double) { stats.wallSeconds = seconds }
}
