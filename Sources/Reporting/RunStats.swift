import Decoding
import Findings
import Flows
import Inspection

/// Counters of one run, written as the `stats` record and the text summary.
public struct RunStats: Sendable {
    public var packets: UInt64 = 0
    /// Frame bytes on the wire (`len` of each packet).
    public var wireBytes: UInt64 = 0
    public var decodedPackets: UInt64 = 0
    public var decode = DecodeCounters()
    public var fragmentsReassembled: UInt64 = 0
    public var fragmentsTimedOut: UInt64 = 0
    public var fragmentCapHits: UInt64 = 0
    public var flowCounters = FlowCounters()
    public var peakHeldBytes = 0
    public var heldBytesCap = 0
    public var flowCap = 0
    /// Live capture only (pcap_stats): dropped by the kernel for lack of
    /// buffer space, and by the interface or its driver.
    public var kernelDrops: UInt64?
    public var interfaceDrops: UInt64?
    public var findingsBySeverity = [UInt64](repeating: 0, count: Severity.allCases.count)
    /// Each allowlist entry's reason and how many findings it suppressed.
    public var allowlist: [(reason: String, suppressed: UInt64)] = []
    /// Cleartext sightings not kept because the deduplicated findings were at their cap.
    public var cleartextFindingsDropped: UInt64 = 0
    /// PII/secret matches not reported: the same value was reported as a credential on its flow.
    public var contentDuplicatesOfCredentials: UInt64 = 0
    public var firstPacket: Microseconds?
    public var lastPacket: Microseconds?
    public var wallSeconds = 0.0
    /// Set when input ended with an error (truncated file, ...): where and why.
    public var inputError: String?
    public var inputs: [String] = []
    /// The analyzers that ran (`--analyzers`), so a reader knows what "no
    /// findings" covers.
    public var analyzers: [String] = []
    /// What the analyzers counted (TLS handshakes, STARTTLS, caps).
    public var inspection = InspectionCounters()
    public var peakAnalyzerBytes = 0
    /// Peak bytes of handshake facts kept for flow records.
    public var peakKeptBytes = 0
    /// FTP data connections recognised from their control channel's announcement.
    public var ftpDataConnections: UInt64 = 0
    /// Announced FTP data connections that never opened within the timeout.
    public var ftpDataExpired: UInt64 = 0
    /// Announced FTP data connections dropped because the table of them was full.
    public var ftpDataDropped: UInt64 = 0
    /// The TLS policy findings were judged by.
    public var tlsPolicy: String?

    public init() {}

    public var captureSeconds: Double {
        guard let first = firstPacket, let last = lastPacket else { return 0 }
        return Double(last - first) / 1_000_000
    }

    public var findings: UInt64 { findingsBySeverity.reduce(0, +) }

    /// Warnings a reader must not miss: drops, caps hit, malformed input.
    public var warnings: [String] {
        var w: [String] = []
        if let k = kernelDrops, k > 0 { w.append("\(k) packets dropped by the kernel (capture buffer too small: raise --buffer-size)") }
        if let i = interfaceDrops, i > 0 { w.append("\(i) packets dropped by the interface or driver") }
        let f = flowCounters
        if f.flowsEvicted > 0 { w.append("flow table full (\(flowCap) flows): \(f.flowsEvicted) flows evicted early (raise --max-flows)") }
        if f.tcpHeldBytesCapHits > 0 {
            w.append("out-of-order byte cap hit \(f.tcpHeldBytesCapHits) times: holes were skipped as gaps (raise --max-held-mb or --max-held-per-flow-kb)")
        }
        if f.tcpGaps > 0 { w.append("\(f.tcpGaps) gaps in TCP streams (\(f.tcpGapBytes) bytes never captured)") }
        if fragmentCapHits > 0 { w.append("fragment reassembly cap hit \(fragmentCapHits) times") }
        if fragmentsTimedOut > 0 { w.append("\(fragmentsTimedOut) fragmented datagrams never completed") }
        let malformed = decode.malformed
        if malformed > 0 { w.append("\(malformed) malformed packets skipped (see decode counters in the stats record)") }
        if decode.truncatedBySnaplen > 0 { w.append("\(decode.truncatedBySnaplen) packets cut by the snap length") }
        if inspection.bufferCapHits > 0 {
            w.append("analyzer buffer cap hit \(inspection.bufferCapHits) times: some handshakes were not read whole")
        }
        if inspection.keptCapHits > 0 {
            w.append("handshake facts budget full \(inspection.keptCapHits) times: some hellos or certificates were not kept")
        }
        if inspection.tlsMalformed > 0 { w.append("\(inspection.tlsMalformed) malformed TLS handshake messages") }
        let suppressed = allowlist.reduce(0) { $0 + $1.suppressed }
        if suppressed > 0 { w.append("\(suppressed) findings suppressed by the allowlist (counts per entry in the stats record)") }
        if cleartextFindingsDropped > 0 {
            w.append("\(cleartextFindingsDropped) cleartext sightings not reported: the cap of distinct cleartext findings was reached")
        }
        if let e = inputError { w.append("input error: \(e)") }
        return w
    }
}
