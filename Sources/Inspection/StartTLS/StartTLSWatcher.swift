#if canImport(Glibc)
import Glibc
#endif
import Flows

/// Follows a cleartext protocol up to its switch to TLS — SMTP/IMAP/NNTP
/// `STARTTLS`, POP3 `STLS`, FTP `AUTH TLS`, XMPP `<starttls/>`, the LDAP
/// StartTLS extended operation, PostgreSQL's SSLRequest, MySQL's SSL
/// request, RDP's security negotiation and NATS (whose client starts TLS
/// right after the server's `INFO` line when the server requires it) — and reports the stream offsets in both directions where TLS
/// begins, so the TLS analyzer can read the upgraded handshake.
///
/// It reads the protocol in units ("lines": up to `\n` for the text
/// protocols, up to `>` for XMPP, one length-delimited message for the binary
/// ones), keeping only the first `maxUnitPrefix` bytes of the current unit.
/// A refused upgrade (`454`, `-ERR`, `NO`, PostgreSQL `N`) returns it to
/// waiting; it gives up after `maxWatchedBytes` of client data (four times
/// that of server data).
///
/// A class: one is allocated per flow of an upgradable protocol, and the
/// flow slot holds only a reference (its state would triple the slot's size).
public final class StartTLSWatcher {
    public enum Dialect: UInt8, Sendable {
        case smtp, imap, pop3, ftp, xmpp, ldap, postgresql, mysql, rdp, nats, nntp

        /// Units end at a terminator byte (`\n`, XMPP's `>`), not at a stated length.
        var terminator: UInt8? {
            switch self {
            case .smtp, .imap, .pop3, .ftp, .nats, .nntp: 0x0a
            case .xmpp: UInt8(ascii: ">")
            case .ldap, .postgresql, .mysql, .rdp: nil
            }
        }

        var isText: Bool { terminator != nil }
    }

    public enum Event: Equatable {
        case none
        /// TLS starts at these stream offsets.
        case upgrade(toServer: UInt64, toClient: UInt64)
        /// The protocol will not upgrade (or the watch budget ran out).
        case finished
    }

    public let dialect: Dialect
    @exclusivity(unchecked) var units = (toServer: UnitReader(), toClient: UnitReader())
    /// The client asked to upgrade; TLS from the client starts here.
    var requestedAt: UInt64?
    /// IMAP: the tag of the STARTTLS command (the reply carries it).
    var imapTag: [UInt8] = []
    var finished = false

    public static let maxUnitPrefix = 48
    public static let maxWatchedBytes: UInt64 = 16_384

    public init(dialect: Dialect) { self.dialect = dialect }

    /// The dialect for an identified protocol, nil when it has no upgrade.
    public static func dialect(for app: AppProtocol) -> Dialect? {
        switch app {
        case .smtp: return .smtp
        case .imap: return .imap
        case .pop3: return .pop3
        case .ftp: return .ftp
        case .xmpp: return .xmpp
        case .ldap: return .ldap
        case .postgresql: return .postgresql
        case .mysql: return .mysql
        case .rdp: return .rdp
        case .nats: return .nats
        case .nntp: return .nntp
        default: return nil
        }
    }

