import Foundation
import Testing
@testable import Flows
@testable import Inspection

// RedisLoginAnalyzer, MySQLLoginAnalyzer and PostgreSQLLoginAnalyzer on
// byte-exact exchanges built here (RESP, MySQL packets, PostgreSQL
// messages), fed whole, split at every byte of each direction, and byte by
// byte; plus the bytes of a real redis-cli session.

// MARK: - Driving an analyzer

/// The database readers, behind one switch so the tests can name them by kind.
enum DatabaseLogin: DrivenReader {
    case redis(RedisLoginAnalyzer)
    case mysql(MySQLLoginAnalyzer)
    case postgresql(PostgreSQLLoginAnalyzer)
    case mssql(MSSQLLoginAnalyzer)
    case mongodb(MongoDBLoginAnalyzer)
    case cassandra(CassandraLoginAnalyzer)
    case memcached(MemcachedLoginAnalyzer)

    static func make(_ kind: Kind, maxDepth: UInt64) -> DatabaseLogin {
        switch kind {
        case .redis: .redis(RedisLoginAnalyzer(maxDepth: maxDepth))
        case .mysql: .mysql(MySQLLoginAnalyzer(maxDepth: maxDepth))
        case .postgresql: .postgresql(PostgreSQLLoginAnalyzer(maxDepth: maxDepth))
        case .mssql: .mssql(MSSQLLoginAnalyzer(maxDepth: maxDepth))
        case .mongodb: .mongodb(MongoDBLoginAnalyzer(maxDepth: maxDepth))
        case .cassandra: .cassandra(CassandraLoginAnalyzer(maxDepth: maxDepth))
        case .memcached: .memcached(MemcachedLoginAnalyzer(maxDepth: maxDepth))
        }
    }

    enum Kind { case redis, mysql, postgresql, mssql, mongodb, cassandra, memcached }

