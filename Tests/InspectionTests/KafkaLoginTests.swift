import Testing
@testable import Flows
@testable import Inspection

/// Kafka requests and responses built byte for byte from the protocol guide
/// ("The Protocol": size, request header v1/v2, response header v0/v1;
/// SaslHandshake api 17, SaslAuthenticate api 36, ApiVersions api 18,
/// Metadata api 3; KIP-43 for the v0 raw-token handshake, KIP-482 for
/// tagged fields).
enum KafkaBytes {
    static func sized(_ body: [UInt8]) -> [UInt8] { be32(body.count) + body }

    /// Request header v1 (`flexible`: v2, with an empty tagged-field section), then the body.
    static func request(_ apiKey: Int, version: Int, correlation: Int, clientID: String? = "orders-svc", flexible: Bool = false, _ body: [UInt8]) -> [UInt8] {
        var header = be16(apiKey) + be16(version) + be32(correlation)
        header += clientID.map { be16($0.utf8.count) + ascii($0) } ?? [0xff, 0xff]
        if flexible { header += [0] }
        return sized(header + body)
    }

    static func response(correlation: Int, flexible: Bool = false, _ body: [UInt8]) -> [UInt8] {
        sized(be32(correlation) + (flexible ? [0] : []) + body)
    }

    static func apiVersions(correlation: Int) -> [UInt8] {
        // v3 body: client_software_name, client_software_version (compact strings), tagged fields.
        request(18, version: 3, correlation: correlation, flexible: true, [8] + ascii("librdka") + [6] + ascii("2.3.0") + [0])
    }

    /// ApiVersions responses use header v0 even when flexible: error code and a short list.
    static func apiVersionsResponse(correlation: Int) -> [UInt8] {
        response(correlation: correlation, be16(0) + [3] + be16(17) + be16(0) + be16(1) + [0] + be16(36) + be16(0) + be16(2) + [0] + be32(0) + [0])
    }

    static func handshake(_ mechanism: String, version: Int, correlation: Int) -> [UInt8] {
        request(17, version: version, correlation: correlation, be16(mechanism.utf8.count) + ascii(mechanism))
    }

    static func handshakeResponse(correlation: Int, error: Int = 0, mechanisms: [String] = ["PLAIN", "SCRAM-SHA-256"]) -> [UInt8] {
        response(correlation: correlation, be16(error) + be32(mechanisms.count) + mechanisms.flatMap { be16($0.utf8.count) + ascii($0) })
    }

    static func authenticate(_ token: [UInt8], version: Int, correlation: Int) -> [UInt8] {
        if version >= 2 {
            return request(36, version: version, correlation: correlation, flexible: true, base128(token.count + 1) + token + [0])
        }
        return request(36, version: version, correlation: correlation, be32(token.count) + token)
    }

    static func authenticateResponse(correlation: Int, version: Int, error: Int, message: String? = nil, token: [UInt8] = []) -> [UInt8] {
        if version >= 2 {
            let text = message.map { base128($0.utf8.count + 1) + ascii($0) } ?? [0]
            return response(correlation: correlation, flexible: true, be16(error) + text + base128(token.count + 1) + token + be32(0) + be32(0) + [0])
        }
        var body = be16(error) + (message.map { be16($0.utf8.count) + ascii($0) } ?? [0xff, 0xff]) + be32(token.count) + token
        if version >= 1 { body += be32(0) + be32(3_600_000) }  // session_lifetime_ms
        return response(correlation: correlation, body)
    }

    static func metadata(correlation: Int) -> [UInt8] { request(3, version: 1, correlation: correlation, be32(1) + be16(6) + ascii("orders")) }

    static func plain(_ user: String, _ password: String) -> [UInt8] { [0] + ascii(user) + [0] + ascii(password) }
    static let scramFirst = ascii("n,,n=ingest,r=fyko+d2lbbFgONRv9qkxdawL")
    static let scramServerFirst = ascii("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096")
    static let scramFinal = ascii("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=")
    static let scramServerFinal = ascii("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")
}

@Suite("Kafka login")
struct KafkaLoginTests {
    @Test func plainInFlexibleSaslAuthenticateAccepted() {
        let steps: [Step] = [
            .client(KafkaBytes.apiVersions(correlation: 1)), .server(KafkaBytes.apiVersionsResponse(correlation: 1)),
            .client(KafkaBytes.handshake("PLAIN", version: 1, correlation: 2)), .server(KafkaBytes.handshakeResponse(correlation: 2)),
            .client(KafkaBytes.authenticate(KafkaBytes.plain("alice", "alice-secret"), version: 2, correlation: 3)),
            .server(KafkaBytes.authenticateResponse(correlation: 3, version: 2, error: 0)),
            .client(KafkaBytes.metadata(correlation: 4)),
        ]
        expectBrokerEverySplit(.kafka, steps, [credential(.saslPlain, ascii("alice"), ascii("alice-secret"), .accepted)])
    }

