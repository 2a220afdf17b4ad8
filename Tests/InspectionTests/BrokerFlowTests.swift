import Testing
@testable import Decoding
@testable import Flows
@testable import Inspection

/// The broker and SOCKS logins through a whole `FlowInspection` on ports
/// none of them uses: identified by content from a first segment cut short
/// (the identifier holds it and replays it to the reader), then read to the
/// verdict.
@Suite("Broker flows")
struct BrokerFlowTests {
    static var cases: [(app: AppProtocol, steps: [Step], expected: Sighting)] { [
        (.mqtt, [.client(MQTTBytes.connect(user: "u", password: ascii("mqtt-pw"))), .server(MQTTBytes.connack(0))],
         credential(.mqttPassword, ascii("u"), ascii("mqtt-pw"), .accepted)),
        (.kafka,
         [.client(KafkaBytes.handshake("PLAIN", version: 1, correlation: 1)), .server(KafkaBytes.handshakeResponse(correlation: 1)),
          .client(KafkaBytes.authenticate(KafkaBytes.plain("k", "kafka-pw"), version: 1, correlation: 2)),
          .server(KafkaBytes.authenticateResponse(correlation: 2, version: 1, error: 58))],
         credential(.saslPlain, ascii("k"), ascii("kafka-pw"), .rejected)),
        (.amqp,
         [.client(AMQPBytes.header091), .server(AMQPBytes.start), .client(AMQPBytes.startOk("AMQPLAIN", AMQPBytes.amqplain("a", "amqp-pw"))),
          .server(AMQPBytes.tune)],
         credential(.amqpPassword, ascii("a"), ascii("amqp-pw"), .accepted)),
        (.nats, [.server(NATSBytes.info), .client(NATSBytes.userPass), .server(NATSBytes.pong)],
         credential(.natsPassword, ascii("billing"), ascii("nats-s3cret"), .accepted)),
        (.socks,
         // The reader goes on to the request and its reply (here refused, REP 2: no tunnel to follow).
         [.client(SOCKSBytes.offer([0, 2])), .server(SOCKSBytes.choice(2)), .client(SOCKSBytes.login("s", "socks-pw")),
          .server(SOCKSBytes.status(0)), .client(SOCKSBytes.connect), .server([5, 2, 0, 1, 0, 0, 0, 0, 0, 0])],
         credential(.socksPassword, ascii("s"), ascii("socks-pw"), .accepted)),
    ] }

    @Test(arguments: 0..<BrokerFlowTests.cases.count)
    func identifiedByContentAndRead(index: Int) {
        let (app, steps, expected) = BrokerFlowTests.cases[index]
        var flow = FlowInspection(serverPort: 31337, transport: .tcp, selection: .all)
        var context = InspectionContext()
        var offsets: [Direction: UInt64] = [.toServer: 0, .toClient: 0]
        var sightings: [Sighting] = []
        for (k, step) in steps.enumerated() {
            let (bytes, d): ([UInt8], Direction)
            switch step {
            case .client(let b): (bytes, d) = (b, .toServer)
            case .server(let b): (bytes, d) = (b, .toClient)
            }
            // The first segment of the flow is cut after 3 bytes: too few for any probe.
            let chunks = k == 0 ? [Array(bytes.prefix(3)), Array(bytes.dropFirst(3))] : [bytes]
            for chunk in chunks {
                chunk.withUnsafeBytes { flow.ingest($0, direction: d, offset: offsets[d]!, context: &context) }
                offsets[d]! += UInt64(chunk.count)
                sightings += flow.takeSightings()
            }
        }
        #expect(flow.app == app)
        #expect(flow.isDone, "the reader needs nothing more after the verdict")
        flow.release(&context)
        #expect(sightings == [expected])
        #expect(context.bufferedBytes == 0)
    }
}
