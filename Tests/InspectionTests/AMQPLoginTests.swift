import Testing
@testable import Flows
@testable import Inspection

/// AMQP 0-9-1 connection negotiation built byte for byte from the spec:
/// protocol header (§4.2.2), frames (§4.2.3), Connection methods (class 10),
/// field tables (§4.2.5.5).
enum AMQPBytes {
    static let header091: [UInt8] = ascii("AMQP") + [0, 0, 9, 1]

    static func frame(_ type: UInt8, channel: Int = 0, _ payload: [UInt8]) -> [UInt8] {
        [type] + be16(channel) + be32(payload.count) + payload + [0xce]
    }

    static func method(_ classID: Int, _ methodID: Int, _ arguments: [UInt8]) -> [UInt8] {
        frame(1, be16(classID) + be16(methodID) + arguments)
    }

    static func shortString(_ s: String) -> [UInt8] { [UInt8(s.utf8.count)] + ascii(s) }
    static func longString(_ b: [UInt8]) -> [UInt8] { be32(b.count) + b }
    /// A field table's fields (name, type, value); `table` adds its length.
    static func field(_ name: String, _ type: Character, _ value: [UInt8]) -> [UInt8] {
        shortString(name) + [type.asciiValue!] + value
    }
    static func table(_ fields: [UInt8]) -> [UInt8] { longString(fields) }

    static let clientProperties = table(
        field("product", "S", longString(ascii("pika"))) + field("version", "S", longString(ascii("1.3.2")))
            + field("capabilities", "F", table(field("authentication_failure_close", "t", [1]) + field("basic.nack", "t", [1]))))

    static let start = method(
        10, 10,
        [0, 9] + table(field("product", "S", longString(ascii("RabbitMQ"))) + field("cluster_name", "S", longString(ascii("rabbit@mq1"))))
            + longString(ascii("AMQPLAIN PLAIN")) + longString(ascii("en_US")))

    static func startOk(_ mechanism: String, _ response: [UInt8]) -> [UInt8] {
        method(10, 11, clientProperties + shortString(mechanism) + longString(response) + shortString("en_US"))
    }

    static let tune = method(10, 30, be16(2047) + be32(131072) + be16(60))
    static let tuneOk = method(10, 31, be16(2047) + be32(131072) + be16(60))
    static let open = method(10, 40, shortString("/") + shortString("") + [0])

    static func close(_ code: Int, _ text: String) -> [UInt8] {
        method(10, 50, be16(code) + shortString(text) + be16(0) + be16(0))
    }

    static func amqplain(_ login: String, _ password: String) -> [UInt8] {
        field("LOGIN", "S", longString(ascii(login))) + field("PASSWORD", "S", longString(ascii(password)))
    }
}

@Suite("AMQP login")
struct AMQPLoginTests {
    @Test func plainIsSASLPlainAcceptedByTune() {
        let steps: [Step] = [
            .client(AMQPBytes.header091), .server(AMQPBytes.start),
            .client(AMQPBytes.startOk("PLAIN", [0] + ascii("orders") + [0] + ascii("rabbit-pw"))),
            .server(AMQPBytes.tune), .client(AMQPBytes.tuneOk + AMQPBytes.open),
        ]
        expectBrokerEverySplit(.amqp, steps, [credential(.saslPlain, ascii("orders"), ascii("rabbit-pw"), .accepted)])
    }

    @Test func amqplainRejectedByCloseAccessRefused() {
        let steps: [Step] = [
            .client(AMQPBytes.header091), .server(AMQPBytes.start),
            .client(AMQPBytes.startOk("AMQPLAIN", AMQPBytes.amqplain("guest", "guess"))),
            .server(AMQPBytes.close(403, "ACCESS_REFUSED - Login was refused using authentication mechanism AMQPLAIN")),
        ]
        expectBrokerEverySplit(.amqp, steps, [credential(.amqpPassword, ascii("guest"), ascii("guess"), .rejected)])
    }

