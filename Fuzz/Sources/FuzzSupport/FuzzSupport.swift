// What every fuzz target shares: a cursor over libFuzzer's input, named
// invariant checks that FUZZ_IGNORE can switch off, and the frame format of
// the packet-level targets (FuzzDecoder, FuzzPipeline).

#if canImport(Glibc)
import Glibc
#endif

/// Reads libFuzzer's input; past the end every read yields zeros or nothing.
public struct FuzzInput {
    let base: UnsafePointer<UInt8>
    let count: Int
    public private(set) var index = 0

    public init(_ base: UnsafePointer<UInt8>, _ count: Int) {
        self.base = base
        self.count = count
    }

    public var remaining: Int { count - index }

    public mutating func u8() -> UInt8 {
        guard index < count else { return 0 }
        defer { index += 1 }
        return base[index]
    }

    public mutating func u16() -> UInt16 { UInt16(u8()) | UInt16(u8()) << 8 }
    public mutating func u32() -> UInt32 { UInt32(u16()) | UInt32(u16()) << 16 }

    public mutating func bytes(_ n: Int) -> UnsafeRawBufferPointer {
        let n = max(0, min(n, remaining))
        defer { index += n }
        return UnsafeRawBufferPointer(start: base + index, count: n)
    }
}

/// One captured frame of a packet-level target.
public struct FuzzFrame {
    /// A private copy (freed by `deallocate()`), so ASan sees reads past its end.
    public let bytes: UnsafeRawBufferPointer
    public let wireLength: Int
    public let timestamp: Int64

    public func deallocate() { bytes.deallocate() }
}

extension FuzzInput {
    /// The next frame: a 2-byte length, a time step (0xff: back 5 s, 0x80+:
    /// forward in quarter seconds, else milliseconds), a wire-length code (0:
    /// as captured, 254: half, 255: +60,000, else +code, to exercise snap-length
    /// cuts), then the bytes. nil when fewer than 4 bytes remain.
    public mutating func nextFrame(after timestamp: Int64) -> FuzzFrame? {
        guard remaining >= 4 else { return nil }
        let declared = Int(u16())
        let step = u8()
        let wireCode = u8()
        let source = bytes(declared)
        let time: Int64
        switch step {
        case 0xff: time = timestamp - 5_000_000
        case 0x80...: time = timestamp + Int64(step & 0x7f) * 250_000
        default: time = timestamp + Int64(step) * 1000
        }
        let wireLength: Int
        switch wireCode {
        case 0: wireLength = source.count
        case 254: wireLength = source.count / 2
        case 255: wireLength = source.count + 60_000
        default: wireLength = source.count + Int(wireCode)
        }
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 1)
        if source.count > 0 { copy.copyMemory(from: source) }
        return FuzzFrame(bytes: UnsafeRawBufferPointer(copy), wireLength: wireLength, timestamp: time)
    }
}

let ignored: Set<String> = {
    guard let raw = getenv("FUZZ_IGNORE") else { return [] }
    return Set(String(cString: raw).split(separator: ",").map { String($0) })
}()

/// FUZZ_VERBOSE=1: print a summary of each input (to check what the seeds reach).
public let verbose = getenv("FUZZ_VERBOSE") != nil

/// A named invariant: traps with its name unless FUZZ_IGNORE lists it.
public func check(_ name: String, _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if condition() || ignored.contains(name) { return }
    preconditionFailure("[\(name)] \(message())")
}
