import Flows

/// Where a connection switched from HTTP/1.1 to WebSocket (RFC 6455 §4): the
/// client's `Upgrade: websocket` request answered `101`.
public struct WebSocketUpgrade: Sendable, Equatable {
    /// The client's first frame follows its request (and the request's body).
    public var toServer: UInt64
    /// The server's first frame follows the 101 response head.
    public var toClient: UInt64
    /// The 101 accepted `permessage-deflate` (RFC 7692): a message whose
    /// first frame has RSV1 set is compressed.
    public var deflate: Bool
    /// The HTTP/1 reader's next content stream number: the messages' streams go on from it.
    var nextContentStream: UInt32
}

/// Reads the messages of a WebSocket connection for the content stage: each
/// text or binary message, its fragments joined, the client's masking undone
/// and permessage-deflate inflated, becomes one `websocket-message` stream.
///
/// Without it a WebSocket is opaque to the scan in the direction that
/// matters: every frame a client sends is XORed with a fresh 4-byte key
/// (RFC 6455 §5.3), and browsers and most libraries offer permessage-deflate,
/// so both directions are usually compressed as well, with one LZ77 window
/// kept across a direction's messages. A value that two fragments cut, or
/// that a later message repeats by back-reference, is whole only in its
/// decoded message.
///
/// Runs only with the content stage (the HTTP/1 reader hands the stream over
/// at the `101`); it reads nothing for the cleartext findings: logins inside
/// a WebSocket are the application's own. Control frames are not delivered.
/// A frame that breaks the framing rules stops its direction (counted in
/// `http.websocket_malformed`); a gap or `maxDepth` bytes stop it too.
///
/// A class: one per flow, the flow slot holds a reference.
public final class WebSocketAnalyzer: StreamAnalyzer, TwoWayDialogue {
    public let maxDepth: UInt64
    let deflate: Bool
    var toServer = WebSocketFrameReader()
    var toClient = WebSocketFrameReader()
    /// Number of the next content stream (message) of this flow.
    var nextContentStream: UInt32

    public init(maxDepth: UInt64, upgrade: WebSocketUpgrade) {
        self.maxDepth = maxDepth
        deflate = upgrade.deflate
        toServer.expectedOffset = upgrade.toServer
        toClient.expectedOffset = upgrade.toClient
        nextContentStream = upgrade.nextContentStream
    }

    public var isDone: Bool { toServer.stopped && toClient.stopped }

    func read(
        _ bytes: UnsafeRawBufferPointer, offset: UInt64, into r: inout WebSocketFrameReader, direction: Direction,
        context: inout InspectionContext
    ) {
        guard !r.stopped, let unread = r.unread(bytes.count, at: offset, maxDepth: maxDepth, context: &context) else {
            return
        }
        r.read(
            UnsafeRawBufferPointer(rebasing: bytes[unread]), at: offset + UInt64(unread.lowerBound),
            direction: direction, deflate: deflate, ids: &nextContentStream, context: &context)
        // The depth ends the direction as any stop does: an open message ends incomplete.
        if r.expectedOffset >= maxDepth { r.stop(&context) }
    }

    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict { isDone ? .done : .needMore }
}