    public func ingest(_ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64) -> Event {
        guard !finished else { return .finished }
        // Upgrades come at the start of a session: past the watch budget in
        // either direction (a mail body, a query result), stop reading.
        let budget = direction == .toServer ? StartTLSWatcher.maxWatchedBytes : 4 * StartTLSWatcher.maxWatchedBytes
        if offset >= budget && requestedAt == nil {
            finished = true
            return .finished
        }
        var i = 0
        while i < bytes.count {
            if direction == .toClient && requestedAt == nil, let terminator = dialect.terminator {
                // Nothing asked yet: no server line read from here on can be the
                // answer, so only where the last one ends matters (a mailbox
                // listing or a fetched mail is passed over in one search).
                units.toClient.passOver(bytes, from: i, terminator: terminator, offset: offset)
                return .none
            }
            // The unit reader is mutated in place: a copy would make its
            // prefix array shared, and every append would then copy it.
            let consumed = direction == .toServer
                ? units.toServer.consume(bytes, from: i, dialect: dialect, direction: direction)
                : units.toClient.consume(
                    bytes, from: i, dialect: dialect, direction: direction, skipping: requestedAt == nil && dialect.isText)
            let unitEnd = offset + UInt64(i + consumed)
            i += consumed
            guard direction == .toServer ? units.toServer.complete : units.toClient.complete else { continue }
            // A server line that began before the client asked to upgrade is
            // not the answer, and was not kept (most server lines are these).
            let event = direction == .toServer
                ? clientUnit(units.toServer.prefix, index: units.toServer.index, end: unitEnd)
                : units.toClient.skipping ? .none : serverUnit(units.toClient.prefix, end: unitEnd)
            if direction == .toServer { units.toServer.reset(nextOffset: unitEnd) } else { units.toClient.reset(nextOffset: unitEnd) }
            if event != .none {
                if event == .finished { finished = true }
                return event
            }
        }
        return .none
    }

    // MARK: the dialects

    func clientUnit(_ unit: [UInt8], index: Int, end: UInt64) -> Event {
        switch dialect {
        case .smtp, .nntp: if unit.startsWith("STARTTLS", caseInsensitive: true) { requestedAt = end }
        case .pop3: if unit.startsWith("STLS", caseInsensitive: true) { requestedAt = end }
        case .ftp:
            if unit.startsWith("AUTH TLS", caseInsensitive: true) || unit.startsWith("AUTH SSL", caseInsensitive: true) {
                requestedAt = end
            }
        case .imap:
            // `<tag> STARTTLS`
            if let space = unit.firstIndex(of: 0x20), space > 0, unit.startsWith("STARTTLS", caseInsensitive: true, at: space + 1) {
                imapTag = Array(unit[..<space])
                requestedAt = end
            }
        case .xmpp: if unit.startsWith("<starttls", caseInsensitive: false, at: unit.firstNonSpace) { requestedAt = end }
        case .postgresql:
            // SSLRequest: length 8, code 80877103 (RFC-less: PostgreSQL protocol §55.2.10).
            if index == 0 && unit == [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f] { requestedAt = end }
        case .mysql:
            // SSLRequest: a 32-byte packet (sequence 1) with CLIENT_SSL (0x0800) in its capability flags.
            if unit.count >= 6 && unit[0] == 32 && unit[1] == 0 && unit[2] == 0 && unit[3] == 1 && unit[5] & 0x08 != 0 {
                return .upgrade(toServer: end, toClient: units.toClient.nextOffset)
            }
            if index > 0 || unit.count >= 4 { return .finished }  // a login packet without SSL: no upgrade
        case .rdp:
            // X.224 Connection Request (TPKT, then code 0xE0) opens the negotiation.
            if index == 0 && unit.count > 5 && unit[5] == 0xe0 { requestedAt = end } else { return .finished }
        case .ldap:
            // ExtendedRequest ([APPLICATION 23]) naming the StartTLS OID.
            if unit.contains(0x77) && unit.containsSequence("1.3.6.1.4.1.1466.20037") { requestedAt = end }
        case .nats:
            // A TLS record (handshake, 0x16) where CONNECT would be: the server's
            // INFO said `tls_required`, and both sides go to TLS after that line.
            guard index == 0, unit == [0x16] else { return .finished }
            return .upgrade(toServer: end - 1, toClient: units.toClient.nextOffset)
        }
        return .none
    }

