import Decoding
import Flows

// MARK: - FTP data connections, as the control channel announces them
//
// FTP moves files and listings over a separate TCP connection per transfer
// (RFC 959 §3.2). The control channel says where it will be opened:
// passive mode — the server listens and says where in its reply to PASV
// (`227 ... (h1,h2,h3,h4,p1,p2)`, RFC 959 §4.1.2 and §4.2, RFC 1123
// §4.1.2.6) or EPSV (`229 ... (|||port|)`, RFC 2428 §3, the address being the
// control connection's server); active mode — the client listens and says
// where with PORT (`PORT h1,h2,h3,h4,p1,p2`, RFC 959 §4.1.2) or EPRT
// (`EPRT |1|a.b.c.d|port|`, `EPRT |2|v6addr|port|`, RFC 2428 §2). The
// transfer command that follows (RETR, STOR, ...) names the file and its
// direction. The FTP reader reports these as `FTPDataEvent`s; the pipeline
// keeps the announced endpoints and recognises the connection when it opens.

/// Where a data connection was announced to be opened.
public struct FTPDataAnnouncement: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        /// PASV/EPSV: the FTP server listens, the FTP client connects.
        case passive
        /// PORT/EPRT: the FTP client listens, the FTP server connects.
        case active
    }

    public var mode: Mode
    /// The listening address; nil for EPSV, whose reply names only a port
    /// (the address is the control connection's server).
    public var address: IPAddress?
    public var port: UInt16

    public init(mode: Mode, address: IPAddress?, port: UInt16) {
        self.mode = mode
        self.address = address
        self.port = port
    }
}

/// What a transfer command moves, as seen from the FTP client.
public enum FTPTransfer: Sendable, Equatable {
    /// RETR, LIST, NLST, MLSD: the server sends.
    case download
    /// STOR, STOU, APPE: the client sends.
    case upload
}

/// What the FTP reader learnt about data connections, taken by the pipeline after each chunk.
public enum FTPDataEvent: Sendable, Equatable {
    case announced(FTPDataAnnouncement)
    /// A transfer command following `announcement`; `name` is its argument
    /// (the file name, empty for a bare LIST), at most `FTPDataEvent.maxName` bytes.
    case transfer(FTPDataAnnouncement, FTPTransfer, name: [UInt8])

    /// Longest file name kept.
    public static let maxName = ContentLimits.maxLabel
}

// MARK: - Parsing the announcements (in place, no allocation)

extension LoginLine {
    /// A decimal number of at most `maxDigits` digits at `i`; advances `i` past it.
    func decimal(at i: inout Int, maxDigits: Int) -> UInt32? {
        var value: UInt32 = 0
        var digits = 0
        while i < count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            guard digits < maxDigits else { return nil }
            value = value * 10 + UInt32(bytes[i] - 0x30)
            digits += 1
            i += 1
        }
        return digits > 0 ? value : nil
    }

    /// Six comma-separated numbers 0-255 starting at `start` (`h1,h2,h3,h4,p1,p2`).
    func hostPort(at start: Int) -> (IPAddress, UInt16)? {
        var i = start
        var value: UInt64 = 0
        for k in 0..<6 {
            if k > 0 {
                guard i < count, bytes[i] == UInt8(ascii: ",") else { return nil }
                i += 1
            }
            guard let n = decimal(at: &i, maxDigits: 3), n <= 255 else { return nil }
            value = value << 8 | UInt64(n)
        }
        // A seventh number would mean this was not a host-port.
        if i < count, bytes[i] == UInt8(ascii: ",") { return nil }
        return (IPAddress(ipv4: UInt32(value >> 16)), UInt16(value & 0xffff))
    }

    /// `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)`. The text around the
    /// numbers varies between servers (some omit the parentheses): as RFC
    /// 1123 §4.1.2.6 advises, the first digit after the code starts them.
    func passiveReply() -> FTPDataAnnouncement? {
        guard replyCode() == 227 else { return nil }
        var i = 4
        while i < count && !(bytes[i] >= 0x30 && bytes[i] <= 0x39) { i += 1 }
        guard i < count, let (address, port) = hostPort(at: i), port != 0 else { return nil }
        return FTPDataAnnouncement(mode: .passive, address: address, port: port)
    }

    /// `229 Entering Extended Passive Mode (|||port|)` (RFC 2428 §3): the
    /// delimiter is the first character after `(`, the net-prt and net-addr empty.
    func extendedPassiveReply() -> FTPDataAnnouncement? {
        guard replyCode() == 229 else { return nil }
        var i = 4
        while i < count && bytes[i] != UInt8(ascii: "(") { i += 1 }
        i += 1
        guard i + 3 < count else { return nil }
        let d = bytes[i]
        guard d >= 33, d <= 126, bytes[i + 1] == d, bytes[i + 2] == d else { return nil }
        i += 3
        guard let port = decimal(at: &i, maxDigits: 5), port > 0, port <= 65535, i < count, bytes[i] == d else {
            return nil
        }
        return FTPDataAnnouncement(mode: .passive, address: nil, port: UInt16(port))
    }

    /// `PORT h1,h2,h3,h4,p1,p2` (the line's verb already checked).
    func portCommand(argumentAt start: Int) -> FTPDataAnnouncement? {
        guard let (address, port) = hostPort(at: skipSpaces(from: start)), port != 0 else { return nil }
        return FTPDataAnnouncement(mode: .active, address: address, port: port)
    }

    /// `EPRT |1|132.235.1.2|6275|` or `EPRT |2|1080::8:800:200C:417A|5282|`
    /// (RFC 2428 §2; the delimiter is the argument's first character). The
    /// address is parsed as text: this happens once per transfer, not per packet.
    func extendedPortCommand(argumentAt start: Int) -> FTPDataAnnouncement? {
        var i = skipSpaces(from: start)
        guard i + 1 < count else { return nil }
        let d = bytes[i]
        guard d >= 33, d <= 126 else { return nil }
        i += 1
        guard let family = decimal(at: &i, maxDigits: 1), family == 1 || family == 2,
            i < count, bytes[i] == d
        else { return nil }
        i += 1
        let addressStart = i
        while i < count && bytes[i] != d { i += 1 }
        guard i < count, i > addressStart, i - addressStart <= 45 else { return nil }
        let text = String(decoding: bytes[addressStart..<i], as: UTF8.self)
        guard let address = IPAddress(text), text.contains(":") == (family == 2) else { return nil }
        i += 1
        guard let port = decimal(at: &i, maxDigits: 5), port > 0, port <= 65535, i < count, bytes[i] == d else {
            return nil
        }
        return FTPDataAnnouncement(mode: .active, address: address, port: UInt16(port))
    }
}

