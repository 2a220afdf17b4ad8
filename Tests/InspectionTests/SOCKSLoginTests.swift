import Testing
@testable import Flows
@testable import Inspection

/// SOCKS5 method negotiation (RFC 1928 §3) and username/password
/// sub-negotiation (RFC 1929 §2), SOCKS4/4a requests, byte for byte.
enum SOCKSBytes {
    static func offer(_ methods: [UInt8]) -> [UInt8] { [5, UInt8(methods.count)] + methods }
    static func choice(_ method: UInt8) -> [UInt8] { [5, method] }
    static func login(_ user: String, _ password: String) -> [UInt8] {
        [1, UInt8(user.utf8.count)] + ascii(user) + [UInt8(password.utf8.count)] + ascii(password)
    }
    static func status(_ code: UInt8) -> [UInt8] { [1, code] }
    /// CONNECT to 192.0.2.10:22 (RFC 1928 §4).
    static let connect: [UInt8] = [5, 1, 0, 1, 192, 0, 2, 10, 0, 22]
    static let connectReply: [UInt8] = [5, 0, 0, 1, 192, 0, 2, 1, 0x04, 0x38]
    /// SOCKS4 CONNECT to 192.0.2.10:80 with user id `alice`.
    static let socks4: [UInt8] = [4, 1, 0, 80, 192, 0, 2, 10] + ascii("alice") + [0]
    /// SOCKS4a: IP 0.0.0.1, user id, then the host name.
    static let socks4a: [UInt8] = [4, 1, 0, 80, 0, 0, 0, 1] + ascii("alice") + [0] + ascii("example.com") + [0]
}

@Suite("SOCKS login")
struct SOCKSLoginTests {
    @Test func usernamePasswordAccepted() {
        let steps: [Step] = [
            .client(SOCKSBytes.offer([0, 2])), .server(SOCKSBytes.choice(2)), .client(SOCKSBytes.login("bob", "alice")),
            .server(SOCKSBytes.status(0)), .client(SOCKSBytes.connect), .server(SOCKSBytes.connectReply),
        ]
        expectBrokerEverySplit(.socks, steps, [credential(.socksPassword, ascii("bob"), ascii("alice"), .accepted)])
    }

    @Test func anyNonZeroStatusRejects() {
        for code: UInt8 in [1, 0xff] {
            let steps: [Step] = [
                .client(SOCKSBytes.offer([2])), .server(SOCKSBytes.choice(2)), .client(SOCKSBytes.login("bob", "guess")),
                .server(SOCKSBytes.status(code)),
            ]
            expectBrokerEverySplit(.socks, steps, [credential(.socksPassword, ascii("bob"), ascii("guess"), .rejected)])
        }
    }

    @Test func optimisticClientSendsTheLoginWithItsOffer() {
        let steps: [Step] = [
            .client(SOCKSBytes.offer([2]) + SOCKSBytes.login("svc", "pw")), .server(SOCKSBytes.choice(2) + SOCKSBytes.status(0)),
        ]
        expectBrokerEverySplit(.socks, steps, [credential(.socksPassword, ascii("svc"), ascii("pw"), .accepted)])
    }

    @Test func emptyUserAndPasswordAreStillALogin() {
        let steps: [Step] = [
            .client(SOCKSBytes.offer([2])), .server(SOCKSBytes.choice(2)), .client(SOCKSBytes.login("", "")), .server(SOCKSBytes.status(0)),
        ]
        #expect(brokerSightings(.socks, steps) == [credential(.socksPassword, [], [], .accepted)])
    }

    @Test func noPasswordMethodNoFinding() {
        // The proxy picks "no authentication" (0) or refuses every method (0xFF); the client offers none.
        // The reader is done once the proxy replied to the request (the tunnel's start is known then).
        let reply = SOCKSBytes.connectReply
        for steps: [Step] in [
            [.client(SOCKSBytes.offer([0, 2])), .server(SOCKSBytes.choice(0)), .client(SOCKSBytes.connect), .server(reply)],
            [.client(SOCKSBytes.offer([2])), .server(SOCKSBytes.choice(0xff))],
            [.client(SOCKSBytes.offer([0])), .server(SOCKSBytes.choice(0)), .client(SOCKSBytes.connect), .server(reply)],
        ] {
            var run = PipelineRun(.socks, stopsWhenDone: true)
            run.play(steps)
            #expect(run.done)
            run.endBoth()
            #expect(run.sightings.isEmpty)
        }
    }

