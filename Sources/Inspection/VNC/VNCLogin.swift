import Flows

/// Reads the security handshake of a VNC session (RFB, RFC 6143 §7.1–7.2)
/// and reports how the client got in:
///
/// - VNC Authentication (security type 2, §7.2.2): the server's 16-byte
///   challenge and the client's 16-byte DES response, kept together as the
///   secret of a `.vncChallengeResponse` (crackable offline: the password is
///   the DES key);
/// - None (type 1, §7.2.1): a `.vncNone` sighting with an empty secret —
///   the server asked for nothing.
///
/// The handshake: each side sends `RFB 003.00x\n` (§7.1.1); the client's
/// version is the one both use. Version 3.3 (and 3.4–3.6, which servers
/// treat as 3.3): the server names the type as a U32 (§7.1.2, 3.3 variant).
/// 3.7, 3.8 and later (Apple's 003.889, RealVNC's 004.00x): the server
/// lists the types (a U8 count, then the types; count 0 is a failure) and
/// the client answers with the one it chose (a U8). SecurityResult (§7.1.3)
/// — a U32, 0 OK, anything else failed — follows VNC Authentication, and
/// follows None only from 3.8 on (before that, None is accepted at once).
/// Other types (Apple's 30/35, VeNCrypt 19, RA2, TLS 18) are not read: the
/// analyzer is `.done` (they encrypt or are proprietary).
///
/// The two directions depend on each other (what the server sends after
/// the list depends on the client's choice). They are read in the order the
/// pipeline delivers them, which is the order they crossed the wire; a
/// direction whose next step depends on something the other has not said
/// yet stops, and a credential waiting then is reported `.unknown`.
/// Nothing is copied but the challenge and the response (32 bytes, charged
/// to the context's budget when the flow's first byte arrives).
public final class VNCLoginAnalyzer: StreamAnalyzer, SightingSource {
    public let maxDepth: UInt64
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []

    /// Bytes of the ProtocolVersion message, `RFB xxx.yyy\n`.
    static let versionLength = 12
    static let challengeLength = 16
    /// Bytes charged to the budget while the analyzer reads a flow.
    static let heldBytes = 2 * challengeLength
    static let typeNone: UInt8 = 1
    static let typeVNCAuthentication: UInt8 = 2

    enum ServerStep: Equatable {
        case version
        /// The framing that follows depends on the client's version, not seen yet.
        case awaitingClientVersion
        /// 3.3: the U32 security type.
        case securityType
        /// 3.7+: the U8 count, then `remaining` types.
        case typeCount
        case typeList(remaining: Int)
        /// Waiting for the client's choice before anything else can be read.
        case afterList
        case challenge
        case result
        case finished
    }

    enum ClientStep: Equatable {
        case version
        /// 3.7+: the chosen type.
        case choice
        /// 3.3: waiting for the server to name the type.
        case afterVersion
        case response
        case finished
    }

    var server = RFBStream(step: ServerStep.version)
    var client = RFBStream(step: ClientStep.version)
    /// The client's version: 3.3-style (false) or list-style (true), and whether SecurityResult follows None.
    var listsTypes: Bool?
    var resultAfterNone = false
    /// The type in use (2 or 1), once known.
    var securityType: UInt8?
    @exclusivity(unchecked) var challenge: [UInt8] = []
    @exclusivity(unchecked) var response: [UInt8] = []
    /// A credential waiting for SecurityResult.
    var pending: CredentialSighting?
    var charged = 0
    var isDone = false

    public init(maxDepth: UInt64) {
        self.maxDepth = maxDepth
    }

    // MARK: StreamAnalyzer

