// FuzzScanner: the content scanner with the built-in rules (Patterns/content)
// on one stream cut into chunks, against the same bytes in one piece.
//
// Input format (make_scanner_corpus.py writes it):
//   byte 0      bits 0-1 the scan budget (16 MiB, 4096, 256, 0 bytes);
//               bits 2-3 how the stream is cut: chunks of byte 1's length
//               (1 + byte 1), one byte each, at the positions byte 1 seeds
//               (a SplitMix sequence), or not at all; bit 4: a gap of byte 1
//               bytes (mod 64) is left out after the first chunk
//   byte 1      the cut parameter
//   the rest    the stream's bytes
//
// Checked: every reported value is the input's bytes at its offset ("offset");
// a value's field name reads as one (`FieldName.plausible`) and lies in the
// `FieldName.reach` bytes before the value ("field"); with a budget large enough for every window (16 MiB) and no gap,
// the chunked scan reports exactly what the one-piece scan reports, fields
// included, in order ("segmentation"); after `finish` the budget holds nothing ("release");
// the same input as a datagram (scanMessage) finds what the one-piece stream
// scan finds ("message"); no rule reports a value at one offset twice ("once").
// The same stream's UTF-16LE text as a raw stream's runs (`WideText`): only
// characters and NULs, every part between NULs in the input as UTF-16LE
// ("wide-text"), chunked as in one piece when the budget can hold runs and
// there is no gap ("wide-segmentation"), every budget byte given back
// ("wide-release"); as a file's (`UTF16Narrowing`): ASCII only, chunked as
// whole ("wide-text", "wide-segmentation").
//
// FUZZ_IGNORE (environment, comma-separated): offset, field, segmentation, release, message, once,
// wide-text, wide-segmentation, wide-release.

import Foundation
@testable import Scanning

import FuzzSupport

let scanner = builtInScanner

let budgets = [16 << 20, 4096, 256, 0]

struct Found: Equatable {
    var rule: Int
    var offset: UInt64
    var value: [UInt8]
    var field: [UInt8]
}

func scan(_ bytes: [UInt8], cuts: [Int], gap: Range<Int>?, budget size: Int) -> [Found] {
    var state = StreamScanState()
    var budget = ScanBudget(maxBytes: size)
    var found: [ScanMatch] = []
    var start = 0
    for end in cuts + [bytes.count] where end > start {
        if let gap, start < gap.upperBound && end > gap.lowerBound {
            // Send what lies outside the gap.
            if start < gap.lowerBound {
                bytes[start..<gap.lowerBound].withUnsafeBytes {
                    scanner.scan($0, at: UInt64(start), &state, budget: &budget, into: &found)
                }
            }
            if end > gap.upperBound {
                bytes[gap.upperBound..<end].withUnsafeBytes {
                    scanner.scan($0, at: UInt64(gap.upperBound), &state, budget: &budget, into: &found)
                }
            }
        } else {
            bytes[start..<end].withUnsafeBytes { scanner.scan($0, at: UInt64(start), &state, budget: &budget, into: &found) }
        }
        start = end
    }
    scanner.finish(&state, budget: &budget, into: &found)
    check("release", budget.bytes == 0, "\(budget.bytes) bytes held after finish")
    return found.map { Found(rule: $0.rule, offset: $0.offset, value: $0.value, field: $0.field) }
}

/// The stream's chunks ending at `cuts`, less the gap, as (offset, range) pairs.
func pieces(_ count: Int, cuts: [Int], gap: Range<Int>?) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var start = 0
    for end in cuts + [count] where end > start {
        if let gap, start < gap.upperBound && end > gap.lowerBound {
            out += [start..<max(start, gap.lowerBound), min(end, gap.upperBound)..<end].filter { !$0.isEmpty }
        } else {
            out.append(start..<end)
        }
        start = end
    }
    return out
}

/// The UTF-16LE runs of the stream as a raw stream's (`WideText`).
func narrowRuns(_ bytes: [UInt8], cuts: [Int], gap: Range<Int>?, budget size: Int) -> [UInt8] {
    var wide = WideText()
    var budget = ScanBudget(maxBytes: size)
    var text: [UInt8] = []
    for part in pieces(bytes.count, cuts: cuts, gap: gap) {
        bytes[part].withUnsafeBytes { wide.read($0, at: UInt64(part.lowerBound), budget: &budget, into: &text) }
    }
    wide.endRun(into: &text)
    wide.release(budget: &budget)
    check("wide-release", budget.bytes == 0, "\(budget.bytes) bytes held after release")
    check("wide-text", wide.length == UInt64(text.count), "length \(wide.length), \(text.count) bytes written")
    return text
}

