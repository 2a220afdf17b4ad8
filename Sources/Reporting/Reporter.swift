import Decoding
import Dispatch
import Findings
import Flows
import Inspection

/// Output format: JSON Lines per docs (output contract) or a text summary.
public enum OutputFormat: String, Sendable, CaseIterable {
    case json, text
}

/// Writes flow records, findings and stats in the chosen format. Called per
/// finished flow and per finding, never per packet.
public final class Reporter {
    let format: OutputFormat
    let out: OutputFile
    var summary = TextSummary()

    public init(format: OutputFormat, output: OutputFile) {
        self.format = format
        self.out = output
    }

    public func flow(_ record: FlowRecord) {
        switch format {
        case .json: writeLine { Reporter.write(record, to: &$0) }
        case .text: summary.add(record)
        }
    }

    public func finding(_ finding: Finding) {
        switch format {
        case .json: writeLine { Reporter.write(finding, to: &$0) }
        case .text: summary.add(finding)
        }
    }

    /// `count` findings in order, as `finding` would write them one by one;
    /// `finding(i)` builds the i-th. In JSON, blocks of lines are built and
    /// rendered alternately here and on `helper` (an idle serial queue, when
    /// there is one) into a side buffer, then written in order: the
    /// deduplicated findings written at the end of a run (up to 100,000,
    /// their strings scattered over the heap) take 0.05 s instead of 0.08 s
    /// per GiB of the shared workload. Memory stays at a block of lines.
    public func findings(count: Int, renderingAlsoOn helper: DispatchQueue?, _ finding: @escaping @Sendable (Int) -> Finding) {
        guard let helper, format == .json, count > Reporter.findingsBlock else {
            for i in 0..<count { self.finding(finding(i)) }
            return
        }
        dispatchPrecondition(condition: .notOnQueue(helper))
        let side = SideBuffer()
        var start = 0
        while start < count {
            let mine = start..<min(start + Reporter.findingsBlock, count)
            let theirs = mine.upperBound..<min(mine.upperBound + Reporter.findingsBlock, count)
            let done = DispatchGroup()
            if !theirs.isEmpty {
                helper.async(group: done) {
                    for i in theirs { Reporter.writeLine(into: side.sink) { Reporter.write(finding(i), to: &$0) } }
                }
            }
            for i in mine { self.finding(finding(i)) }
            done.wait()
            out.write(side.sink.view)
            side.sink.removeAll()
            start = theirs.upperBound
        }
    }

    /// Lines per block: each block is a hop to the helper's thread and back
    /// (blocks of 256 took 0.066 s for those 100,000 findings, of 2,048
    /// 0.052 s). About 2 MB of lines.
    static let findingsBlock = 2048

    /// The helper's buffer: used by one thread at a time, handed over by `DispatchGroup.wait`.
    private final class SideBuffer: @unchecked Sendable {
        let sink = ByteSink(capacity: 1 << 18)
    }

    /// A periodic (live) or final stats record. Text output prints only the final one.
    public func stats(_ stats: RunStats, final: Bool, now: Microseconds) {
        switch format {
        case .json: writeLine { Reporter.write(stats, final: final, now: now, to: &$0) }
        case .text: if final { out.write(summary.render(stats)) }
        }
        out.flush()
    }

    public func flush() { out.flush() }

    /// Carries on writing in `path` (see `OutputFile.reopen`); called between records.
    public func reopen(path: String) throws(OutputFile.OpenError) { try out.reopen(path: path) }

    /// Writes one JSON Lines record straight into the output buffer.
    func writeLine(_ body: (inout JSONObject) -> Void) {
        Reporter.writeLine(into: out.sink, body)
        out.flushIfFull()
    }

    static func writeLine(into sink: ByteSink, _ body: (inout JSONObject) -> Void) {
        var object = JSONObject(into: sink)
        body(&object)
        sink.append("}\n")
    }

    // MARK: JSON records (docs: output contract)

    /// The `flow` object of the output contract, as a field of `o`.
    public static func add(_ f: FlowIdentity, to o: inout JSONObject) {
        o.key("flow")
        writeFlowObject(f, to: o.sink)
    }

