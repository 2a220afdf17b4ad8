/// Content probes, one per protocol (each in its protocol's folder), and the
/// small byte tests they share. Probes see the first bytes of one direction
/// of a flow and must not assume more than they check.
enum Probes {
    /// `bytes` starts with `prefix` (ASCII, exact case).
    static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ prefix: StaticString) -> ProbeResult {
        let n = prefix.utf8CodeUnitCount
        let p = prefix.utf8Start
        let m = min(n, bytes.count)
        for i in 0..<m where bytes[i] != p[i] { return .noMatch }
        return m == n ? .match : .needMore
    }

    /// The first of `prefixes` that `bytes` starts with decides; `.needMore`
    /// if some prefix is still possible.
    static func hasAnyPrefix(_ bytes: UnsafeRawBufferPointer, _ prefixes: [StaticString]) -> ProbeResult {
        anyOf(prefixes) { hasPrefix(bytes, $0) }
    }

    /// Whether the first line contains one of `words` (as `firstLineContains`).
    static func firstLineContainsAny(_ bytes: UnsafeRawBufferPointer, _ words: [StaticString]) -> ProbeResult {
        anyOf(words) { firstLineContains(bytes, $0) }
    }

    /// `test` on each of `texts`: the first match decides; `.needMore` if
    /// some test still waits for bytes.
    static func anyOf(_ texts: [StaticString], _ test: (StaticString) -> ProbeResult) -> ProbeResult {
        var undecided = false
        for text in texts {
            switch test(text) {
            case .match: return .match
            case .needMore: undecided = true
            case .noMatch: break
            }
        }
        return undecided ? .needMore : .noMatch
    }

    /// Whether the first line contains `word`, ignoring ASCII case:
    /// `.needMore` while the line has not ended and the probe budget allows
    /// waiting for the rest (a greeting split across segments).
    static func firstLineContains(_ bytes: UnsafeRawBufferPointer, _ word: StaticString) -> ProbeResult {
        let n = word.utf8CodeUnitCount
        let w = word.utf8Start
        let newline = bytes.firstIndex(of: 0x0a)
        let end = newline ?? bytes.count
        if end >= n {
            outer: for start in 0...(end - n) {
                for k in 0..<n where bytes[start + k] | 0x20 != w[k] | 0x20 { continue outer }
                return .match
            }
        }
        return newline == nil && bytes.count < AppIdentifier.maxProbeBytes ? .needMore : .noMatch
    }

    /// A reply line of a text protocol: three digits then a space or dash.
    static func isReplyLine(_ bytes: UnsafeRawBufferPointer, code: StaticString) -> ProbeResult {
        switch hasPrefix(bytes, code) {
        case .match:
            guard bytes.count > 3 else { return .needMore }
            return bytes[3] == 0x20 || bytes[3] == 0x2d ? .match : .noMatch
        case let other: return other
        }
    }
}

extension Probes {
    /// Whether `text` occurs anywhere in `bytes` (exact case); `.needMore`
    /// while the probe budget allows more bytes to arrive.
    static func contains(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> ProbeResult {
        let n = text.utf8CodeUnitCount
        let t = text.utf8Start
        if bytes.count >= n {
            outer: for start in 0...(bytes.count - n) {
                for k in 0..<n where bytes[start + k] != t[k] { continue outer }
                return .match
            }
        }
        return bytes.count < AppIdentifier.maxProbeBytes ? .needMore : .noMatch
    }
}

extension ProbeResult {
    /// Either test: a match wins, then a test still waiting for bytes.
    func or(_ other: ProbeResult) -> ProbeResult {
        switch (self, other) {
        case (.match, _), (_, .match): .match
        case (.needMore, _), (_, .needMore): .needMore
        default: .noMatch
        }
    }
}
