import Testing
@testable import Flows
@testable import Inspection

// The HPACK decoder against the examples of RFC 7541 Appendix C, typed in
// byte for byte from the RFC (C.2 single fields, C.3/C.4 three requests on
// one connection without and with Huffman coding, C.5/C.6 three responses
// with a 256-byte table, which forces evictions), plus the failure cases.

/// Bytes from hex digits; spaces are ignored (the RFC prints groups of four).
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...($0 + 1)]), radix: 16)! }
}

/// Decodes `block`; returns the failure, or the fields as strings.
func decodeBlock(_ decoder: inout HPACKDecoder, _ block: [UInt8], context: inout InspectionContext)
    -> (failure: HPACKDecoder.Failure?, fields: [String])
{
    let failure = block.withUnsafeBytes { decoder.decode($0, context: &context) }
    var fields: [String] = []
    decoder.forEachField { name, value in
        fields.append(String(decoding: name, as: UTF8.self) + ": " + String(decoding: value, as: UTF8.self))
    }
    return (failure, fields)
}

/// The dynamic table, newest first, as `name: value`.
func table(_ decoder: HPACKDecoder) -> [String] {
    decoder.entries[decoder.oldest...].reversed().map { e in
        String(decoding: e.bytes[..<e.nameCount], as: UTF8.self) + ": " + String(decoding: e.bytes[e.nameCount...], as: UTF8.self)
    }
}