    public func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard !isDone else { return .done }
        if charged == 0 {
            guard context.reserve(VNCLoginAnalyzer.heldBytes) else {
                isDone = true  // refused by the budget (counted by the context)
                return .done
            }
            charged = VNCLoginAnalyzer.heldBytes
        }
        if direction == .toServer { readClient(bytes, offset: offset) } else { readServer(bytes, offset: offset) }
        return settle(&context)
    }

    public func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard !isDone else { return .done }
        if direction == .toServer { client.stopped = true } else { server.stopped = true }
        return settle(&context)
    }

    public func end(direction: Direction, context: inout InspectionContext) {
        guard !isDone else { return }
        if direction == .toServer { client.stopped = true } else { server.stopped = true }
        _ = settle(&context)
    }

    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict {
        if server.stopped || server.step == .finished { decide(.unknown) }
        if (server.stopped || server.step == .finished) && (client.stopped || client.step == .finished) { isDone = true }
        guard isDone else { return .needMore }
        decide(.unknown)
        challenge = []
        response = []
        context.release(charged)
        charged = 0
        return .done
    }

    // MARK: server

    func readServer(_ bytes: UnsafeRawBufferPointer, offset: UInt64) {
        guard var i = server.start(bytes, offset: offset, maxDepth: maxDepth) else { return }
        while i < bytes.count && !server.stopped && server.step != .finished {
            switch server.step {
            case .version:
                guard server.collect(bytes, &i, VNCLoginAnalyzer.versionLength) else { break }
                guard VNCLoginAnalyzer.version(server.field) != nil else { return server.stop() }
                server.next(listsTypes.map { $0 ? .typeCount : .securityType } ?? .awaitingClientVersion)
            case .awaitingClientVersion:
                server.stop()
            case .securityType:
                guard server.collect(bytes, &i, 4) else { break }
                let type = server.fieldUInt32
                switch type {
                case UInt32(VNCLoginAnalyzer.typeVNCAuthentication):
                    securityType = VNCLoginAnalyzer.typeVNCAuthentication
                    server.next(.challenge)
                    if client.step == .afterVersion { client.next(.response) }
                case UInt32(VNCLoginAnalyzer.typeNone):
                    // 3.3: no SecurityResult; the client goes straight to ClientInit.
                    sightings.append(.credential(CredentialSighting(mechanism: .vncNone, username: nil, secret: [], outcome: .accepted)))
                    server.next(.finished)
                    client.next(.finished)
                default:
                    server.next(.finished)  // 0: a failure and its reason; or a type not read
                    client.next(.finished)
                }
            case .typeCount:
                guard server.collect(bytes, &i, 1) else { break }
                let count = Int(server.field[0])
                server.next(count == 0 ? .finished : .typeList(remaining: count))
                if count == 0 { client.next(.finished) }
            case .typeList(let remaining):
                // The offered types are not needed: the client's choice says which one is used.
                let take = min(remaining, bytes.count - i)
                i += take
                server.next(remaining == take ? .afterList : .typeList(remaining: remaining - take))
            case .afterList:
                // The choice decides what comes next; it has not been seen.
                server.stop()
            case .challenge:
                guard server.collect(bytes, &i, VNCLoginAnalyzer.challengeLength) else { break }
                challenge = server.field
                server.next(.result)
                pairUp()
            case .result:
                guard server.collect(bytes, &i, 4) else { break }
                let outcome: LoginOutcome = server.fieldUInt32 == 0 ? .accepted : .rejected
                if securityType == VNCLoginAnalyzer.typeNone {
                    sightings.append(.credential(CredentialSighting(mechanism: .vncNone, username: nil, secret: [], outcome: outcome)))
                } else {
                    decide(outcome)
                }
                server.next(.finished)
            case .finished:
                break
            }
        }
    }

    // MARK: client

    func readClient(_ bytes: UnsafeRawBufferPointer, offset: UInt64) {
        guard var i = client.start(bytes, offset: offset, maxDepth: maxDepth) else { return }
        while i < bytes.count && !client.stopped && client.step != .finished {
            switch client.step {
            case .version:
                guard client.collect(bytes, &i, VNCLoginAnalyzer.versionLength) else { break }
                guard let (major, minor) = VNCLoginAnalyzer.version(client.field) else { return client.stop() }
                let lists = major > 3 || minor >= 7
                listsTypes = lists
                resultAfterNone = major > 3 || minor >= 8
                client.next(lists ? .choice : .afterVersion)
                // The server's version came first and waits for this one to know its framing.
                if server.step == .awaitingClientVersion { server.next(lists ? .typeCount : .securityType) }
            case .choice:
                guard client.collect(bytes, &i, 1) else { break }
                let type = client.field[0]
                guard server.step == .afterList else { return client.stop() }  // the list was not seen
                switch type {
                case VNCLoginAnalyzer.typeVNCAuthentication:
                    securityType = type
                    client.next(.response)
                    if server.step == .afterList { server.next(.challenge) }
                case VNCLoginAnalyzer.typeNone:
                    securityType = type
                    client.next(.finished)
                    if resultAfterNone {
                        if server.step == .afterList { server.next(.result) }
                    } else {
                        sightings.append(.credential(CredentialSighting(mechanism: .vncNone, username: nil, secret: [], outcome: .accepted)))
                        server.next(.finished)
                    }
                default:
                    client.next(.finished)
                    server.next(.finished)
                }
            case .afterVersion:
                // 3.3: the client has nothing to say before the server names the type.
                client.stop()
            case .response:
                guard client.collect(bytes, &i, VNCLoginAnalyzer.challengeLength) else { break }
                response = client.field
                client.next(.finished)
                pairUp()
            case .finished:
                break
            }
        }
    }

    /// Challenge and response both seen: the credential waits for SecurityResult.
    func pairUp() {
        guard challenge.count == VNCLoginAnalyzer.challengeLength, response.count == VNCLoginAnalyzer.challengeLength,
            pending == nil
        else { return }
        pending = CredentialSighting(mechanism: .vncChallengeResponse, username: nil, secret: challenge + response)
    }

    func decide(_ outcome: LoginOutcome) {
        guard var c = pending else { return }
        pending = nil
        c.outcome = outcome
        sightings.append(.credential(c))
    }

    /// `RFB xxx.yyy\n` (RFC 6143 §7.1.1): major and minor version.
    static func version(_ field: [UInt8]) -> (major: Int, minor: Int)? {
        guard field.count == versionLength, field[0] == UInt8(ascii: "R"), field[1] == UInt8(ascii: "F"),
            field[2] == UInt8(ascii: "B"), field[3] == 0x20, field[7] == UInt8(ascii: "."), field[11] == 0x0a
        else { return nil }
        var major = 0
        var minor = 0
        for k in 4..<7 {
            guard field[k] >= 0x30 && field[k] <= 0x39 else { return nil }
            major = major * 10 + Int(field[k] - 0x30)
        }
        for k in 8..<11 {
            guard field[k] >= 0x30 && field[k] <= 0x39 else { return nil }
            minor = minor * 10 + Int(field[k] - 0x30)
        }
        return (major, minor)
    }
}