    func serverUnit(_ unit: [UInt8], end: UInt64) -> Event {
        guard let requested = requestedAt else { return .none }
        let accepted: Bool
        switch dialect {
        case .smtp: accepted = unit.startsWith("2", caseInsensitive: false)
        case .ftp: accepted = unit.startsWith("234", caseInsensitive: false)
        case .nntp: accepted = unit.startsWith("382", caseInsensitive: false)  // RFC 4642 §2.2
        case .pop3: accepted = unit.startsWith("+OK", caseInsensitive: true)
        case .imap:
            // Untagged lines, and replies to earlier (pipelined) commands, may come first.
            guard unit.startsWith(imapTag, caseInsensitive: false), unit.startsWith(" ", caseInsensitive: false, at: imapTag.count)
            else { return .none }
            accepted = unit.startsWith(" OK", caseInsensitive: true, at: imapTag.count)
        case .xmpp:
            let start = unit.firstNonSpace
            if unit.startsWith("<proceed", caseInsensitive: false, at: start) {
                accepted = true
            } else if unit.startsWith("<failure", caseInsensitive: false, at: start) {
                accepted = false
            } else {
                return .none
            }
        case .postgresql: accepted = unit.first == UInt8(ascii: "S")
        case .mysql, .nats: return .none
        case .rdp:
            // X.224 Connection Confirm (0xD0) ending in RDP_NEG_RSP (type 2): a
            // selected protocol other than 0 (standard RDP security) is TLS or CredSSP over TLS.
            let n = unit.count
            guard n >= 19, unit[5] == 0xd0, unit[n - 8] == 0x02 else { return .finished }
            let selected = UInt32(unit[n - 4]) | UInt32(unit[n - 3]) << 8 | UInt32(unit[n - 2]) << 16 | UInt32(unit[n - 1]) << 24
            guard selected != 0 else { return .finished }
            accepted = true
        case .ldap:
            // ExtendedResponse ([APPLICATION 24]) with resultCode success (ENUMERATED 0).
            accepted = unit.contains(0x78) && unit.containsSequence("\u{0a}\u{01}\u{00}")
        }
        requestedAt = nil
        if accepted { return .upgrade(toServer: requested, toClient: end) }
        // PostgreSQL answers `N` once and goes on in clear; the text protocols may ask again.
        return dialect == .postgresql ? .finished : .none
    }
}

/// Splits one direction into the dialect's units and keeps each unit's first bytes.
struct UnitReader {
    var prefix: [UInt8] = []
    /// Bytes of the current unit seen so far.
    var seen = 0
    /// Length of the current unit when the dialect states it (binary dialects).
    var expected: Int?
    var complete = false
    /// The current unit is passed over, its bytes not kept.
    var skipping = false
    /// Units completed before this one in the direction (lines passed
    /// over in bulk are not counted: only the client's units are numbered).
    var index = 0
    /// Stream offset where the next unit starts.
    var nextOffset: UInt64 = 0

