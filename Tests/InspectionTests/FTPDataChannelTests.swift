import Testing
@testable import Decoding
@testable import Flows
@testable import Inspection

// The FTP reader on the commands and replies that announce data connections
// (RFC 959 §4.1.2 PORT/PASV and §4.2 reply 227, RFC 2428 §2 EPRT and §3
// EPSV/229) and the transfer commands that use them (RFC 959 §4.1.3), and
// the reader of a data connection the pipeline recognised.

@Suite("FTP data connections")
struct FTPDataChannelTests {
    static let login: [Step] = [
        .s("220 FTP server ready\r\n"),
        .c("USER alice\r\n"),
        .s("331 Password required for alice\r\n"),
        .c("PASS open sesame\r\n"),
        .s("230 User alice logged in\r\n"),
    ]

    func v4(_ text: String) -> IPAddress { IPAddress(text)! }

    /// The events of a session played with the client stream cut at
    /// `clientSplit` and the server's at `serverSplit`.
    func events(_ steps: [Step], clientSplit: Int? = nil, serverSplit: Int? = nil) -> [FTPDataEvent] {
        let reader = LoginDialogAnalyzer(dialect: .ftp, maxDepth: 1 << 20)
        var run = StreamRun(CleartextAnalyzer.login(reader))
        run.play(FTPDataChannelTests.login + steps, clientSplit: clientSplit, serverSplit: serverSplit)
        #expect(run.verdicts.allSatisfy { $0 == AnalyzerVerdict.needMore }, "the session is read on after the login")
        run.endBoth()
        #expect(run.context.bufferedBytes == 0)
        return reader.dataEvents
    }

    func streamLengths(_ steps: [Step]) -> (client: Int, server: Int) {
        var n = (client: 0, server: 0)
        for step in FTPDataChannelTests.login + steps {
            switch step {
            case .client(let b): n.client += b.count
            case .server(let b): n.server += b.count
            }
        }
        return n
    }

