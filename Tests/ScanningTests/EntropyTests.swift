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

    @Test func twoEquallyFrequentBytesHaveOneBit() {
        #expect(Array("abababab".utf8).withUnsafeBytes { Entropy.shannon($0) } == 1)
    }

    @Test func noBytesHaveNone() {
        #expect(Entropy.shannon(UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
    }

    /// A hex string spreads over 16 symbols: at most 4 bits, and close to it when long.
    @Test func hexStringHasAtMostFourBits() {
        let hex = Array(String(repeating: "0123456789abcdef", count: 8).utf8)
        #expect(abs(hex.withUnsafeBytes { Entropy.shannon($0) } - 4) < 1e-9)
        let skewed = Array("0000000000000000000000000000001f".utf8)
        #expect(skewed.withUnsafeBytes { Entropy.shannon($0) } < 1)
    }
}
