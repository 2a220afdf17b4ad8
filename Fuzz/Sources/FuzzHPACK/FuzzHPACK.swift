// FuzzHPACK: header blocks through ONE HPACKDecoder (RFC 7541) as the HTTP/2
// reader runs it — in order, until the first failure (after which the reader
// stops the direction) — under a small shared budget; and the input as one
// Huffman string.
//
// Input format (make_hpack_corpus.py writes it):
//   byte 0      bits 0-1 the limit a size update may set (the peer's
//               SETTINGS_HEADER_TABLE_SIZE: 4096, 256, 65536, 1 MiB);
//               bits 2-3 the budget (maxBufferedBytes 1 MiB, 4096, 256, 64)
//   then blocks: a u16 LE length and that many bytes (cut short at the end)
//
// Checked after every block: the budget holds exactly the table's size
// ("accounting"); size <= maxSize <= maxTableSize ("table-size"); the listed
// fields lie in order inside the scratch buffer, which stays within the
// header list cap ("fields"). After `release` the budget is 0 ("release").
// The Huffman string decodes to at most 8/5 of its bytes ("huffman": the
// shortest code has 5 bits).
//
// FUZZ_IGNORE (environment, comma-separated): accounting, table-size, fields, release, huffman.

@testable import Flows
@testable import Inspection

import FuzzSupport

let limits = [4096, 256, 65_536, 1 << 20]
let budgets = [1 << 20, 4096, 256, 64]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let options = Int(input.u8())
    var decoder = HPACKDecoder()
    decoder.limit = limits[options & 3]
    var context = InspectionContext(maxBufferedBytes: budgets[options >> 2 & 3])
    var blocks = 0
    while input.remaining > 0 {
        let length = Int(input.u16())
        let block = input.bytes(min(length, input.remaining))
        let failure = decoder.decode(block, context: &context)
        blocks += 1
        check("accounting", context.bufferedBytes == decoder.size,
              "budget holds \(context.bufferedBytes), the table \(decoder.size)")
        check("table-size", decoder.size <= decoder.maxSize && decoder.maxSize <= HPACKDecoder.maxTableSize,
              "size \(decoder.size), maxSize \(decoder.maxSize)")
        var start = 0
        for field in decoder.fields {
            check("fields", start <= field.nameEnd && field.nameEnd <= field.valueEnd && field.valueEnd <= decoder.scratch.count,
                  "field \(field) after \(start) in \(decoder.scratch.count) bytes")
            start = field.valueEnd
        }
        check("fields", decoder.scratch.count <= HPACKDecoder.maxHeaderListSize, "scratch \(decoder.scratch.count)")
        if failure != nil { break }
    }
    if verbose { print("FuzzHPACK: \(blocks) blocks, table \(decoder.entryCount) entries / \(decoder.size) bytes") }
    decoder.release(&context)
    check("release", context.bufferedBytes == 0, "\(context.bufferedBytes) bytes after release")

    // The whole input as one Huffman string: a result or a refusal, never a trap.
    var out: [UInt8] = []
    _ = HPACKHuffman.decode(UnsafeRawBufferPointer(start: data, count: size), into: &out)
    check("huffman", out.count <= size * 8 / 5 + 1, "\(size) bytes decoded to \(out.count)")
    return 0
}
