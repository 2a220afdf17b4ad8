import TestSupport
import Testing
@testable import Decoding
@testable import Flows
@testable import Inspection

@Suite("FlowInspection")
struct FlowInspectionTests {
    /// Identification alone (`--analyzers flows`): the TLS analyzer and the
    /// STARTTLS watch have their own suites.
    func inspection(port: UInt16, _ transport: TransportProtocol = .tcp) -> FlowInspection {
        FlowInspection(serverPort: port, transport: transport, selection: AnalyzerSelection(parsing: "flows")!)
    }

    func ingest(_ i: inout FlowInspection, _ bytes: [UInt8], _ direction: Direction, offset: UInt64 = 0) {
        bytes.withUnsafeBytes { i.ingest($0, direction: direction, offset: offset) }
    }

    @Test func isDoneOnceIdentified() {
        var i = inspection(port: 443)
        #expect(!i.isDone)
        ingest(&i, Array(Sample.clientHello.prefix(3)), .toServer)
        #expect(!i.isDone)
        #expect(i.app == .unknown)
        ingest(&i, Array(Sample.clientHello.dropFirst(3)), .toServer, offset: 3)
        #expect(i.isDone)
        #expect(i.app == .tls)
    }

    @Test func notDoneWhileOneDirectionMaySpeak() {
        var i = inspection(port: 22)
        ingest(&i, ascii("hello\r\n"), .toServer)
        #expect(!i.isDone)
        ingest(&i, Sample.sshBanner, .toClient)
        #expect(i.isDone)
        #expect(i.app == .ssh)
    }

    @Test func greetingFirstThenClientIsIdentified() {
        var i = inspection(port: 110)
        ingest(&i, Sample.pop3Greeting, .toClient)
        #expect(i.isDone)
        #expect(i.app == .pop3)
    }

    @Test func dataAfterDoneIsIgnored() {
        var i = inspection(port: 22)
        ingest(&i, Sample.sshBanner, .toClient)
        #expect(i.isDone)
        ingest(&i, Sample.httpGet, .toServer)
        i.gap(direction: .toServer, offset: 0, length: 10)
        #expect(i.app == .ssh)
        #expect(i.isDone)
    }

    @Test func gapsInBothDirectionsMakeItDone() {
        var i = inspection(port: 443)
        i.gap(direction: .toClient, offset: 0, length: 100)
        #expect(!i.isDone)
        i.gap(direction: .toServer, offset: 0, length: 100)
        #expect(i.isDone)
        #expect(i.app == .unknown)
    }

    @Test func gapThenNoMatchMakesItDone() {
        var i = inspection(port: 8000)
        i.gap(direction: .toClient, offset: 0, length: 100)
        ingest(&i, ascii("xyzzy plugh\r\n"), .toServer)
        #expect(i.isDone)
        #expect(i.app == .unknown)
    }

    @Test func gapAtStartStillLetsTheOtherDirectionIdentify() {
        var i = inspection(port: 80)
        i.gap(direction: .toServer, offset: 0, length: 500)
        #expect(!i.isDone)
        ingest(&i, Sample.httpResponse, .toClient)
        #expect(i.isDone)
        #expect(i.app == .http)
    }

    @Test func endOfBothDirectionsFinishesIdentification() {
        var i = inspection(port: 2526)
        ingest(&i, ascii("220 mail"), .toClient)
        i.end(direction: .toClient)
        i.end(direction: .toServer)
        #expect(i.identifier.isDone)
        #expect(i.app == .unknown)
        // Ending again is harmless.
        i.end(direction: .toClient)
        #expect(i.app == .unknown)
    }

    @Test func endAfterIdentificationKeepsTheApp() {
        var i = inspection(port: 25)
        ingest(&i, Sample.smtpGreeting, .toClient)
        i.end(direction: .toServer)
        i.end(direction: .toClient)
        #expect(i.app == .smtp)
        #expect(i.isDone)
    }

    @Test func udpInspectionIdentifiesDNS() {
        var i = inspection(port: 53, .udp)
        ingest(&i, Sample.dnsQuery, .toServer)
        #expect(i.isDone)
        #expect(i.app == .dns)
    }
}