    /// `{"id":…,"transport":…,"client":{…},"server":{…}[,"client_guessed":true]}`
    static func writeFlowObject(_ f: FlowIdentity, to sink: ByteSink) {
        sink.append("{\"id\":\"C")
        sink.appendHex64(f.hash)
        sink.append(f.transport == .tcp ? "\",\"transport\":\"tcp\",\"client\":{\"ip\":\"" : "\",\"transport\":\"udp\",\"client\":{\"ip\":\"")
        sink.appendAddress(f.client, fromIPv6Packet: f.isIPv6)
        sink.append("\",\"port\":")
        sink.appendDecimal(UInt64(f.clientPort))
        sink.append("},\"server\":{\"ip\":\"")
        sink.appendAddress(f.server, fromIPv6Packet: f.isIPv6)
        sink.append("\",\"port\":")
        sink.appendDecimal(UInt64(f.serverPort))
        sink.append(f.clientGuessed ? "},\"client_guessed\":true}" : "}}")
    }

    static func writeDirectional(_ v: (toServer: UInt64, toClient: UInt64), to sink: ByteSink) {
        sink.append("{\"to_server\":")
        sink.appendDecimal(v.toServer)
        sink.append(",\"to_client\":")
        sink.appendDecimal(v.toClient)
        sink.append(UInt8(ascii: "}"))
    }

    /// A flow record, written field by field in contract order. Flow records
    /// are most of the output (one per flow, thousands a second on a busy
    /// link), so this is straight-line code rather than generic object building.
    public static func write(_ r: FlowRecord, to o: inout JSONObject) {
        let sink = o.sink
        o.empty = false
        sink.append("\"type\":\"flow\",\"ts_start\":\"")
        sink.appendTimestamp(r.identity.start)
        sink.append("\",\"ts_end\":\"")
        sink.appendTimestamp(r.end)
        sink.append("\",\"flow\":")
        writeFlowObject(r.identity, to: sink)
        sink.append(",\"app\":")
        sink.appendJSONString(r.app.description)
        if let control = r.control {
            sink.append(",\"control\":")
            writeFlowObject(control, to: sink)
        }
        if let encrypted = r.encrypted { sink.append(encrypted ? ",\"encrypted\":true" : ",\"encrypted\":false") }
        sink.append(",\"packets\":")
        writeDirectional(r.packets, to: sink)
        sink.append(",\"bytes\":")
        writeDirectional(r.bytes, to: sink)
        sink.append(",\"findings\":")
        sink.appendDecimal(UInt64(r.findings))
        sink.append(",\"end_reason\":")
        sink.appendJSONString(r.endReason.rawValue)
        if r.midstream { sink.append(",\"midstream\":true") }
        if r.vlan != 0 {
            sink.append(",\"vlan\":")
            sink.appendDecimal(UInt64(r.vlan))
        }
        if r.gaps > 0 {
            sink.append(",\"gaps\":")
            sink.appendDecimal(r.gaps)
            sink.append(",\"gap_bytes\":")
            sink.appendDecimal(r.gapBytes)
        }
        if let tls = r.tls { o.object("tls") { write(tls, to: &$0) } }
    }

    /// The `tls` object of a flow record (output contract plus the
    /// certificate summary and handshake notes).
    static func write(_ t: TLSSummary, to o: inout JSONObject) {
        o.add("version", ifPresent: t.version)
        o.add("cipher", ifPresent: t.cipher)
        o.add("sni", ifPresent: t.sni)
        if !t.alpn.isEmpty { o.add("alpn", strings: t.alpn) }
        if !t.clientVersions.isEmpty { o.add("client_versions", strings: t.clientVersions) }
        o.add("ja3", ifPresent: t.ja3)
        o.add("ja3s", ifPresent: t.ja3s)
        o.add("ja4", ifPresent: t.ja4)
        o.add("starttls", ifPresent: t.starttls)
        o.add("tunnel", ifPresent: t.tunnel)
        if t.helloRetryRequest { o.add("hello_retry_request", true) }
        o.add("certificate_status", ifPresent: t.certificateStatus)
        if let c = t.certificate {
            o.object("certificate") { o in
                o.add("subject", c.subject)
                o.add("issuer", c.issuer)
                o.add("not_before", timestamp: c.notBefore)
                o.add("not_after", timestamp: c.notAfter)
                o.add("key_type", c.keyType)
                o.add("key_bits", c.keyBits)
                o.add("signature_algorithm", c.signatureAlgorithm)
                o.add("sha256", c.sha256)
                if !c.names.isEmpty { o.add("names", strings: c.names) }
                o.add("chain_length", t.chainLength)
            }
        }
        o.add("fatal_alert", ifPresent: t.fatalAlert)
        o.add("problem", ifPresent: t.problem)
    }

