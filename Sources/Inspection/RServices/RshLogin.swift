import Flows

/// Reads the start of an rsh or rexec connection (BSD `rshd(8)`,
/// `rexecd(8)`) and reports what let the client in:
///
/// - rsh (514): `stderr-port NUL client-user NUL server-user NUL command
///   NUL`. No password: the server trusts the client host's address and the
///   client-side user name it claims (`.rhosts`, `hosts.equiv`). Reported as
///   `.rhostsTrust` with the server account as the user name and the
///   client-side user name as the secret (what a spoofer must repeat).
/// - rexec (512): `stderr-port NUL user NUL password NUL command NUL`: the
///   password in clear, `.rexecPassword`.
///
/// The two have the same shape; the server port tells them apart (rexec on
/// `rexecPort`, rsh anywhere else). The server answers with one byte: NUL
/// accepts, 1 (followed by a message) rejects. The command is not kept.
///
/// Fields longer than `maxField` are not these protocols: the client
/// direction stops. The two kept fields are copied into buffers charged to
/// the context's budget on the flow's first byte. `.done` once the verdict
/// is in (or the directions stopped).
public final class RshLoginAnalyzer: StreamAnalyzer, SightingSource {
    public enum Variant: Sendable { case rsh, rexec }

    public let variant: Variant
    public let maxDepth: UInt64
    /// Credentials seen, in the order their outcome was settled.
    public internal(set) var sightings: [Sighting] = []

    /// The port rexecd listens on.
    public static let rexecPort: UInt16 = 512
    /// Longest user name or password read.
    public static let maxField = 256
    /// Longest stderr-port field (a decimal port number).
    public static let maxPortField = 5
    static let heldBytes = 2 * maxField

    var client = (expectedOffset: UInt64(0), stopped: false)
    var serverStopped = false
    /// Fields complete so far (0: port, 1 and 2 kept, 3: command).
    var fieldIndex = 0
    var fieldLength = 0
    @exclusivity(unchecked) var first: [UInt8] = []
    @exclusivity(unchecked) var second: [UInt8] = []
    /// The credential, once its fields are complete, until the verdict.
    var pending: CredentialSighting?
    /// The server's answer, if it came first.
    var verdict: LoginOutcome?
    var charged = 0
    var isDone = false

    public init(variant: Variant, maxDepth: UInt64) {
        self.variant = variant
        self.maxDepth = maxDepth
    }

    // MARK: StreamAnalyzer

    public func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard !isDone else { return .done }
        if direction == .toClient {
            // The server's first byte is its verdict; nothing after it matters.
            if offset == 0 && !serverStopped && !bytes.isEmpty {
                verdict = bytes[0] == 0 ? .accepted : bytes[0] == 1 ? .rejected : .unknown
            }
            serverStopped = true
            return settle(&context)
        }
        if charged == 0 {
            guard context.reserve(RshLoginAnalyzer.heldBytes) else {
                isDone = true  // refused by the budget (counted by the context)
                return .done
            }
            charged = RshLoginAnalyzer.heldBytes
            first.reserveCapacity(RshLoginAnalyzer.maxField)
            second.reserveCapacity(RshLoginAnalyzer.maxField)
        }
        readClient(bytes, offset: offset)
        return settle(&context)
    }

    public func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard !isDone else { return .done }
        if direction == .toServer { client.stopped = true } else { serverStopped = true }
        return settle(&context)
    }

    public func end(direction: Direction, context: inout InspectionContext) {
        guard !isDone else { return }
        if direction == .toServer { client.stopped = true } else { serverStopped = true }
        _ = settle(&context)
    }

    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict {
        if var c = pending, serverStopped {
            pending = nil
            c.outcome = verdict ?? .unknown
            sightings.append(.credential(c))
            isDone = true
        }
        if client.stopped && pending == nil && (serverStopped || fieldIndex < 3) { isDone = true }
        guard isDone else { return .needMore }
        first = []
        second = []
        context.release(charged)
        charged = 0
        return .done
    }

    func readClient(_ bytes: UnsafeRawBufferPointer, offset: UInt64) {
        guard !client.stopped else { return }
        let chunkEnd = offset + UInt64(bytes.count)
        guard chunkEnd > client.expectedOffset else { return }
        guard offset <= client.expectedOffset, client.expectedOffset < maxDepth else {
            client.stopped = true
            return
        }
        var i = Int(client.expectedOffset - offset)
        client.expectedOffset = chunkEnd
        while i < bytes.count && fieldIndex < 3 {
            let b = bytes[i]
            i += 1
            if b == 0 {
                fieldIndex += 1
                fieldLength = 0
                if fieldIndex == 3 { fieldsComplete() }
                continue
            }
            fieldLength += 1
            switch fieldIndex {
            case 0:
                guard fieldLength <= RshLoginAnalyzer.maxPortField, b >= 0x30 && b <= 0x39 else { return stopClient() }
            case 1:
                guard fieldLength <= RshLoginAnalyzer.maxField else { return stopClient() }
                first.append(b)
            default:
                guard fieldLength <= RshLoginAnalyzer.maxField else { return stopClient() }
                second.append(b)
            }
        }
        // The command that follows is not needed.
        if fieldIndex >= 3 { client.stopped = true }
    }

    func stopClient() {
        client.stopped = true
        fieldIndex = 0
    }

    func fieldsComplete() {
        switch variant {
        case .rsh:
            // client-user, server-user: the account is the server's.
            pending = CredentialSighting(mechanism: .rhostsTrust, username: second, secret: first)
        case .rexec:
            pending = CredentialSighting(mechanism: .rexecPassword, username: first, secret: second)
        }
    }
}
