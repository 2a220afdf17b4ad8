import Testing
@testable import Decoding
@testable import Flows
@testable import Inspection

@Suite("AnalyzerRegistry")
struct AnalyzerRegistryTests {
    /// Unique per transport: SIP and Kerberos run over both UDP and TCP, with one descriptor each.
    @Test func namesAreUniquePerTransport() {
        for list in [AnalyzerRegistry.tcp, AnalyzerRegistry.udp] {
            let names = list.map(\.name)
            #expect(Set(names).count == names.count, "\(names)")
            #expect(names.allSatisfy { !$0.isEmpty })
        }
    }

    @Test func appIdsAreUniquePerTransport() {
        for list in [AnalyzerRegistry.tcp, AnalyzerRegistry.udp] {
            let apps = list.map(\.app)
            #expect(Set(apps).count == apps.count)
            #expect(!apps.contains(.unknown))
        }
    }

    @Test func nameIsTheAppName() {
        for d in AnalyzerRegistry.all { #expect(d.name == d.app.description) }
    }

    @Test func everyDescriptorHasAtLeastOneProbe() {
        for d in AnalyzerRegistry.all {
            #expect(d.probeToServer != nil || d.probeToClient != nil, "\(d.name) has no probe")
        }
    }

    @Test func tcpListHoldsExactlyTheTCPDescriptorsInOrder() {
        #expect(AnalyzerRegistry.tcp.map(\.name) == AnalyzerRegistry.all.filter { $0.transport == .tcp }.map(\.name))
        #expect(AnalyzerRegistry.tcp.allSatisfy { $0.transport == .tcp })
    }

    @Test func udpListHoldsExactlyTheUDPDescriptorsInOrder() {
        #expect(AnalyzerRegistry.udp.map(\.name) == AnalyzerRegistry.all.filter { $0.transport == .udp }.map(\.name))
        #expect(AnalyzerRegistry.udp.allSatisfy { $0.transport == .udp })
        #expect(AnalyzerRegistry.tcp.count + AnalyzerRegistry.udp.count == AnalyzerRegistry.all.count)
    }

    @Test func registryCoversTheDocumentedProtocols() {
        #expect(Set(AnalyzerRegistry.all.map(\.name))
            == ["tls", "ssh", "http", "smtp", "ftp", "pop3", "imap", "telnet", "xmpp", "ldap", "postgresql", "mysql", "rdp",
                "redis", "dns", "snmp", "nats", "mqtt", "amqp", "kafka", "socks", "smb", "kerberos", "sip", "rtsp", "irc", "vnc",
                "rlogin", "rsh", "tftp", "syslog", "http2", "elasticsearch", "mssql", "mongodb", "cassandra", "memcached", "nntp", "snmpv3", "radius", "tacacs", "stomp"])
        #expect(AnalyzerRegistry.udp.map(\.name) == ["dns", "snmp", "snmpv3", "radius", "sip", "tftp", "syslog", "kerberos"])
    }

    @Test func portHintsAreNonZero() {
        for d in AnalyzerRegistry.all {
            #expect(!d.portHints.isEmpty, "\(d.name)")
            #expect(!d.portHints.contains(0), "\(d.name)")
        }
    }
}

@Suite("AppProtocol")
struct AppProtocolTests {
    @Test func namesMatchTheOutputContract() {
        let expected: [(AppProtocol, String)] = [
            (.unknown, "unknown"), (.tls, "tls"), (.ssh, "ssh"), (.http, "http"), (.smtp, "smtp"), (.ftp, "ftp"),
            (.pop3, "pop3"), (.imap, "imap"), (.telnet, "telnet"), (.dns, "dns"),
        ]
        for (app, name) in expected { #expect(app.description == name) }
        #expect(AppProtocol(rawValue: 200).description == "app-200")
    }

    @Test func onlyTLSAndSSHAreEncrypted() {
        for raw in UInt8(0)...12 {
            let app = AppProtocol(rawValue: raw)
            #expect(app.isEncrypted == (app == .tls || app == .ssh), "\(app)")
        }
    }
}

@Suite("AnalyzerSelection")
struct AnalyzerSelectionTests {
    @Test func flowsSelectsFlows() {
        #expect(AnalyzerSelection(parsing: "flows")?.names == ["flows"])
    }

    @Test func allSelectsEveryKnownAnalyzer() {
        #expect(AnalyzerSelection(parsing: "all") == AnalyzerSelection.all)
        #expect(AnalyzerSelection(parsing: "all")?.names == Set(AnalyzerSelection.known))
    }

    @Test func listsMayRepeatAndCarrySpaces() {
        #expect(AnalyzerSelection(parsing: "flows, all") == AnalyzerSelection.all)
        #expect(AnalyzerSelection(parsing: " flows ,flows,") == AnalyzerSelection(parsing: "flows"))
    }

    @Test func emptyListStillRunsFlows() {
        // `flows` always runs: an empty list is not an error.
        #expect(AnalyzerSelection(parsing: "")?.names == ["flows"])
        #expect(AnalyzerSelection(parsing: ",")?.names == ["flows"])
    }

    @Test func unknownNamesAreRejected() {
        #expect(AnalyzerSelection(parsing: "pii") == nil)
        #expect(AnalyzerSelection(parsing: "flows,bogus") == nil)
        #expect(AnalyzerSelection(parsing: "Flows") == nil)
        #expect(AnalyzerSelection(parsing: "all;flows") == nil)
    }
}