    @Test func saslAuthenticationFailedRejects() {
        for version in [0, 1, 2] {
            let steps: [Step] = [
                .client(KafkaBytes.handshake("PLAIN", version: 1, correlation: 7)), .server(KafkaBytes.handshakeResponse(correlation: 7)),
                .client(KafkaBytes.authenticate(KafkaBytes.plain("alice", "typo"), version: version, correlation: 8)),
                .server(KafkaBytes.authenticateResponse(correlation: 8, version: version, error: 58, message: "Authentication failed: Invalid username or password")),
            ]
            expectBrokerEverySplit(.kafka, steps, [credential(.saslPlain, ascii("alice"), ascii("typo"), .rejected)])
        }
    }

    @Test func responsesAreMatchedByCorrelationID() {
        // A response to another correlation id does not decide; an unknown error code says nothing.
        let steps: [Step] = [
            .client(KafkaBytes.handshake("PLAIN", version: 1, correlation: 20)), .server(KafkaBytes.handshakeResponse(correlation: 20)),
            .client(KafkaBytes.authenticate(KafkaBytes.plain("bob", "pw"), version: 1, correlation: 21)),
            .server(KafkaBytes.authenticateResponse(correlation: 99, version: 1, error: 58)),
            .server(KafkaBytes.authenticateResponse(correlation: 21, version: 1, error: 34)),
        ]
        expectBrokerEverySplit(.kafka, steps, [credential(.saslPlain, ascii("bob"), ascii("pw"), .unknown)])
    }

    @Test func legacyV0HandshakeCarriesRawTokens() {
        let steps: [Step] = [
            .client(KafkaBytes.handshake("PLAIN", version: 0, correlation: 1)), .server(KafkaBytes.handshakeResponse(correlation: 1)),
            .client(KafkaBytes.sized(KafkaBytes.plain("legacy", "old-pw"))), .server(KafkaBytes.sized([])),
            .client(KafkaBytes.metadata(correlation: 2)),
        ]
        expectBrokerEverySplit(.kafka, steps, [credential(.saslPlain, ascii("legacy"), ascii("old-pw"), .accepted)])
        // A failed v0 login: the broker closes the connection, which looks like the capture ending.
        let closed: [Step] = Array(steps.prefix(3))
        #expect(brokerSightings(.kafka, closed) == [credential(.saslPlain, ascii("legacy"), ascii("old-pw"), .unknown)])
    }

    @Test func scramFinalMessageIsReportedWithTheUserOfTheFirst() {
        let steps: [Step] = [
            .client(KafkaBytes.handshake("SCRAM-SHA-256", version: 1, correlation: 4)), .server(KafkaBytes.handshakeResponse(correlation: 4)),
            .client(KafkaBytes.authenticate(KafkaBytes.scramFirst, version: 1, correlation: 5)),
            .server(KafkaBytes.authenticateResponse(correlation: 5, version: 1, error: 0, token: KafkaBytes.scramServerFirst)),
            .client(KafkaBytes.authenticate(KafkaBytes.scramFinal, version: 1, correlation: 6)),
            .server(KafkaBytes.authenticateResponse(correlation: 6, version: 1, error: 0, token: KafkaBytes.scramServerFinal)),
        ]
        expectBrokerEverySplit(.kafka, steps, [credential(.scram, ascii("ingest"), KafkaBytes.scramFinal, .accepted)])
    }

    @Test func legacyScramVerdictIsTheServerFinalMessage() {
        func steps(_ serverFinal: [UInt8]) -> [Step] {
            [
                .client(KafkaBytes.handshake("SCRAM-SHA-512", version: 0, correlation: 1)), .server(KafkaBytes.handshakeResponse(correlation: 1)),
                .client(KafkaBytes.sized(KafkaBytes.scramFirst)), .server(KafkaBytes.sized(KafkaBytes.scramServerFirst)),
                .client(KafkaBytes.sized(KafkaBytes.scramFinal)), .server(KafkaBytes.sized(serverFinal)),
            ]
        }
        expectBrokerEverySplit(.kafka, steps(KafkaBytes.scramServerFinal), [credential(.scram, ascii("ingest"), KafkaBytes.scramFinal, .accepted)])
        expectBrokerEverySplit(.kafka, steps(ascii("e=invalid-proof")), [credential(.scram, ascii("ingest"), KafkaBytes.scramFinal, .rejected)])
    }

    @Test func mechanismIsToldFromTheTokenWhenTheHandshakeWasMissed() {
        let steps: [Step] = [
            .client(KafkaBytes.authenticate(KafkaBytes.plain("late", "pw"), version: 1, correlation: 9)),
            .server(KafkaBytes.authenticateResponse(correlation: 9, version: 1, error: 0)),
        ]
        #expect(brokerSightings(.kafka, steps) == [credential(.saslPlain, ascii("late"), ascii("pw"), .accepted)])
    }

