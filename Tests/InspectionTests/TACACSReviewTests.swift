import Testing
@testable import Flows
@testable import Inspection

// Found in review of the first TACACS+ reader (f296374), each failing there,
// with the RFC 8907 section (or "The Draft") it went against: sessions
// multiplexed on one connection, change password, outbound PAP, CHAP and
// MS-CHAP, enable, undefined flag bits, bodies in clear without a login.
// Packets are byte-exact; the helpers are TACACSTests'.

@Suite struct TACACSReviewTests {
    typealias T = TACACSTests

    /// A packet with any version byte (0xc0: minor 0, 0xc1: minor 1, §4.1).
    static func packet(version: UInt8 = 0xc0, type: UInt8 = 1, seq: UInt8, flags: UInt8 = 0x01, session: UInt32 = 0x1234_5678, _ body: [UInt8]) -> [UInt8] {
        [version, type, seq, flags] + T.be32(Int(session)) + T.be32(body.count) + body
    }

    /// An authentication START (§5.1) with every field chosen.
    static func start(action: UInt8 = 1, priv: UInt8 = 15, authenType: UInt8, service: UInt8 = 1, user: String,
                      port: String = "tty0", remote: String = "10.1.1.5", data: [UInt8] = []) -> [UInt8] {
        [action, priv, authenType, service, UInt8(user.utf8.count), UInt8(port.utf8.count), UInt8(remote.utf8.count), UInt8(data.count)]
            + ascii(user) + ascii(port) + ascii(remote) + data
    }

    /// An authentication REPLY (§5.2) with a data field.
    static func reply(_ status: UInt8, flags: UInt8 = 0, message: String = "", data: [UInt8] = []) -> [UInt8] {
        [status, flags] + be16(message.utf8.count) + be16(data.count) + ascii(message) + data
    }

    // MARK: - Single Connection Mode (§4.3): sessions multiplexed on one connection

    /// §4.3: Single Connection Mode lets "the client multiplex multiple
    /// sessions on a single TCP connection". The reader keeps one session:
    /// a packet of another session id throws away the open GETPASS prompt of
    /// the first (its password is then never read) and settles the second
    /// session's waiting PAP password as unknown before its PASS arrives.
    @Test func interleavedSessionsOnOneConnectionAreEachRead() {
        let a: UInt32 = 0x0a0a_0a0a, b: UInt32 = 0x0b0b_0b0b
        let seen = T.sightings([
            // Single-connect negotiated by the first two packets (flag 0x04 with 0x01).
            (Self.packet(seq: 1, flags: 0x05, session: a, Self.start(authenType: 1, user: "netadmin")), .toServer),
            (Self.packet(seq: 2, flags: 0x05, session: a, Self.reply(5, flags: 1, message: "Password: ")), .toClient),
            // While netadmin types the password, another line's PAP login starts.
            (Self.packet(version: 0xc1, seq: 1, session: b, Self.start(authenType: 2, user: "jsmith", data: ascii("Summer2026!"))), .toServer),
            (Self.packet(seq: 3, session: a, T.answer("Tacacs-Admin-2026")), .toServer),
            (Self.packet(version: 0xc1, seq: 2, session: b, Self.reply(1)), .toClient),
            (Self.packet(seq: 4, session: a, Self.reply(1)), .toClient),
        ])
        #expect(seen.contains(T.password("netadmin", "Tacacs-Admin-2026", .accepted)), "\(seen)")
        #expect(seen.contains(T.password("jsmith", "Summer2026!", .accepted)), "\(seen)")
        #expect(seen.count == 2)
    }

    // MARK: - Change password (§5.4.2.7)

