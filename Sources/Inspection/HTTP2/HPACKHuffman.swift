/// The Huffman code of HPACK (RFC 7541 §5.2, Appendix B), decoding only.
///
/// The code of Appendix B is canonical: within one length, codes count up in
/// symbol order, and the first code of a length follows the last code of the
/// length before it, shifted left. So the table below holds only each
/// symbol's code length, in symbol order (0–255, then 256 = EOS), as listed in
/// Appendix B's "len" column; the codes themselves are rebuilt from the
/// lengths once (the tests check a few against the appendix and decode the
/// RFC's Appendix C.4 and C.6 examples).
enum HPACKHuffman {
    /// Appendix B, column "len in bits", symbols 0 to 256.
    static let codeLengths: [UInt8] = [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,  // 0–15
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,  // 16–31
         6, 10, 10, 12, 13,  6,  8, 11, 10, 10,  8, 11,  8,  6,  6,  6,  // 32–47
         5,  5,  5,  6,  6,  6,  6,  6,  6,  6,  7,  8, 15,  6, 12, 10,  // 48–63
        13,  6,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  // 64–79
         7,  7,  7,  7,  7,  7,  7,  7,  8,  7,  8, 13, 19, 13, 14,  6,  // 80–95
        15,  5,  6,  5,  6,  5,  6,  6,  6,  5,  7,  7,  6,  6,  6,  5,  // 96–111
         6,  7,  6,  5,  5,  6,  7,  7,  7,  7,  7, 15, 11, 14, 13, 28,  // 112–127
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,  // 128–143
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,  // 144–159
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,  // 160–175
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,  // 176–191
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,  // 192–207
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,  // 208–223
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,  // 224–239
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,  // 240–255
        30,  // 256 (EOS)
    ]

    static let eos = 256
    static let shortestCode = 5
    static let longestCode = 30

    /// Per code length: the first code of that length, how many codes have
    /// it, and where its symbols start in `symbols` (sorted by length, then symbol).
    struct Canonical {
        var firstCode = [UInt32](repeating: 0, count: HPACKHuffman.longestCode + 1)
        var count = [UInt32](repeating: 0, count: HPACKHuffman.longestCode + 1)
        var firstIndex = [Int](repeating: 0, count: HPACKHuffman.longestCode + 1)
        var symbols: [UInt16] = []

        init() {
            let lengths = HPACKHuffman.codeLengths
            for length in lengths { count[Int(length)] += 1 }
            var code: UInt32 = 0
            var index = 0
            for length in 1...HPACKHuffman.longestCode {
                code = (code + count[length - 1]) << 1
                firstCode[length] = code
                firstIndex[length] = index
                index += Int(count[length])
            }
            for length in 1...HPACKHuffman.longestCode {
                for symbol in 0..<lengths.count where Int(lengths[symbol]) == length { symbols.append(UInt16(symbol)) }
            }
        }

        /// The code of `symbol` (for tests against Appendix B).
        func code(of symbol: Int) -> UInt32 {
            let length = Int(HPACKHuffman.codeLengths[symbol])
            let rank = symbols[firstIndex[length]..<(firstIndex[length] + Int(count[length]))].firstIndex(of: UInt16(symbol))!
                - firstIndex[length]
            return firstCode[length] + UInt32(rank)
        }
    }

    static let canonical = Canonical()

    /// Appends the decoded `bytes` to `out`; false when they are not a valid
    /// Huffman string: EOS inside it, or padding longer than 7 bits or not
    /// all ones (§5.2) — a decoding error, which stops the direction.
    /// Reads bit by bit: header blocks are decoded once per request, not per packet.
    static func decode(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        let table = canonical
        var code: UInt32 = 0
        var length = 0
        for byte in bytes {
            var bit = 7
            while bit >= 0 {
                code = code << 1 | UInt32(byte >> UInt8(bit) & 1)
                length += 1
                bit -= 1
                guard length >= shortestCode else { continue }
                let rank = code &- table.firstCode[length]
                if rank < table.count[length] {
                    let symbol = table.symbols[table.firstIndex[length] + Int(rank)]
                    guard symbol != eos else { return false }
                    out.append(UInt8(symbol))
                    code = 0
                    length = 0
                } else if length == longestCode {
                    return false
                }
            }
        }
        // Padding: the most significant bits of EOS (all ones), shorter than a byte.
        return length < 8 && code == (UInt32(1) << UInt32(length)) - 1
    }
}