/// The stream as a file known to be UTF-16LE (`UTF16Narrowing`), without a gap.
func narrowFile(_ bytes: [UInt8], cuts: [Int]) -> [UInt8] {
    var narrowing = UTF16Narrowing()
    var text: [UInt8] = []
    for part in pieces(bytes.count, cuts: cuts, gap: nil) {
        bytes[part].withUnsafeBytes { narrowing.read($0, at: UInt64(part.lowerBound), into: &text) }
    }
    check("wide-text", narrowing.length == UInt64(text.count) && text.allSatisfy { $0 < 0x80 }, "file: a byte past ASCII")
    return text
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let options = Int(input.u8())
    let parameter = Int(input.u8())
    let bytes = Array(input.bytes(input.remaining))
    guard !bytes.isEmpty else { return 0 }
    let budget = budgets[options & 3]
    var cuts: [Int] = []
    switch options >> 2 & 3 {
    case 0: cuts = Array(stride(from: 1 + parameter, to: bytes.count, by: 1 + parameter))
    case 1: cuts = Array(1..<bytes.count)
    case 2:
        var x = UInt64(parameter) &+ 0x9e37_79b9_7f4a_7c15
        var at = 0
        while true {
            x = (x ^ (x >> 30)) &* 0xbf58_476d_1ce4_e5b9
            at += 1 + Int(x % 97)
            if at >= bytes.count { break }
            cuts.append(at)
        }
    default: break
    }
    let gapStart = cuts.first ?? bytes.count
    let gap = options & 16 != 0 && gapStart < bytes.count ? gapStart..<min(bytes.count, gapStart + parameter % 64 + 1) : nil

    let whole = scan(bytes, cuts: [], gap: nil, budget: 16 << 20)
    let chunked = scan(bytes, cuts: cuts, gap: gap, budget: budget)
    for m in whole + chunked {
        let start = Int(m.offset)
        check("offset", start + m.value.count <= bytes.count && Array(bytes[start..<(start + m.value.count)]) == m.value,
              "rule \(scanner.rules[m.rule].id) at \(start): value not the input's bytes")
        guard !m.field.isEmpty else { continue }
        let lead = bytes[max(0, start - FieldName.reach)..<start]
        check("field", m.field.withUnsafeBytes { FieldName.plausible($0) } && lead.firstRange(of: m.field) != nil,
              "rule \(scanner.rules[m.rule].id) at \(start): field \(m.field) not a name just before the value")
    }
    for (name, list) in [("one piece", whole), ("chunked", chunked)] {
        var seen = Set<UInt64>()
        for m in list where !seen.insert(UInt64(m.rule) << 48 | m.offset).inserted {
            check("once", false, "\(name): rule \(scanner.rules[m.rule].id) at \(m.offset) reported twice")
        }
    }
    if budget == 16 << 20 && gap == nil {
        check("segmentation", whole == chunked,
              "one piece: \(whole.map { "\(scanner.rules[$0.rule].id)@\($0.offset)" }), chunked: \(chunked.map { "\(scanner.rules[$0.rule].id)@\($0.offset)" })")
    }
    var state = StreamScanState()
    var datagram: [ScanMatch] = []
    bytes.withUnsafeBytes { scanner.scanMessage($0, at: 0, &state, into: &datagram) }
    check("message", datagram.map { Found(rule: $0.rule, offset: $0.offset, value: $0.value, field: $0.field) } == whole,
          "datagram and stream scans differ")
    let runs = narrowRuns(bytes, cuts: [], gap: nil, budget: 16 << 20)
    check("wide-text", runs.allSatisfy { $0 == 0 || WideText.isCharacter($0) }, "a byte that is no character")
    if bytes.count < 4096 && !runs.isEmpty {
        for part in runs.split(separator: 0, omittingEmptySubsequences: false) {
            let wide: [UInt8] = part.flatMap { [$0, 0] }
            check("wide-text", !part.isEmpty && bytes.firstRange(of: wide) != nil, "a part of \(part.count) characters not in the input")
        }
    }
    let chunkedRuns = narrowRuns(bytes, cuts: cuts, gap: gap, budget: budget)
    if gap == nil && budget >= WideText.holdLimit {
        check("wide-segmentation", runs == chunkedRuns, "one piece: \(runs.count) bytes, chunked: \(chunkedRuns.count)")
    }
    let file = narrowFile(bytes, cuts: [])
    check("wide-segmentation", narrowFile(bytes, cuts: cuts) == file, "file: chunked and whole differ")
    if verbose { print("FuzzScanner: \(bytes.count) bytes, \(cuts.count) cuts, \(whole.count) matches") }
    return 0
}
