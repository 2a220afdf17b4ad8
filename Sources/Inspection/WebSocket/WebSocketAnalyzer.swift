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
    /// The protocol the 101's `Sec-WebSocket-Protocol` chose, when PlainSight
    /// reads its logins (MQTT, STOMP).
    public var carries: AppProtocol?
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
/// Runs with the content stage (the HTTP/1 reader hands the stream over at
/// the `101`), and with the cleartext readers when the `101` chose MQTT
/// (`mqtt`, `mqttv3.1`) or STOMP (`v10.stomp`, `v11.stomp`, `v12.stomp`):
/// the messages' payload in each direction is then read by that protocol's
/// login reader as the stream it is, for the password and the broker's
/// verdict (`credential.mqtt-password`, `credential.stomp-password`: a
/// browser dashboard, or a device, logging in to a broker's WebSocket
/// listener). Control frames are not delivered.
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
    /// The login reader of the protocol inside (MQTT, STOMP), fed by both directions' readers.
    let inner: CleartextAnalyzer?
    /// The directions `inner` was told have ended.
    private var innerEnded = (toServer: false, toClient: false)

    public init(maxDepth: UInt64, upgrade: WebSocketUpgrade) {
        self.maxDepth = maxDepth
        deflate = upgrade.deflate
        toServer.expectedOffset = upgrade.toServer
        toClient.expectedOffset = upgrade.toClient
        nextContentStream = upgrade.nextContentStream
        inner = upgrade.carries.flatMap { CleartextAnalyzer.make(for: $0, depth: maxDepth) }
        (toServer.inner, toClient.inner) = (inner, inner)
        (toServer.innerReadsText, toClient.innerReadsText) = (upgrade.carries == .stomp, upgrade.carries == .stomp)
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

    /// A direction that stopped ends for `inner` too; without the content
    /// stage, once `inner` has read the login nothing is left to read.
    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict {
        guard let inner else { return isDone ? .done : .needMore }
        if (toServer.innerDone || toClient.innerDone) && !context.wantsContent {
            toServer.stop(&context)
            toClient.stop(&context)
        }
        if toServer.stopped && !innerEnded.toServer {
            innerEnded.toServer = true
            inner.end(direction: .toServer, context: &context)
        }
        if toClient.stopped && !innerEnded.toClient {
            innerEnded.toClient = true
            inner.end(direction: .toClient, context: &context)
        }
        return isDone ? .done : .needMore
    }
}
