import Foundation
import Testing

/// Found in review of ee8c908 (UDP server side from the UDP protocols' port
/// hints), each failing there: flows whose *client* sits on one of those
/// ports and whose server is on a lower port no UDP descriptor names. Only a
/// datagram sent *to* such a port now decides; these keep the old rule
/// (the higher port is the client).
struct UDPServerSideReviewTests {
    typealias C = RADIUSReviewCaptureTests

    static func run(_ frames: [[UInt8]], name: String) throws -> PlainSightRun {
        let path = Paths.temporaryDirectory().appendingPathComponent(name)
        try Data(C.pcap(frames)).write(to: path)
        return try plainsight(["read", path.path, "--format", "json"])
    }

    /// A SIP phone sends its STUN Binding Request from its SIP socket (5060:
    /// it must learn the NAT mapping of that socket) to a STUN server on
    /// 3478. The phone is the client; 5060 being a SIP hint makes it the server.
    @Test func aSIPPhonesSTUNRequestFromPort5060KeepsThePhoneAsClient() throws {
        let phone: [UInt8] = [10, 0, 0, 5], stun: [UInt8] = [198, 51, 100, 7]
        let txid: [UInt8] = (0..<12).map { UInt8(0x40 + $0) }
        let request: [UInt8] = [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42] + txid
        // Binding Success Response with XOR-MAPPED-ADDRESS 203.0.113.5:5060.
        let xport = 5060 ^ 0x2112
        let xaddr: [UInt8] = [203 ^ 0x21, 0 ^ 0x12, 113 ^ 0xa4, 5 ^ 0x42]
        let response: [UInt8] = [0x01, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42] + txid
            + [0x00, 0x20, 0x00, 0x08, 0x00, 0x01] + C.be16(xport) + xaddr
        let run = try Self.run(
            [C.frame(from: phone, 5060, to: stun, 3478, request), C.frame(from: stun, 3478, to: phone, 5060, response)],
            name: "stun-from-sip-port.pcap")
        #expect(run.status == 0, "\(run.stderr)")
        let flow = try #require(run.flows.first)
        #expect(endpoints(flow) == "udp 10.0.0.5:5060 > 198.51.100.7:3478")
    }

    /// A host behind a NAT that hands out source ports across 1024–65535 (or
    /// an OpenBSD host, or Windows XP's 1025–5000) asks an NTP server on 123
    /// from source port 1812. Nothing about RADIUS here.
    @Test func anNTPClientWhoseEphemeralPortIs1812StaysTheClient() throws {
        let host: [UInt8] = [203, 0, 113, 9], ntp: [UInt8] = [192, 0, 2, 123]
        var request = [UInt8](repeating: 0, count: 48)
        request[0] = 0x23  // LI 0, version 4, mode 3 (client)
        var reply = [UInt8](repeating: 0, count: 48)
        reply[0] = 0x24  // mode 4 (server)
        reply[1] = 2
        let run = try Self.run(
            [C.frame(from: host, 1812, to: ntp, 123, request), C.frame(from: ntp, 123, to: host, 1812, reply)],
            name: "ntp-from-1812.pcap")
        #expect(run.status == 0, "\(run.stderr)")
        let flow = try #require(run.flows.first)
        #expect(endpoints(flow) == "udp 203.0.113.9:1812 > 192.0.2.123:123")
    }

    /// A RADIUS server (the Dynamic Authorization Client, RFC 5176) that sends
    /// a Disconnect-Request from its 1812 socket to a Cisco IOS NAS listening
    /// on Cisco's default CoA port 1700: the NAS is the server.
    @Test func aDisconnectRequestFrom1812ToANASOn1700NamesTheNASAsServer() throws {
        let dac: [UInt8] = [10, 0, 0, 2], nas: [UInt8] = [10, 0, 0, 1]
        let request = C.radius(40, id: 3, [[1, 7] + Array("alice".utf8)], authenticator: (0..<16).map { UInt8(0x30 + $0) })
        let ack = C.radius(41, id: 3, [], authenticator: (0..<16).map { UInt8(0x50 + $0) })
        let run = try Self.run(
            [C.frame(from: dac, 1812, to: nas, 1700, request), C.frame(from: nas, 1700, to: dac, 1812, ack)],
            name: "disconnect-to-1700.pcap")
        #expect(run.status == 0, "\(run.stderr)")
        let flow = try #require(run.flows.first)
        #expect(flow["app"] as? String == "radius")
        #expect(endpoints(flow) == "udp 10.0.0.2:1812 > 10.0.0.1:1700")
    }

    /// Both ends on service ports, the first datagram sent to one: its sender
    /// is the client — an agent's SNMPv2c trap from 161 to the manager's 162,
    /// a RADIUS server's Disconnect-Request (RFC 5176) from its 1812 socket to
    /// the NAS on 3799. The higher-port rule made the manager and the NAS the
    /// clients.
    @Test func aDatagramFromOneServicePortToAnotherNamesItsReceiverTheServer() throws {
        let agent: [UInt8] = [10, 0, 0, 7], manager: [UInt8] = [10, 0, 0, 8]
        let trap: [UInt8] = [0x30, 0x18, 0x02, 0x01, 0x01, 0x04, 0x06] + Array("public".utf8)
            + [0xa7, 0x0b, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x00]
        let radiusServer: [UInt8] = [10, 0, 0, 2], nas: [UInt8] = [10, 0, 0, 1]
        let disconnect = C.radius(40, id: 3, [[1, 7] + Array("alice".utf8)], authenticator: (0..<16).map { UInt8($0) })
        let run = try Self.run([
            C.frame(from: agent, 161, to: manager, 162, trap),
            C.frame(from: radiusServer, 1812, to: nas, 3799, disconnect),
        ], name: "service-to-service.pcap")
        #expect(run.status == 0, "\(run.stderr)")
        let servers = Set(run.flows.map { flow -> String in
            let s = (flow["flow"] as? [String: Any])?["server"] as? [String: Any]
            return "\(flow["app"] as? String ?? "?") \(s?["ip"] as? String ?? "?"):\(s?["port"] as? Int ?? 0)"
        })
        #expect(servers == ["snmp 10.0.0.8:162", "radius 10.0.0.1:3799"])
    }
}
