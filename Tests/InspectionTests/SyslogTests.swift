import Testing

@testable import Inspection

/// First bytes of syslog streams as rsyslog 8.2302 and util-linux logger 2.38
/// sent them on loopback (Captures/syslog.pcap holds the same traffic).
enum SyslogSample {
    /// rsyslog's omfwd, `TCP_Framing="octet-counted"`, RFC 5424 template.
    static let octetCounted = ascii(
        "158 <13>1 2026-12-07T19:21:55.686297+00:00 vm billing - - [timeQuality tzKnown=\"1\" isSynced=\"0\"] "
            + "charge ok for dana")
    /// rsyslog's omfwd with its default framing and template (RFC 3164, LF).
    static let bsdLine = ascii("<13>Dec  7 19:21:55 vm billing charge ok for dana\n")
    /// librelp's first frame.
    static let relpOpen = ascii(
        "1 open 86 relp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog\n")
    /// A later RELP frame: rsyslog's RELP default template (RFC 3339 date, no version).
    static let relpMessage = ascii("3 syslog 112 <13>2026-12-07T19:21:55.686297+00:00 vm billing charge ok\n")
}

@Suite("syslog probes")
struct SyslogTests {
    func tcp(_ bytes: [UInt8], port: UInt16 = 16601) -> ProbeResult? {
        run(Probes.syslogTCP.probeToServer, bytes, port: port)
    }

    func udp(_ bytes: [UInt8], port: UInt16 = 10514) -> ProbeResult? {
        run(Probes.syslog.probeToServer, bytes, port: port)
    }

    // RFC 5424 §6.5 example 1; RFC 3164 §5.4 example.
    static let rfc5424 = ascii("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick")
    static let rfc3164 = ascii("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")

    @Test func tcpFramingsAndHeadersMatchOnAnyPort() {
        for bytes in [Self.rfc5424, Self.rfc3164, SyslogSample.bsdLine, SyslogSample.octetCounted, SyslogSample.relpOpen,
                      ascii("\(Self.rfc5424.count) ") + Self.rfc5424, ascii("<13>2026-12-07T19:21:55+00:00 vm sshd: x\n")] {
            #expect(tcp(bytes) == .match, "\(String(decoding: bytes.prefix(24), as: UTF8.self))")
        }
    }

    /// Every prefix of a syslog stream waits for more; none is taken early.
    @Test func tcpPrefixesWaitUntilTheHeaderDecides() {
        for (bytes, decidedAt) in [(SyslogSample.octetCounted, 10), (SyslogSample.bsdLine, 8), (SyslogSample.relpOpen, 23)] {
            for k in 1..<decidedAt {
                #expect(tcp(Array(bytes.prefix(k))) == .needMore, "\(k) bytes")
            }
            #expect(tcp(Array(bytes.prefix(decidedAt))) == .match)
        }
    }

    /// Look-alikes are let go at their first impossible byte, not after the probe budget.
    @Test func tcpLookAlikesAreRejectedEarly() {
        let others: [(String, Int)] = [
            ("GET / HTTP/1.1\r\n", 1), ("<?xml version='1.0'?>", 2), ("<stream:stream to='a'>", 2),
            ("0 <13>1 x", 1), ("12345678 <13>1 x", 8), ("123 abc", 5), ("12 open 5 relp_version=0", 4),
            ("1 opened", 7), ("1 open x", 8), ("1 open 86 relp_versioN", 22), ("<192>1 x", 4), ("<034>1 x", 4),
            ("<13>1x", 6), ("<13>Dez 7", 7), ("<13>202X", 8), ("<1234>1 ", 5), ("*1\r\n$4\r\nPING\r\n", 1),
        ]
        for (text, decidedAt) in others {
            let bytes = ascii(text)
            #expect(tcp(Array(bytes.prefix(decidedAt))) == .noMatch, "\(text) at \(decidedAt)")
            #expect(tcp(bytes) == .noMatch, "\(text)")
        }
    }

    @Test func portsOfSyslogAcceptAnyTextAfterThePriority() {
        for port: UInt16 in [514, 601] {
            #expect(tcp(ascii("<13>vm app: x"), port: port) == .match)
            #expect(tcp(ascii("74 <13>vm app: x"), port: port) == .match)
            #expect(tcp(ascii("<13>\u{1}"), port: port) == .noMatch)
        }
        #expect(tcp(ascii("<13>vm app: x"), port: 5140) == .noMatch)
    }

    @Test func udpDatagramsAreWhole() {
        #expect(udp(Self.rfc5424) == .match)
        #expect(udp(Self.rfc3164) == .match)
        #expect(udp(ascii("<13>2026-12-07T19:21:55+00:00 vm sshd: x")) == .match)  // rsyslog's forward format
        #expect(udp(ascii("<13>hello"), port: 514) == .match)
        #expect(udp(ascii("<13>hello")) == .noMatch)
        // What a stream would wait on ends the datagram: no match.
        #expect(udp(ascii("<13>")) == .noMatch)
        #expect(udp(ascii("<13>20")) == .noMatch)
        #expect(udp(ascii("<13")) == .noMatch)
        // RFC 6587's framings are TCP's: a datagram starts with `<`.
        #expect(udp(SyslogSample.octetCounted) == .noMatch)
        #expect(udp(SyslogSample.relpOpen) == .noMatch)
    }

    /// A whole stream identified through the identifier, on ports no hint names.
    @Test func streamsIdentifyAsSyslog() {
        for bytes in [SyslogSample.octetCounted, SyslogSample.bsdLine, SyslogSample.relpOpen] {
            #expect(identify([bytes], .toServer, port: 20514).app == .syslog)
            #expect(identify(bytes.map { [$0] }, .toServer, port: 20514).app == .syslog)
        }
        // The same bytes from a server are no syslog: only a sender starts a stream so.
        #expect(identify([SyslogSample.bsdLine], .toClient, port: 20514).app == .unknown)
    }
}
