import CPCRE2
import PatternFiles

/// One PCRE2 pattern compiled for matching bytes, JIT-compiled when the
/// platform allows (the interpreter is used otherwise), with its own match
/// data: matching allocates nothing. Not shared between threads.
final class CompiledRegex {
    private let code: OpaquePointer
    private let matchData: OpaquePointer
    /// Carries the latest start a match may have (`match(_:from:startingBy:)`).
    private let matchContext: OpaquePointer
    let jit: Bool
    /// Characters a lookbehind in the pattern may read before the match start.
    let lookbehind: Int

    /// Compiles `pattern`; a mistake is reported with its position.
    init(_ pattern: String, origin: String) throws {
        var errorCode: Int32 = 0
        var errorOffset = 0
        let compiled = pattern.utf8.withContiguousStorageIfAvailable { p in
            pcre2_compile_8(p.baseAddress, p.count, CompiledRegex.options, &errorCode, &errorOffset, nil)
        } ?? Array(pattern.utf8).withUnsafeBufferPointer { p in
            pcre2_compile_8(p.baseAddress, p.count, CompiledRegex.options, &errorCode, &errorOffset, nil)
        }
        guard let compiled else {
            throw PatternError("\(origin): regex does not compile at offset \(errorOffset): \(CompiledRegex.message(errorCode))")
        }
        code = compiled
        guard let data = pcre2_match_data_create_from_pattern_8(compiled, nil) else {
            pcre2_code_free_8(compiled)
            throw PatternError("\(origin): out of memory for the regex's match data")
        }
        matchData = data
        guard let context = pcre2_match_context_create_8(nil) else {
            pcre2_match_data_free_8(data)
            pcre2_code_free_8(compiled)
            throw PatternError("\(origin): out of memory for the regex's match context")
        }
        matchContext = context
        jit = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
        var behind: UInt32 = 0
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_MAXLOOKBEHIND), &behind)
        lookbehind = Int(behind)
        var groups: UInt32 = 0
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &groups)
        captureCount = Int(groups)
        startBytes = CompiledRegex.startBytes(compiled)
    }

    /// The bytes a match can begin with, from PCRE2's own start-of-match
    /// analysis (the first code unit, or the bitmap it computes otherwise);
    /// nil when any byte may (or a match may be empty). A letter given as the
    /// first code unit counts in both cases: a superset is safe.
    let startBytes: [Bool]?

    private static func startBytes(_ code: OpaquePointer) -> [Bool]? {
        var type: UInt32 = 0
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_FIRSTCODETYPE), &type)
        var set = [Bool](repeating: false, count: 256)
        if type == 1 {
            var unit: UInt32 = 0
            pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_FIRSTCODEUNIT), &unit)
            guard unit < 256 else { return nil }
            set[Int(unit)] = true
            if (unit | 0x20) &- 0x61 < 26 { set[Int(unit ^ 0x20)] = true }
            return set
        }
        var bitmap: UnsafePointer<UInt8>?
        guard type == 0, pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_FIRSTBITMAP), &bitmap) == 0, let bitmap else { return nil }
        for b in 0..<256 where bitmap[b >> 3] & (1 << UInt8(b & 7)) != 0 { set[b] = true }
        return set.allSatisfy { $0 } ? nil : set
    }

    /// Capture groups the pattern has.
    let captureCount: Int

    /// The offset limit needs code compiled for it (JIT code included).
    static let options = UInt32(PCRE2_USE_OFFSET_LIMIT)

    deinit {
        pcre2_match_context_free_8(matchContext)
        pcre2_match_data_free_8(matchData)
        pcre2_code_free_8(code)
    }

    static func message(_ code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = pcre2_get_error_message_8(code, &buffer, buffer.count)
        return n > 0 ? String(decoding: buffer.prefix(Int(n)), as: UTF8.self) : "error \(code)"
    }

    /// Finds the first match at or after `start` in `subject` (bytes before
    /// `start` are visible to lookbehinds) that starts at `latestStart` at the
    /// latest (nil: anywhere). True when one was found: read it with `range(_:)`.
    /// The limit spares PCRE2 the start positions that cannot give a wanted
    /// match: without it a window that holds no match is tried to its end.
    @inline(__always)
    func match(_ subject: UnsafeRawBufferPointer, from start: Int, startingBy latestStart: Int? = nil) -> Bool {
        guard let base = subject.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        pcre2_set_offset_limit_8(matchContext, latestStart ?? plainsight_pcre2_unset())
        let rc = jit
            ? pcre2_jit_match_8(code, base, subject.count, start, 0, matchData, matchContext)
            : pcre2_match_8(code, base, subject.count, start, 0, matchData, matchContext)
        return rc > 0
    }

    /// Where group `n` of the last match lies, nil when it did not take part.
    func range(_ n: Int) -> Range<Int>? {
        guard n <= captureCount, let vector = pcre2_get_ovector_pointer_8(matchData) else { return nil }
        let lower = vector[2 * n]
        let upper = vector[2 * n + 1]
        guard lower != plainsight_pcre2_unset(), upper >= lower else { return nil }
        return lower..<upper
    }
}
