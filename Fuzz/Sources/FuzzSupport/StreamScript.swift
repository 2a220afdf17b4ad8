// The script format of the targets that drive per-flow analyzers with
// chunks, gaps and ends (FuzzTLS, FuzzCleartext): each event a byte `e` —
//   e & 3 == 0  data to the server, 1: data to the client; length e >> 2
//               (1...63), or when that is 0 a u16 LE (0...65535); the bytes
//   e & 3 == 2  gap in direction e >> 2 & 1, length max(1, u16 LE)
//   e & 3 == 3  end of direction e >> 2 & 1

@testable import Flows

public enum StreamEvent {
    case data(Direction, [UInt8])
    case gap(Direction, UInt64)
    case end(Direction)
}

extension FuzzInput {
    /// The rest of the input as events, at most `limit` of them.
    public mutating func streamEvents(limit: Int) -> [StreamEvent] {
        var events: [StreamEvent] = []
        while remaining > 0 && events.count < limit {
            let e = u8()
            let direction: Direction = (e & 3 == 1 || (e & 3 >= 2 && e >> 2 & 1 == 1)) ? .toClient : .toServer
            switch e & 3 {
            case 0, 1:
                let length = e >> 2 == 0 ? Int(u16()) : Int(e >> 2)
                events.append(.data(direction, Array(bytes(length))))
            case 2:
                events.append(.gap(direction, UInt64(max(1, u16()))))
            default:
                events.append(.end(direction))
            }
        }
        return events
    }
}

/// Calls `body` with a private copy of `bytes`, so ASan sees reads past the chunk.
public func withChunk<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> R) -> R {
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
    defer { chunk.deallocate() }
    chunk.copyBytes(from: bytes)
    return body(UnsafeRawBufferPointer(chunk))
}

/// Merges each run of consecutive chunks of one direction into one chunk.
public func merged(_ events: [StreamEvent]) -> [StreamEvent] {
    var out: [StreamEvent] = []
    for event in events {
        if case .data(let d, let bytes) = event, case .data(let last, let previous)? = out.last, last == d {
            out[out.count - 1] = .data(d, previous + bytes)
        } else {
            out.append(event)
        }
    }
    return out
}
