import Testing

@testable import Scanning

@Suite struct EntropyTests {
    @Test func uniformBytesHaveEightBits() {
        let bytes = (0...255).map { UInt8($0) }
        #expect(bytes.withUnsafeBytes { Entropy.shannon($0) } == 8)
    }

    @Test func repeatedByteHasNone() {
        #expect(Array(repeating: UInt8(ascii: "a"), count: 40).withUnsafeBytes { Entropy.shannon($0) } == 0)
    }
}
