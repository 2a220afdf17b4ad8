import Testing
@testable import Flows
@testable import Inspection

// MSSQLLoginAnalyzer (TDS), MongoDBLoginAnalyzer, CassandraLoginAnalyzer and
// MemcachedLoginAnalyzer on byte-exact exchanges built here from their
// specifications, fed whole, split at every byte of each direction and byte
// by byte (`expectEverySplit`, DatabaseLoginTests.swift); their probes on
// other ports and on look-alikes. (`le16`/`le32` come from HTTPAnalyzerTests, `be32` from BrokerLoginSupport.)


// MARK: - Builders

/// TDS packets and messages (MS-TDS).
enum TDSBytes {
    /// §2.2.3.1: type, status (0x01 end of message), length with the header, SPID, packet id, window.
    static func packet(_ type: UInt8, _ body: [UInt8], status: UInt8 = 0x01, packetID: UInt8 = 1) -> [UInt8] {
        [type, status] + be16(body.count + 8) + [0x00, 0x00, packetID, 0x00] + body
    }

    /// §2.2.6.5 PRELOGIN: VERSION (6 bytes) and ENCRYPTION (1 byte) options, terminator, data.
    static func prelogin(_ type: UInt8, encryption: UInt8) -> [UInt8] {
        let options: [UInt8] = [0x00] + be16(11) + be16(6) + [0x01] + be16(17) + be16(1) + [0xff]
        return packet(type, options + [0x10, 0x00, 0x07, 0xd0, 0x00, 0x00] + [encryption])
    }

    static func ucs2(_ s: String) -> [UInt8] { s.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] } }

    /// §2.2.6.4: each byte's nibbles swapped, then XOR 0xA5.
    static func obfuscated(_ password: String) -> [UInt8] { ucs2(password).map { ($0 << 4 | $0 >> 4) ^ 0xa5 } }

    /// LOGIN7 (§2.2.6.4), TDS 7.4: the 94-byte fixed part, then the variable data.
    static func login7(user: String, password: String, sspi: [UInt8] = []) -> [UInt8] {
        var data: [UInt8] = []
        var fields: [UInt8] = []
        func add(_ bytes: [UInt8], _ length: Int) {
            fields += le16(94 + data.count) + le16(length)
            data += bytes
        }
        add(ucs2("WS01"), 4)  // host name
        add(ucs2(user), user.utf16.count)
        add(obfuscated(password), password.utf16.count)
        add(ucs2("sqlcmd"), 6)  // application
        add(ucs2("db1"), 3)  // server
        add([], 0)  // extension
        add(ucs2("ODBC"), 4)  // client interface
        add([], 0)  // language
        add(ucs2("shop"), 4)  // database
        fields += [0x00, 0x50, 0x56, 0xab, 0xcd, 0xef]  // client id
        add(sspi, sspi.count)  // SSPI: a length in bytes
        add([], 0)  // attach DB file
        add([], 0)  // change password
        fields += le32(0)  // cbSSPILong
        let fixed = le32(94 + data.count) + [0x04, 0x00, 0x00, 0x74] + le32(4096) + le32(7) + le32(1234) + le32(0)
            + [0xe0, sspi.isEmpty ? 0x03 : 0x83, 0x00, 0x00] + le32(0) + le32(0x409)
        return packet(0x10, fixed + fields + data)
    }

    static func token(_ type: UInt8, _ data: [UInt8]) -> [UInt8] { [type] + le16(data.count) + data }
    static let done: [UInt8] = [0xfd, 0x00, 0x00, 0xc1, 0x00] + [UInt8](repeating: 0, count: 8)
    static let doneError: [UInt8] = [0xfd, 0x02, 0x00, 0x00, 0x00] + [UInt8](repeating: 0, count: 8)

    /// ENVCHANGE (database), INFO, LOGINACK, ENVCHANGE (packet size), DONE.
    static let loginAck: [UInt8] = packet(
        0x04,
        token(0xe3, [0x01, 0x04] + ucs2("shop") + [0x06] + ucs2("master"))
            + token(0xab, le32(5701) + [0x02, 0x00] + le16(9) + ucs2("Changed..") + [0x03] + ucs2("db1") + [0x00] + le32(1))
            + token(0xad, [0x01, 0x74, 0x00, 0x00, 0x04, 0x14] + ucs2("Microsoft SQL Server") + [0x10, 0x00, 0x07, 0xd0])
            + token(0xe3, [0x04, 0x04] + ucs2("4096") + [0x04] + ucs2("4096")) + done)

    /// ERROR 18456 "Login failed", DONE with the error bit.
    static let loginFailed: [UInt8] = packet(
        0x04,
        token(0xaa, le32(18456) + [0x01, 0x0e] + le16(26) + ucs2("Login failed for user 'sa'") + [0x03] + ucs2("db1") + [0x00] + le32(1))
            + doneError)
}

