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

    /// FuzzCleartext `segmentation` (Fuzz/Regressions/FuzzCleartext-socks-second-login.bin,
    /// commit 3e5a937): a SOCKS5 client's password, then — the proxy's direction
    /// gapped, so no verdict — a second `VER=1` sub-negotiation. Read as another
    /// login, it replaced the first one still waiting when both came in one
    /// chunk, while separate chunks reported both. RFC 1929 has one
    /// sub-negotiation per connection: the reader now stops at a second.
    @Test func socksReadsOneSubNegotiation() {
        let offer: [UInt8] = [5, 2, 0, 2]
        let first: [UInt8] = [1, 3] + Array("bob".utf8) + [5] + Array("alice".utf8)
        let second: [UInt8] = [1, 1, 0x5c, 5, 3, 0x10, 0x6d, 0x61, 0x69]
        var outcomes: [[[UInt8]]] = []
        for chunks in [[offer, first, second], [offer, first + second]] {
            let analyzer = SOCKSLoginAnalyzer(maxDepth: 1 << 20)
            var context = InspectionContext()
            _ = analyzer.gap(direction: .toClient, offset: 0, length: 517, context: &context)
            var offset: UInt64 = 0
            for chunk in chunks {
                _ = chunk.withUnsafeBytes { analyzer.ingest($0, direction: .toServer, offset: offset, context: &context) }
                offset += UInt64(chunk.count)
            }
            analyzer.end(direction: .toServer, context: &context)
            var sightings: [Sighting] = []
            analyzer.moveSightings(into: &sightings)
            outcomes.append(sightings.compactMap { if case .credential(let c) = $0 { c.secret } else { nil } })
            #expect(context.bufferedBytes == 0)
        }
        #expect(outcomes == [[Array("alice".utf8)], [Array("alice".utf8)]])
    }
}
