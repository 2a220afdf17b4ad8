import Testing
@testable import Flows
@testable import Inspection

/// MQTT CONNECT / CONNACK built byte for byte from OASIS MQTT 3.1.1 (§2.2,
/// §3.1, §3.2), MQTT 5.0 (§2.2.2 properties, §3.1, §3.2) and the IBM MQTT
/// 3.1 specification (`MQIsdp`, level 3).
enum MQTTBytes {
    static func string(_ s: String) -> [UInt8] { be16(s.utf8.count) + ascii(s) }
    static func binary(_ b: [UInt8]) -> [UInt8] { be16(b.count) + b }

    /// Fixed header (type, flags, Remaining Length) and the rest.
    static func packet(_ type: UInt8, flags: UInt8 = 0, _ rest: [UInt8]) -> [UInt8] {
        [type << 4 | flags] + base128(rest.count) + rest
    }

    static func connect(
        level: UInt8 = 4, clientID: String = "sensor-17", user: String? = nil, password: [UInt8]? = nil,
        will: (topic: String, payload: [UInt8])? = nil, properties: [UInt8] = [], willProperties: [UInt8] = []
    ) -> [UInt8] {
        var flags: UInt8 = 0x02  // clean session
        if user != nil { flags |= 0x80 }
        if password != nil { flags |= 0x40 }
        if will != nil { flags |= 0x04 | 0x08 }  // will, QoS 1
        var rest = string(level == 3 ? "MQIsdp" : "MQTT") + [level, flags] + be16(60)
        if level >= 5 { rest += base128(properties.count) + properties }
        rest += string(clientID)
        if let will {
            if level >= 5 { rest += base128(willProperties.count) + willProperties }
            rest += string(will.topic) + binary(will.payload)
        }
        if let user { rest += string(user) }
        if let password { rest += binary(password) }
        return packet(1, rest)
    }

    /// 3.x: acknowledge flags, return code. 5.0: flags, reason code, properties.
    static func connack(_ code: UInt8, level: UInt8 = 4, properties: [UInt8] = []) -> [UInt8] {
        level >= 5 ? packet(2, [0, code] + base128(properties.count) + properties) : packet(2, [0, code])
    }

    static let ping = packet(12, [])
    static let publish = packet(3, string("plant/line-3/temp") + ascii("21.5"))
}

@Suite("MQTT login")
struct MQTTLoginTests {
    func mqtt(_ user: String?, _ password: String, _ outcome: LoginOutcome) -> Sighting {
        credential(.mqttPassword, user.map(ascii), ascii(password), outcome)
    }

    @Test func v311PasswordAcceptedByConnack() {
        let steps: [Step] = [
            .client(MQTTBytes.connect(user: "plant-gw", password: ascii("s3cret!"))), .server(MQTTBytes.connack(0)),
            .client(MQTTBytes.publish),
        ]
        expectBrokerEverySplit(.mqtt, steps, [mqtt("plant-gw", "s3cret!", .accepted)])
    }

    @Test func v311RefusalsForCredentialsReject() {
        for code: UInt8 in [4, 5] {
            let steps: [Step] = [.client(MQTTBytes.connect(user: "plant-gw", password: ascii("wrong"))), .server(MQTTBytes.connack(code))]
            expectBrokerEverySplit(.mqtt, steps, [mqtt("plant-gw", "wrong", .rejected)])
        }
    }

    @Test func v311RefusalsForOtherReasonsSayNothingAboutThePassword() {
        // 1 protocol version, 2 identifier rejected, 3 server unavailable (§3.2.2.3).
        for code: UInt8 in [1, 2, 3] {
            let steps: [Step] = [.client(MQTTBytes.connect(user: "u", password: ascii("p"))), .server(MQTTBytes.connack(code))]
            #expect(brokerSightings(.mqtt, steps) == [mqtt("u", "p", .unknown)], "code \(code)")
        }
    }

    @Test func v31MQIsdpWithAWillIsRead() {
        let steps: [Step] = [
            .client(MQTTBytes.connect(level: 3, user: "legacy", password: ascii("pw31"), will: ("dev/legacy/state", ascii("offline")))),
            .server(MQTTBytes.connack(0, level: 3)),
        ]
        expectBrokerEverySplit(.mqtt, steps, [mqtt("legacy", "pw31", .accepted)])
    }

    /// Session Expiry Interval (0x11, four bytes), Receive Maximum (0x21, two), a User Property (0x26, string pair).
    static let v5Properties: [UInt8] = [0x11] + be32(3600) + [0x21] + be16(20) + [0x26] + MQTTBytes.string("site") + MQTTBytes.string("lyon")

