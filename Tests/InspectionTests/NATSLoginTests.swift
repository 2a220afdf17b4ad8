import Testing
@testable import Flows
@testable import Inspection

/// NATS client protocol lines (NATS docs, "Client Protocol": INFO, CONNECT,
/// PING/PONG, +OK/-ERR), byte for byte.
enum NATSBytes {
    static let info = ascii(
        #"INFO {"server_id":"NDKQ3V","server_name":"nats-1","version":"2.10.7","proto":1,"go":"go1.21.5","host":"0.0.0.0","port":4222,"headers":true,"auth_required":true,"max_payload":1048576,"nonce":"ZyZmsO1xCkw"}"#
            + "\r\n")
    static func connect(_ json: String) -> [UInt8] { ascii("CONNECT \(json)\r\nPING\r\n") }
    static let userPass = connect(
        #"{"verbose":false,"pedantic":false,"user":"billing","pass":"nats-s3cret","tls_required":false,"name":"billing-worker","lang":"go","version":"1.31.0","protocol":1,"echo":true,"headers":true,"no_responders":true}"#)
    static let pong = ascii("PONG\r\n")
    static let authorizationViolation = ascii("-ERR 'Authorization Violation'\r\n")
}

@Suite("NATS login")
struct NATSLoginTests {
    let password = credential(.natsPassword, ascii("billing"), ascii("nats-s3cret"), .accepted)

    @Test func userAndPassAcceptedByPong() {
        let steps: [Step] = [.server(NATSBytes.info), .client(NATSBytes.userPass), .server(NATSBytes.pong)]
        expectBrokerEverySplit(.nats, steps, [password])
    }