    /// The same events whatever byte either stream is cut at.
    func expectAtEverySplit(_ steps: [Step], _ expected: [FTPDataEvent]) {
        #expect(events(steps) == expected)
        let n = streamLengths(steps)
        for k in 1..<n.client { #expect(events(steps, clientSplit: k) == expected, "client split \(k)") }
        for k in 1..<n.server { #expect(events(steps, serverSplit: k) == expected, "server split \(k)") }
    }

    @Test func passiveRetrieve() {
        // 227 with the host-port of RFC 959 §4.1.2: 192.0.2.7, port 19*256+137 = 5001.
        let passive = FTPDataAnnouncement(mode: .passive, address: v4("192.0.2.7"), port: 5001)
        expectAtEverySplit(
            [
                .c("PASV\r\n"),
                .s("227 Entering Passive Mode (192,0,2,7,19,137)\r\n"),
                .c("RETR report.pdf\r\n"),
                .s("150 Opening BINARY mode data connection\r\n226 Transfer complete\r\n"),
            ],
            [.announced(passive), .transfer(passive, .download, name: ascii("report.pdf"))])
    }

    @Test func passiveReplyWithoutParenthesesAndListing() {
        // RFC 1123 §4.1.2.6: clients scan for the numbers; some servers drop the parentheses.
        let passive = FTPDataAnnouncement(mode: .passive, address: v4("10.1.2.3"), port: 1024)
        #expect(
            events([
                .c("PASV\r\n"), .s("227 Entering Passive Mode 10,1,2,3,4,0.\r\n"), .c("LIST\r\n"),
                .s("150 Here comes the directory listing.\r\n"),
            ]) == [.announced(passive), .transfer(passive, .download, name: [])])
    }

    @Test func extendedPassiveStore() {
        // RFC 2428 §3's example reply: the address is the control connection's server.
        let passive = FTPDataAnnouncement(mode: .passive, address: nil, port: 6446)
        expectAtEverySplit(
            [
                .c("EPSV\r\n"),
                .s("229 Entering Extended Passive Mode (|||6446|)\r\n"),
                .c("STOR upload.bin\r\n"),
                .s("150 Ok to send data.\r\n"),
            ],
            [.announced(passive), .transfer(passive, .upload, name: ascii("upload.bin"))])
    }

    @Test func activePortAppend() {
        let active = FTPDataAnnouncement(mode: .active, address: v4("198.51.100.4"), port: 4 * 256 + 1)
        expectAtEverySplit(
            [.c("PORT 198,51,100,4,4,1\r\n"), .s("200 PORT command successful\r\n"), .c("APPE log.txt\r\n")],
            [.announced(active), .transfer(active, .upload, name: ascii("log.txt"))])
    }

    @Test func extendedPortIPv4AndIPv6() {
        // RFC 2428 §2's two examples.
        let v4Active = FTPDataAnnouncement(mode: .active, address: v4("132.235.1.2"), port: 6275)
        let v6Active = FTPDataAnnouncement(mode: .active, address: IPAddress("1080::8:800:200C:417A")!, port: 5282)
        expectAtEverySplit(
            [
                .c("EPRT |1|132.235.1.2|6275|\r\n"), .s("200 EPRT command successful\r\n"), .c("NLST\r\n"),
                .s("150 Here comes the listing\r\n226 Done\r\n"),
                .c("EPRT |2|1080::8:800:200C:417A|5282|\r\n"), .s("200 EPRT command successful\r\n"),
                .c("RETR a b.txt\r\n"),
            ],
            [
                .announced(v4Active), .transfer(v4Active, .download, name: []),
                .announced(v6Active), .transfer(v6Active, .download, name: ascii("a b.txt")),
            ])
    }

    @Test(arguments: [
        "227 Entering Passive Mode (192,0,2,7,19)\r\n",  // five numbers
        "227 Entering Passive Mode (192,0,2,7,19,137,1)\r\n",  // seven
        "227 Entering Passive Mode (256,0,2,7,19,137)\r\n",  // not a byte
        "227 Entering Passive Mode (192,0,2,7,1234,1)\r\n",  // four digits
        "227 Entering Passive Mode (192,0,2,7,0,0)\r\n",  // port 0
        "227 Entering Passive Mode\r\n",  // no numbers
        "229 Entering Extended Passive Mode (||6446|)\r\n",  // two delimiters
        "229 Entering Extended Passive Mode (|||70000|)\r\n",  // past 65535
        "229 Entering Extended Passive Mode (|||6446)\r\n",  // unterminated
        "229 Entering Extended Passive Mode (|||0|)\r\n",
        "228 Entering Long Passive Mode (192,0,2,7,19,137)\r\n",  // not 227
        "200 (192,0,2,7,19,137)\r\n",
    ])
    func malformedPassiveRepliesAreIgnored(reply: String) {
        #expect(events([.c("PASV\r\n"), .s(reply), .c("RETR x\r\n")]) == [])
    }

    @Test(arguments: [
        "PORT 192,0,2,7,19\r\n", "PORT 192,0,2,7,19,137,5\r\n", "PORT 192,0,2,300,19,137\r\n", "PORT\r\n",
        "EPRT |3|132.235.1.2|6275|\r\n",  // unknown family
        "EPRT |1|1080::8|6275|\r\n",  // family 1 with an IPv6 address
        "EPRT |2|132.235.1.2|6275|\r\n",  // family 2 with an IPv4 address
        "EPRT |1|132.235.1|6275|\r\n", "EPRT |1|132.235.1.2|99999|\r\n", "EPRT |1|132.235.1.2|6275\r\n",
        "EPRT |1||6275|\r\n", "EPRT\r\n", "XPORT 192,0,2,7,19,137\r\n",
    ])
    func malformedActiveCommandsAreIgnored(command: String) {
        #expect(events([.c(command), .s("200 ok\r\n"), .c("RETR x\r\n")]) == [])
    }

    @Test func transferWithoutAnnouncementAndSecondUseAreNotLinked() {
        let passive = FTPDataAnnouncement(mode: .passive, address: v4("192.0.2.7"), port: 5001)
        #expect(
            events([
                .c("RETR early.txt\r\n"), .s("425 Use PORT or PASV first.\r\n"),
                .c("PASV\r\n"), .s("227 Entering Passive Mode (192,0,2,7,19,137)\r\n"),
                .c("RETR one.txt\r\n"), .s("150 ok\r\n226 ok\r\n"),
                .c("RETR two.txt\r\n"),  // RFC 959 §3.2: the PASV served one transfer
            ]) == [.announced(passive), .transfer(passive, .download, name: ascii("one.txt"))])
    }

    @Test func longFileNameIsCut() {
        let name = String(repeating: "n", count: 600)
        let got = events([.c("PASV\r\n"), .s("227 =192,0,2,7,19,137\r\n"), .c("STOR \(name)\r\n")])
        guard case .transfer(_, .upload, let kept)? = got.last else {
            Issue.record("no transfer: \(got)")
            return
        }
        #expect(kept == Array(ascii(name).prefix(FTPDataEvent.maxName)))
    }

    // MARK: the data connection's reader