    /// Consumes bytes of the current unit from `start`; returns how many.
    /// `skipping` (text dialects): when the unit starts here, do not keep its bytes.
    mutating func consume(
        _ bytes: UnsafeRawBufferPointer, from start: Int, dialect: StartTLSWatcher.Dialect, direction: Direction,
        skipping: Bool = false
    ) -> Int {
        // Text dialects: find the terminator, keep the unit's first bytes.
        if let terminator = dialect.terminator {
            if dialect == .nats && direction == .toServer && seen == 0 && bytes[start] == 0x16 {
                // NATS: a client TLS record instead of a line; its first byte decides.
                prefix = [0x16]
                seen = 1
                complete = true
                return 1
            }
            if seen == 0 { self.skipping = skipping }
            let found = memchr(bytes.baseAddress! + start, Int32(terminator), bytes.count - start)
            let end = found.map { UnsafeRawPointer($0) - bytes.baseAddress! + 1 } ?? bytes.count
            let keep = self.skipping ? 0 : min(end - start, StartTLSWatcher.maxUnitPrefix - prefix.count)
            if keep > 0 { prefix.append(contentsOf: bytes[start..<(start + keep)]) }
            seen += end - start
            complete = end <= bytes.count && bytes[end - 1] == terminator
            return end - start
        }
        var i = start
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            seen += 1
            if prefix.count < StartTLSWatcher.maxUnitPrefix { prefix.append(b) }
            switch dialect {
            case .smtp, .imap, .pop3, .ftp, .xmpp, .nats, .nntp:
                break  // handled above
            case .postgresql:
                // The client's first message has no type byte: length, then code.
                if direction == .toClient {
                    // The server answers an SSLRequest with one byte, `S` or `N`.
                    complete = true
                } else {
                    if expected == nil, prefix.count == 4 {
                        expected = Int(prefix[0]) << 24 | Int(prefix[1]) << 16 | Int(prefix[2]) << 8 | Int(prefix[3])
                    }
                    if let e = expected, seen >= e { complete = true }
                }
            case .rdp:
                // TPKT (RFC 1006): version 3, reserved, 16-bit big-endian length of the whole packet.
                if expected == nil, prefix.count == 4 { expected = max(4, Int(prefix[2]) << 8 | Int(prefix[3])) }
                if let e = expected, seen >= e { complete = true }
            case .mysql:
                // Packets: 3-byte little-endian length, sequence byte, payload.
                if expected == nil, prefix.count == 4 { expected = 4 + (Int(prefix[0]) | Int(prefix[1]) << 8 | Int(prefix[2]) << 16) }
                if let e = expected, seen >= e { complete = true }
            case .ldap:
                // BER: 0x30, then a short or long-form length.
                if expected == nil, let total = UnitReader.berLength(prefix) { expected = total }
                if let e = expected, seen >= e { complete = true }
            }
            if complete { break }
        }
        return i - start
    }

    /// Text dialects: passes over the bytes from `start` without reading
    /// their lines; the unit after the last terminator is skipped too.
    mutating func passOver(_ bytes: UnsafeRawBufferPointer, from start: Int, terminator: UInt8, offset: UInt64) {
        if seen == 0 { skipping = true }
        // From the end: only the last line's length is searched.
        var end = bytes.count
        while end > start && bytes[end - 1] != terminator { end -= 1 }
        guard end > start else {
            seen += bytes.count - start
            return
        }
        prefix.removeAll(keepingCapacity: true)
        expected = nil
        complete = false
        skipping = true
        seen = bytes.count - end
        nextOffset = offset + UInt64(end)
    }

    mutating func reset(nextOffset: UInt64) {
        prefix.removeAll(keepingCapacity: true)
        seen = 0
        expected = nil
        complete = false
        index += 1
        self.nextOffset = nextOffset
    }

    /// Total length of a BER element from its first bytes, nil until known.
    static func berLength(_ p: [UInt8]) -> Int? {
        guard p.count >= 2 else { return nil }
        let first = Int(p[1])
        if first < 0x80 { return 2 + first }
        let n = first & 0x7f
        guard n >= 1 && n <= 4 else { return 2 }  // indefinite or absurd: end the unit here
        guard p.count >= 2 + n else { return nil }
        var length = 0
        for k in 0..<n { length = length << 8 | Int(p[2 + k]) }
        return 2 + n + length
    }
}

/// Byte tests on a unit's first bytes, without building arrays (they run
/// once per line of a watched mail or database session).
extension Array where Element == UInt8 {
    func startsWith(_ text: StaticString, caseInsensitive: Bool, at offset: Int = 0) -> Bool {
        let n = text.utf8CodeUnitCount
        guard count - offset >= n else { return false }
        let t = text.utf8Start
        for k in 0..<n {
            let a = self[offset + k], b = t[k]
            if caseInsensitive ? (a | 0x20) != (b | 0x20) : a != b { return false }
        }
        return true
    }

    func startsWith(_ other: [UInt8], caseInsensitive: Bool) -> Bool {
        guard count >= other.count else { return false }
        for k in 0..<other.count {
            let a = self[k], b = other[k]
            if caseInsensitive ? (a | 0x20) != (b | 0x20) : a != b { return false }
        }
        return true
    }

    func containsSequence(_ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard n > 0, count >= n else { return false }
        let t = needle.utf8Start
        outer: for start in 0...(count - n) {
            for k in 0..<n where self[start + k] != t[k] { continue outer }
            return true
        }
        return false
    }

    /// Index of the first byte that is not a space, tab or line break.
    var firstNonSpace: Int { firstIndex(where: { $0 != 0x20 && $0 != 0x0a && $0 != 0x0d && $0 != 0x09 }) ?? count }
}