    public static func write(_ f: Finding, to o: inout JSONObject) {
        o.add("type", "finding")
        o.add("ts", timestamp: f.timestamp)
        o.add("rule", f.rule)
        o.add("category", f.category.rawValue)
        o.add("severity", f.severity.description)
        add(f.flow, to: &o)
        if let d = f.direction { o.add("direction", d == .toServer ? "to_server" : "to_client") }
        o.add("app", f.app.description)
        o.add("message", f.message)
        o.add("evidence", ifPresent: f.evidence)
        if let seen = f.occurrences {
            o.add("count", UInt64(seen.count))
            o.add("first_seen", timestamp: seen.first)
            o.add("last_seen", timestamp: seen.last)
        }
        if !f.details.isEmpty {
            o.object("details") { o in
                for (k, v) in f.details { o.add(key: k, v) }
            }
        }
    }

    public static func write(_ s: RunStats, final: Bool, now: Microseconds, to o: inout JSONObject) {
        o.add("type", "stats")
        o.add("ts", timestamp: now)
        o.add("final", final)
        o.add("packets", s.packets)
        o.add("bytes", s.wireBytes)
        o.add("flows", s.flowCounters.flowsCreated)
        o.add("analyzers", strings: s.analyzers)
        o.add("tls_policy", ifPresent: s.tlsPolicy)
        o.object("drops") { o in
            o.add("kernel", s.kernelDrops ?? 0)
            o.add("interface", s.interfaceDrops ?? 0)
        }
        o.object("findings") { o in
            for severity in Severity.allCases {
                o.add(key: severity.description, s.findingsBySeverity[severity.rawValue])
            }
        }
        o.add("capture_seconds", seconds: s.captureSeconds)
        o.add("wall_seconds", seconds: s.wallSeconds)
        o.add("decoded_packets", s.decodedPackets)
        o.object("decode") { o in
            for issue in DecodeIssue.allCases where s.decode[issue] > 0 { o.add(key: issue.name, s.decode[issue]) }
            if s.decode.truncatedBySnaplen > 0 { o.add("truncated_by_snaplen", s.decode.truncatedBySnaplen) }
            if s.decode.tunnelled > 0 { o.add("tunnelled", s.decode.tunnelled) }
        }
        o.object("fragments") { o in
            o.add("reassembled", s.fragmentsReassembled)
            o.add("timed_out", s.fragmentsTimedOut)
            o.add("cap_hits", s.fragmentCapHits)
        }
        let f = s.flowCounters
        o.object("tcp") { o in
            o.add("gaps", f.tcpGaps)
            o.add("gap_bytes", f.tcpGapBytes)
            o.add("retransmitted_segments", f.tcpRetransmittedSegments)
            o.add("overlapping_segments", f.tcpOverlappingSegments)
            o.add("out_of_order_segments", f.tcpOutOfOrderSegments)
            o.add("implausible_segments", f.tcpImplausibleSegments)
            o.add("peak_held_bytes", s.peakHeldBytes)
        }
        o.object("caps") { o in
            o.add("flows_evicted", f.flowsEvicted)
            o.add("flows_timed_out", f.flowsTimedOut)
            o.add("peak_flows", f.peakFlows)
            o.add("max_flows", s.flowCap)
            o.add("held_bytes_cap_hits", f.tcpHeldBytesCapHits)
            o.add("max_held_bytes", s.heldBytesCap)
            o.add("cleartext_findings_dropped", s.cleartextFindingsDropped)
            o.add("content_duplicates_of_credentials", s.contentDuplicatesOfCredentials)
        }
        o.add("bypassed_packets", f.bypassedPackets)
        if !s.allowlist.isEmpty {
            o.object("allowlist") { o in
                o.add("suppressed", s.allowlist.reduce(0) { $0 + $1.suppressed })
                o.objects("entries", s.allowlist) { entry, o in
                    o.add("reason", entry.reason)
                    o.add("suppressed", entry.suppressed)
                }
            }
        }
        let i = s.inspection
        o.object("tls") { o in
            o.add("client_hellos", i.tlsClientHellos)
            o.add("server_hellos", i.tlsServerHellos)
            o.add("malformed", i.tlsMalformed)
            o.add("oversized_messages", i.tlsOversizedMessages)
            o.add("certificates_dropped", i.tlsCertificatesDropped)
            o.add("starttls_upgrades", i.startTLSUpgrades)
            o.add("in_proxy_tunnels", i.tunnelledTLS)
        }
        o.object("http") { o in
            o.add("oversized_lines", i.httpOversizedLines)
            o.add("pending_overflows", i.httpPendingOverflows)
            o.add("malformed", i.httpMalformed)
            o.add("connect_tunnels", i.connectTunnels)
            o.add("websocket_upgrades", i.webSocketUpgrades)
            o.add("websocket_malformed", i.webSocketMalformed)
        }
        o.object("http2") { o in
            o.add("h2c_upgrades", i.h2cUpgrades)
            o.add("malformed", i.http2Malformed)
            o.add("table_overflows", i.http2TableOverflows)
            o.add("stream_cap_hits", i.http2StreamCapHits)
            o.add("body_cap_hits", i.http2BodyCapHits)
            o.add("pending_overflows", i.http2PendingOverflows)
            o.add("oversized_header_blocks", i.http2OversizedHeaderBlocks)
            o.add("truncated_header_lists", i.http2TruncatedHeaderLists)
        }
        o.object("cleartext") { o in
            o.add("oversized_messages", i.cleartextOversizedMessages)
            o.add("snmp_communities_dropped", i.snmpCommunitiesDropped)
            o.add("snmpv3_users_dropped", i.snmpv3UsersDropped)
            o.add("pending_overflows", i.cleartextPendingOverflows)
            o.add("socks_tunnels", i.socksTunnels)
            o.object("ftp_data") { o in
                o.add("connections", s.ftpDataConnections)
                o.add("expired", s.ftpDataExpired)
                o.add("dropped", s.ftpDataDropped)
            }
        }
        o.object("content") { o in
            let c = i.content
            o.object("streams") { o in
                for kind in ContentKind.allCases { o.add(key: kind.name, c.streams[Int(kind.rawValue)]) }
            }
            o.object("decoded_bytes") { o in
                for kind in ContentKind.allCases { o.add(key: kind.name, c.bytes[Int(kind.rawValue)]) }
            }
            o.add("decoded_cap_hits", c.decodedCapHits)
            o.add("ratio_cap_hits", c.ratioCapHits)
            o.add("nesting_cap_hits", c.nestingCapHits)
            o.add("corrupt_compressed", c.corruptCompressed)
            o.add("memory_cap_hits", c.memoryCapHits)
            o.add("unsupported_codings", c.unsupportedCodings)
            o.object("scan") { o in
                o.add("stream_bytes", i.scan.streamBytes)
                o.add("matches", i.scan.matches)
                o.add("depth_hits", i.scan.depthHits)
                o.add("abandoned_streams", i.scan.abandonedStreams)
                o.add("peak_held_bytes", i.scan.peakHeldBytes)
                o.add("binary_streams", i.scan.binaryStreams)
                o.add("binary_bytes", i.scan.binaryBytes)
                o.add("held_cap_hits", i.scan.heldCapHits)
            }
        }
        o.object("analyzer_buffers") { o in
            o.add("peak_bytes", s.peakAnalyzerBytes)
            o.add("cap_hits", i.bufferCapHits)
            o.add("peak_kept_bytes", s.peakKeptBytes)
            o.add("kept_cap_hits", i.keptCapHits)
        }
        o.add("input_error", ifPresent: s.inputError)
    }
}