    /// §5.4.2.7: in a CHPASS session the old password is asked with GETDATA
    /// and the new one with GETPASS, which "MAY be sent multiple times" (new
    /// and confirmation). The new password is reported twice (one finding
    /// of count 2 for one login, first as unknown), and the old one is left
    /// unknown although the final PASS accepted it.
    @Test func changePasswordReportsEachPasswordOnceSettledByThePass() {
        let seen = T.sightings([
            (Self.packet(seq: 1, Self.start(action: 2, authenType: 1, user: "jsmith")), .toServer),
            (Self.packet(seq: 2, Self.reply(3, flags: 1, message: "Old password: ")), .toClient),
            (Self.packet(seq: 3, T.answer("Summer2025!")), .toServer),
            (Self.packet(seq: 4, Self.reply(5, flags: 1, message: "New password: ")), .toClient),
            (Self.packet(seq: 5, T.answer("Autumn2026!")), .toServer),
            (Self.packet(seq: 6, Self.reply(5, flags: 1, message: "Retype new password: ")), .toClient),
            (Self.packet(seq: 7, T.answer("Autumn2026!")), .toServer),
            (Self.packet(seq: 8, Self.reply(1, message: "Password changed")), .toClient),
        ])
        let new = seen.filter { if case .credential(let c) = $0 { c.secret == ascii("Autumn2026!") } else { false } }
        #expect(new == [T.password("jsmith", "Autumn2026!", .accepted)], "the new password once: \(new)")
        #expect(seen.contains(T.password("jsmith", "Summer2025!", .accepted)), "the old password, accepted by the PASS: \(seen)")
    }

    /// §5.4.2.7: "When requesting the 'old' password, the status value MUST
    /// be set to TAC_PLUS_AUTHEN_STATUS_GETDATA" — in a CHPASS session a
    /// GETDATA is the old password whether or not the server set NOECHO
    /// (a SHOULD, §5.4). The reader keys on NOECHO alone and misses it.
    @Test func changePasswordOldPasswordIsReadWithoutNoEcho() {
        let seen = T.sightings([
            (Self.packet(seq: 1, Self.start(action: 2, authenType: 1, user: "jsmith")), .toServer),
            (Self.packet(seq: 2, Self.reply(3, message: "Old password: ")), .toClient),
            (Self.packet(seq: 3, T.answer("Summer2025!")), .toServer),
            (Self.packet(seq: 4, Self.reply(5, flags: 1, message: "New password: ")), .toClient),
            (Self.packet(seq: 5, T.answer("Autumn2026!")), .toServer),
            (Self.packet(seq: 6, Self.reply(1)), .toClient),
        ])
        #expect(seen.contains { if case .credential(let c) = $0 { c.secret == ascii("Summer2025!") } else { false } }, "\(seen)")
    }

    // MARK: - Logins the reader does not report

    /// Outbound PAP (action SENDAUTH, type PAP, minor version 1: §5.1 and
    /// Table 1 of §5.4.1; flow in "The Draft"; tac_plus sendauth.c
    /// `outbound_pap`): the device asks the server for the PAP password it
    /// must present to a PPP peer, and the server's PASS carries that
    /// password in clear in the REPLY's data field. Not read.
    @Test func outboundPAPPasswordInTheServersReplyIsReported() {
        let seen = T.sightings([
            (Self.packet(version: 0xc1, seq: 1, Self.start(action: 4, priv: 1, authenType: 2, service: 3, user: "branch-rtr1", port: "Serial0/0", remote: "")), .toServer),
            (Self.packet(version: 0xc1, seq: 2, Self.reply(1, data: ascii("0utb0und-PAP!"))), .toClient),
        ])
        #expect(seen.contains { if case .credential(let c) = $0 { c.secret == ascii("0utb0und-PAP!") } else { false } }, "\(seen)")
    }

    /// §5.4.2.3–5.4.2.5: a CHAP, MS-CHAP or MS-CHAPv2 START in clear carries
    /// the user, the PPP id, the challenge and the response — offline
    /// crackable, as RADIUS's CHAP and MS-CHAP are reported by this project
    /// (`credential.radius-chap`, `radius-mschap`). Nothing is reported.
    @Test(arguments: [
        (UInt8(3), 16, 16),  // CHAP: id, challenge, 16-byte MD5 response
        (UInt8(5), 8, 49),  // MS-CHAP v1: id, 8-byte challenge, 49-byte response
        (UInt8(6), 16, 49),  // MS-CHAP v2: id, 16-byte challenge, 49-byte response
    ])
    func challengeResponseLoginsInClearAreReportedAsCrackable(type: UInt8, challenge: Int, response: Int) {
        let data: [UInt8] = [0x2a] + counting(challenge, from: 0x10) + counting(response, from: 0x80)
        let seen = T.sightings([
            (Self.packet(version: 0xc1, seq: 1, Self.start(authenType: type, service: 3, user: "jsmith", data: data)), .toServer),
            (Self.packet(version: 0xc1, seq: 2, Self.reply(1)), .toClient),
        ])
        let credentials = seen.compactMap { if case .credential(let c) = $0 { c } else { nil } }
        #expect(credentials.count == 1, "type \(type): \(seen)")
        #expect(credentials.allSatisfy { $0.mechanism.grade == .crackable && $0.username == ascii("jsmith") && $0.outcome == .accepted })
    }