    @Test func v5PropertiesAndWillPropertiesAreSkippedByLength() {
        // Will Delay Interval (0x18, four bytes), Content Type (0x03, string).
        let willProperties: [UInt8] = [0x18] + be32(5) + [0x03] + MQTTBytes.string("text/plain")
        let connect = MQTTBytes.connect(
            level: 5, user: "edge-7", password: ascii("v5-pass"), will: ("edge/7/lwt", ascii("gone")),
            properties: MQTTLoginTests.v5Properties, willProperties: willProperties)
        // CONNACK with Assigned Client Identifier (0x12) and Topic Alias Maximum (0x22).
        let connack = MQTTBytes.connack(0, level: 5, properties: [0x12] + MQTTBytes.string("auto-1") + [0x22] + be16(10))
        expectBrokerEverySplit(.mqtt, [.client(connect), .server(connack)], [mqtt("edge-7", "v5-pass", .accepted)])
    }

    @Test func v5ReasonCodesForCredentialsReject() {
        // 0x86 bad user name or password, 0x87 not authorized, 0x8C bad authentication method.
        for code: UInt8 in [0x86, 0x87, 0x8c] {
            let steps: [Step] = [
                .client(MQTTBytes.connect(level: 5, user: "edge-7", password: ascii("nope"))),
                .server(MQTTBytes.connack(code, level: 5)),
            ]
            expectBrokerEverySplit(.mqtt, steps, [mqtt("edge-7", "nope", .rejected)])
        }
        // 0x84 unsupported protocol version, 0x88 server unavailable: no word on the password.
        for code: UInt8 in [0x84, 0x88] {
            let steps: [Step] = [
                .client(MQTTBytes.connect(level: 5, user: "edge-7", password: ascii("p"))), .server(MQTTBytes.connack(code, level: 5)),
            ]
            #expect(brokerSightings(.mqtt, steps) == [mqtt("edge-7", "p", .unknown)])
        }
    }

    @Test func v3ReturnCodeFourIsNotAV5Rejection() {
        // The same byte means different things by level: 0x86 on a 3.1.1 session is no known code.
        let steps: [Step] = [.client(MQTTBytes.connect(user: "u", password: ascii("p"))), .server(MQTTBytes.connack(0x86))]
        #expect(brokerSightings(.mqtt, steps) == [mqtt("u", "p", .unknown)])
    }

    @Test func passwordWithoutUserNameIsReported() {
        // 3.1.1 forbids it (§3.1.2.9) but brokers see it from 3.1 and 5.0 clients.
        let steps: [Step] = [.client(MQTTBytes.connect(level: 5, password: ascii("token-only"))), .server(MQTTBytes.connack(0, level: 5))]
        expectBrokerEverySplit(.mqtt, steps, [mqtt(nil, "token-only", .accepted)])
    }

    @Test func longConnectHasAMultiByteRemainingLength() {
        let password = counting(300, from: 0x20)
        let connect = MQTTBytes.connect(clientID: String(repeating: "c", count: 200), user: "bulk", password: password)
        #expect(connect[1] & 0x80 != 0 && connect[2] & 0x80 == 0, "two length bytes")
        expectBrokerEverySplit(
            .mqtt, [.client(connect), .server(MQTTBytes.connack(0))],
            [credential(.mqttPassword, ascii("bulk"), password, .accepted)])
    }

