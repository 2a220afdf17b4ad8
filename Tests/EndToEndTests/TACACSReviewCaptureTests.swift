import Foundation
import Testing

/// Found in review of the first TACACS+ reader (f296374), whole binary: a
/// capture written here, byte for byte (Ethernet, IPv4, TCP with its
/// handshake and FINs).
struct TACACSReviewCaptureTests {
    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
    static func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
    static func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }

    static func checksum(_ bytes: [UInt8]) -> Int {
        var sum = 0
        var i = 0
        while i < bytes.count {
            sum += Int(bytes[i]) << 8 | (i + 1 < bytes.count ? Int(bytes[i + 1]) : 0)
            i += 2
        }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return ~sum & 0xffff
    }

    /// One Ethernet/IPv4/TCP frame.
    static func frame(src: [UInt8], dst: [UInt8], sport: Int, dport: Int, seq: Int, ack: Int, flags: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var tcp = be16(sport) + be16(dport) + be32(seq) + be32(ack) + [0x50, flags] + be16(65535) + [0, 0, 0, 0] + payload
        let pseudo = src + dst + [0, 6] + be16(tcp.count)
        let c = checksum(pseudo + tcp)
        tcp[16] = UInt8(c >> 8); tcp[17] = UInt8(c & 0xff)
        var ip: [UInt8] = [0x45, 0] + be16(20 + tcp.count) + [0, 1, 0x40, 0, 64, 6, 0, 0] + src + dst
        let ic = checksum(ip)
        ip[10] = UInt8(ic >> 8); ip[11] = UInt8(ic & 0xff)
        return [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00] + ip + tcp
    }

    /// A TCP connection: handshake, each (bytes, fromClient) as one segment, FIN both ways.
    static func connection(client: [UInt8], server: [UInt8], sport: Int, dport: Int, _ segments: [([UInt8], Bool)]) -> [[UInt8]] {
        var c = 1000, s = 5000
        var frames = [
            frame(src: client, dst: server, sport: sport, dport: dport, seq: c, ack: 0, flags: 0x02, []),
            frame(src: server, dst: client, sport: dport, dport: sport, seq: s, ack: c + 1, flags: 0x12, []),
        ]
        c += 1; s += 1
        frames.append(frame(src: client, dst: server, sport: sport, dport: dport, seq: c, ack: s, flags: 0x10, []))
        for (bytes, fromClient) in segments {
            if fromClient {
                frames.append(frame(src: client, dst: server, sport: sport, dport: dport, seq: c, ack: s, flags: 0x18, bytes)); c += bytes.count
            } else {
                frames.append(frame(src: server, dst: client, sport: dport, dport: sport, seq: s, ack: c, flags: 0x18, bytes)); s += bytes.count
            }
        }
        frames.append(frame(src: client, dst: server, sport: sport, dport: dport, seq: c, ack: s, flags: 0x11, []))
        frames.append(frame(src: server, dst: client, sport: dport, dport: sport, seq: s, ack: c + 1, flags: 0x11, []))
        frames.append(frame(src: client, dst: server, sport: sport, dport: dport, seq: c + 1, ack: s + 1, flags: 0x10, []))
        return frames
    }

    static func pcap(_ frames: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0]
        for (i, f) in frames.enumerated() {
            let le = { (v: Int) -> [UInt8] in [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24 & 0xff)] }
            out += le(1_796_661_845) + le(i * 1000) + le(f.count) + le(f.count) + f
        }
        return out
    }

    static func tacacs(type: UInt8, seq: UInt8, flags: UInt8, session: Int, _ body: [UInt8]) -> [UInt8] {
        [0xc0, type, seq, flags] + be32(session) + be32(body.count) + body
    }

    /// §4.1 ("MUST NOT be used in production"), §4.5 ("A request MUST be
    /// dropped if TAC_PLUS_UNENCRYPTED_FLAG is set") and §10.5.2 ("TACACS+
    /// servers MUST reject connections that have TAC_PLUS_UNENCRYPTED_FLAG
    /// set"): a server that answers an authorization request sent in clear,
    /// every command line readable without any key, is reported exactly like
    /// one whose bodies are obfuscated — `cleartext.tacacs`, medium, and nothing else.
    @Test func authorizationInClearIsToldFromObfuscatedAuthorization() throws {
        let args = ["service=shell", "cmd=username", "cmd-arg=backup", "cmd-arg=secret", "cmd-arg=0", "cmd-arg=B4ckup-Adm1n!"].map(Self.ascii)
        let request: [UInt8] = [6, 15, 1, 1, 8, 4, 8, UInt8(args.count)] + args.map { UInt8($0.count) }
            + Self.ascii("netadmin") + Self.ascii("tty0") + Self.ascii("10.1.1.5") + args.flatMap { $0 }
        let response: [UInt8] = [1, 0] + Self.be16(0) + Self.be16(0) + [0]
        // Obfuscated: the same lengths, bodies as noise (XORed with the MD5 pad).
        let noise = { (n: Int, seed: Int) in (0..<n).map { UInt8(truncatingIfNeeded: ($0 &* 167 &+ seed &* 31 &+ 89) ^ ($0 >> 1)) } }
        let client: [UInt8] = [10, 0, 0, 1]
        var frames = Self.connection(client: client, server: [10, 0, 0, 2], sport: 40001, dport: 49, [
            (Self.tacacs(type: 2, seq: 1, flags: 0x00, session: 0x1111_1111, noise(request.count, 1)), true),
            (Self.tacacs(type: 2, seq: 2, flags: 0x00, session: 0x1111_1111, noise(response.count, 2)), false),
        ])
        frames += Self.connection(client: client, server: [10, 0, 0, 3], sport: 40002, dport: 49, [
            (Self.tacacs(type: 2, seq: 1, flags: 0x01, session: 0x2222_2222, request), true),
            (Self.tacacs(type: 2, seq: 2, flags: 0x01, session: 0x2222_2222, response), false),
        ])
        let path = Paths.temporaryDirectory().appendingPathComponent("tacacs-clear-authorization.pcap")
        try Data(Self.pcap(frames)).write(to: path)
        let run = try plainsight(["read", path.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.flows.count == 2 && run.flows.allSatisfy { $0["app"] as? String == "tacacs" }, "\(run.stdout)")
        func findings(server ip: String) -> Set<String> {
            Set(run.records.filter {
                $0["type"] as? String == "finding"
                    && (((($0["flow"] as? [String: Any])?["server"] as? [String: Any])?["ip"]) as? String) == ip
            }.map { "\($0["rule"] as? String ?? "") \($0["severity"] as? String ?? "")" })
        }
        let obfuscated = findings(server: "10.0.0.2"), clear = findings(server: "10.0.0.3")
        #expect(obfuscated == ["cleartext.tacacs medium"])
        #expect(clear == ["cleartext.tacacs medium", "cleartext.tacacs-in-clear high"], "\(clear)")
    }
}