    /// §5.4.2.6: an ENABLE request has "authen_type = not used"; the START
    /// parser demands a type of 1...6, so a START with 0 there is dropped
    /// and the enable password (often the most powerful one) is reported
    /// without its user.
    @Test func enableRequestWithAnUnusedAuthenTypeKeepsItsUser() {
        let seen = T.sightings([
            (Self.packet(seq: 1, Self.start(authenType: 0, service: 2, user: "netadmin")), .toServer),
            (Self.packet(seq: 2, Self.reply(5, flags: 1, message: "Password: ")), .toClient),
            (Self.packet(seq: 3, T.answer("En4ble-S3cret")), .toServer),
            (Self.packet(seq: 4, Self.reply(1)), .toClient),
        ])
        #expect(seen == [T.password("netadmin", "En4ble-S3cret", .accepted)])
    }

    // MARK: - Header flags (§4.1)

    /// §4.1 flags: "All other bits MUST be ignored when reading". The probe
    /// and the reader both refuse a header with an undefined bit: such a
    /// flow is not identified, and a later packet with one stops the reader.
    @Test func undefinedFlagBitsAreIgnoredWhenReading() {
        let first = Self.packet(version: 0xc1, seq: 1, flags: 0x21, Self.start(authenType: 2, user: "jsmith", data: ascii("Summer2026!")))
        #expect(run(Probes.tacacs.probeToServer, first, port: 49) == .match)
        let seen = T.sightings([(first, .toServer), (Self.packet(version: 0xc1, seq: 2, flags: 0x21, Self.reply(1)), .toClient)])
        #expect(seen == [T.password("jsmith", "Summer2026!", .accepted)])
    }

    // MARK: - Bodies in clear without a login

    /// §4.1/§4.5/§10.5.2: TAC_PLUS_UNENCRYPTED_FLAG "MUST NOT be used in
    /// production"; servers "MUST reject connections that have
    /// TAC_PLUS_UNENCRYPTED_FLAG set". A connection whose authorization and
    /// accounting bodies cross in clear — every command an administrator ran,
    /// here one holding a password — yields no sighting at all, so it is
    /// reported exactly as an obfuscated one (see the end-to-end test).
    @Test func bodiesSentWithTheUnencryptedFlagAreReportedWithoutALogin() {
        let args = ["service=shell", "cmd=username", "cmd-arg=backup", "cmd-arg=secret", "cmd-arg=0", "cmd-arg=B4ckup-Adm1n!"].map(ascii)
        // Authorization REQUEST (§6.1): authen_method TACACS+, priv 15, ASCII, service LOGIN, user/port/rem_addr, arg counts, args.
        let request: [UInt8] = [6, 15, 1, 1, 8, 4, 8, UInt8(args.count)] + args.map { UInt8($0.count) }
            + ascii("netadmin") + ascii("tty0") + ascii("10.1.1.5") + args.flatMap { $0 }
        let response: [UInt8] = [1, 0] + be16(0) + be16(0) + [0]  // PASS_ADD, no args (§6.2)
        let seen = T.sightings([
            (Self.packet(type: 2, seq: 1, flags: 0x01, request), .toServer),
            (Self.packet(type: 2, seq: 2, flags: 0x01, response), .toClient),
        ], keepInClear: true)
        #expect(seen == [.tacacsBodiesInClear], "a body in clear (the unencrypted flag) is told from an obfuscated one")
    }
}
