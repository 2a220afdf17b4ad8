import Foundation
import Testing

/// `Captures/mqtt-websocket.pcap` (`RECORD_ONLY=mqttws Captures/record.sh`):
/// paho-mqtt 1.6.1 (Debian `python3-paho-mqtt`, transport `websockets`,
/// MQTT 3.1.1) to a broker on python3-websockets that checks the password,
/// over WebSocket with the `mqtt` subprotocol, two connections: user
/// `dashboard` with a wrong password (CONNACK 5), then the right one and a
/// reading published at QoS 1 whose payload names the badge holder's e-mail
/// address. Every client frame is masked: neither password is on the wire.
/// The build before MQTT was read inside WebSocket (e8dc11b) found `cleartext.http` and
/// the e-mail address, no password; the one before WebSocket, `cleartext.http` alone.
struct MQTTWebSocketCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("mqtt-websocket.pcap")
    static let passwords = ["dashboard-2025": "rejected", "Dashb0ard-Secret-2026": "accepted"]

    @Test(arguments: ["all", "cleartext"])
    func passwordsInsideWebSocketAreFound(analyzers: String) throws {
        let bytes = try Data(contentsOf: Self.capture)
        for password in Self.passwords.keys {
            #expect(bytes.range(of: Data(password.utf8)) == nil, "masked on the wire")
        }
        let run = try plainsight(["read", Self.capture.path, "--format", "json", "--analyzers", analyzers])
        #expect(run.status == 0, "\(run.stderr)")
        let logins = run.records.filter { $0["rule"] as? String == "credential.mqtt-password" }
        #expect(logins.compactMap { ($0["details"] as? [String: Any])?["outcome"] as? String }.sorted() == ["accepted", "rejected"])
        for login in logins {
            #expect((login["message"] as? String ?? "").contains("user 'dashboard'"))
            let written = "\(login)"
            #expect(!Self.passwords.keys.contains { written.contains($0) }, "a password in clear")
        }
        let emails = run.records.filter { $0["rule"] as? String == "pii.email" }
        #expect(emails.count == (analyzers == "all" ? 1 : 0))
        if let email = emails.first {
            #expect((email["details"] as? [String: Any])?["source"] as? String == "websocket-message")
            #expect((email["details"] as? [String: Any])?["field"] as? String == "badge_holder")
        }
    }

    /// tshark (4.0) unmasks the frames (it does not read MQTT inside them):
    /// the CONNECTs carry the two passwords, the broker's CONNACKs say 5 then 0.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark"), "tshark is absent"))
    func theOutcomesAreTheBrokersAnswers() throws {
        let text = try tshark(["-r", Self.capture.path, "-Y", "websocket", "-T", "fields", "-e", "tcp.stream", "-e", "data.data"])
        let payloads = text.split(separator: "\n").map { line -> (Int, [UInt8]) in
            let fields = line.split(separator: "\t")
            let hex = fields.count > 1 ? Array(fields[1].utf8) : []
            let bytes = stride(from: 0, to: hex.count - 1, by: 2).compactMap { UInt8(String(decoding: hex[$0...$0 + 1], as: UTF8.self), radix: 16) }
            return (Int(fields.first ?? "") ?? -1, bytes)
        }
        let connacks = payloads.filter { $0.1.count == 4 && $0.1[0] == 0x20 }.map { ($0.0, $0.1[3]) }
        #expect(connacks.map(\.1) == [5, 0])
        for (stream, password) in [(connacks[0].0, "dashboard-2025"), (connacks[1].0, "Dashb0ard-Secret-2026")] {
            #expect(payloads.contains { $0.0 == stream && $0.1.first == 0x10 && $0.1.firstRange(of: Array(password.utf8)) != nil })
        }
    }
}
