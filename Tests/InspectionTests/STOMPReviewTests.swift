import Testing
@testable import Flows
@testable import Inspection

/// Review of the STOMP reader (commit 3a840c6): each test fails for the
/// reason in its comment and passes once the defect is fixed.
@Suite("STOMP review")
struct STOMPReviewTests {
    static func outcomes(_ sightings: [Sighting]) -> [LoginOutcome] {
        sightings.compactMap { s -> LoginOutcome? in
            if case .credential(let c) = s { c.outcome } else { nil }
        }
    }

    /// STOMP 1.2 §"Value Encoding" (and 1.1 likewise): "CONNECT and CONNECTED
    /// frames do not escape"; every other frame, the `STOMP` frame included,
    /// escapes `\` `:` LF CR as `\\` `\c` `\n` `\r`. stomp.py 1.1/1.2 (the
    /// client of Captures/stomp-rabbitmq.pcap) send `STOMP` and escape its
    /// headers (`send_frame`: `if cmd != CMD_CONNECT: self._escape_headers`),
    /// and stomp.js escapes all but CONNECT/CONNECTED. The password
    /// `p:w\rd` crosses the wire as `passcode:p\cw\\rd`; the reader reports
    /// the escaped text, a password nobody typed.
    @Test func stompFrameHeaderValuesAreUnescaped() {
        let escaped = STOMPBytes.connect(["accept-version:1.2", "host:/", "login:ops\\cteam", "passcode:p\\cw\\\\rd"])
        expectBrokerEverySplit(
            .stomp, [.client(escaped), .server(STOMPBytes.connected)],
            [credential(.stompPassword, ascii("ops:team"), ascii("p:w\\rd"), .accepted)])
        // The same bytes in a CONNECT frame are literal (not escaped).
        let literal = STOMPBytes.connect(["accept-version:1.2", "host:/", "login:ops\\cteam", "passcode:p\\cw\\\\rd"], command: "CONNECT")
        expectBrokerEverySplit(
            .stomp, [.client(literal), .server(STOMPBytes.connected)],
            [credential(.stompPassword, ascii("ops\\cteam"), ascii("p\\cw\\\\rd"), .accepted)])
    }

    /// The broker's first frame is the verdict, and the reader says (its
    /// `linesLost`) "Lost bytes at the start lose the frame: the direction
    /// stops". A reported gap does stop it (outcome unknown), but a server
    /// direction first seen past its start (or after a hole the pipeline did
    /// not report) resumes after the next line feed and takes a LATER frame's
    /// command as the verdict: the CONNECTED was lost, the ERROR that answers
    /// a later SEND to a missing queue makes an accepted login "rejected".
    @Test func aServerDirectionPickedUpPastItsStartIsNoVerdict() {
        let connected = STOMPBytes.connected
        let later = ascii("ERROR\nmessage:not_found\ncontent-type:text/plain\n\nNO_ROUTE\n\u{0}\n")
        // The first bytes lost end inside the CONNECTED's last header line.
        let lost = connected.count - 6
        let seen = Array(connected[lost...]) + later

        var gapped = PipelineRun(.stomp, stopsWhenDone: true)
        gapped.send(STOMPBytes.login, .toServer)
        gapped.gap(.toClient, length: UInt64(lost))
        gapped.send(seen, .toClient)
        gapped.endBoth()
        #expect(Self.outcomes(gapped.sightings) == [.unknown], "with the gap reported")

        var pickedUp = PipelineRun(.stomp, stopsWhenDone: true)
        pickedUp.send(STOMPBytes.login, .toServer)
        pickedUp.offsets.toClient = UInt64(lost)
        pickedUp.send(seen, .toClient)
        pickedUp.endBoth()
        #expect(Self.outcomes(pickedUp.sightings) == [.unknown], "first seen past its start: a later ERROR is no verdict")
        #expect(pickedUp.context.bufferedBytes == 0)
    }

    /// STOMP 1.2 §"Protocol Negotiation": when no version is shared the server
    /// "MUST respond with an ERROR frame similar to" `ERROR / version:1.2,2.1 /
    /// ... Supported protocol versions are 1.2 2.1` — the credentials were
    /// never checked. The reader (README: "`ERROR` rejects") reports the
    /// password as rejected, unlike NATS's reader, where "another `-ERR`
    /// says nothing about the credentials".
    @Test func aVersionNegotiationErrorIsNoRejection() {
        let connect = STOMPBytes.connect(
            ["accept-version:1.0,1.1,2.0", "host:stomp.github.org", "login:orders-app", "passcode:St0mp-Orders-2026"],
            command: "CONNECT")
        let error = ascii("ERROR\nversion:1.2,2.1\ncontent-type:text/plain\n\nSupported protocol versions are 1.2 2.1\u{0}")
        #expect(Self.outcomes(brokerSightings(.stomp, [.client(connect), .server(error)])) == [.unknown])
    }

    /// RabbitMQ's OAuth 2.0 backend (and ActiveMQ/Artemis token logins) take
    /// the access token, a JWT of one to a few KiB, as the STOMP `passcode`.
    /// Lines are cut at `LoginLineReader.maxLine` (1024) and a truncated line
    /// "is not read for credentials": the token is lost (NATS's reader keeps
    /// 16 KiB lines for its JWTs).
    @Test func aTokenPasscodeLongerThanALoginLineIsRead() {
        let token = "eyJhbGciOiJSUzI1NiIsImtpZCI6InJhYmJpdCJ9." + String(repeating: "QUJD", count: 350) + ".c2ln"
        let frame = STOMPBytes.connect(["accept-version:1.2", "host:/", "login:", "passcode:" + token], command: "CONNECT")
        let found = brokerSightings(.stomp, [.client(frame), .server(STOMPBytes.connected)])
        #expect(found.count == 1, "the token passcode (\(token.utf8.count) bytes) is reported")
        #expect(found.first == credential(.stompPassword, [], ascii(token), .accepted))
    }
}
