// FuzzIdentification: AppIdentifier (every registered probe) fed chunks,
// gaps and ends per direction, as FlowInspection feeds it.
//
// Input format (make_corpus.py writes it):
//   byte 0      bit 0: transport (0 = TCP, 1 = UDP)
//   bytes 1-2   server port (u16 LE)
//   then events, each a byte `e`:
//     e & 3 == 0  data to the server, 1: data to the client; length e >> 2
//                 (1...63), or when that is 0 a u16 LE & 0x3ff; then the bytes
//     e & 3 == 2  gap in direction e >> 2 & 1 (its length: u16 LE)
//     e & 3 == 3  end of direction e >> 2 & 1
//
// Checked (precondition): a `.done` verdict matches isDone and stays; an
// identified protocol never changes; the probe copy never exceeds
// maxProbeBytes; and (check "segmentation", TCP only) when all the data went
// one way, before any gap or end of that direction, and totals at most
// maxProbeBytes, the result does not depend on how the bytes were split:
// feeding them as one chunk (with the same gaps and ends around it: an end
// probes the held bytes one last time) identifies the same protocol.
// (AppIdentifier's contract: "a banner split over segments" is probed again
// as more arrives.)
//
// FUZZ_IGNORE (environment, comma-separated): segmentation.

@testable import Decoding
@testable import Flows
@testable import Inspection

import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif





@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 3 else { return -1 }
    var input = FuzzInput(data, size)
    let transport: TransportProtocol = input.u8() & 1 == 0 ? .tcp : .udp
    let serverPort = input.u16()
    var identifier = AppIdentifier(serverPort: serverPort, transport: transport)
    // AppIdentifier copies nothing into the shared budget; one context per input.
    var context = InspectionContext(maxBufferedBytes: 64 << 10)
    var offsets: [UInt64] = [0, 0]
    var wasDone = false
    var app = AppProtocol.unknown

    // For the segmentation check: the bytes of the one direction that carried
    // data, as long as no gap or end came before them in that direction.
    var firstDirection: Direction?
    var oneWay = true
    var joined: [UInt8] = []
    var joinedClosed = false
    var chunks = 0
    // The gaps and ends, in order, with where the data went (for the one-chunk replay).
    var script: [(kind: UInt8, direction: Direction, length: UInt64)] = []

    func afterEvent(_ verdict: AnalyzerVerdict?) {
        if let verdict { precondition((verdict == .done) == identifier.isDone, "verdict \(verdict), isDone \(identifier.isDone)") }
        if wasDone { precondition(identifier.isDone, "isDone went back to false") }
        wasDone = identifier.isDone
        if app != .unknown { precondition(identifier.app == app, "app changed from \(app) to \(identifier.app)") }
        app = identifier.app
        precondition(identifier.prefix.toServer.count <= AppIdentifier.maxProbeBytes
                     && identifier.prefix.toClient.count <= AppIdentifier.maxProbeBytes, "probe copy over its cap")
    }

    var events = 0
    while input.remaining > 0 && events < 4096 {
        events += 1
        let e = input.u8()
        switch e & 3 {
        case 0, 1:
            let direction: Direction = e & 3 == 0 ? .toServer : .toClient
            var length = Int(e >> 2)
            if length == 0 { length = Int(input.u16() & 0x3ff) }
            let bytes = input.bytes(length)
            // Copy into its own allocation so ASan catches a probe reading past the chunk.
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
            defer { chunk.deallocate() }
            if bytes.count > 0 { chunk.copyMemory(from: bytes) }
            let verdict = identifier.ingest(
                UnsafeRawBufferPointer(chunk), direction: direction, offset: offsets[direction.rawValue], context: &context)
            offsets[direction.rawValue] += UInt64(bytes.count)
            afterEvent(verdict)
            script.append((0, direction, UInt64(bytes.count)))
            if bytes.count > 0 {
                if firstDirection == nil { firstDirection = direction }
                if firstDirection != direction { oneWay = false }
                if !joinedClosed && firstDirection == direction {
                    joined.append(contentsOf: bytes)
                    chunks += 1
                }
            }
        case 2:
            let direction: Direction = e >> 2 & 1 == 0 ? .toServer : .toClient
            let length = UInt64(input.u16())
            let verdict = identifier.gap(direction: direction, offset: offsets[direction.rawValue], length: length, context: &context)
            offsets[direction.rawValue] += length
            afterEvent(verdict)
            script.append((2, direction, length))
            if firstDirection == nil || firstDirection == direction { joinedClosed = true }
        default:
            let direction: Direction = e >> 2 & 1 == 0 ? .toServer : .toClient
            identifier.end(direction: direction, context: &context)
            afterEvent(nil)
            script.append((3, direction, 0))
            if firstDirection == nil || firstDirection == direction { joinedClosed = true }
        }
    }

    precondition(context.bufferedBytes == 0, "AppIdentifier charged \(context.bufferedBytes) bytes to the shared budget")
    if verbose {
        print("FuzzIdentification: \(transport.name) port \(serverPort): app \(identifier.app), done \(identifier.isDone), "
              + "bytes \(offsets[0])/\(offsets[1])")
    }
    if transport == .tcp, oneWay, chunks > 1, let direction = firstDirection, !joined.isEmpty,
        joined.count <= AppIdentifier.maxProbeBytes
    {
        // The same script with the joined bytes as one chunk where the first
        // chunk was, and the gaps and ends where they were: an end probes what
        // is held one last time (first match wins), so it must be replayed too.
        var whole = AppIdentifier(serverPort: serverPort, transport: transport)
        var wholeContext = InspectionContext(maxBufferedBytes: 64 << 10)
        var wholeOffsets: [UInt64] = [0, 0]
        var delivered = false
        for step in script {
            switch step.kind {
            case 0:
                guard step.direction == direction, step.length > 0, !delivered else { continue }
                delivered = true
                _ = joined.withUnsafeBytes { whole.ingest($0, direction: direction, offset: 0, context: &wholeContext) }
                wholeOffsets[direction.rawValue] = UInt64(joined.count)
            case 2:
                _ = whole.gap(direction: step.direction, offset: wholeOffsets[step.direction.rawValue], length: step.length,
                              context: &wholeContext)
                wholeOffsets[step.direction.rawValue] += step.length
            default:
                whole.end(direction: step.direction, context: &wholeContext)
            }
        }
        check("segmentation", whole.app == identifier.app,
              "\(joined.count) bytes to \(direction) in \(chunks) chunks identify \(identifier.app), "
              + "as one chunk \(whole.app) (server port \(serverPort))")
    }
    return 0
}
