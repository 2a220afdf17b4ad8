import Foundation

public enum Entropy {
    /// Shannon entropy of the bytes, bits per byte (0 for no bytes, 8 at most). The byte counts
    /// live in a temporary buffer on the stack (1 KiB): `min_entropy` runs on every match of the
    /// generic secret rules.
    public static func shannon(_ bytes: UnsafeRawBufferPointer) -> Double {
        guard !bytes.isEmpty else { return 0 }
        return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 256) { counts in
            counts.initialize(repeating: 0)
            for byte in bytes { counts[Int(byte)] &+= 1 }
            let n = Double(bytes.count)
            var h = 0.0
            for count in counts where count > 0 {
                let p = Double(count) / n
                h -= p * log2(p)
            }
            return h
        }
    }
}
