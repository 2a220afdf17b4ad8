/// A growable byte buffer written through a raw pointer: records are built
/// straight into the output buffer, with none of `Array`'s per-append
/// uniqueness and capacity bookkeeping (a busy link ends thousands of flows
/// a second, each written as a few hundred bytes of JSON).
///
/// Its state is only touched by the one thread that writes a report, so the
/// runtime exclusivity checks Swift puts on class properties (measured: a
/// fifth of all instructions of a flow-heavy run) are turned off.
public final class ByteSink {
    @exclusivity(unchecked) private(set) var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) public internal(set) var count = 0
    @exclusivity(unchecked) private var capacity: Int
    /// The day number and `YYYY-MM-DD` of the last timestamp written (see `appendTimestamp`).
    @exclusivity(unchecked) var lastDay = Int64.min
    @exclusivity(unchecked) var lastDate: (UInt64, UInt16) = (0, 0)
    /// The last timestamp written and its 27 bytes: a record often writes
    /// the same instant twice or three times (`ts`, `first_seen`, `last_seen`).
    @exclusivity(unchecked) var lastStampTime: Int64?
    @exclusivity(unchecked) var lastStamp: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    public init(capacity: Int = 1 << 16) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far; valid until the next write.
    public var view: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    public func removeAll() { count = 0 }

    @inline(__always)
    func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    public func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    public func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Writes up to `maximum` bytes with `body`, which returns how many it wrote.
    func write(maximum: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(maximum)
        count += body(base + count)
    }
}