    @Test func amqplainFieldsOfOtherTypesAreSkipped() {
        // PASSWORD before LOGIN, with a long-int, a boolean and a nested table around them.
        let response =
            AMQPBytes.field("retries", "I", be32(3)) + AMQPBytes.field("PASSWORD", "S", AMQPBytes.longString(ascii("pw")))
            + AMQPBytes.field("debug", "t", [0]) + AMQPBytes.field("extra", "F", AMQPBytes.table([]))
            + AMQPBytes.field("LOGIN", "S", AMQPBytes.longString(ascii("svc")))
        let steps: [Step] = [.client(AMQPBytes.header091 + AMQPBytes.startOk("AMQPLAIN", response)), .server(AMQPBytes.start + AMQPBytes.tune)]
        expectBrokerEverySplit(.amqp, steps, [credential(.amqpPassword, ascii("svc"), ascii("pw"), .accepted)])
        // Some old clients send the table with its length.
        let prefixed = AMQPBytes.table(AMQPBytes.amqplain("svc", "pw"))
        #expect(brokerSightings(.amqp, [.client(AMQPBytes.header091 + AMQPBytes.startOk("AMQPLAIN", prefixed)), .server(AMQPBytes.start + AMQPBytes.tune)])
            == [credential(.amqpPassword, ascii("svc"), ascii("pw"), .accepted)])
    }

    @Test func dialects09And08AreRead() {
        for header in [ascii("AMQP") + [1, 1, 0, 9], ascii("AMQP") + [1, 1, 8, 0]] {
            let steps: [Step] = [
                .client(header), .server(AMQPBytes.start), .client(AMQPBytes.startOk("PLAIN", [0, 0x61, 0, 0x62])), .server(AMQPBytes.tune),
            ]
            #expect(brokerSightings(.amqp, steps) == [credential(.saslPlain, ascii("a"), ascii("b"), .accepted)])
        }
    }

    @Test func otherClosesAndASilentCloseLeaveItUnknown() {
        let startOk = AMQPBytes.startOk("PLAIN", [0] + ascii("u") + [0] + ascii("p"))
        let expected = [credential(.saslPlain, ascii("u"), ascii("p"), .unknown)]
        #expect(brokerSightings(.amqp, [.client(AMQPBytes.header091), .server(AMQPBytes.start), .client(startOk), .server(AMQPBytes.close(541, "INTERNAL_ERROR"))]) == expected)
        #expect(brokerSightings(.amqp, [.client(AMQPBytes.header091), .server(AMQPBytes.start), .client(startOk)]) == expected)
    }

    @Test func heartbeatsAndSecureChallengesPass() {
        let steps: [Step] = [
            .client(AMQPBytes.header091), .server(AMQPBytes.start),
            .client(AMQPBytes.startOk("PLAIN", [0] + ascii("u") + [0] + ascii("p"))),
            .server(AMQPBytes.frame(8, [])), .server(AMQPBytes.method(10, 20, AMQPBytes.longString([1, 2]))), .server(AMQPBytes.tune),
        ]
        #expect(brokerSightings(.amqp, steps) == [credential(.saslPlain, ascii("u"), ascii("p"), .accepted)])
    }

    @Test func externalAndAMQP10ReportNothing() {
        var run = PipelineRun(.amqp, stopsWhenDone: true)
        run.play([.client(AMQPBytes.header091), .server(AMQPBytes.start), .client(AMQPBytes.startOk("EXTERNAL", []))])
        #expect(run.done)
        run.endBoth()
        #expect(run.sightings.isEmpty)
        // AMQP 1.0 with SASL: another framing, not read.
        var v10 = PipelineRun(.amqp, stopsWhenDone: true)
        v10.play([.client(ascii("AMQP") + [3, 1, 0, 0])])
        #expect(v10.done)
    }

    @Test func malformedFramesReportNothing() {
        var badEnd = AMQPBytes.startOk("PLAIN", [0] + ascii("u") + [0] + ascii("p"))
        badEnd[badEnd.count - 1] = 0x00  // the frame-end octet is wrong
        #expect(brokerSightings(.amqp, [.client(AMQPBytes.header091 + badEnd), .server(AMQPBytes.start + AMQPBytes.tune)]).isEmpty)
        // A response length running past the frame.
        var overrun = AMQPBytes.startOk("PLAIN", [0] + ascii("u") + [0] + ascii("p"))
        let responseLength = overrun.count - 1 - 6 - 4 - 4  // before: frame-end, locale, response; its length
        overrun[responseLength] = 0x40
        #expect(brokerSightings(.amqp, [.client(AMQPBytes.header091 + overrun), .server(AMQPBytes.start + AMQPBytes.tune)]).isEmpty)
        // No protocol header first.
        #expect(brokerSightings(.amqp, [.client(AMQPBytes.startOk("PLAIN", [0, 0x61, 0, 0x62])), .server(AMQPBytes.tune)]).isEmpty)
        // Truncated Start-Ok.
        let startOk = AMQPBytes.startOk("PLAIN", [0, 0x61, 0, 0x62])
        for k in stride(from: 1, to: startOk.count, by: 7) {
            #expect(brokerSightings(.amqp, [.client(AMQPBytes.header091 + Array(startOk[..<k]))]).isEmpty, "cut at \(k)")
        }
    }

    // MARK: probe

    @Test func probeMatchesProtocolHeadersOnAnyPort() {
        for port: UInt16 in [5672, 15000] {
            #expect(run(Probes.amqp.probeToServer, AMQPBytes.header091, port: port) == .match)
            #expect(run(Probes.amqp.probeToServer, ascii("AMQP") + [0, 1, 0, 0], port: port) == .match)
        }
        #expect(run(Probes.amqp.probeToServer, Array(AMQPBytes.header091.prefix(6)), port: 5672) == .needMore)
        #expect(run(Probes.amqp.probeToServer, ascii("AMQP") + [9, 9, 9, 9], port: 5672) == .noMatch)
        // AMQP 1.0's TLS negotiation header: TLS follows, not AMQP in clear.
        #expect(run(Probes.amqp.probeToServer, ascii("AMQP") + [2, 1, 0, 0], port: 5672) == .noMatch)
        #expect(run(Probes.amqp.probeToServer, ascii("AMQPLAIN"), port: 5672) == .noMatch)
        #expect(identify([AMQPBytes.header091], .toServer, port: 80).app == .amqp)
    }
}
