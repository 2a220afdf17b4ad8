/// Identifies one IP datagram being reassembled (RFC 791 / RFC 8200 §4.5).
public struct FragmentKey: Hashable, Sendable {
    var source: IPAddress
    var destination: IPAddress
    var identification: UInt32
    var protocolNumber: UInt8
    var isIPv6: Bool
    /// The tunnel the fragment came through (0 when none).
    var tunnel: UInt32
}

/// Reassembles IPv4 and IPv6 fragments into whole datagrams, within caps on
/// datagrams in progress, on bytes held and on time. Overlapping fragments
/// keep the bytes that arrived first; an overlap that disagrees with them is
/// counted (it is the classic IDS-evasion trick) and the datagram dropped.
///
/// Fragments are rare on real networks, so this path copies and uses a
/// standard `Dictionary` (its hash is seeded per process).
public struct FragmentReassembler {
    public enum AddResult {
        case held
        case complete(UnsafeRawBufferPointer)
        case rejected(DecodeIssue)
    }

    struct Pending {
        var bytes: [UInt8] = []
        /// Covered byte ranges, sorted and merged.
        var covered: [Range<Int>] = []
        var totalLength: Int?
        var lastSeen: Microseconds
    }

    let limits: DecodingLimits
    var pending: [FragmentKey: Pending] = [:]
    var heldBytes = 0
    /// Holds the last completed datagram; valid until the next `add`.
    let output = OutputBuffer()

    /// The one buffer completed datagrams are copied into, freed with its owner.
    final class OutputBuffer {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_535, alignment: 8)
        deinit { bytes.deallocate() }
    }

    public private(set) var datagramsReassembled: UInt64 = 0
    public private(set) var datagramsTimedOut: UInt64 = 0
    /// Datagrams dropped because the datagram or byte cap was reached.
    public private(set) var capHits: UInt64 = 0

    init(limits: DecodingLimits) {
        self.limits = limits
    }

    public var datagramsInProgress: Int { pending.count }

    mutating func add(
        key: FragmentKey, offset: Int, bytes: UnsafeRawBufferPointer, isLast: Bool, now: Microseconds
    ) -> AddResult {
        let end = offset + bytes.count
        guard end <= 65_535 else {
            drop(key)
            return .rejected(.fragmentTooLarge)
        }
        if pending[key] == nil {
            if pending.count >= limits.maxFragmentedDatagrams {
                evictOldest()
                capHits &+= 1
            }
            pending[key] = Pending(lastSeen: now)
        }
        var datagram = pending.removeValue(forKey: key)!  // safe: inserted just above when missing
        datagram.lastSeen = now
        // The last fragment fixes the length; nothing may reach past it.
        let coveredEnd = datagram.covered.last?.upperBound ?? 0
        if isLast {
            if let known = datagram.totalLength, known != end { return reject(datagram, .fragmentOverlapMismatch) }
            if coveredEnd > end { return reject(datagram, .fragmentOverlapMismatch) }
            datagram.totalLength = end
        } else if let total = datagram.totalLength, end > total {
            return reject(datagram, .fragmentOverlapMismatch)
        }
        // The buffer grows to the fragment's end: keep the total under the cap,
        // evicting the oldest other datagrams first.
        let growth = max(0, end - datagram.bytes.count)
        while heldBytes + growth > limits.maxFragmentBytes && !pending.isEmpty {
            evictOldest()
            capHits &+= 1
        }
        if heldBytes + growth > limits.maxFragmentBytes {
            capHits &+= 1
            return reject(datagram, .fragmentTooLarge)
        }
        if datagram.bytes.count < end {
            heldBytes += end - datagram.bytes.count
            datagram.bytes.append(contentsOf: repeatElement(0, count: end - datagram.bytes.count))
        }
        // First data wins: write only the parts not yet covered; where an old
        // part overlaps, the new bytes must agree with it.
        var cursor = offset
        for range in datagram.covered where range.upperBound > offset && range.lowerBound < end {
            if cursor < range.lowerBound {
                copy(bytes, from: cursor - offset, count: range.lowerBound - cursor, into: &datagram.bytes, at: cursor)
            }
            let overlapStart = max(range.lowerBound, offset)
            let overlapEnd = min(range.upperBound, end)
            for i in overlapStart..<overlapEnd where datagram.bytes[i] != bytes[i - offset] {
                return reject(datagram, .fragmentOverlapMismatch)
            }
            cursor = max(cursor, range.upperBound)
        }
        if cursor < end {
            copy(bytes, from: cursor - offset, count: end - cursor, into: &datagram.bytes, at: cursor)
        }
        datagram.covered = merged(datagram.covered, offset..<end)
        if let total = datagram.totalLength, datagram.covered.count == 1, datagram.covered[0] == 0..<total {
            heldBytes -= datagram.bytes.count
            datagram.bytes.withUnsafeBytes { source in
                output.bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<total]))
            }
            datagramsReassembled &+= 1
            return .complete(UnsafeRawBufferPointer(rebasing: output.bytes[0..<total]))
        }
        pending[key] = datagram
        return .held
    }

    /// Drops a datagram already taken out of `pending`.
    private mutating func reject(_ datagram: Pending, _ issue: DecodeIssue) -> AddResult {
        heldBytes -= datagram.bytes.count
        return .rejected(issue)
    }

    mutating func expire(now: Microseconds) {
        guard !pending.isEmpty else { return }
        // Collect first: removing while iterating would copy the dictionary.
        let stale = pending.compactMap { now - $0.value.lastSeen > limits.fragmentTimeout ? $0.key : nil }
        for key in stale {
            drop(key)
            datagramsTimedOut &+= 1
        }
    }

    private mutating func drop(_ key: FragmentKey) {
        if let datagram = pending.removeValue(forKey: key) { heldBytes -= datagram.bytes.count }
    }

    private mutating func evictOldest() {
        guard let oldest = pending.min(by: { $0.value.lastSeen < $1.value.lastSeen })?.key else { return }
        drop(oldest)
    }

    private func copy(
        _ source: UnsafeRawBufferPointer, from start: Int, count: Int, into target: inout [UInt8], at index: Int
    ) {
        guard count > 0 else { return }
        target.withUnsafeMutableBytes { t in
            t.baseAddress!.advanced(by: index).copyMemory(from: source.baseAddress!.advanced(by: start), byteCount: count)
        }
    }

    private func merged(_ ranges: [Range<Int>], _ new: Range<Int>) -> [Range<Int>] {
        var all = ranges
        all.append(new)
        all.sort { $0.lowerBound < $1.lowerBound }
        var out: [Range<Int>] = []
        for r in all {
            if let last = out.last, r.lowerBound <= last.upperBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }
}