/// BSON documents (bsonspec.org) and MongoDB wire messages.
enum BSON {
    static func cstring(_ s: String) -> [UInt8] { ascii(s) + [0] }
    static func doc(_ elements: [UInt8]...) -> [UInt8] {
        let body: [UInt8] = elements.flatMap { $0 } + [0]
        return le32(body.count + 4) + body
    }
    static func string(_ name: String, _ v: String) -> [UInt8] { [0x02] + cstring(name) + le32(v.utf8.count + 1) + cstring(v) }
    static func binary(_ name: String, _ v: [UInt8]) -> [UInt8] { [0x05] + cstring(name) + le32(v.count) + [0x00] + v }
    static func int32(_ name: String, _ v: Int) -> [UInt8] { [0x10] + cstring(name) + le32(v) }
    static func double(_ name: String, _ v: Double) -> [UInt8] {
        [0x01] + cstring(name) + (0..<8).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt64($0))) }
    }
    static func bool(_ name: String, _ v: Bool) -> [UInt8] { [0x08] + cstring(name) + [v ? 1 : 0] }
    static func document(_ name: String, _ d: [UInt8]) -> [UInt8] { [0x03] + cstring(name) + d }
}

enum MongoBytes {
    /// Header (length, requestID, responseTo, opCode) and body, little-endian.
    static func message(_ requestID: Int, _ responseTo: Int, _ opCode: Int, _ body: [UInt8]) -> [UInt8] {
        le32(16 + body.count) + le32(requestID) + le32(responseTo) + le32(opCode) + body
    }
    /// OP_MSG: flag bits, one kind-0 section.
    static func msg(_ requestID: Int, responseTo: Int = 0, _ doc: [UInt8]) -> [UInt8] {
        message(requestID, responseTo, 2013, le32(0) + [0x00] + doc)
    }
    /// OP_QUERY: flags, collection, skip, limit (-1), query.
    static func query(_ requestID: Int, _ collection: String, _ doc: [UInt8]) -> [UInt8] {
        message(requestID, 0, 2004, le32(0) + BSON.cstring(collection) + le32(0) + le32(-1) + doc)
    }
    /// OP_REPLY: flags, cursor id, starting from, number returned, one document.
    static func reply(responseTo: Int, _ doc: [UInt8]) -> [UInt8] {
        message(500 + responseTo, responseTo, 1, le32(8) + [UInt8](repeating: 0, count: 8) + le32(0) + le32(1) + doc)
    }
    static let ok = BSON.double("ok", 1)
    static let failed = BSON.doc(
        BSON.double("ok", 0), BSON.string("errmsg", "Authentication failed."), BSON.int32("code", 18),
        BSON.string("codeName", "AuthenticationFailed"))