    func dataFlow(
        mode: FTPDataAnnouncement.Mode, transfer: FTPTransfer?, name: String, _ recorder: ContentRecorder,
        _ context: inout InspectionContext
    ) -> FlowInspection {
        var f = FlowInspection(serverPort: 5001, transport: .tcp, selection: .all)
        f.startFTPData(mode: mode, transfer: transfer, name: ascii(name), context: &context)
        return f
    }

    func send(_ f: inout FlowInspection, _ bytes: [UInt8], _ d: Direction, _ offset: UInt64, _ c: inout InspectionContext) {
        bytes.withUnsafeBytes { f.ingest($0, direction: d, offset: offset, context: &c) }
    }

    @Test(arguments: [
        // Passive download: the FTP server is this connection's server, the file flows to its client.
        (FTPDataAnnouncement.Mode.passive, FTPTransfer.download, Direction.toClient),
        (.passive, .upload, .toServer),
        // Active: the FTP server opened the connection, so a download flows to the server side.
        (.active, .download, .toServer),
        (.active, .upload, .toClient),
    ])
    func fileIsDeliveredInTheTransferDirection(mode: FTPDataAnnouncement.Mode, transfer: FTPTransfer, direction: Direction) {
        let recorder = ContentRecorder()
        var c = InspectionContext()
        c.content = .recording(recorder)
        var f = dataFlow(mode: mode, transfer: transfer, name: "report.pdf", recorder, &c)
        #expect(f.app == .ftpData)
        let file = ascii("%PDF-1.7\n") + [UInt8](repeating: 0x41, count: 3000)
        send(&f, Array(file[..<100]), direction, 0, &c)
        send(&f, ascii("stray"), direction.reversed, 0, &c)  // not the transfer direction
        send(&f, Array(file[100...]), direction, 100, &c)
        f.end(direction: direction.reversed, context: &c)
        f.end(direction: direction, context: &c)
        #expect(recorder.violations == [])
        #expect(recorder.streams.count == 1)
        let stream = recorder.streams[0]
        #expect(stream.kind == .ftpData && stream.direction == direction && stream.filename == "report.pdf")
        #expect(stream.bytes == file && stream.complete == true)
        f.release(&c)
        #expect(c.bufferedBytes == 0, "the file name went back to the budget")
    }

    @Test func withoutTransferCommandTheFirstDirectionWithBytesCarriesTheFile() {
        let recorder = ContentRecorder()
        var c = InspectionContext()
        c.content = .recording(recorder)
        var f = dataFlow(mode: .passive, transfer: nil, name: "", recorder, &c)
        f.setFTPTransfer(mode: .passive, .download, name: ascii("late.txt"))  // came after the SYN
        send(&f, ascii("hello"), .toClient, 0, &c)
        f.end(direction: .toClient, context: &c)
        #expect(recorder.streams.map(\.filename) == ["late.txt"])
        #expect(recorder.streams.first?.bytes == ascii("hello"))

        let unnamed = ContentRecorder()
        c.content = .recording(unnamed)
        var g = dataFlow(mode: .passive, transfer: nil, name: "", unnamed, &c)
        send(&g, ascii("upload"), .toServer, 0, &c)
        g.gap(direction: .toServer, offset: 6, length: 10, context: &c)
        #expect(unnamed.streams.map(\.direction) == [.toServer])
        #expect(unnamed.streams.first?.complete == false, "a gap cuts the file short")
        #expect(g.isDone)
    }

    @Test func withoutContentTheDataFlowIsOnlyNamed() {
        var c = InspectionContext()
        var f = FlowInspection(serverPort: 5001, transport: .tcp, selection: .all)
        f.startFTPData(mode: .passive, transfer: .download, name: ascii("x"), context: &c)
        #expect(f.app == .ftpData && f.isDone)
        #expect(c.counters.content.streams.allSatisfy { $0 == 0 })
    }

    @Test func fileIsCappedLikeOtherContent() {
        let recorder = ContentRecorder(keep: 16)
        var c = InspectionContext()
        c.content = .recording(recorder)
        var f = dataFlow(mode: .passive, transfer: .download, name: "big.iso", recorder, &c)
        let chunk = [UInt8](repeating: 0x5a, count: 64 << 10)
        var offset: UInt64 = 0
        while !f.isDone && offset < 4 * ContentLimits.maxDecodedBytes {
            send(&f, chunk, .toClient, offset, &c)
            offset += UInt64(chunk.count)
        }
        #expect(f.isDone, "the flow is let go at the cap")
        #expect(c.counters.content.decodedCapHits == 1)
        #expect(c.counters.content.bytes[Int(ContentKind.ftpData.rawValue)] == ContentLimits.maxDecodedBytes)
        #expect(recorder.streams.first?.complete == false)
    }
}
