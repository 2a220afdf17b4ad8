import CPcap

#if canImport(Glibc)
import Glibc
#endif

/// Settings of a live capture (`plainsight live`).
public struct LiveOptions: Sendable {
    public var interface: String
    public var snapLength: Int32 = 262_144
    public var bufferMegabytes: Int32 = 64
    public var promiscuous = true
    /// Read timeout, so the loop notices signals and deadlines while idle.
    public var timeoutMilliseconds: Int32 = 200

    public init(interface: String) { self.interface = interface }
}

extension CaptureSource {
    /// Opens an interface in immediate mode (packets are delivered as they
    /// arrive, not when the kernel buffer fills).
    public static func openLive(_ options: LiveOptions) throws(CaptureError) -> CaptureSource {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_create(options.interface, &errorBuffer) else {
            throw CaptureError(.liveFailed, "\(options.interface): \(text(errorBuffer))")
        }
        pcap_set_snaplen(handle, options.snapLength)
        pcap_set_promisc(handle, options.promiscuous ? 1 : 0)
        pcap_set_timeout(handle, options.timeoutMilliseconds)
        pcap_set_immediate_mode(handle, 1)
        pcap_set_buffer_size(handle, options.bufferMegabytes << 20)
        let rc = pcap_activate(handle)
        if rc < 0 {
            let detail = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            switch rc {
            case PCAP_ERROR_NO_SUCH_DEVICE:
                throw CaptureError(
                    .noSuchInterface,
                    "\(options.interface): no such interface (see `plainsight live --list-interfaces`)")
            case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
                throw CaptureError(
                    .permissionDenied,
                    "\(options.interface): permission denied: capturing needs root or the CAP_NET_RAW and "
                        + "CAP_NET_ADMIN capabilities (e.g. `setcap cap_net_raw,cap_net_admin=eip $(which plainsight)`)"
                        + (detail.isEmpty ? "" : " (\(detail))"))
            case PCAP_ERROR_IFACE_NOT_UP:
                throw CaptureError(.liveFailed, "\(options.interface): interface is down")
            default:
                throw CaptureError(.liveFailed, "\(options.interface): cannot start capture: \(detail)")
            }
        }
        let source = CaptureSource(handle: handle, name: options.interface, isLive: true, fileSize: 0)
        // Immediate mode can make a blocking read wait forever on a quiet
        // link; read non-blocking and poll with the timeout instead.
        let fd = pcap_get_selectable_fd(handle)
        if fd >= 0 && pcap_setnonblock(handle, 1, &errorBuffer) == 0 {
            source.selectableDescriptor = fd
            source.readTimeoutMilliseconds = options.timeoutMilliseconds
        }
        return source
    }

    /// Interfaces libpcap can capture on, with their descriptions.
    public static func interfaces() throws(CaptureError) -> [(name: String, description: String?)] {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        var list: UnsafeMutablePointer<pcap_if_t>?
        guard pcap_findalldevs(&list, &errorBuffer) == 0 else {
            throw CaptureError(.liveFailed, "cannot list interfaces: \(text(errorBuffer))")
        }
        defer { pcap_freealldevs(list) }
        var result: [(String, String?)] = []
        var current = list
        while let dev = current {
            result.append((String(cString: dev.pointee.name), dev.pointee.description.map { String(cString: $0) }))
            current = dev.pointee.next
        }
        return result
    }
}

/// Gives up root once the capture is open (`--user`): supplementary groups,
/// group, then user, and checks that root cannot be regained.
public enum Privileges {
    public static func drop(to user: String) throws(CaptureError) {
        guard let entry = getpwnam(user) else { throw CaptureError(.privilegeDrop, "--user \(user): no such user") }
        let uid = entry.pointee.pw_uid, gid = entry.pointee.pw_gid
        guard initgroups(user, gid) == 0, setgid(gid) == 0, setuid(uid) == 0 else {
            throw CaptureError(.privilegeDrop, "--user \(user): cannot switch user: \(String(cString: strerror(errno)))")
        }
        if uid != 0 && setuid(0) == 0 {
            throw CaptureError(.privilegeDrop, "--user \(user): root privileges could be regained; refusing to run")
        }
    }
}