/// One direction of the RFB handshake: its step, and a fixed-size field
/// gathered across chunks (at most 16 bytes).
struct RFBStream<Step: Equatable> {
    var step: Step
    var expectedOffset: UInt64 = 0
    var stopped = false
    var field: [UInt8] = []

    init(step: Step) { self.step = step }

    /// Where this chunk's new bytes start, or nil when it adds nothing
    /// (seen already) or cannot be read (a hole before it, or the depth).
    mutating func start(_ bytes: UnsafeRawBufferPointer, offset: UInt64, maxDepth: UInt64) -> Int? {
        guard !stopped else { return nil }
        let chunkEnd = offset + UInt64(bytes.count)
        guard chunkEnd > expectedOffset else { return nil }
        guard offset <= expectedOffset, expectedOffset < maxDepth else {
            stop()
            return nil
        }
        let i = Int(expectedOffset - offset)
        expectedOffset = chunkEnd
        return i
    }

    /// Gathers bytes from `i` until `field` holds `length`; true when it does.
    mutating func collect(_ bytes: UnsafeRawBufferPointer, _ i: inout Int, _ length: Int) -> Bool {
        if field.capacity < 16 { field.reserveCapacity(16) }
        let take = min(length - field.count, bytes.count - i)
        field.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)]))
        i += take
        return field.count == length
    }

    var fieldUInt32: UInt32 {
        field.withUnsafeBytes { $0.uint32BE(at: 0) } ?? 0
    }

    mutating func next(_ step: Step) {
        self.step = step
        field.removeAll(keepingCapacity: true)
    }

    mutating func stop() {
        stopped = true
        field = []
    }
}