    func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        switch self {
        case .redis(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .mysql(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .postgresql(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .mssql(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .mongodb(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .cassandra(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        case .memcached(let a): a.ingest(bytes, direction: direction, offset: offset, context: &context)
        }
    }

    func gap(direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext) -> AnalyzerVerdict {
        switch self {
        case .redis(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .mysql(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .postgresql(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .mssql(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .mongodb(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .cassandra(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        case .memcached(let a): a.gap(direction: direction, offset: offset, length: length, context: &context)
        }
    }

    func end(direction: Direction, context: inout InspectionContext) {
        switch self {
        case .redis(let a): a.end(direction: direction, context: &context)
        case .mysql(let a): a.end(direction: direction, context: &context)
        case .postgresql(let a): a.end(direction: direction, context: &context)
        case .mssql(let a): a.end(direction: direction, context: &context)
        case .mongodb(let a): a.end(direction: direction, context: &context)
        case .cassandra(let a): a.end(direction: direction, context: &context)
        case .memcached(let a): a.end(direction: direction, context: &context)
        }
    }

    func collect(into outbox: inout [Sighting]) {
        switch self {
        case .redis(let a): a.moveSightings(into: &outbox)
        case .mysql(let a): a.moveSightings(into: &outbox)
        case .postgresql(let a): a.moveSightings(into: &outbox)
        case .mssql(let a): a.moveSightings(into: &outbox)
        case .mongodb(let a): a.moveSightings(into: &outbox)
        case .cassandra(let a): a.moveSightings(into: &outbox)
        case .memcached(let a): a.moveSightings(into: &outbox)
        }
    }
}

typealias DatabaseRun = StreamRun<DatabaseLogin>

extension StreamRun where Analyzer == DatabaseLogin {
    init(_ kind: DatabaseLogin.Kind, maxDepth: UInt64 = 1 << 20, context: InspectionContext = InspectionContext()) {
        self.init(.make(kind, maxDepth: maxDepth), context: context)
    }
}

func databaseSightings(
    _ kind: DatabaseLogin.Kind, _ steps: [Step], clientSplit: Int? = nil, serverSplit: Int? = nil, byteByByte: Bool = false
) -> [Sighting] {
    DatabaseRun.sightings(
        { .make(kind, maxDepth: 1 << 20) }, steps, clientSplit: clientSplit, serverSplit: serverSplit,
        byteByByte: byteByByte)
}

/// Every split point of the client stream and of the server stream, and byte
/// by byte, gives `expected`.
func expectEverySplit(_ kind: DatabaseLogin.Kind, _ steps: [Step], _ expected: [Sighting], sourceLocation: SourceLocation = #_sourceLocation) {
    DatabaseRun.expectEverySplit({ .make(kind, maxDepth: 1 << 20) }, steps, expected, sourceLocation: sourceLocation)
}

func credential(
    _ mechanism: CredentialMechanism, _ username: [UInt8]?, _ secret: [UInt8], _ outcome: LoginOutcome
) -> Sighting {
    .credential(CredentialSighting(mechanism: mechanism, username: username, secret: secret, outcome: outcome))
}

// MARK: - Builders

enum RESP {
    /// A command as an array of bulk strings.
    static func command(_ words: String...) -> [UInt8] {
        var out = ascii("*\(words.count)\r\n")
        for w in words { out += ascii("$\(w.utf8.count)\r\n") + ascii(w) + ascii("\r\n") }
        return out
    }
}

enum MySQLBytes {
    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * UInt32($0)) & 0xff) } }

    /// 3-byte little-endian length, sequence id, payload.
    static func packet(_ sequence: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [UInt8(payload.count & 0xff), UInt8(payload.count >> 8 & 0xff), UInt8(payload.count >> 16 & 0xff), sequence] + payload
    }

    static let serverCapabilities: UInt32 = 0xffff_f7ff  // everything (CLIENT_PLUGIN_AUTH, SECURE_CONNECTION, SSL...)

    /// HandshakeV10 with a 20-byte challenge and `plugin`.
    static func handshake(plugin: String) -> [UInt8] {
        var p: [UInt8] = [10] + ascii("8.0.36") + [0]
        p += le32(12)  // connection id
        p += counting(8, from: 0x41) + [0]  // challenge part 1, filler
        p += le16(Int(serverCapabilities & 0xffff)) + [0xff] + le16(2) + le16(Int(serverCapabilities >> 16))
        p += [21] + [UInt8](repeating: 0, count: 10)
        p += counting(12, from: 0x51) + [0]  // challenge part 2 (13 bytes)
        p += ascii(plugin) + [0]
        return packet(0, p)
    }

    static let protocol41: UInt32 = 0x200
    static let secureConnection: UInt32 = 0x8000
    static let connectWithDB: UInt32 = 0x8
    static let pluginAuth: UInt32 = 0x8_0000
    static let lenencData: UInt32 = 0x20_0000
    static let ssl: UInt32 = 0x800

    static func response(
        user: String, auth: [UInt8], database: String? = "shop", plugin: String? = "mysql_native_password",
        lenenc: Bool = true
    ) -> [UInt8] {
        var caps = protocol41 | secureConnection
        if lenenc { caps |= lenencData }
        if database != nil { caps |= connectWithDB }
        if plugin != nil { caps |= pluginAuth }
        var p = le32(caps) + le32(16 << 20) + [0xff] + [UInt8](repeating: 0, count: 23)
        p += ascii(user) + [0]
        p += [UInt8(auth.count)] + auth  // a length below 251 is the same length-encoded or as one byte
        if let database { p += ascii(database) + [0] }
        if let plugin { p += ascii(plugin) + [0] }
        return packet(1, p)
    }

    static func sslRequest() -> [UInt8] {
        packet(1, le32(protocol41 | secureConnection | ssl | pluginAuth) + le32(16 << 20) + [0xff] + [UInt8](repeating: 0, count: 23))
    }

    static func ok(_ sequence: UInt8) -> [UInt8] { packet(sequence, [0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]) }
    static func err(_ sequence: UInt8) -> [UInt8] {
        packet(sequence, [0xff] + le16(1045) + ascii("#28000Access denied for user 'app'@'10.0.0.2' (using password: YES)"))
    }
    static func authSwitch(_ sequence: UInt8, plugin: String) -> [UInt8] {
        packet(sequence, [0xfe] + ascii(plugin) + [0] + counting(20, from: 0x61) + [0])
    }
}

enum PGBytes {
    static func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

    static func startup(user: String, database: String = "shop") -> [UInt8] {
        let body = be32(196_608) + ascii("user") + [0] + ascii(user) + [0] + ascii("database") + [0] + ascii(database) + [0, 0]
        return be32(body.count + 4) + body
    }
    static let sslRequest: [UInt8] = be32(8) + be32(80_877_103)
    static let gssEncRequest: [UInt8] = be32(8) + be32(80_877_104)

    static func message(_ type: Character, _ body: [UInt8]) -> [UInt8] {
        [type.asciiValue!] + be32(body.count + 4) + body
    }
    static func auth(_ code: Int, _ extra: [UInt8] = []) -> [UInt8] { message("R", be32(code) + extra) }
    static let ok = auth(0)
    static let readyForQuery = message("Z", ascii("I"))
    static let error = message("E", ascii("SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user \"app\"\0\0"))
    static func password(_ text: String) -> [UInt8] { message("p", ascii(text) + [0]) }
}

// MARK: - Tests

@Suite("DatabaseLogin")
struct DatabaseLoginTests {
    // MARK: Redis

    static let redisAccepted: [Step] = [
        .client(RESP.command("AUTH", "s3cret")), .server(ascii("+OK\r\n")),
        .client(RESP.command("GET", "k")), .server(ascii("$5\r\nhello\r\n")),
    ]

    @Test func redisAuthAccepted() {
        expectEverySplit(.redis, Self.redisAccepted, [credential(.redisAuth, nil, ascii("s3cret"), .accepted)])
    }

    @Test func redisAuthWithUserRejected() {
        let steps: [Step] = [
            .client(RESP.command("auth", "alice", "wrong")),
            .server(ascii("-WRONGPASS invalid username-password pair or user is disabled.\r\n")),
        ]
        expectEverySplit(.redis, steps, [credential(.redisAuth, ascii("alice"), ascii("wrong"), .rejected)])
    }

    @Test func redisInlineAuth() {
        let steps: [Step] = [.c("AUTH hunter2\r\n"), .s("-ERR invalid password\r\n"), .c("PING\r\n"), .s("+PONG\r\n")]
        expectEverySplit(.redis, steps, [credential(.redisAuth, nil, ascii("hunter2"), .rejected)])
    }

    @Test func redisHelloAuthGetsTheMapReply() {
        let steps: [Step] = [
            .client(RESP.command("HELLO", "3", "AUTH", "bob", "pw", "SETNAME", "app")),
            .s("%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nmodes\r\n*1\r\n+standalone\r\n"),
        ]
        expectEverySplit(.redis, steps, [credential(.redisAuth, ascii("bob"), ascii("pw"), .accepted)])
    }

    @Test func redisPipelinedRepliesMatchInOrder() {
        // Three commands at once; the answers come back together: PING, AUTH (rejected), AUTH (accepted).
        let steps: [Step] = [
            .client(RESP.command("PING") + RESP.command("AUTH", "one") + RESP.command("AUTH", "two")),
            .s("+PONG\r\n-WRONGPASS nope\r\n+OK\r\n"),
        ]
        expectEverySplit(.redis, steps, [
            credential(.redisAuth, nil, ascii("one"), .rejected), credential(.redisAuth, nil, ascii("two"), .accepted),
        ])
    }

    @Test func redisPushAndNestedRepliesAreCountedOnce() {
        let steps: [Step] = [
            .client(RESP.command("LRANGE", "l", "0", "-1") + RESP.command("AUTH", "x")),
            .s("*2\r\n*1\r\n:1\r\n$-1\r\n>2\r\n+message\r\n+hi\r\n|1\r\n+ttl\r\n:3\r\n+OK\r\n"),
        ]
        expectEverySplit(.redis, steps, [credential(.redisAuth, nil, ascii("x"), .accepted)])
    }

    @Test func redisEndBeforeTheReplyIsUnknown() {
        let steps: [Step] = [.client(RESP.command("AUTH", "s3cret"))]
        expectEverySplit(.redis, steps, [credential(.redisAuth, nil, ascii("s3cret"), .unknown)])
    }

    @Test func redisIsDoneOnceTheLastCommandIsAnswered() {
        var run = DatabaseRun(.redis)
        for _ in 0..<Int(RedisLoginAnalyzer.maxCommands) { run.send(RESP.command("PING"), .toServer) }
        #expect(run.verdicts.last == .needMore)
        for _ in 0..<Int(RedisLoginAnalyzer.maxCommands) { run.send(ascii("+PONG\r\n"), .toClient) }
        #expect(run.verdicts.last == .done)
        #expect(run.context.bufferedBytes == 0)
    }

    @Test func redisLargeValuesAreSkippedByLength() {
        let big = String(repeating: "v", count: 100_000)
        let steps: [Step] = [
            .client(RESP.command("SET", "k", big) + RESP.command("AUTH", "after")), .s("+OK\r\n+OK\r\n"),
        ]
        #expect(databaseSightings(.redis, steps) == [credential(.redisAuth, nil, ascii("after"), .accepted)])
        #expect(databaseSightings(.redis, steps, clientSplit: 50_000) == [credential(.redisAuth, nil, ascii("after"), .accepted)])
    }

    /// Both connections of Captures/redis-auth.pcap (redis-cli 7.0.15 to
    /// redis-server 7.0.15, `-a demo-password PING` and `-a wrong-password
    /// PING`), byte for byte as on the wire, one segment per step.
    @Test func redisCliCapture() {
        let accepted: [Step] = [
            .c("*2\r\n$4\r\nAUTH\r\n$13\r\ndemo-password\r\n"), .s("+OK\r\n"), .c("*1\r\n$4\r\nPING\r\n"), .s("+PONG\r\n"),
        ]
        let rejected: [Step] = [
            .c("*2\r\n$4\r\nAUTH\r\n$14\r\nwrong-password\r\n"),
            .s("-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
            .c("*1\r\n$4\r\nPING\r\n"), .s("-NOAUTH Authentication required.\r\n"),
        ]
        expectEverySplit(.redis, accepted, [credential(.redisAuth, nil, ascii("demo-password"), .accepted)])
        expectEverySplit(.redis, rejected, [credential(.redisAuth, nil, ascii("wrong-password"), .rejected)])
    }

    // MARK: Redis probe

    @Test func redisProbeMatchesRESPAndInlineCommands() {
        #expect(run(Probes.redis.probeToServer, RESP.command("AUTH", "pw"), port: 6379) == .match)
        #expect(run(Probes.redis.probeToServer, RESP.command("PING"), port: 16379) == .match)
        #expect(run(Probes.redis.probeToServer, RESP.command("hello", "3"), port: 1234) == .match)
        #expect(run(Probes.redis.probeToServer, ascii("AUTH pw\r\n"), port: 6379) == .match)
        #expect(run(Probes.redis.probeToServer, ascii("PING\r\n"), port: 6379) == .match)
        #expect(run(Probes.redis.probeToServer, ascii("*2\r\n$4\r\nAU"), port: 6379) == .needMore)
        #expect(Probes.redis.portHints == [6379])
        #expect(Probes.redis.app == .redis)
    }

    @Test func redisProbeRejectsOtherProtocols() {
        #expect(run(Probes.redis.probeToServer, Sample.httpGet, port: 6379) == .noMatch)
        #expect(run(Probes.redis.probeToServer, Sample.clientHello, port: 6379) == .noMatch)
        #expect(run(Probes.redis.probeToServer, Sample.ehlo, port: 6379) == .noMatch)
        #expect(run(Probes.redis.probeToServer, ascii("*2\r\n$5\r\nXYZZY\r\n"), port: 6379) == .noMatch)
        #expect(run(Probes.redis.probeToServer, ascii("* OK IMAP\r\n"), port: 6379) == .noMatch)
    }

    // MARK: MySQL

    static let scramble = counting(20, from: 0xc0)

    @Test func mysqlNativeLoginAccepted() {
        let steps: [Step] = [
            .server(MySQLBytes.handshake(plugin: "mysql_native_password")),
            .client(MySQLBytes.response(user: "app", auth: Self.scramble)),
            .server(MySQLBytes.ok(2)),
        ]
        expectEverySplit(.mysql, steps, [credential(.mysqlNative, ascii("app"), Self.scramble, .accepted)])
    }

    @Test func mysqlLoginRejectedOneByteLengthNoDatabase() {
        let steps: [Step] = [
            .server(MySQLBytes.handshake(plugin: "mysql_native_password")),
            .client(MySQLBytes.response(user: "root", auth: Self.scramble, database: nil, plugin: nil, lenenc: false)),
            .server(MySQLBytes.err(2)),
        ]
        expectEverySplit(.mysql, steps, [credential(.mysqlNative, ascii("root"), Self.scramble, .rejected)])
    }

    @Test func mysqlAuthSwitchReportsTheSecondResponse() {
        let first = counting(32, from: 0x10)
        let second = counting(20, from: 0x90)
        let steps: [Step] = [
            .server(MySQLBytes.handshake(plugin: "caching_sha2_password")),
            .client(MySQLBytes.response(user: "app", auth: first, plugin: "caching_sha2_password")),
            .server(MySQLBytes.authSwitch(2, plugin: "mysql_native_password")),
            .client(MySQLBytes.packet(3, second)),
            .server(MySQLBytes.ok(4)),
        ]
        expectEverySplit(.mysql, steps, [credential(.mysqlNative, ascii("app"), second, .accepted)])
    }

    @Test func mysqlCachingSha2FastAuthThenOK() {
        let scramble = counting(32, from: 0x20)
        let steps: [Step] = [
            .server(MySQLBytes.handshake(plugin: "caching_sha2_password")),
            .client(MySQLBytes.response(user: "app", auth: scramble, plugin: "caching_sha2_password")),
            .server(MySQLBytes.packet(2, [0x01, 0x03]) + MySQLBytes.ok(3)),
        ]
        expectEverySplit(.mysql, steps, [credential(.mysqlNative, ascii("app"), scramble, .accepted)])
    }

    @Test func mysqlSSLRequestReportsNothingAndIsDone() {
        var run = DatabaseRun(.mysql)
        run.play([.server(MySQLBytes.handshake(plugin: "caching_sha2_password")), .client(MySQLBytes.sslRequest())])
        #expect(run.verdicts.last == .done)
        run.send(Sample.clientHello, .toServer)
        run.endBoth()
        #expect(run.sightings.isEmpty)
        #expect(run.context.bufferedBytes == 0)
    }

    @Test func mysqlClearPasswordIsReportedAsThePassword() {
        let steps: [Step] = [
            .server(MySQLBytes.handshake(plugin: "mysql_native_password")),
            .client(MySQLBytes.response(user: "app", auth: ascii("plain") + [0], plugin: "mysql_clear_password")),
            .server(MySQLBytes.ok(2)),
        ]
        expectEverySplit(.mysql, steps, [credential(.mysqlClearPassword, ascii("app"), ascii("plain"), .accepted)])
    }

    @Test func mysqlAuthSwitchToTheClearPasswordPlugin() {
        let steps: [Step] = [
            .server(MySQLBytes.handshake(plugin: "caching_sha2_password")),
            .client(MySQLBytes.response(user: "ldapuser", auth: counting(32, from: 0x10), plugin: "caching_sha2_password")),
            .server(MySQLBytes.authSwitch(2, plugin: "mysql_clear_password")),
            .client(MySQLBytes.packet(3, ascii("pam-secret") + [0])),
            .server(MySQLBytes.err(4)),
        ]
        expectEverySplit(.mysql, steps, [credential(.mysqlClearPassword, ascii("ldapuser"), ascii("pam-secret"), .rejected)])
    }

    @Test func mysqlEndBeforeTheVerdictIsUnknown() {
        let steps: [Step] = [
            .server(MySQLBytes.handshake(plugin: "mysql_native_password")),
            .client(MySQLBytes.response(user: "app", auth: Self.scramble)),
        ]
        expectEverySplit(.mysql, steps, [credential(.mysqlNative, ascii("app"), Self.scramble, .unknown)])
    }

    // MARK: PostgreSQL

    @Test func postgresqlCleartextPasswordAccepted() {
        let steps: [Step] = [
            .client(PGBytes.startup(user: "app")), .server(PGBytes.auth(3)),
            .client(PGBytes.password("open sesame")), .server(PGBytes.ok + PGBytes.readyForQuery),
        ]
        expectEverySplit(.postgresql, steps, [credential(.postgresqlPassword, ascii("app"), ascii("open sesame"), .accepted)])
    }

    @Test func postgresqlMD5Rejected() {
        let hash = "md5" + String(repeating: "0123456789abcdef", count: 2)
        let steps: [Step] = [
            .client(PGBytes.startup(user: "app")), .server(PGBytes.auth(5, [0x01, 0x02, 0x03, 0x04])),
            .client(PGBytes.password(hash)), .server(PGBytes.error),
        ]
        expectEverySplit(.postgresql, steps, [credential(.postgresqlMD5, ascii("app"), ascii(hash), .rejected)])
    }

    @Test func postgresqlSCRAMAfterRefusedSSL() {
        let clientFirst = ascii("n,,n=,r=rOprNGfwEbeRWgbNEkqO")
        let clientFinal = ascii(
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
        let initial = ascii("SCRAM-SHA-256") + [0] + PGBytes.be32(clientFirst.count) + clientFirst
        let steps: [Step] = [
            .client(PGBytes.sslRequest), .s("N"),
            .client(PGBytes.startup(user: "user")), .server(PGBytes.auth(10, ascii("SCRAM-SHA-256") + [0, 0])),
            .client(PGBytes.message("p", initial)),
            .server(PGBytes.auth(11, ascii("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"))),
            .client(PGBytes.message("p", clientFinal)),
            .server(PGBytes.auth(12, ascii("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")) + PGBytes.ok),
        ]
        expectEverySplit(.postgresql, steps, [credential(.scram, ascii("user"), clientFinal, .accepted)])
    }

    @Test func postgresqlAcceptedSSLIsDoneWithNothing() {
        var run = DatabaseRun(.postgresql)
        run.play([.client(PGBytes.sslRequest), .s("S")])
        #expect(run.verdicts.last == .done)
        run.endBoth()
        #expect(run.sightings.isEmpty)
    }

    @Test func postgresqlTrustLoginHasNoCredential() {
        let steps: [Step] = [.client(PGBytes.startup(user: "app")), .server(PGBytes.ok + PGBytes.readyForQuery)]
        #expect(databaseSightings(.postgresql, steps) == [])
    }

    @Test func postgresqlEndBeforeTheVerdictIsUnknown() {
        let steps: [Step] = [.client(PGBytes.startup(user: "app")), .server(PGBytes.auth(3)), .client(PGBytes.password("pw"))]
        expectEverySplit(.postgresql, steps, [credential(.postgresqlPassword, ascii("app"), ascii("pw"), .unknown)])
    }

    // MARK: Robustness

    @Test func garbageAndOversizedInputDoNotCrashAndReleaseTheBudget() {
        let garbage = counting(5000, from: 7)
        let huge = [UInt8](repeating: 0x41, count: 50_000)
        let inputs: [[Step]] = [
            [.client(garbage), .server(garbage)],
            [.client(huge), .server(huge)],
            [.client(ascii("*3\r\n$4\r\nAUTH\r\n$999999\r\n") + huge), .server(ascii("+OK\r\n"))],
            [.server(MySQLBytes.packet(0, [10] + huge)), .client(MySQLBytes.packet(1, huge))],
            [.client(PGBytes.startup(user: "a")), .server(PGBytes.message("R", huge)), .client(PGBytes.message("p", huge))],
            [.client(PGBytes.be32(0xffff_fff0) + huge)],
        ]
        for steps in inputs {
            for kind in [DatabaseLogin.Kind.redis, .mysql, .postgresql] {
                for split in [nil, 1, 3, 4099] {
                    var run = DatabaseRun(kind)
                    run.play(steps, clientSplit: split, serverSplit: split)
                    run.endBoth()
                    #expect(run.context.bufferedBytes == 0)
                }
            }
        }
    }

    @Test func aSpanningOversizedMessageIsSkippedAndCounted() {
        let analyzer = PostgreSQLLoginAnalyzer(maxDepth: 1 << 20)
        var context = InspectionContext()
        let message = PGBytes.message("Q", [UInt8](repeating: 0x61, count: 20_000))
        let stream = PGBytes.startup(user: "app") + message + PGBytes.password("pw")
        for (k, chunk) in split(stream, at: 100).enumerated() {
            _ = chunk.withUnsafeBytes { analyzer.ingest($0, direction: .toServer, offset: k == 0 ? 0 : 100, context: &context) }
        }
        #expect(analyzer.oversizedMessages == 1)
        #expect(context.peakBufferedBytes <= PostgreSQLLoginAnalyzer.maxMessage)
        analyzer.end(direction: .toServer, context: &context)
        analyzer.end(direction: .toClient, context: &context)
        #expect(context.bufferedBytes == 0)
        #expect(analyzer.sightings == [credential(.postgresqlPassword, ascii("app"), ascii("pw"), .unknown)])
    }

    @Test func aRefusedBudgetLosesTheMessageNotTheStream() {
        var run = DatabaseRun(.postgresql, context: InspectionContext(maxBufferedBytes: 4))
        run.play(
            [.client(PGBytes.startup(user: "app")), .server(PGBytes.auth(3)), .client(PGBytes.password("pw")), .server(PGBytes.ok)],
            byteByByte: true)
        run.endBoth()
        #expect(run.context.counters.bufferCapHits > 0)
        #expect(run.context.bufferedBytes == 0)
    }

    @Test func aGapStopsTheDirection() {
        var run = DatabaseRun(.redis)
        run.send(RESP.command("AUTH", "pw"), .toServer)
        run.gap(.toClient, at: 0)
        #expect(run.sightings == [credential(.redisAuth, nil, ascii("pw"), .unknown)])
    }

    @Test func depthStopsReading() {
        var run = DatabaseRun(.redis, maxDepth: 10)
        run.play([.client(RESP.command("AUTH", "secretpassword")), .s("+OK\r\n")])
        run.endBoth()
        #expect(run.sightings.isEmpty)
        #expect(run.context.bufferedBytes == 0)
    }

    // MARK: Real captures

    /// Streams extracted from real captures (tshark follow,tcp,raw) into a
    /// JSON file `{ file: { stream: [["c"|"s", hex], ...] } }` named by
    /// PLAINSIGHT_DB_STREAMS; skipped without it. Prints what each stream gave.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PLAINSIGHT_DB_STREAMS"] != nil))
    func realCaptureStreams() throws {
        let path = ProcessInfo.processInfo.environment["PLAINSIGHT_DB_STREAMS"]!
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: [String: [[String]]]]
        for (file, streams) in json.sorted(by: { $0.key < $1.key }) {
            let kind: DatabaseLogin.Kind = file.contains("redis") ? .redis : file.contains("mysql") ? .mysql : .postgresql
            for (n, steps) in streams.sorted(by: { Int($0.key)! < Int($1.key)! }) {
                let parsed: [Step] = steps.map { pair in
                    var bytes: [UInt8] = []
                    var hex = Substring(pair[1])
                    while hex.count >= 2 {
                        bytes.append(UInt8(hex.prefix(2), radix: 16)!)
                        hex = hex.dropFirst(2)
                    }
                    return pair[0] == "c" ? .client(bytes) : .server(bytes)
                }
                let found = databaseSightings(kind, parsed)
                let text = found.map { s -> String in
                    guard case .credential(let c) = s else { return "\(s)" }
                    let user = c.username.map { String(decoding: $0, as: UTF8.self) } ?? "-"
                    return "\(c.mechanism.rawValue) user=\(user) secret=\(c.secret.count)B \(String(decoding: c.secret.prefix(40), as: UTF8.self).debugDescription) \(c.outcome)"
                }
                print("REAL \(file.split(separator: "/").last!) stream \(n): \(text)")
            }
        }
    }
}