    @Test func socks4UserIDIsNotASecret() {
        for request in [SOCKSBytes.socks4, SOCKSBytes.socks4a] {
            var run = PipelineRun(.socks, stopsWhenDone: true)
            run.play([.client(request), .server([0, 0x5a, 0, 80, 192, 0, 2, 10])])
            #expect(run.done)
            run.endBoth()
            #expect(run.sightings.isEmpty)
        }
    }

    @Test func truncatedLoginAndGapsReportNoPassword() {
        let login = SOCKSBytes.login("bob", "alice")
        for k in 1..<login.count {
            let steps: [Step] = [.client(SOCKSBytes.offer([2])), .server(SOCKSBytes.choice(2)), .client(Array(login[..<k]))]
            #expect(brokerSightings(.socks, steps).isEmpty, "cut at \(k)")
        }
        var run = PipelineRun(.socks, stopsWhenDone: true)
        run.play([.client(SOCKSBytes.offer([2])), .server(SOCKSBytes.choice(2)), .client(SOCKSBytes.login("bob", "alice"))])
        run.gap(.toClient)
        #expect(run.sightings == [credential(.socksPassword, ascii("bob"), ascii("alice"), .unknown)])
    }

    // MARK: probe

    @Test func probeMatchesOffersAndSocks4RequestsOnAnyPort() {
        for port: UInt16 in [1080, 3128, 40000] {
            #expect(run(Probes.socks.probeToServer, SOCKSBytes.offer([0, 2]), port: port) == .match)
            #expect(run(Probes.socks.probeToServer, SOCKSBytes.offer([2]) + SOCKSBytes.login("a", "b"), port: port) == .match)
            #expect(run(Probes.socks.probeToServer, SOCKSBytes.offer([0, 1, 2, 0x80]), port: port) == .match)
            #expect(run(Probes.socks.probeToServer, SOCKSBytes.socks4, port: port) == .match)
            #expect(run(Probes.socks.probeToServer, SOCKSBytes.socks4a, port: port) == .match)
        }
        #expect(identify([SOCKSBytes.offer([0, 2])], .toServer, port: 9050).app == .socks)
    }

    @Test func probeRejectsLookAlikes() {
        let noMatch: [[UInt8]] = [
            [5, 0],  // no methods
            [5, 2, 2, 2],  // a duplicate
            [5, 1, 0xff],  // "no acceptable methods" is not offered
            [5, 1, 0x42],  // unassigned
            [4, 1, 0, 0, 1, 2, 3, 4, 0],  // port 0
            [4, 1, 0, 80, 0, 0, 63, 0, 0],  // an address in 0.0.0.0/8 that is not SOCKS4a's 0.0.0.x
            [4, 3, 0, 80, 1, 2, 3, 4, 0],  // SOCKS4 has CONNECT and BIND only
            [4, 1, 0, 80, 1, 2, 3, 4, 0x01, 0],  // a control byte in the user id
            [4, 1, 0, 80, 0, 0, 0, 1, 0, 0],  // SOCKS4a without a host name
            ascii("GET / HTTP/1.1\r\n"),
        ]
        for bytes in noMatch { #expect(run(Probes.socks.probeToServer, bytes, port: 1080) == .noMatch, "\(bytes)") }
        // What follows a complete request or offer is not judged: where a segment
        // ends must not change the answer (FuzzIdentification's segmentation check).
        #expect(run(Probes.socks.probeToServer, [5, 1, 2, 7, 7], port: 1080) == .match)
        #expect(run(Probes.socks.probeToServer, [4, 1, 0, 80, 1, 2, 3, 4, 0, 9], port: 1080) == .match)
        #expect(run(Probes.socks.probeToServer, [5, 3, 0], port: 1080) == .needMore)
        #expect(run(Probes.socks.probeToServer, [4, 1, 0, 80, 1, 2, 3, 4, 0x61], port: 1080) == .needMore)
    }
}
