import Flows
import Inspection

/// A 64-bit digest keyed by a per-process seed, folding eight bytes at a time
/// with the flow table's multiply-fold step. The caches of certificates and
/// hello judgements hand only this digest to `Hasher`: hashing whole byte
/// arrays with `Hasher` costs ~10 instructions a byte, and without the seed a
/// crafted input cannot be made to collide with a common one.
struct SeededDigest {
    private(set) var h: UInt64

    init(seed: UInt64) { h = seed }

    mutating func add(_ v: UInt64) { h = FlowHasher.fold(h ^ v, 0xa076_1d64_78bd_642f) }

    /// GREASE values are skipped: clients (Chrome, Firefox) pick them at
    /// random per connection, and no judgement reads them.
    mutating func add(_ list: [UInt16]) {
        var n: UInt64 = 0
        for v in list where !TLSVersion.isGREASE(v) {
            add(UInt64(v))
            n += 1
        }
        add(n)
    }

    /// Eight bytes per fold, then the tail and the length.
    mutating func add(bytes raw: UnsafeRawBufferPointer) {
        var i = 0
        while i + 8 <= raw.count {
            add(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        var tail = UInt64(raw.count)
        while i < raw.count {
            tail = tail << 8 | UInt64(raw[i])
            i += 1
        }
        add(tail)
    }
}