    @Test func enhancedAuthenticationIsNotedAndItsConnackAwaited() {
        // AUTHENTICATION METHOD (0x15) and DATA (0x16): the exchange continues in AUTH packets.
        let properties: [UInt8] = [0x15] + MQTTBytes.string("SCRAM-SHA-256") + [0x16] + MQTTBytes.binary(ascii("n,,n=edge,r=abc"))
        let connect = MQTTBytes.connect(level: 5, user: "edge", properties: properties)
        var run = PipelineRun(.mqtt, stopsWhenDone: true)
        run.play([.client(connect)])
        guard case .mqtt(let analyzer) = run.analyzer else { Issue.record("not the MQTT reader"); return }
        #expect(analyzer.enhancedAuthentication)
        #expect(run.done, "no password in CONNECT: nothing to wait for")
        run.endBoth()
        #expect(run.sightings.isEmpty)

        // With a password too, AUTH packets (type 15) pass and the CONNACK decides.
        let withPassword = MQTTBytes.connect(level: 5, user: "edge", password: ascii("pw"), properties: properties)
        let auth = MQTTBytes.packet(15, [0x18] + base128(0))  // Continue authentication, no properties
        #expect(brokerSightings(.mqtt, [.client(withPassword), .server(auth), .server(MQTTBytes.connack(0x8c, level: 5))])
            == [mqtt("edge", "pw", .rejected)])
    }

    @Test func connectWithoutPasswordReportsNothingAndIsDone() {
        var run = PipelineRun(.mqtt, stopsWhenDone: true)
        run.play([.client(MQTTBytes.connect(user: "anonymous-ish"))])
        #expect(run.done)
        run.endBoth()
        #expect(run.sightings.isEmpty)
    }

    @Test func withoutConnackTheOutcomeIsUnknown() {
        #expect(brokerSightings(.mqtt, [.client(MQTTBytes.connect(user: "u", password: ascii("p")))]) == [mqtt("u", "p", .unknown)])
    }

    @Test func malformedOrTruncatedConnectReportsNothing() {
        let good = MQTTBytes.connect(user: "u", password: ascii("secret"))
        // Cut anywhere: the packet never completes.
        for k in 1..<good.count {
            #expect(brokerSightings(.mqtt, [.client(Array(good[..<k])), .server(MQTTBytes.connack(0))]).isEmpty, "cut at \(k)")
        }
        // A password length running past the packet.
        var overrun = good
        overrun[overrun.count - 8] = 0x7f
        #expect(brokerSightings(.mqtt, [.client(overrun), .server(MQTTBytes.connack(0))]).isEmpty)
        // A Remaining Length of five bytes (§2.2.3 allows four).
        #expect(brokerSightings(.mqtt, [.client([0x10, 0xff, 0xff, 0xff, 0xff, 0x01] + counting(40))]).isEmpty)
        // A first packet that is not CONNECT.
        #expect(brokerSightings(.mqtt, [.client(MQTTBytes.publish), .client(good), .server(MQTTBytes.connack(0))]).isEmpty)
        // A v5 property identifier that does not exist: the properties cannot be walked.
        let badProperties = MQTTBytes.connect(level: 5, user: "u", password: ascii("p"), properties: [0x7e, 1, 2])
        #expect(brokerSightings(.mqtt, [.client(badProperties), .server(MQTTBytes.connack(0, level: 5))]) == [mqtt("u", "p", .accepted)])
    }

    @Test func gapBeforeTheConnackLeavesTheOutcomeUnknown() {
        var run = PipelineRun(.mqtt, stopsWhenDone: true)
        run.play([.client(MQTTBytes.connect(user: "u", password: ascii("p")))])
        run.gap(.toClient)
        #expect(run.done)
        #expect(run.sightings == [mqtt("u", "p", .unknown)])
    }

    // MARK: probe

    @Test func probeMatchesEveryVersionOnAnyPort() {
        for port: UInt16 in [1883, 4000] {
            #expect(run(Probes.mqtt.probeToServer, MQTTBytes.connect(user: "u", password: ascii("p")), port: port) == .match)
            #expect(run(Probes.mqtt.probeToServer, MQTTBytes.connect(level: 5), port: port) == .match)
            #expect(run(Probes.mqtt.probeToServer, MQTTBytes.connect(level: 3), port: port) == .match)
            let long = MQTTBytes.connect(clientID: String(repeating: "x", count: 300))
            #expect(run(Probes.mqtt.probeToServer, Array(long.prefix(12)), port: port) == .match)
        }
        #expect(identify([MQTTBytes.connect(user: "u", password: ascii("p"))], .toServer, port: 8080).app == .mqtt)
    }

    @Test func probeWaitsForTheProtocolNameAndRejectsLookAlikes() {
        let connect = MQTTBytes.connect()
        for k in 1..<9 { #expect(run(Probes.mqtt.probeToServer, Array(connect.prefix(k)), port: 1883) == .needMore, "\(k) bytes") }
        // The wrong level for the name, another name, another packet type, plain text.
        var level9 = connect
        level9[8] = 9
        #expect(run(Probes.mqtt.probeToServer, level9, port: 1883) == .noMatch)
        var named = connect
        named[7] = UInt8(ascii: "X")
        #expect(run(Probes.mqtt.probeToServer, named, port: 1883) == .noMatch)
        #expect(run(Probes.mqtt.probeToServer, MQTTBytes.publish, port: 1883) == .noMatch)
        #expect(run(Probes.mqtt.probeToServer, ascii("GET / HTTP/1.1\r\n"), port: 1883) == .noMatch)
        #expect(run(Probes.mqtt.probeToServer, [0x10, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 4], port: 1883) == .noMatch)
    }
}