// MARK: - Reading a data connection

/// The reader of one FTP data connection recognised by the pipeline: hands
/// the bytes in the transfer direction to the content stage as one
/// `ftp-data` stream named after the file (capped at
/// `ContentLimits.maxDecodedBytes`). Without a transfer command (not seen
/// yet, or lost), the first direction that carries bytes is the transfer's:
/// a data connection carries one file one way (RFC 959 §3.2). A class: one
/// reference in every flow's slot, not the reader itself.
final class FTPDataReader {
    /// The transfer direction in this connection's terms, once known.
    var direction: Direction?
    var name: [UInt8] = []
    var stream: ContentStream?
    /// Bytes of `name` charged to the context's budget.
    var charged = 0
    private(set) var isDone = false

    /// `transfer` as announced on the control channel, `mode` how the
    /// connection was opened: in passive mode the data connection's client is
    /// the FTP client, in active mode the FTP server.
    init(mode: FTPDataAnnouncement.Mode, transfer: FTPTransfer?, name: [UInt8]) {
        if let transfer {
            let fromFTPServer = transfer == .download
            // Passive: the FTP server is this connection's server, so a download flows to the client.
            direction = (mode == .passive) == fromFTPServer ? .toClient : .toServer
        }
        self.name = Array(name.prefix(FTPDataEvent.maxName))
    }

    func ingest(_ bytes: UnsafeRawBufferPointer, direction d: Direction, context: inout InspectionContext) {
        guard !isDone, !bytes.isEmpty else { return }
        guard context.wantsContent else {
            isDone = true
            return
        }
        if direction == nil { direction = d }
        guard d == direction else { return }
        if stream == nil {
            // The file name is kept with the stream: charged to the budget, dropped if refused.
            if !name.isEmpty && !context.reserve(name.count) { name = [] }
            charged = name.count
            stream = ContentStream(kind: .ftpData, direction: d, id: 0, filename: name[...])
        }
        stream!.write(bytes, &context)
        if !stream!.open { finish(complete: false, &context) }
    }

    /// A direction ended (`complete`) or lost bytes: if it is the transfer's, the stream ends.
    func end(direction d: Direction, complete: Bool, context: inout InspectionContext) {
        guard !isDone, let direction, d == direction else { return }
        finish(complete: complete, &context)
    }

    func finish(complete: Bool, _ context: inout InspectionContext) {
        stream?.finish(complete: complete, &context)
        stream = nil
        context.release(charged)
        charged = 0
        isDone = true
    }
}
