import Testing
@testable import Decoding
@testable import Findings
@testable import Flows
@testable import Inspection
@testable import Reporting

@Suite("TextSummary")
struct TextSummaryTests {
    /// Eight flows: two TLS, four HTTP to three servers (one IPv6), one DNS over UDP, one unknown.
    func summary() -> TextSummary {
        let tls = inspection(port: 443, serverSays: tlsServerBytes)
        let http = inspection(port: 80, serverSays: httpServerBytes)
        let http8080 = inspection(port: 8080, serverSays: httpServerBytes)
        var s = TextSummary()
        s.add(makeRecord(client: "10.0.0.5", 50001, server: "93.184.216.34", 443, bytes: (500, 4500), inspection: tls))
        s.add(makeRecord(client: "10.0.0.5", 50002, server: "93.184.216.34", 443, bytes: (1000, 9000), inspection: tls))
        s.add(makeRecord(client: "10.0.0.6", 40000, server: "10.0.0.2", 80, bytes: (1000, 2000), inspection: http))
        s.add(makeRecord(client: "10.0.0.6", 40001, server: "10.0.0.2", 80, bytes: (500, 1500), inspection: http))
        s.add(makeRecord(client: "2001:db8::6", 40002, server: "2001:db8::80", 8080, bytes: (2000, 18000),
                         inspection: http8080))
        s.add(makeRecord(client: "10.0.0.6", 40003, server: "10.0.0.3", 80, bytes: (40, 60), inspection: http))
        s.add(makeRecord(client: "10.0.0.6", 53000, server: "192.0.2.53", 53, transport: .udp, guessed: true,
                         bytes: (29, 45), inspection: inspection(port: 53, transport: .udp, clientSays: dnsQuery)))
        s.add(makeRecord(client: "10.0.0.6", 40004, server: "10.0.0.4", 9999, bytes: (10, 0),
                         inspection: inspection(port: 9999, serverSays: [1, 2, 3, 4])))
        return s
    }

    func stats() -> RunStats {
        var s = RunStats()
        s.inputs = ["capture.pcap"]
        s.analyzers = ["flows"]
        s.packets = 100
        s.wireBytes = 1536
        s.decodedPackets = 90
        s.firstPacket = 1_000_000
        s.lastPacket = 3_500_000
        s.wallSeconds = 0.5
        return s
    }

    @Test func rendersAppsCleartextServicesByBytesAndNoFindingsWithTheAnalyzersRun() {
        let text = summary().render(stats())
        let expected = """
            PlainSight summary
              input      capture.pcap
              packets    100 (1.5 KB), 90 TCP/UDP decoded
              time       2.50 s of capture in 0.50 s
              flows      8 (7 TCP, 1 UDP): 2 encrypted, 5 cleartext, 1 unidentified or empty

            Flows by application
              http              4 flows  25.1 KB
              tls               2 flows  15.0 KB
              dns               1 flow   74 B
              unknown           1 flow   10 B

            Cleartext services (top 10 by bytes)
              [2001:db8::80]:8080          http          1 flow   20.0 KB
              10.0.0.2:80                  http          2 flows  5.0 KB
              10.0.0.3:80                  http          1 flow   100 B
              192.0.2.53:53                dns           1 flow   74 B

            Findings: none (analyzers run: flows)

            """
        #expect(text == expected)
        #expect(!text.contains("Warnings"))
    }

    @Test func encryptedFlowsAreNotListedAsCleartextServices() {
        let text = summary().render(stats())
        #expect(!text.contains("93.184.216.34"))
        #expect(!text.contains("10.0.0.4:9999"))
    }

