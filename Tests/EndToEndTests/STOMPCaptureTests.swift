import Foundation
import Testing

/// `Captures/stomp-rabbitmq.pcap` (`RECORD_ONLY=stomp Captures/record.sh`): a
/// private RabbitMQ 3.10.8 with its STOMP (18195) and Web STOMP (18196)
/// plugins. stomp.py 8.0 over TCP logs in as `orders-app` with last year's
/// password (ERROR "Access refused"), then with the right one (CONNECTED) and
/// sends an order with the card number; a WebSocket client (subprotocol
/// `v12.stomp`, the frames in text messages as stomp.js sends them) does the
/// same over Web STOMP, sending the SSN. The build before STOMP was read saw
/// two `unknown` flows and two HTTP ones, and no credential.
struct STOMPCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("stomp-rabbitmq.pcap")
    static let passwords = ["stomp-orders-2025", "St0mp-Orders-2026"]

    static func logins(_ analyzers: String) throws -> [(port: Int, outcome: String)] {
        let run = try plainsight(["read", capture.path, "--format", "json", "--analyzers", analyzers])
        #expect(run.status == 0, "\(run.stderr)")
        for f in run.records where f["type"] as? String == "finding" {
            let written = "\(f)"
            #expect(!passwords.contains { written.contains($0) }, "a password in clear")
        }
        #expect(run.records.contains { $0["type"] as? String == "flow" && $0["app"] as? String == "stomp" })
        return run.records.filter { $0["rule"] as? String == "credential.stomp-password" }.map { f in
            let server = ((f["flow"] as? [String: Any])?["server"] as? [String: Any])?["port"] as? Int ?? 0
            #expect((f["details"] as? [String: Any])?["username"] as? String == "orders-app")
            return (server, (f["details"] as? [String: Any])?["outcome"] as? String ?? "")
        }
    }

    @Test(arguments: ["cleartext", "all"])
    func bothListenersLoginsAreFoundWithTheBrokersVerdict(analyzers: String) throws {
        let found = try Self.logins(analyzers).map { "\($0.port) \($0.outcome)" }.sorted()
        #expect(found == ["18195 accepted", "18195 rejected", "18196 accepted", "18196 rejected"])
    }

    /// tshark (4.0) has no STOMP dissector, but shows the bytes: the broker's
    /// first frame on each connection is ERROR, then CONNECTED, on both listeners.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark"), "tshark is absent"))
    func theVerdictsAreTheBrokersFirstFrames() throws {
        let tcp = try tshark([
            "-r", Self.capture.path, "-Y", "tcp.srcport == 18195 && tcp.len > 0", "-T", "fields", "-e", "tcp.stream", "-e", "tcp.payload",
        ])
        let ws = try tshark([
            "-r", Self.capture.path, "-d", "tcp.port==18196,http", "-Y", "tcp.srcport == 18196 && websocket.payload.text",
            "-T", "fields", "-e", "tcp.stream", "-e", "websocket.payload.text",
        ])
        func firstCommands(_ text: String, hex: Bool) -> [String] {
            var seen: [String: String] = [:]
            var order: [String] = []
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
                guard fields.count == 2, seen[fields[0]] == nil else { continue }
                let body = hex ? String(decoding: stride(from: 0, to: fields[1].count - 1, by: 2).compactMap {
                    UInt8(fields[1].dropFirst($0).prefix(2), radix: 16)
                }, as: UTF8.self) : fields[1]
                seen[fields[0]] = String(body.prefix { $0 != "\n" && $0 != "\\" })
                order.append(fields[0])
            }
            return order.map { seen[$0]! }
        }
        #expect(firstCommands(tcp, hex: true) == ["ERROR", "CONNECTED"])
        #expect(firstCommands(ws, hex: false) == ["ERROR", "CONNECTED"])
        let outcomes = try Self.logins("cleartext")
        #expect(outcomes.filter { $0.port == 18195 }.map(\.outcome) == ["rejected", "accepted"])
        #expect(outcomes.filter { $0.port == 18196 }.map(\.outcome) == ["rejected", "accepted"])
    }
}
