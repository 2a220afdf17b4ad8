import CPcap

#if canImport(Glibc)
import Glibc
#endif

/// One captured frame, as libpcap hands it over: the bytes are libpcap's own
/// buffer and stay valid only until the next call to `next()`.
public struct CapturedPacket {
    /// Microseconds since the Unix epoch.
    public var timestamp: Int64
    public var wireLength: Int
    public var bytes: UnsafeRawBufferPointer

    @inlinable
    public init(timestamp: Int64, wireLength: Int, bytes: UnsafeRawBufferPointer) {
        self.timestamp = timestamp
        self.wireLength = wireLength
        self.bytes = bytes
    }
}

/// A libpcap handle, offline (pcap or pcapng file) or live (an interface).
/// Packets are pulled with `pcap_next_ex`, which measured faster from Swift
/// than `pcap_dispatch` with a callback (swift-notes.md).
public final class CaptureSource {
    public enum Next {
        case packet(CapturedPacket)
        /// Live only: the read timeout passed with no packet.
        case timeout
        case end
        /// Reading failed part-way (a truncated or corrupt file).
        case failed(CaptureError)
    }

    @usableFromInline let handle: OpaquePointer
    /// The DLT_* value of the capture (`pcap_datalink`).
    public let linkType: Int32
    public let name: String
    public let isLive: Bool
    /// Size of an offline file, for progress reporting.
    public let fileSize: Int64
    /// Only the reading thread touches it: no runtime exclusivity check per packet.
    @exclusivity(unchecked) @usableFromInline var packetsCounted: UInt64 = 0
    public var packetsRead: UInt64 { packetsCounted }
    /// Live only: the descriptor to poll between non-blocking reads.
    var selectableDescriptor: Int32?
    var readTimeoutMilliseconds: Int32 = 200

    init(handle: OpaquePointer, name: String, isLive: Bool, fileSize: Int64) {
        self.handle = handle
        self.name = name
        self.isLive = isLive
        self.fileSize = fileSize
        self.linkType = pcap_datalink(handle)
    }

    /// The stdio buffer of an offline file; freed after libpcap closes the file.
    var fileBuffer: UnsafeMutablePointer<CChar>?

    deinit {
        pcap_close(handle)
        fileBuffer?.deallocate()
    }

    /// libpcap's name for the link type, e.g. `EN10MB`.
    public var linkTypeName: String {
        pcap_datalink_val_to_name(linkType).map { String(cString: $0) } ?? "unknown"
    }

    /// Opens a pcap or pcapng file.
    public static func openFile(_ path: String) throws(CaptureError) -> CaptureSource {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw CaptureError(.noSuchPath, "\(path): no such file or directory")
        }
        guard access(path, R_OK) == 0 else {
            throw CaptureError(.unreadable, "\(path): permission denied (cannot read the file)")
        }
        guard let file = fopen(path, "rb") else {
            throw CaptureError(.unreadable, "\(path): \(String(cString: strerror(errno)))")
        }
        // stdio's default 4 KiB buffer costs a read(2) per few packets; a
        // large one cuts the system time of reading a big capture. (glibc
        // ignores the size unless the buffer is supplied.)
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: CaptureSource.fileBufferSize)
        setvbuf(file, buffer, _IOFBF, CaptureSource.fileBufferSize)
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        // On success libpcap owns `file` and closes it with the handle.
        guard let handle = pcap_fopen_offline(file, &errorBuffer) else {
            fclose(file)
            buffer.deallocate()
            let reason = text(errorBuffer)
            if reason.contains("unknown file format") || reason.contains("truncated dump file")
                || reason.contains("too short") || st.st_size < 24
            {
                throw CaptureError(.notACapture, "\(path): not a pcap or pcapng capture (\(reason))")
            }
            throw CaptureError(.unreadable, "\(path): \(reason)")
        }
        let source = CaptureSource(handle: handle, name: path, isLive: false, fileSize: Int64(st.st_size))
        source.fileBuffer = buffer
        return source
    }

    /// 9999-12-31T23:59:59Z, the last second a timestamp may name.
    @inlinable static var latestSecond: Int64 { 253_402_300_799 }

    /// The stdio buffer for reading capture files.
    static let fileBufferSize = 1 << 20

    /// Applies a BPF filter (tcpdump syntax).
    public func setFilter(_ expression: String) throws(CaptureError) {
        var program = bpf_program()
        guard pcap_compile(handle, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw CaptureError(.badFilter, "invalid filter '\(expression)': \(String(cString: pcap_geterr(handle)))")
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(handle, &program) == 0 else {
            throw CaptureError(.badFilter, "cannot apply filter: \(String(cString: pcap_geterr(handle)))")
        }
    }

    /// The next packet. The returned bytes belong to libpcap. Inlinable (the
    /// packet case; the rest is `noPacket`): called from another module, the
    /// wrapper around `pcap_next_ex` cost ~70 instructions a packet.
    @inlinable
    public func next() -> Next {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let rc = pcap_next_ex(handle, &header, &data)
        if rc == 1, let h = header, let d = data {
            packetsCounted &+= 1
            let hdr = h.pointee
            // A crafted file can carry any 64-bit time; clamp it to years
            // 1970–9999 so later arithmetic on timestamps cannot overflow.
            let seconds = min(max(Int64(hdr.ts.tv_sec), 0), CaptureSource.latestSecond)
            let ts = seconds * 1_000_000 + min(max(Int64(hdr.ts.tv_usec), 0), 999_999)
            return .packet(
                CapturedPacket(
                    timestamp: ts, wireLength: Int(hdr.len),
                    bytes: UnsafeRawBufferPointer(start: d, count: Int(hdr.caplen))))
        }
        return noPacket(rc)
    }

    /// What `pcap_next_ex` returning `rc` (not a packet) means.
    @usableFromInline
    func noPacket(_ rc: Int32) -> Next {
        switch rc {
        case 0:
            // Live handles are non-blocking: wait for the next packet here, up
            // to the read timeout, so the caller regains control to notice
            // signals, deadlines and idle flows even on a silent link.
            if let fd = selectableDescriptor {
                var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&entry, 1, readTimeoutMilliseconds)
            }
            return .timeout
        case PCAP_ERROR_BREAK: return .end
        default:
            let reason = String(cString: pcap_geterr(handle))
            if isLive { return .failed(CaptureError(.readFailed, "\(name): capture failed: \(reason)")) }
            let position = bytePosition.map { " at byte \($0)" } ?? ""
            return .failed(
                CaptureError(
                    .truncated,
                    "\(name): capture is truncated or corrupt after packet \(packetsRead)\(position): \(reason)"))
        }
    }

    /// Offset in the file of the next record, for offline captures.
    public var bytePosition: Int64? {
        guard !isLive, let file = pcap_file(handle) else { return nil }
        let position = ftello(file)
        return position >= 0 ? Int64(position) : nil
    }

    /// Makes a blocked `next()` return `.end` (safe from a signal handler's thread of control).
    public func breakLoop() { pcap_breakloop(handle) }

    /// Kernel and interface drop counters (live captures).
    public func dropCounts() -> (kernel: UInt64, interface: UInt64)? {
        guard isLive else { return nil }
        var s = pcap_stat()
        guard pcap_stats(handle, &s) == 0 else { return nil }
        return (UInt64(s.ps_drop), UInt64(s.ps_ifdrop))
    }
}