    @Test func onlyTheTopTenCleartextServicesAreListed() {
        var s = TextSummary()
        let http = inspection(port: 80, serverSays: httpServerBytes)
        for i in 1...15 {
            s.add(makeRecord(client: "10.0.0.1", 40000, server: "10.0.1.\(i)", 80, bytes: (UInt64(i) * 100, 0),
                             inspection: http))
        }
        let text = s.render(RunStats())
        for i in 6...15 { #expect(text.contains("10.0.1.\(i):80 "), "\(i)") }
        for i in 1...5 { #expect(!text.contains("10.0.1.\(i):80 "), "\(i)") }
        // Largest first.
        let first = text.range(of: "10.0.1.15:80")!.lowerBound
        let second = text.range(of: "10.0.1.14:80")!.lowerBound
        #expect(first < second)
    }

    @Test func warningsFromRunStatsAreListed() {
        var s = stats()
        s.kernelDrops = 5
        s.interfaceDrops = 0
        s.flowCap = 100
        s.flowCounters.flowsEvicted = 2
        s.flowCounters.tcpGaps = 3
        s.flowCounters.tcpGapBytes = 1200
        for _ in 0..<4 { s.decode.count(.badIPv4Header) }
        s.decode.count(.truncatedTCPHeader)
        for _ in 0..<9 { s.decode.count(.nonIP) }  // ordinary traffic: not malformed
        s.inputError = "capture.pcap: truncated record at packet 101 (byte 15872)"
        let text = summary().render(s)
        let warnings = text.components(separatedBy: "\nWarnings\n").last ?? ""
        #expect(text.contains("\nWarnings\n"))
        #expect(warnings == """
              ! 5 packets dropped by the kernel (capture buffer too small: raise --buffer-size)
              ! flow table full (100 flows): 2 flows evicted early (raise --max-flows)
              ! 3 gaps in TCP streams (1200 bytes never captured)
              ! 5 malformed packets skipped (see decode counters in the stats record)
              ! input error: capture.pcap: truncated record at packet 101 (byte 15872)

            """)
    }

    @Test func noWarningsWithCleanStats() {
        #expect(stats().warnings.isEmpty)
        var s = stats()
        s.kernelDrops = 0
        s.interfaceDrops = 0
        #expect(s.warnings.isEmpty)
    }

    @Test func findingsAreCountedBySeverityAndListedMostSevereFirst() {
        var summary = summary()
        let flow = makeRecord(client: "10.0.0.6", 40000, server: "10.0.0.2", 80).identity
        summary.add(Finding(timestamp: 0, rule: "cleartext.http", category: .cleartext, severity: .low, flow: flow,
                            direction: nil, app: .http, message: "HTTP in cleartext."))
        summary.add(Finding(timestamp: 0, rule: "credential.http-basic", category: .credential, severity: .high,
                            flow: flow, direction: .toServer, app: .http, message: "Basic credentials."))
        var s = stats()
        s.findingsBySeverity[Severity.low.rawValue] = 1
        s.findingsBySeverity[Severity.high.rawValue] = 1
        let text = summary.render(s)
        #expect(text.contains("""

            Findings: 1 high, 1 low
              [high] credential.http-basic 10.0.0.6:40000 -> 10.0.0.2:80 Basic credentials.
              [low] cleartext.http 10.0.0.6:40000 -> 10.0.0.2:80 HTTP in cleartext.

            """))
    }

    @Test func severalInputsAreCounted() {
        var s = stats()
        s.inputs = ["a.pcap", "b.pcapng", "c.pcap"]
        #expect(summary().render(s).contains("  input      3 files\n"))
    }

    @Test func humanBytesUsesDecimalUnitsWithOneDecimal() {
        #expect(humanBytes(0) == "0 B")
        #expect(humanBytes(999) == "999 B")
        #expect(humanBytes(1000) == "1.0 KB")
        #expect(humanBytes(1536) == "1.5 KB")
        #expect(humanBytes(25_100) == "25.1 KB")
        #expect(humanBytes(1_000_000) == "1.0 MB")
        #expect(humanBytes(3_210_000_000) == "3.2 GB")
        #expect(humanBytes(5_000_000_000_000_000) == "5000.0 TB")
    }

    /// 999,950 bytes is 999.95 KB, which rounds to 1000.0 of the same unit
    /// instead of moving up to 1.0 MB (the unit is chosen before rounding).
    @Test
    func roundingUpToAThousandMovesToTheNextUnit() {
        #expect(humanBytes(999_950) == "1.0 MB")
        #expect(humanBytes(999_999) == "1.0 MB")
        #expect(humanBytes(999_950_000) == "1.0 GB")
    }
}