    // RFC 7677 §3's SCRAM-SHA-256 example messages.
    static let clientFirst = ascii("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
    static let serverFirst = ascii("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
    static let clientFinal = ascii(
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    static let serverFinal = ascii("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
}

/// CQL native protocol envelopes and v5 frames.
enum CQLBytes {
    static func envelope(_ version: UInt8, _ opcode: UInt8, _ body: [UInt8], stream: Int = 0, flags: UInt8 = 0) -> [UInt8] {
        [version, flags] + be16(stream) + [opcode] + be32(body.count) + body
    }
    static func string(_ s: String) -> [UInt8] { be16(s.utf8.count) + ascii(s) }
    static func startup(_ version: UInt8, compression: String? = nil) -> [UInt8] {
        var map = string("CQL_VERSION") + string("3.0.0") + string("DRIVER_NAME") + string("DataStax Java driver")
        if let compression { map += string("COMPRESSION") + string(compression) }
        return envelope(version, 0x01, be16(compression == nil ? 2 : 3) + map)
    }
    static func authenticate(_ version: UInt8) -> [UInt8] {
        envelope(0x80 | version, 0x03, string("org.apache.cassandra.auth.PasswordAuthenticator"))
    }
    static func token(_ bytes: [UInt8]) -> [UInt8] { be32(bytes.count) + bytes }
    static func authResponse(_ version: UInt8, _ user: String, _ password: String, flags: UInt8 = 0) -> [UInt8] {
        envelope(version, 0x0f, token([0] + ascii(user) + [0] + ascii(password)), flags: flags)
    }
    static func authSuccess(_ version: UInt8) -> [UInt8] { envelope(0x80 | version, 0x10, be32(-1)) }
    static func badCredentials(_ version: UInt8) -> [UInt8] {
        envelope(0x80 | version, 0x00, be32(0x0100) + string("Provided username app and/or password are incorrect"))
    }
    /// v5 frame (uncompressed): 17-bit length and the self-contained flag
    /// (little-endian), CRC24, payload, CRC32. The reader does not verify the
    /// checksums; they are zero here.
    static func frame(_ payload: [UInt8], selfContained: Bool = true) -> [UInt8] {
        let word = payload.count | (selfContained ? 1 << 17 : 0)
        return [UInt8(word & 0xff), UInt8(word >> 8 & 0xff), UInt8(word >> 16 & 0xff), 0, 0, 0] + payload + [0, 0, 0, 0]
    }
}

/// memcached binary protocol packets (24-byte header).
enum MemcachedBytes {
    static func request(_ opcode: UInt8, key: [UInt8] = [], value: [UInt8] = [], opaque: Int = 0) -> [UInt8] {
        [0x80, opcode] + be16(key.count) + [0x00, 0x00] + be16(0) + be32(key.count + value.count) + be32(opaque)
            + [UInt8](repeating: 0, count: 8) + key + value
    }
    static func response(_ opcode: UInt8, status: Int, value: [UInt8] = [], opaque: Int = 0) -> [UInt8] {
        [0x81, opcode] + be16(0) + [0x00, 0x00] + be16(status) + be32(value.count) + be32(opaque)
            + [UInt8](repeating: 0, count: 8) + value
    }
    static let listMechanisms = request(0x20)
    static let mechanisms = response(0x20, status: 0, value: ascii("PLAIN"))
    static func plain(_ user: String, _ password: String) -> [UInt8] {
        request(0x21, key: ascii("PLAIN"), value: [0] + ascii(user) + [0] + ascii(password), opaque: 1)
    }
}

// MARK: - Tests

@Suite("DatabaseLoginMore")
struct DatabaseLoginMoreTests {
    // MARK: MS SQL (TDS)

    @Test func tdsLoginWithoutEncryptionRevealsThePassword() {
        let steps: [Step] = [
            .client(TDSBytes.prelogin(0x12, encryption: 2)), .server(TDSBytes.prelogin(0x04, encryption: 2)),
            .client(TDSBytes.login7(user: "sa", password: "Pa$$w0rd!")), .server(TDSBytes.loginAck),
        ]
        expectEverySplit(.mssql, steps, [credential(.mssqlPassword, ascii("sa"), ascii("Pa$$w0rd!"), .accepted)])
    }

    @Test func tdsLoginFailedWithoutPrelogin() {
        // TDS 7.0 clients may open with LOGIN7 directly.
        let steps: [Step] = [.client(TDSBytes.login7(user: "app", password: "wrong")), .server(TDSBytes.loginFailed)]
        expectEverySplit(.mssql, steps, [credential(.mssqlPassword, ascii("app"), ascii("wrong"), .rejected)])
    }

    @Test func tdsNonASCIIPasswordBecomesUTF8() {
        let steps: [Step] = [.client(TDSBytes.login7(user: "jörg", password: "grüße€")), .server(TDSBytes.loginAck)]
        expectEverySplit(.mssql, steps, [credential(.mssqlPassword, Array("jörg".utf8), Array("grüße€".utf8), .accepted)])
    }

    @Test func tdsEncryptedLoginIsDoneWithNothing() {
        for encryption: UInt8 in [0, 1, 3] {  // OFF (login only), ON, REQ
            var run = DatabaseRun(.mssql)
            run.play([.client(TDSBytes.prelogin(0x12, encryption: 0)), .server(TDSBytes.prelogin(0x04, encryption: encryption))])
            #expect(run.verdicts.last == .done, "encryption \(encryption)")
            run.send(Sample.clientHello, .toServer)
            run.endBoth()
            #expect(run.sightings.isEmpty)
        }
    }

    @Test func tdsIntegratedLoginReportsTheNTLMResponse() {
        let challenge = TDSBytes.packet(0x04, TDSBytes.token(0xed, ascii("NTLMSSP") + [0, 2, 0, 0, 0] + counting(40)))
        let steps: [Step] = [
            .client(TDSBytes.prelogin(0x12, encryption: 2)), .server(TDSBytes.prelogin(0x04, encryption: 2)),
            .client(TDSBytes.login7(user: "", password: "", sspi: NTLMSample.negotiate)), .server(challenge),
            .client(TDSBytes.packet(0x11, NTLMSample.authenticate)), .server(TDSBytes.loginAck),
        ]
        expectEverySplit(.mssql, steps, [credential(.ntlm, ascii("jsmith"), NTLMSample.ntResponse, .accepted)])
    }

    @Test func tdsMidStreamBatchIsDoneWithNothing() {
        let batch = TDSBytes.packet(0x01, le32(22) + le32(18) + le16(2) + [UInt8](repeating: 0, count: 12) + TDSBytes.ucs2("select 1"))
        var run = DatabaseRun(.mssql)
        run.send(batch, .toServer)
        #expect(run.verdicts.last == .done)
        #expect(run.sightings.isEmpty)
    }

    @Test func tdsLoginSplitOverPacketsIsNotRead() {
        // Status without end-of-message: the rest follows in another packet (not reassembled).
        var login = TDSBytes.login7(user: "sa", password: "pw")
        login[1] = 0x00
        #expect(databaseSightings(.mssql, [.client(login), .server(TDSBytes.loginAck)]).isEmpty)
    }

    @Test func tdsTruncatedLoginFieldsAreIgnored() {
        var login = TDSBytes.login7(user: "sa", password: "pw")
        login[8 + 44] = 0xff  // password offset past the record
        login[8 + 45] = 0xff
        #expect(databaseSightings(.mssql, [.client(login), .server(TDSBytes.loginAck)]).isEmpty)
        #expect(databaseSightings(.mssql, [.client(TDSBytes.packet(0x10, [0x10, 0, 0, 0]))]).isEmpty)
    }

    // MARK: MongoDB

    @Test func mongoPlainAccepted() {
        let steps: [Step] = [
            .client(MongoBytes.msg(1, BSON.doc(
                BSON.int32("saslStart", 1), BSON.string("mechanism", "PLAIN"), BSON.binary("payload", [0] + ascii("alice") + [0] + ascii("s3cret")),
                BSON.int32("autoAuthorize", 1), BSON.string("$db", "$external")))),
            .server(MongoBytes.msg(7, responseTo: 1, BSON.doc(
                BSON.int32("conversationId", 1), BSON.bool("done", true), BSON.binary("payload", []), MongoBytes.ok))),
        ]
        expectEverySplit(.mongodb, steps, [credential(.mongodbPlain, ascii("alice"), ascii("s3cret"), .accepted)])
    }

    @Test func mongoSCRAMRejected() {
        let steps: [Step] = [
            .client(MongoBytes.msg(1, BSON.doc(
                BSON.int32("saslStart", 1), BSON.string("mechanism", "SCRAM-SHA-256"), BSON.binary("payload", MongoBytes.clientFirst),
                BSON.string("$db", "admin")))),
            .server(MongoBytes.msg(8, responseTo: 1, BSON.doc(
                BSON.int32("conversationId", 1), BSON.bool("done", false), BSON.binary("payload", MongoBytes.serverFirst), MongoBytes.ok))),
            .client(MongoBytes.msg(2, BSON.doc(
                BSON.int32("saslContinue", 1), BSON.int32("conversationId", 1), BSON.binary("payload", MongoBytes.clientFinal),
                BSON.string("$db", "admin")))),
            .server(MongoBytes.msg(9, responseTo: 2, MongoBytes.failed)),
        ]
        expectEverySplit(.mongodb, steps, [credential(.scram, ascii("user"), MongoBytes.clientFinal, .rejected)])
    }

    @Test func mongoSpeculativeSCRAMInHelloAccepted() {
        let speculative = BSON.doc(
            BSON.int32("saslStart", 1), BSON.string("mechanism", "SCRAM-SHA-256"), BSON.binary("payload", MongoBytes.clientFirst),
            BSON.string("db", "admin"))
        let steps: [Step] = [
            .client(MongoBytes.msg(1, BSON.doc(
                BSON.int32("hello", 1), BSON.document("client", BSON.doc(BSON.string("application", "app"))),
                BSON.document("speculativeAuthenticate", speculative), BSON.string("$db", "admin")))),
            .server(MongoBytes.msg(10, responseTo: 1, BSON.doc(
                BSON.bool("isWritablePrimary", true),
                BSON.document("speculativeAuthenticate", BSON.doc(
                    BSON.int32("conversationId", 1), BSON.bool("done", false), BSON.binary("payload", MongoBytes.serverFirst))),
                MongoBytes.ok))),
            .client(MongoBytes.msg(2, BSON.doc(
                BSON.int32("saslContinue", 1), BSON.int32("conversationId", 1), BSON.binary("payload", MongoBytes.clientFinal),
                BSON.string("$db", "admin")))),
            .server(MongoBytes.msg(11, responseTo: 2, BSON.doc(
                BSON.int32("conversationId", 1), BSON.bool("done", false), BSON.binary("payload", MongoBytes.serverFinal), MongoBytes.ok))),
        ]
        expectEverySplit(.mongodb, steps, [credential(.scram, ascii("user"), MongoBytes.clientFinal, .accepted)])
    }

    @Test func mongoLegacyCRAuthenticateOverOPQuery() {
        let key = "21742f26431831d5cfca035a08c5bdf6"
        let steps: [Step] = [
            .client(MongoBytes.query(1, "admin.$cmd", BSON.doc(BSON.int32("getnonce", 1)))),
            .server(MongoBytes.reply(responseTo: 1, BSON.doc(BSON.string("nonce", "2375531c32080ae8"), MongoBytes.ok))),
            .client(MongoBytes.query(2, "admin.$cmd", BSON.doc(
                BSON.int32("authenticate", 1), BSON.string("user", "app"), BSON.string("nonce", "2375531c32080ae8"), BSON.string("key", key)))),
            .server(MongoBytes.reply(responseTo: 2, BSON.doc(BSON.double("ok", 0), BSON.string("errmsg", "auth failed")))),
        ]
        expectEverySplit(.mongodb, steps, [credential(.mongodbCR, ascii("app"), ascii(key), .rejected)])
    }

    @Test func mongoQueriesWithoutLoginAreDoneWithNothing() {
        var run = DatabaseRun(.mongodb)
        run.send(MongoBytes.msg(1, BSON.doc(BSON.string("find", "users"), BSON.string("$db", "shop"))), .toServer)
        #expect(run.verdicts.last == .done)
        #expect(run.sightings.isEmpty)
    }

    @Test func mongoReplyToAnotherRequestIsNotTheVerdict() {
        let steps: [Step] = [
            .client(MongoBytes.msg(5, BSON.doc(
                BSON.int32("saslStart", 1), BSON.string("mechanism", "PLAIN"), BSON.binary("payload", [0] + ascii("bob") + [0] + ascii("pw"))))),
            .server(MongoBytes.msg(7, responseTo: 4, BSON.doc(MongoBytes.ok))),
        ]
        expectEverySplit(.mongodb, steps, [credential(.mongodbPlain, ascii("bob"), ascii("pw"), .unknown)])
    }

    @Test func bsonCursorStopsAtMalformedElements() {
        // A string whose length runs past the document; an unknown type; a document shorter than its length.
        let bad: [[UInt8]] = [
            le32(14) + [0x02] + ascii("a") + [0] + le32(100) + [0x41, 0],
            le32(9) + [0x42] + ascii("a") + [0] + [0, 0],
            le32(50) + [0x10],
        ]
        for bytes in bad {
            bytes.withUnsafeBytes { raw in
                if var cursor = BSONCursor(raw) { #expect(cursor.next()?.type == nil) }
            }
        }
    }

    // MARK: Cassandra

    @Test func cassandraV4PasswordAccepted() {
        let steps: [Step] = [
            .client(CQLBytes.envelope(0x04, 0x05, [])), .server(CQLBytes.envelope(0x84, 0x06, be16(0))),
            .client(CQLBytes.startup(0x04)), .server(CQLBytes.authenticate(0x04)),
            .client(CQLBytes.authResponse(0x04, "cassandra", "cassandra")), .server(CQLBytes.authSuccess(0x04)),
        ]
        expectEverySplit(.cassandra, steps, [credential(.cassandraPassword, ascii("cassandra"), ascii("cassandra"), .accepted)])
    }

    @Test func cassandraV3BadCredentials() {
        let steps: [Step] = [
            .client(CQLBytes.startup(0x03)), .server(CQLBytes.authenticate(0x03)),
            .client(CQLBytes.authResponse(0x03, "app", "nope")), .server(CQLBytes.badCredentials(0x03)),
        ]
        expectEverySplit(.cassandra, steps, [credential(.cassandraPassword, ascii("app"), ascii("nope"), .rejected)])
    }

    @Test func cassandraV5LoginInsideFrames() {
        let steps: [Step] = [
            .client(CQLBytes.startup(0x05)), .server(CQLBytes.authenticate(0x05)),
            .client(CQLBytes.frame(CQLBytes.authResponse(0x05, "app", "v5-secret"))),
            .server(CQLBytes.frame(CQLBytes.authSuccess(0x05))),
        ]
        expectEverySplit(.cassandra, steps, [credential(.cassandraPassword, ascii("app"), ascii("v5-secret"), .accepted)])
    }

    @Test func cassandraDSEPlainAfterAChallenge() {
        // DSE: the client names the mechanism, the server challenges, then the PLAIN token.
        let steps: [Step] = [
            .client(CQLBytes.startup(0x04)), .server(CQLBytes.authenticate(0x04)),
            .client(CQLBytes.envelope(0x04, 0x0f, CQLBytes.token(ascii("PLAIN")))),
            .server(CQLBytes.envelope(0x84, 0x0e, CQLBytes.token(ascii("PLAIN-START")))),
            .client(CQLBytes.authResponse(0x04, "dse", "pw")), .server(CQLBytes.authSuccess(0x04)),
        ]
        expectEverySplit(.cassandra, steps, [credential(.cassandraPassword, ascii("dse"), ascii("pw"), .accepted)])
    }

    @Test func cassandraWithoutAuthenticationOrCompressedIsNothing() {
        var run = DatabaseRun(.cassandra)
        run.play([.client(CQLBytes.startup(0x04)), .server(CQLBytes.envelope(0x84, 0x02, []))])
        #expect(run.verdicts.last == .done)
        #expect(run.sightings.isEmpty)
        // A compressed body (flag 0x01) is not read; v5 with compression stops at AUTHENTICATE.
        #expect(databaseSightings(.cassandra, [
            .client(CQLBytes.startup(0x04, compression: "lz4")), .server(CQLBytes.authenticate(0x04)),
            .client(CQLBytes.authResponse(0x04, "app", "pw", flags: 0x01)), .server(CQLBytes.authSuccess(0x04)),
        ]).isEmpty)
        var v5 = DatabaseRun(.cassandra)
        v5.play([.client(CQLBytes.startup(0x05, compression: "lz4")), .server(CQLBytes.authenticate(0x05))])
        #expect(v5.verdicts.last == .done)
    }

    @Test func cassandraWrongDirectionBitStops() {
        // A response version byte from the client: not CQL, nothing read.
        let steps: [Step] = [.client(CQLBytes.authResponse(0x84, "a", "b")), .server(CQLBytes.authSuccess(0x04))]
        #expect(databaseSightings(.cassandra, steps).isEmpty)
    }

    // MARK: memcached

    @Test func memcachedSASLPlainAccepted() {
        let steps: [Step] = [
            .client(MemcachedBytes.listMechanisms), .server(MemcachedBytes.mechanisms),
            .client(MemcachedBytes.plain("cacheuser", "cachepass")),
            .server(MemcachedBytes.response(0x21, status: 0, value: ascii("Authenticated"), opaque: 1)),
        ]
        expectEverySplit(.memcached, steps, [credential(.memcachedSASLPlain, ascii("cacheuser"), ascii("cachepass"), .accepted)])
    }

    @Test func memcachedSASLPlainRejected() {
        let steps: [Step] = [
            .client(MemcachedBytes.plain("cacheuser", "bad")),
            .server(MemcachedBytes.response(0x21, status: 0x20, value: ascii("Auth failure"), opaque: 1)),
        ]
        expectEverySplit(.memcached, steps, [credential(.memcachedSASLPlain, ascii("cacheuser"), ascii("bad"), .rejected)])
    }

    @Test func memcachedTextAndUnauthenticatedBinaryAreDone() {
        var text = DatabaseRun(.memcached)
        text.play([.c("get session:42\r\n"), .s("VALUE session:42 0 5\r\nhello\r\nEND\r\n")])
        #expect(text.verdicts.last == .done)
        #expect(text.sightings.isEmpty)
        var binary = DatabaseRun(.memcached)
        binary.send(MemcachedBytes.request(0x00, key: ascii("k")), .toServer)
        #expect(binary.verdicts.last == .done)
        #expect(binary.sightings.isEmpty)
    }

    @Test func memcachedOtherMechanismsAreNotReported() {
        let cram = MemcachedBytes.request(0x21, key: ascii("CRAM-MD5"), value: [], opaque: 1)
        #expect(databaseSightings(.memcached, [.client(cram), .server(MemcachedBytes.response(0x21, status: 0x21))]).isEmpty)
    }

    // MARK: Robustness

    @Test func garbageTruncatedAndOversizedInputsReleaseTheBudget() {
        let garbage = counting(5000, from: 7)
        let huge = [UInt8](repeating: 0x41, count: 50_000)
        let login = TDSBytes.login7(user: "sa", password: "pw")
        let inputs: [[Step]] = [
            [.client(garbage), .server(garbage)],
            [.client(Array(login.prefix(40))), .server(Array(TDSBytes.loginAck.prefix(20)))],
            [.client(TDSBytes.packet(0x10, huge)), .server(TDSBytes.packet(0x04, huge))],
            [.client(MongoBytes.msg(1, le32(60_000) + huge)), .server(MongoBytes.msg(2, responseTo: 1, huge))],
            [.client(CQLBytes.envelope(0x04, 0x0f, huge)), .server(CQLBytes.envelope(0x84, 0x10, huge))],
            [.client(MemcachedBytes.request(0x21, key: ascii("PLAIN"), value: huge)), .server(MemcachedBytes.response(0x21, status: 0, value: huge))],
            [.client(CQLBytes.startup(0x05)), .server(CQLBytes.authenticate(0x05)), .client(CQLBytes.frame(huge)), .server(garbage)],
        ]
        for steps in inputs {
            for kind in [DatabaseLogin.Kind.mssql, .mongodb, .cassandra, .memcached] {
                for split in [nil, 1, 3, 9, 4099] {
                    var run = DatabaseRun(kind)
                    run.play(steps, clientSplit: split, serverSplit: split)
                    run.endBoth()
                    #expect(run.context.bufferedBytes == 0)
                }
            }
        }
    }

    // MARK: Probes

    static let mssqlBatch = TDSBytes.packet(0x01, le32(22) + le32(18) + le16(2) + [UInt8](repeating: 0, count: 12) + TDSBytes.ucs2("select 1"))

    @Test func probesMatchTheirProtocolsOnAnyPort() {
        for port: UInt16 in [1433, 27017, 9042, 11211, 4000] {
            #expect(identify([TDSBytes.prelogin(0x12, encryption: 2)], .toServer, port: port).app == .mssql)
            #expect(identify([TDSBytes.login7(user: "sa", password: "pw")], .toServer, port: port).app == .mssql)
            #expect(identify([Self.mssqlBatch], .toServer, port: port).app == .mssql)
            #expect(identify([TDSBytes.loginAck], .toClient, port: port).app == .mssql)
            #expect(identify([MongoBytes.msg(1, BSON.doc(BSON.int32("hello", 1)))], .toServer, port: port).app == .mongodb)
            #expect(identify([MongoBytes.query(1, "admin.$cmd", BSON.doc(BSON.int32("isMaster", 1)))], .toServer, port: port).app == .mongodb)
            #expect(identify([MongoBytes.reply(responseTo: 1, BSON.doc(MongoBytes.ok))], .toClient, port: port).app == .mongodb)
            #expect(identify([CQLBytes.startup(0x04)], .toServer, port: port).app == .cassandra)
            #expect(identify([CQLBytes.envelope(0x05, 0x05, [])], .toServer, port: port).app == .cassandra)
            #expect(identify([CQLBytes.authenticate(0x04)], .toClient, port: port).app == .cassandra)
            #expect(identify([MemcachedBytes.listMechanisms], .toServer, port: port).app == .memcached)
            #expect(identify([ascii("get session:42\r\n")], .toServer, port: port).app == .memcached)
            #expect(identify([ascii("set k 0 900 5\r\nhello\r\n")], .toServer, port: port).app == .memcached)
            #expect(identify([ascii("stats\r\n")], .toServer, port: port).app == .memcached)
            #expect(identify([ascii("VALUE k 0 5\r\nhello\r\nEND\r\n")], .toClient, port: port).app == .memcached)
        }
    }

    @Test func probesDecideWhateverTheSegmentation() {
        let samples: [([UInt8], Direction, AppProtocol)] = [
            (TDSBytes.login7(user: "sa", password: "pw"), .toServer, .mssql),
            (MongoBytes.msg(1, BSON.doc(BSON.int32("hello", 1))), .toServer, .mongodb),
            (CQLBytes.startup(0x04), .toServer, .cassandra),
            (ascii("set k 0 900 5\r\nhello\r\n"), .toServer, .memcached),
        ]
        for (bytes, direction, app) in samples {
            for k in 1..<min(bytes.count, AppIdentifier.maxProbeBytes) {
                #expect(identify(split(bytes, at: k), direction, port: 5555).app == app, "\(app) split at \(k)")
            }
        }
    }

    @Test func probesRejectLookAlikes() {
        let others: [[UInt8]] = [
            Sample.httpGet, Sample.clientHello, Sample.sshClientBanner, Sample.ehlo, RESP.command("GET", "k"),
            PGBytes.startup(user: "app"), Sample.telnetClient, ascii("GET / HTTP/1.0\r\n\r\n"),
            ascii("settings please\r\n"), ascii("get\r\n"), ascii("set k x 0 5\r\n"),
            [0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00],
            [0x01, 0x01, 0x00, 0x20, 0x00, 0x00, 0x01, 0x00] + [UInt8](repeating: 0xee, count: 24),  // TDS-like header, binary body
            // A PRELOGIN header whose first option is not VERSION (its offset and length look like one).
            TDSBytes.packet(0x12, [0x01] + be16(11) + be16(6) + [0xff] + [UInt8](repeating: 0, count: 6)),
            le32(40) + le32(1) + le32(7) + le32(2013) + [UInt8](repeating: 0, count: 24),  // a "request" answering something
        ]
        for bytes in others {
            for probe in [Probes.mssql, Probes.mongodb, Probes.cassandra, Probes.memcached] {
                let result = run(probe.probeToServer, bytes, port: 5555)
                #expect(result != .match, "\(probe.name) on \(bytes.prefix(12))")
            }
        }
        // Redis's inline commands look like memcached's: on Redis's port they stay Redis's.
        #expect(run(Probes.memcached.probeToServer, ascii("get k\r\n"), port: 6379) == .noMatch)
        #expect(identify([ascii("AUTH pw\r\n")], .toServer, port: 11211).app == .redis)
    }

    /// Identification hands the flow to its reader (`CleartextAnalyzer.make`):
    /// a whole login through `FlowInspection` on a port that is not the
    /// protocol's, in small segments, gives the reader's sighting.
    @Test func flowInspectionIdentifiesThenReadsTheLogin() {
        let logins: [(AppProtocol, [Step], Sighting)] = [
            (.mssql, [.client(TDSBytes.prelogin(0x12, encryption: 2)), .server(TDSBytes.prelogin(0x04, encryption: 2)),
                      .client(TDSBytes.login7(user: "sa", password: "pw")), .server(TDSBytes.loginAck)],
             credential(.mssqlPassword, ascii("sa"), ascii("pw"), .accepted)),
            (.mongodb, [.client(MongoBytes.msg(1, BSON.doc(
                            BSON.int32("saslStart", 1), BSON.string("mechanism", "PLAIN"), BSON.binary("payload", [0] + ascii("u") + [0] + ascii("p"))))),
                        .server(MongoBytes.msg(2, responseTo: 1, BSON.doc(MongoBytes.ok)))],
             credential(.mongodbPlain, ascii("u"), ascii("p"), .accepted)),
            (.cassandra, [.client(CQLBytes.startup(0x04)), .server(CQLBytes.authenticate(0x04)),
                          .client(CQLBytes.authResponse(0x04, "u", "p")), .server(CQLBytes.badCredentials(0x04))],
             credential(.cassandraPassword, ascii("u"), ascii("p"), .rejected)),
            (.memcached, [.client(MemcachedBytes.plain("u", "p")), .server(MemcachedBytes.response(0x21, status: 0, opaque: 1))],
             credential(.memcachedSASLPlain, ascii("u"), ascii("p"), .accepted)),
        ]
        for (app, steps, expected) in logins {
            var flow = FlowInspection(serverPort: 4000, transport: .tcp, selection: .all)
            var offsets: (toServer: UInt64, toClient: UInt64) = (0, 0)
            for step in steps {
                let (bytes, d): ([UInt8], Direction)
                switch step {
                case .client(let b): (bytes, d) = (b, .toServer)
                case .server(let b): (bytes, d) = (b, .toClient)
                }
                for piece in stride(from: 0, to: bytes.count, by: 5).map({ Array(bytes[$0..<min($0 + 5, bytes.count)]) }) {
                    let offset = d == .toServer ? offsets.toServer : offsets.toClient
                    piece.withUnsafeBytes { flow.ingest($0, direction: d, offset: offset) }
                    if d == .toServer { offsets.toServer += UInt64(piece.count) } else { offsets.toClient += UInt64(piece.count) }
                }
            }
            flow.end(direction: .toServer)
            flow.end(direction: .toClient)
            #expect(flow.app == app)
            #expect(flow.takeSightings() == [expected], "\(app)")
        }
    }

    @Test func descriptorsNameTheirApps() {
        #expect(Probes.mssql.app == .mssql && Probes.mssql.portHints == [1433])
        #expect(Probes.mongodb.app == .mongodb && Probes.mongodb.portHints == [27017])
        #expect(Probes.cassandra.app == .cassandra && Probes.cassandra.portHints == [9042])
        #expect(Probes.memcached.app == .memcached && Probes.memcached.portHints == [11211])
    }
}