@Suite("HPACK (RFC 7541)")
struct HPACKTests {
    // C.2.1 Literal Header Field with Indexing
    @Test func c21LiteralWithIndexing() {
        var d = HPACKDecoder()
        var c = InspectionContext()
        let r = decodeBlock(&d, hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"), context: &c)
        #expect(r.failure == nil)
        #expect(r.fields == ["custom-key: custom-header"])
        #expect(table(d) == ["custom-key: custom-header"])
        #expect(d.size == 55)
        #expect(c.bufferedBytes == 55)  // the table is charged to the budget
        d.release(&c)
        #expect(c.bufferedBytes == 0)
    }

    // C.2.2 Literal Header Field without Indexing; C.2.3 Never Indexed; C.2.4 Indexed
    @Test func c22to24() {
        var d = HPACKDecoder()
        var c = InspectionContext()
        #expect(decodeBlock(&d, hex("040c 2f73 616d 706c 652f 7061 7468"), context: &c).fields == [":path: /sample/path"])
        #expect(decodeBlock(&d, hex("1008 7061 7373 776f 7264 0673 6563 7265 74"), context: &c).fields == ["password: secret"])
        #expect(decodeBlock(&d, hex("82"), context: &c).fields == [":method: GET"])
        #expect(d.entryCount == 0 && d.size == 0)
    }

    static let requests = [
        [":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com"],
        [":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com", "cache-control: no-cache"],
        [":method: GET", ":scheme: https", ":path: /index.html", ":authority: www.example.com", "custom-key: custom-value"],
    ]
    static let requestTables = [
        [":authority: www.example.com"],
        ["cache-control: no-cache", ":authority: www.example.com"],
        ["custom-key: custom-value", "cache-control: no-cache", ":authority: www.example.com"],
    ]
    static let requestSizes = [57, 110, 164]

    /// C.3 (plain) and C.4 (Huffman): the same requests, the same tables.
    @Test(arguments: [
        // C.3.1, C.3.2, C.3.3
        ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
         "8286 84be 5808 6e6f 2d63 6163 6865",
         "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"],
        // C.4.1, C.4.2, C.4.3
        ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
         "8286 84be 5886 a8eb 1064 9cbf",
         "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"],
    ])
    func c3c4Requests(_ blocks: [String]) {
        var d = HPACKDecoder()
        var c = InspectionContext()
        for (k, block) in blocks.enumerated() {
            let r = decodeBlock(&d, hex(block), context: &c)
            #expect(r.failure == nil)
            #expect(r.fields == HPACKTests.requests[k])
            #expect(table(d) == HPACKTests.requestTables[k])
            #expect(d.size == HPACKTests.requestSizes[k])
        }
    }

    static let responses = [
        [":status: 302", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:21 GMT", "location: https://www.example.com"],
        [":status: 307", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:21 GMT", "location: https://www.example.com"],
        [":status: 200", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:22 GMT", "location: https://www.example.com",
         "content-encoding: gzip", "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"],
    ]
    static let responseTables = [
        ["location: https://www.example.com", "date: Mon, 21 Oct 2013 20:13:21 GMT", "cache-control: private", ":status: 302"],
        [":status: 307", "location: https://www.example.com", "date: Mon, 21 Oct 2013 20:13:21 GMT", "cache-control: private"],
        ["set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1", "content-encoding: gzip",
         "date: Mon, 21 Oct 2013 20:13:22 GMT"],
    ]
    static let responseSizes = [222, 222, 215]

    /// C.5 (plain) and C.6 (Huffman): a 256-byte table, so entries are evicted.
    @Test(arguments: [
        // C.5.1, C.5.2, C.5.3
        ["4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
         "4803 3330 37c1 c0bf",
         "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31"],
        // C.6.1, C.6.2, C.6.3
        ["4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
         "4883 640e ffc1 c0bf",
         "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07"],
    ])
    func c5c6Responses(_ blocks: [String]) {
        var d = HPACKDecoder(tableSize: 256)
        var c = InspectionContext()
        for (k, block) in blocks.enumerated() {
            let r = decodeBlock(&d, hex(block), context: &c)
            #expect(r.failure == nil)
            #expect(r.fields == HPACKTests.responses[k])
            #expect(table(d) == HPACKTests.responseTables[k])
            #expect(d.size == HPACKTests.responseSizes[k])
            #expect(c.bufferedBytes == d.size)  // evictions return their charge
        }
    }

    // MARK: Huffman (Appendix B)

    @Test func canonicalCodesMatchAppendixB() {
        let t = HPACKHuffman.canonical
        // (symbol, code as printed in Appendix B's "code as hex" column)
        for (symbol, code) in [(0, 0x1ff8), (32, 0x14), (48, 0x0), (97, 0x3), (127, 0xffffffc), (128, 0xfffe6),
                               (255, 0x3ffffee), (256, 0x3fffffff)] {
            #expect(t.code(of: symbol) == UInt32(code), "symbol \(symbol)")
        }
    }

    func huffman(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        return bytes.withUnsafeBytes { HPACKHuffman.decode($0, into: &out) } ? out : nil
    }

    @Test func huffmanPaddingRules() {
        // "www.example.com" (C.4.1), then the same with its padding broken.
        #expect(huffman(hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff")) == Array("www.example.com".utf8))
        #expect(huffman(hex("f1e3 c2e5 f23a 6ba0 ab90 f4fe")) == nil)  // padding not all ones
        #expect(huffman(hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff ff")) == nil)  // padding longer than 7 bits
        #expect(huffman(hex("ffff fffc")) == nil)  // EOS (30 ones) inside the string
        #expect(huffman([]) == [])
        // '0' is 00000 (5 bits): three ones of padding complete the byte.
        #expect(huffman([0x07]) == Array("0".utf8))
    }

    // MARK: size updates and failures

    @Test func sizeUpdateEvictsAndMustComeFirst() {
        var d = HPACKDecoder()
        var c = InspectionContext()
        _ = decodeBlock(&d, hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"), context: &c)
        #expect(d.entryCount == 1)
        // §6.3 0x20: size 0 empties the table; then back to 4096 (0x3f e1 1f).
        #expect(decodeBlock(&d, hex("20 3fe1 1f 82"), context: &c).fields == [":method: GET"])
        #expect(d.entryCount == 0 && c.bufferedBytes == 0 && d.maxSize == 4096)
        // The dynamic index the evicted entry had is gone.
        #expect(decodeBlock(&d, hex("be"), context: &c).failure == .malformed)
        // A size update after a field is an error (§4.2).
        #expect(decodeBlock(&d, hex("82 20"), context: &c).failure == .malformed)
    }

    @Test func sizeUpdateAboveTheAdvertisedLimitIsMalformed() {
        var d = HPACKDecoder()
        var c = InspectionContext()
        // 4097 = 31 + 4066: 0x3f, 4066 = 0xfe2 -> e2 1f
        #expect(decodeBlock(&d, hex("3fe2 1f"), context: &c).failure == .malformed)
    }

    @Test func tableAboveTheHardCapOverflows() {
        var d = HPACKDecoder()
        d.limit = 1 << 20  // the peer allowed 1 MiB
        var c = InspectionContext()
        // 65537 = 31 + 65506 (0xffe2): e2 ff 03
        #expect(decodeBlock(&d, hex("3fe2 ff03"), context: &c).failure == .tableOverflow)
        // 65536 exactly is kept: 31 + 65505 (0xffe1): e1 ff 03
        var e = HPACKDecoder()
        e.limit = 1 << 20
        #expect(decodeBlock(&e, hex("3fe1 ff03"), context: &c).failure == nil)
        #expect(e.maxSize == HPACKDecoder.maxTableSize)
    }

    @Test(arguments: [
        "80",  // index 0
        "ff",  // integer not finished
        "ff ff ff ff ff 0f",  // integer too large
        "be",  // index 62: the first dynamic one, in an empty table
        "bf",  // index 63
        "00 05 61",  // name length past the block
        "00 81 ff 00",  // Huffman name: EOS prefix over 7 bits
        "40",  // literal without its name
    ])
    func malformedBlocks(_ block: String) {
        var d = HPACKDecoder()
        var c = InspectionContext()
        #expect(decodeBlock(&d, hex(block), context: &c).failure == .malformed)
    }

    @Test func anEntryLargerThanTheTableEmptiesIt() {
        var d = HPACKDecoder(tableSize: 64)
        var c = InspectionContext()
        // custom-key: custom-header is 55 bytes: fits; a 40-byte value (10+40+32 = 82) does not.
        _ = decodeBlock(&d, hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"), context: &c)
        #expect(d.entryCount == 1)
        let big = [0x40, 0x0a] + Array("custom-key".utf8) + [0x28] + [UInt8](repeating: 0x61, count: 40)
        let r = decodeBlock(&d, big, context: &c)
        #expect(r.failure == nil && r.fields.count == 1)
        #expect(d.entryCount == 0 && d.size == 0 && c.bufferedBytes == 0)
    }

    @Test func headerListPastTheCapIsTruncatedButTheTableKept() {
        var d = HPACKDecoder()
        var c = InspectionContext()
        // Index 62 repeated: one 4,000-byte entry read back twenty times (80,000 bytes).
        let value = [UInt8](repeating: 0x62, count: 4000)
        var block: [UInt8] = [0x40, 0x01, 0x78, 0x7f, 0xa1, 0x1e]  // x: 4000 (127 + 3873 = 0x1e21 -> a1 1e)
        block += value
        block += [UInt8](repeating: 0xbe, count: 20)
        let r = decodeBlock(&d, block, context: &c)
        #expect(r.failure == nil)
        #expect(d.truncated)
        #expect(r.fields.count == 16)  // 16 x 4,001 bytes fit in 65,536
        #expect(d.entryCount == 1)
    }
}
