// Regression tests for what FuzzHPACK found (Fuzz/README.md, "What was run").
import Testing
@testable import Flows
@testable import Inspection

@Suite("FuzzHPACK regressions")
struct HPACKRegressionTests {
    /// FuzzHPACK-crash-67a8b038 (its block, without the harness's option
    /// and length bytes): a Huffman string length (0xff) continued by ten
    /// 0x80 groups and a 0xff one. Each group shifted 7 bits further, so the
    /// last landed in the sign bit; the negative length passed the "fits in
    /// the block" test and slicing the block trapped (lowerBound > upperBound).
    /// Now an integer continued past 28 bits is malformed.
    @Test func integerContinuedIntoTheSignBitIsMalformed() {
        let block: [UInt8] = [
            0x00, 0x00, 0x05, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0xff, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
            0x80, 0xff, 0x80, 0x80, 0x80, 0x80, 0x80, 0x3b, 0x18,
        ]
        var decoder = HPACKDecoder()
        var context = InspectionContext(maxBufferedBytes: 4096)
        let failure = block.withUnsafeBytes { decoder.decode($0, context: &context) }
        #expect(failure == .malformed)
        decoder.release(&context)
        #expect(context.bufferedBytes == 0)
    }

    /// Leading zero groups up to 28 bits are still read (RFC 7541 §5.1 does
    /// not forbid them): 127 + 0 = 127 as a 7-bit-prefix index, then one group too many.
    @Test func zeroGroupsWithinTheLimitAreRead() {
        var ok = [UInt8]([0xff, 0x80, 0x80, 0x80, 0x80, 0x00])  // index 127 in 5 zero groups: out of the table
        var cursor = ok.withUnsafeBytes { b in var c = HPACKCursor(b); return c.readInteger(prefixBits: 7) }
        #expect(cursor == 127)
        ok = [0xff, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]  // a sixth group: past 28 bits
        cursor = ok.withUnsafeBytes { b in var c = HPACKCursor(b); return c.readInteger(prefixBits: 7) }
        #expect(cursor == nil)
    }
}
