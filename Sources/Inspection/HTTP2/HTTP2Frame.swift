/// An HTTP/2 frame header (RFC 9113 §4.1): 24-bit length, type, flags, and
/// a 31-bit stream identifier (the reserved bit is ignored).
struct HTTP2Frame {
    var length: Int
    var type: UInt8
    var flags: UInt8
    var stream: UInt32

    static let headerSize = 9

    /// Frame types (§6); others are ignored (§5.5).
    /// DATA carries a stream's body: skipped by length, or streamed to the
    /// stream's body decoder when content is decoded (not read as a payload).
    static let data: UInt8 = 0x0
    static let headers: UInt8 = 0x1
    static let priority: UInt8 = 0x2
    static let rstStream: UInt8 = 0x3
    static let settings: UInt8 = 0x4
    static let pushPromise: UInt8 = 0x5
    static let ping: UInt8 = 0x6
    static let goAway: UInt8 = 0x7
    static let windowUpdate: UInt8 = 0x8
    static let continuation: UInt8 = 0x9

    /// Flags (§6.2, §6.5): END_STREAM, and ACK on SETTINGS/PING, share a bit.
    static let endStream: UInt8 = 0x1
    static let ack: UInt8 = 0x1
    static let endHeaders: UInt8 = 0x4
    static let padded: UInt8 = 0x8
    static let priorityFlag: UInt8 = 0x20

    /// SETTINGS parameters read (§6.5.2).
    static let settingsHeaderTableSize: UInt16 = 0x1
    static let settingsMaxFrameSize: UInt16 = 0x5
    /// SETTINGS_MAX_FRAME_SIZE: its initial value and the largest allowed.
    static let defaultMaxFrameSize = 16_384
    static let largestMaxFrameSize = (1 << 24) - 1

    /// From the 9 header bytes: the first five (length, type, flags) and the last four.
    init(first5: UInt64, streamBytes: UInt32) {
        length = Int(first5 >> 16)
        type = UInt8(truncatingIfNeeded: first5 >> 8)
        flags = UInt8(truncatingIfNeeded: first5)
        stream = streamBytes & 0x7fff_ffff
    }

    /// Header blocks, SETTINGS, RST_STREAM and GOAWAY are read; DATA (the
    /// body), PING, WINDOW_UPDATE, PRIORITY and unknown types are skipped.
    var readsPayload: Bool {
        switch type {
        case HTTP2Frame.headers, HTTP2Frame.pushPromise, HTTP2Frame.continuation, HTTP2Frame.settings,
            HTTP2Frame.rstStream, HTTP2Frame.goAway:
            true
        default: false
        }
    }

    /// The bytes of the payload read (GOAWAY: its last stream and error
    /// code, not its debug data); the rest are skipped.
    var bytesRead: Int {
        guard readsPayload else { return 0 }
        return type == HTTP2Frame.goAway ? min(length, 8) : length
    }
}

/// Where HTTP/2 begins in each direction after an HTTP/1.1 `Upgrade: h2c`
/// answered by `101 Switching Protocols` (RFC 7540 §3.2; RFC 9113 §3.1
/// deprecates the upgrade but servers still offer it), and the credentials of
/// the upgrading request, whose response comes as HTTP/2 stream 1.
public struct H2CUpgrade: Sendable, Equatable {
    /// The client's preface follows its request (and the request's body).
    public var toServer: UInt64
    /// The server's first frame (SETTINGS) follows the 101 response head.
    public var toClient: UInt64
    var credentials: [CredentialSighting]
    /// The HTTP/1 reader's next content stream number: HTTP/2's streams go on from it.
    var nextContentStream: UInt32
}