    @Test func verboseOKAccepts() {
        let steps: [Step] = [
            .server(NATSBytes.info), .client(NATSBytes.connect(#"{"verbose":true,"user":"billing","pass":"nats-s3cret"}"#)),
            .server(ascii("+OK\r\nPONG\r\n")),
        ]
        expectBrokerEverySplit(.nats, steps, [password])
    }

    @Test func authorizationViolationRejects() {
        let steps: [Step] = [.server(NATSBytes.info), .client(NATSBytes.userPass), .server(NATSBytes.authorizationViolation)]
        var rejected = password
        if case .credential(var c) = rejected { c.outcome = .rejected; rejected = .credential(c) }
        expectBrokerEverySplit(.nats, steps, [rejected])
    }

    @Test func serverPingsAndLaterInfosAreNotAnswers() {
        let steps: [Step] = [
            .server(NATSBytes.info), .client(NATSBytes.userPass), .server(ascii("PING\r\n") + NATSBytes.info + ascii("-ERR 'Unknown Protocol Operation'\r\n")),
        ]
        var unknown = password
        if case .credential(var c) = unknown { c.outcome = .unknown; unknown = .credential(c) }
        expectBrokerEverySplit(.nats, steps, [unknown])
    }

    @Test func tokenAndJWTAreTokens() {
        let token = [NATSBytes.info, NATSBytes.connect(#"{"auth_token":"s3cr3t-t0ken","verbose":false}"#), NATSBytes.pong]
        #expect(brokerSightings(.nats, [.server(token[0]), .client(token[1]), .server(token[2])])
            == [credential(.natsToken, nil, ascii("s3cr3t-t0ken"), .accepted)])
        // A user JWT with its NKey signature: the JWT is a bearer credential, the signature covers this server's nonce.
        let jwt = NATSBytes.connect(#"{"jwt":"eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVQUJDIn0.sig","nkey":"UABC","sig":"c2lnbmF0dXJl"}"#)
        #expect(brokerSightings(.nats, [.server(NATSBytes.info), .client(jwt), .server(NATSBytes.authorizationViolation)])
            == [credential(.natsToken, nil, ascii("eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVQUJDIn0.sig"), .rejected)])
        // NKey alone: a public key and a signature, nothing replayable.
        let nkey = NATSBytes.connect(#"{"nkey":"UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4","sig":"c2lnbmF0dXJl"}"#)
        var run = PipelineRun(.nats, stopsWhenDone: true)
        run.play([.server(NATSBytes.info), .client(nkey)])
        #expect(run.done)
        run.endBoth()
        #expect(run.sightings.isEmpty)
    }

    @Test func escapedStringsAreDecoded() {
        // \" \\ \/ \n, a BMP \u escape and a surrogate pair (U+1F600).
        let line = NATSBytes.connect(#"{"user":"b\u00e9a","pass":"q\"\\\/\n\u00e9\ud83d\ude00"}"#)
        let expected = credential(
            .natsPassword, [0x62, 0xc3, 0xa9, 0x61], ascii("q\"\\/\n") + [0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80], .accepted)
        expectBrokerEverySplit(.nats, [.server(NATSBytes.info), .client(line), .server(NATSBytes.pong)], [expected])
    }

    @Test func onlyTopLevelMembersCount() {
        // "pass" inside a nested object or an array, or as a value, is not CONNECT's password.
        for json in [
            #"{"opts":{"user":"x","pass":"nested"},"name":"a"}"#, #"{"list":["pass","nested"],"name":"pass"}"#,
            #"{"name":"\"pass\":\"fake\""}"#, #"{"pass":12345}"#,
        ] {
            #expect(brokerSightings(.nats, [.server(NATSBytes.info), .client(NATSBytes.connect(json)), .server(NATSBytes.pong)]).isEmpty, "\(json)")
        }
        // After nested values, numbers, literals and spaces, a top-level pass is still found.
        let spaced = NATSBytes.connect(#"{ "opts" : {"a":[1,{"b":"}"}]}, "n" : -1.5e3 , "ok":true, "user" : "u" , "pass" : "p" }"#)
        #expect(brokerSightings(.nats, [.server(NATSBytes.info), .client(spaced), .server(NATSBytes.pong)])
            == [credential(.natsPassword, ascii("u"), ascii("p"), .accepted)])
    }

    @Test func malformedOrTruncatedConnectReportsNothing() {
        let connect = NATSBytes.userPass
        // Cut before its line ends: the CONNECT is never complete.
        for k in stride(from: 1, to: connect.count - 7, by: 5) {
            #expect(brokerSightings(.nats, [.server(NATSBytes.info), .client(Array(connect[..<k]))]).isEmpty, "cut at \(k)")
        }
        for json in [#"{"pass":"unterminated}"#, #"["pass","x"]"#, #"{"pass" "x"}"#, "not json"] {
            #expect(brokerSightings(.nats, [.server(NATSBytes.info), .client(NATSBytes.connect(json))]).isEmpty, "\(json)")
        }
        // No greeting first: not a NATS server, so no verdict.
        #expect(brokerSightings(.nats, [.client(NATSBytes.userPass), .server(ascii("HTTP/1.1 400 Bad Request\r\n"))])
            == [credential(.natsPassword, ascii("billing"), ascii("nats-s3cret"), .unknown)])
    }

    @Test func overlongLineIsReadTruncatedAndCounted() {
        let filler = String(repeating: "x", count: NATSLoginAnalyzer.maxLine + 100)
        let line = NATSBytes.connect(#"{"user":"u","pass":"p","name":"\#(filler)"}"#)
        var run = PipelineRun(.nats, stopsWhenDone: true)
        run.play([.server(NATSBytes.info), .client(line), .server(NATSBytes.pong)], clientSplit: 1000)
        run.endBoth()
        #expect(run.sightings == [credential(.natsPassword, ascii("u"), ascii("p"), .accepted)])
        #expect(run.context.counters.cleartextOversizedMessages == 1)
        #expect(run.context.bufferedBytes == 0)
    }

    @Test func jsonFieldReaderOnItsOwn() {
        func field(_ key: StaticString, _ json: String) -> [UInt8]? {
            Array(json.utf8).withUnsafeBytes { JSONFields.string(key, in: $0) }
        }
        #expect(field("a", #"{"a":"1"}"#) == ascii("1"))
        #expect(field("a", #"{"b":"1"}"#) == nil)
        #expect(field("a", #"{}"#) == nil)
        #expect(field("a", #"{"a":""}"#) == [])
        #expect(field("a", #"{"a":"\u12"}"#) == ascii("\\u12"), "a bad escape is kept")
        #expect(field("a", #"{"a":"\ud800"}"#) == [0xed, 0xa0, 0x80], "a lone surrogate, as its three bytes")
        #expect(field("b", #"{"a":[1,2,{"c":"]"}],"b":"x"}"#) == ascii("x"))
        #expect(field("a", #"{"a":"x""#) == ascii("x"), "the value is complete even if the object is not")
        #expect(field("b", #"{"a":"x""#) == nil)
    }

    // MARK: probe

    @Test func probeMatchesGreetingAndConnectOnAnyPort() {
        for port: UInt16 in [4222, 14222] {
            #expect(run(Probes.nats.probeToClient, NATSBytes.info, port: port) == .match)
            #expect(run(Probes.nats.probeToServer, NATSBytes.userPass, port: port) == .match)
        }
        #expect(identify([NATSBytes.info], .toClient, port: 80).app == .nats)
        #expect(identify([NATSBytes.userPass], .toServer, port: 80).app == .nats)
    }

    @Test func httpConnectIsNotNATS() {
        #expect(run(Probes.nats.probeToServer, ascii("CONNECT example.com:443 HTTP/1.1\r\n"), port: 4222) == .noMatch)
        #expect(identify([ascii("CONNECT example.com:443 HTTP/1.1\r\n\r\n")], .toServer, port: 4222).app == .http)
        #expect(run(Probes.nats.probeToClient, ascii("INFORMATION\r\n"), port: 4222) == .noMatch)
        #expect(run(Probes.nats.probeToServer, ascii("CONN"), port: 4222) == .needMore)
    }
}
