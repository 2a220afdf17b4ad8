import Decoding
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
        case .json: writeLine(Reporter.json(record))
        case .text: summary.add(record)
        }
    }

    public func finding(_ finding: Finding) {
        switch format {
        case .json: writeLine(Reporter.json(finding))
        case .text: summary.add(finding)
        }
    }

    /// A periodic (live) or final stats record. Text output prints only the final one.
    public func stats(_ stats: RunStats, final: Bool, now: Microseconds) {
        switch format {
        case .json: writeLine(Reporter.json(stats, final: final, now: now))
        case .text: if final { out.write(summary.render(stats)) }
        }
        out.flush()
    }

    public func flush() { out.flush() }

    func writeLine(_ object: JSONObject) {
        var line = object.finished
        line.append(0x0a)
        out.write(bytes: line)
    }

    // MARK: JSON records (docs: output contract)

    public static func json(_ f: FlowIdentity) -> JSONObject {
        var o = JSONObject()
        o.add("id", f.id)
        o.add("transport", f.transport.name)
        var client = JSONObject()
        client.add("ip", f.client.description)
        client.add("port", f.clientPort)
        var server = JSONObject()
        server.add("ip", f.server.description)
        server.add("port", f.serverPort)
        o.add("client", client)
        o.add("server", server)
        if f.clientGuessed { o.add("client_guessed", true) }
        return o
    }

    static func directional(_ v: (toServer: UInt64, toClient: UInt64)) -> JSONObject {
        var o = JSONObject()
        o.add("to_server", v.toServer)
        o.add("to_client", v.toClient)
        return o
    }

    public static func json(_ r: FlowRecord) -> JSONObject {
        var o = JSONObject()
        o.add("type", "flow")
        o.add("ts_start", rfc3339(r.identity.start))
        o.add("ts_end", rfc3339(r.end))
        o.add("flow", json(r.identity))
        o.add("app", r.app.description)
        if let encrypted = r.encrypted { o.add("encrypted", encrypted) }
        o.add("packets", directional(r.packets))
        o.add("bytes", directional(r.bytes))
        o.add("findings", r.findings)
        o.add("end_reason", r.endReason.rawValue)
        if r.midstream { o.add("midstream", true) }
        if r.gaps > 0 {
            o.add("gaps", r.gaps)
            o.add("gap_bytes", r.gapBytes)
        }
        return o
    }

    public static func json(_ f: Finding) -> JSONObject {
        var o = JSONObject()
        o.add("type", "finding")
        o.add("ts", rfc3339(f.timestamp))
        o.add("rule", f.rule)
        o.add("category", f.category.rawValue)
        o.add("severity", f.severity.description)
        o.add("flow", json(f.flow))
        if let d = f.direction { o.add("direction", d == .toServer ? "to_server" : "to_client") }
        o.add("app", f.app.description)
        o.add("message", f.message)
        o.add("evidence", ifPresent: f.evidence)
        if !f.details.isEmpty {
            var details = JSONObject()
            for (k, v) in f.details { details.add(k, v) }
            o.add("details", details)
        }
        return o
    }

    public static func json(_ s: RunStats, final: Bool, now: Microseconds) -> JSONObject {
        var o = JSONObject()
        o.add("type", "stats")
        o.add("ts", rfc3339(now))
        o.add("final", final)
        o.add("packets", s.packets)
        o.add("bytes", s.wireBytes)
        o.add("flows", s.flowCounters.flowsCreated)
        var drops = JSONObject()
        drops.add("kernel", s.kernelDrops ?? 0)
        drops.add("interface", s.interfaceDrops ?? 0)
        o.add("drops", drops)
        var findings = JSONObject()
        for severity in Severity.allCases { findings.add(severity.description, s.findingsBySeverity[severity.rawValue]) }
        o.add("findings", findings)
        o.add("capture_seconds", seconds: s.captureSeconds)
        o.add("wall_seconds", seconds: s.wallSeconds)
        o.add("decoded_packets", s.decodedPackets)
        var decode = JSONObject()
        for issue in DecodeIssue.allCases where s.decode[issue] > 0 { decode.add(issue.name, s.decode[issue]) }
        if s.decode.truncatedBySnaplen > 0 { decode.add("truncated_by_snaplen", s.decode.truncatedBySnaplen) }
        if s.decode.tunnelled > 0 { decode.add("tunnelled", s.decode.tunnelled) }
        o.add("decode", decode)
        var fragments = JSONObject()
        fragments.add("reassembled", s.fragmentsReassembled)
        fragments.add("timed_out", s.fragmentsTimedOut)
        fragments.add("cap_hits", s.fragmentCapHits)
        o.add("fragments", fragments)
        let f = s.flowCounters
        var tcp = JSONObject()
        tcp.add("gaps", f.tcpGaps)
        tcp.add("gap_bytes", f.tcpGapBytes)
        tcp.add("retransmitted_segments", f.tcpRetransmittedSegments)
        tcp.add("overlapping_segments", f.tcpOverlappingSegments)
        tcp.add("out_of_order_segments", f.tcpOutOfOrderSegments)
        tcp.add("implausible_segments", f.tcpImplausibleSegments)
        tcp.add("peak_held_bytes", s.peakHeldBytes)
        o.add("tcp", tcp)
        var caps = JSONObject()
        caps.add("flows_evicted", f.flowsEvicted)
        caps.add("flows_timed_out", f.flowsTimedOut)
        caps.add("peak_flows", f.peakFlows)
        caps.add("max_flows", s.flowCap)
        caps.add("held_bytes_cap_hits", f.tcpHeldBytesCapHits)
        caps.add("max_held_bytes", s.heldBytesCap)
        o.add("caps", caps)
        o.add("bypassed_packets", f.bypassedPackets)
        o.add("input_error", ifPresent: s.inputError)
        return o
    }
}