    @Test func otherMechanismsAndNoSASLReportNothing() {
        // OAUTHBEARER and GSSAPI are not read.
        var oauth = PipelineRun(.kafka, stopsWhenDone: true)
        oauth.play([
            .client(KafkaBytes.handshake("OAUTHBEARER", version: 1, correlation: 1)), .server(KafkaBytes.handshakeResponse(correlation: 1)),
            .client(KafkaBytes.authenticate(ascii("n,,\u{1}auth=Bearer eyJ0\u{1}\u{1}"), version: 1, correlation: 2)),
        ])
        #expect(oauth.done)
        // The broker does not enable the mechanism (UNSUPPORTED_SASL_MECHANISM, 33).
        var unsupported = PipelineRun(.kafka, stopsWhenDone: true)
        unsupported.play([
            .client(KafkaBytes.handshake("PLAIN", version: 1, correlation: 1)),
            .server(KafkaBytes.handshakeResponse(correlation: 1, error: 33, mechanisms: ["GSSAPI"])),
        ])
        #expect(unsupported.done)
        // A client that never starts SASL is let go after a few requests.
        var plaintext = PipelineRun(.kafka, stopsWhenDone: true)
        for k in 0..<KafkaLoginAnalyzer.maxRequestsBeforeSASL { plaintext.send(KafkaBytes.metadata(correlation: k), .toServer) }
        #expect(plaintext.done)
        for var run in [oauth, unsupported, plaintext] {
            run.endBoth()
            #expect(run.sightings.isEmpty)
        }
    }

    @Test func malformedRequestsReportNothing() {
        // A negative size, an authenticate whose auth_bytes run past the request, a truncated token.
        #expect(brokerSightings(.kafka, [.client([0x80, 0, 0, 0] + counting(20))]).isEmpty)
        var overrun = KafkaBytes.authenticate(KafkaBytes.plain("u", "p"), version: 1, correlation: 3)
        overrun[4 + 10 + 10] = 0x7f  // the high byte of auth_bytes' length (after size, header, client id)
        #expect(brokerSightings(.kafka, [.client(overrun), .server(KafkaBytes.authenticateResponse(correlation: 3, version: 1, error: 0))]).isEmpty)
        let good = KafkaBytes.authenticate(KafkaBytes.plain("u", "p"), version: 2, correlation: 3)
        for k in 1..<good.count {
            #expect(brokerSightings(.kafka, [.client(Array(good[..<k]))]).isEmpty, "cut at \(k)")
        }
    }

    // MARK: probe

    @Test func probeMatchesFirstRequestsOnAnyPort() {
        for port: UInt16 in [9092, 19092] {
            #expect(run(Probes.kafka.probeToServer, KafkaBytes.apiVersions(correlation: 1), port: port) == .match)
            #expect(run(Probes.kafka.probeToServer, KafkaBytes.handshake("PLAIN", version: 1, correlation: 0), port: port) == .match)
            #expect(run(Probes.kafka.probeToServer, KafkaBytes.request(3, version: 0, correlation: 1, clientID: nil, be32(0)), port: port) == .match)
        }
        #expect(identify([KafkaBytes.apiVersions(correlation: 1)], .toServer, port: 443).app == .kafka)
        #expect(run(Probes.kafka.probeToServer, Array(KafkaBytes.apiVersions(correlation: 1).prefix(10)), port: 9092) == .needMore)
    }

    @Test func probeRejectsLookAlikes() {
        var bigKey = KafkaBytes.apiVersions(correlation: 1)
        bigKey[4] = 0x04  // api_key 1042
        #expect(run(Probes.kafka.probeToServer, bigKey, port: 9092) == .noMatch)
        var binaryID = KafkaBytes.apiVersions(correlation: 1)
        binaryID[15] = 0x01
        #expect(run(Probes.kafka.probeToServer, binaryID, port: 9092) == .noMatch)
        #expect(run(Probes.kafka.probeToServer, ascii("GET / HTTP/1.1\r\nHost: x\r\n"), port: 9092) == .noMatch)
        #expect(run(Probes.kafka.probeToServer, Sample.clientHello, port: 9092) == .noMatch)
        // A PostgreSQL StartupMessage (protocol 3.0 reads as api_key 3, version 0) stays PostgreSQL: its probe comes first.
        let parameters: [UInt8] = [0, 3, 0, 0] + ascii("user") + [0] + ascii("postgres") + [0] + ascii("database") + [0] + ascii("app") + [0, 0]
        let startup = be32(parameters.count + 4) + parameters
        #expect(identify([startup], .toServer, port: 9092).app == .postgresql)
    }
}
