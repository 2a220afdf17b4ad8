import Testing
@testable import Reporting
import TestSupport

@Suite("ByteSink")
struct ByteSinkTests {
    @Test func growthAcrossCapacityBoundariesKeepsBytesExact() {
        var g = SplitMix64(seed: 0x5eed_0001)
        let sink = ByteSink(capacity: 64)
        var expected: [UInt8] = []
        expected.reserveCapacity(1 << 20)
        while expected.count < 1 << 20 {
            // Mostly small chunks, now and then one that jumps several doublings.
            let size = Int.random(in: 0...10, using: &g) == 0 ? Int.random(in: 0...70_000, using: &g)
                : Int.random(in: 0...700, using: &g)
            let chunk = randomBytes(size, using: &g)
            chunk.withUnsafeBytes { sink.append($0) }
            expected += chunk
            if Bool.random(using: &g) {
                let byte = UInt8.random(in: 0...255, using: &g)
                sink.append(byte)
                expected.append(byte)
            }
            #expect(sink.count == expected.count)
        }
        #expect(Array(sink.view) == expected)
    }

    @Test func everyKindOfWriteLandsInOrderAcrossGrowth() {
        let sink = ByteSink(capacity: 1)  // raised to the 64-byte minimum
        var expected: [UInt8] = []
        for i in 0..<5000 {
            switch i % 4 {
            case 0:
                sink.append(UInt8(truncatingIfNeeded: i))
                expected.append(UInt8(truncatingIfNeeded: i))
            case 1:
                sink.append("static,")
                expected += Array("static,".utf8)
            case 2:
                sink.write(maximum: 20) { out in
                    for k in 0..<13 { out[k] = UInt8(65 + k) }
                    return 13
                }
                expected += (0..<13).map { UInt8(65 + $0) }
            default:
                sink.appendDecimal(UInt64(i) * 1_000_003)
                expected += Array(String(UInt64(i) * 1_000_003).utf8)
            }
        }
        #expect(Array(sink.view) == expected)
    }

    @Test func writeOfExactlyTheRemainingCapacityDoesNotGrowEarly() {
        let sink = ByteSink(capacity: 64)
        let first = [UInt8](repeating: 1, count: 63)
        first.withUnsafeBytes { sink.append($0) }
        sink.append(2)  // fills it exactly
        sink.append(3)  // grows
        #expect(Array(sink.view) == first + [2, 3])
    }

    @Test func removeAllEmptiesButKeepsWorking() {
        let sink = ByteSink(capacity: 64)
        let bytes = (0..<300).map { UInt8($0 & 0xff) }
        bytes.withUnsafeBytes { sink.append($0) }
        sink.removeAll()
        #expect(sink.count == 0)
        #expect(sink.view.isEmpty)
        sink.append("abc")
        #expect(Array(sink.view) == Array("abc".utf8))
    }

    @Test func emptyAppendsWriteNothing() {
        let sink = ByteSink()
        [UInt8]().withUnsafeBytes { sink.append($0) }
        sink.append(UnsafeRawBufferPointer(start: nil, count: 0))
        sink.append("")
        #expect(sink.count == 0)
    }
}
