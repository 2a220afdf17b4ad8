// Regression tests for what FuzzCleartext found (Fuzz/README.md, round 7).
import Testing
@testable import Flows
@testable import Inspection

struct CleartextRegressionTests {
    /// FuzzCleartext `done-monotonic` (crash-5fbb6a74…, Kerberos): the server's
    /// direction ended and the client's gapped before any data, so the reader
    /// (still undecided between datagrams and TCP records) stopped both
    /// directions as a stream and answered `.done`; a chunk that followed
    /// starting with an APPLICATION tag then made it a datagram reader that
    /// answered `.needMore`. (Then a gap or end settled the framing as TCP;
    /// now the flow's transport does, from the start.)
    @Test func kerberosStaysDoneAfterEndAndGapBeforeData() {
        let analyzer = KerberosAnalyzer(maxDepth: 1 << 20, datagrams: false)
        var context = InspectionContext()
        analyzer.end(direction: .toClient, context: &context)
        #expect(analyzer.gap(direction: .toServer, offset: 0, length: 11, context: &context) == .done)
        // The start of an AS-REQ (APPLICATION 10) as the fuzzer's next chunk.
        let datagram: [UInt8] = [0x6a, 0x0a, 0x30, 0x08, 0xa1, 0x03, 0x02, 0x01, 0x05, 0xa2, 0x01, 0x0a]
        let verdict = datagram.withUnsafeBytes { analyzer.ingest($0, direction: .toServer, offset: 11, context: &context) }
        #expect(verdict == .done)
        #expect(context.bufferedBytes == 0)
    }
}
