import PatternFiles
import Decoding
import Foundation
import Yams

/// Accepted risks (`--allowlist FILE`): findings that match an entry are not
/// written but counted, per entry, in the stats record — a suppressed
/// finding is never silently lost. Each entry needs a reason; one with an
/// `expires` date stops suppressing after it (judged by the clock of the
/// run, as an accepted risk lapses on a calendar day, not in capture time).
///
/// ```yaml
/// allow:
///   - rule: cleartext.http          # a rule id, or a prefix ending in `.*`
///     server: 10.20.0.0/16          # address or CIDR; IPv4 or IPv6
///     port: 8080
///     client: 10.30.0.5
///     reason: Health checks of the internal load balancer; no credentials
///     expires: 2027-03-31
/// ```
/// Every field but `reason` is optional; an entry matches a finding when all
/// the fields it gives match.
public struct Allowlist: Sendable {
    public struct Entry: Sendable {
        /// Exact rule id, or a prefix (`credential.`) when the file says `credential.*`.
        public var rule: String?
        public var ruleIsPrefix = false
        public var server: Network?
        public var port: UInt16?
        public var client: Network?
        public var reason: String
        /// Microseconds since the epoch of the end of the `expires` day (UTC).
        public var expires: Int64?

        public func matches(rule: String, server: IPAddress, port: UInt16, client: IPAddress?) -> Bool {
            if let r = self.rule, ruleIsPrefix ? !rule.hasPrefix(r) : rule != r { return false }
            if let s = self.server, !s.contains(server) { return false }
            if let p = self.port, port != p { return false }
            if let c = self.client, !(client.map(c.contains) ?? false) { return false }
            return true
        }

        /// What the entry matches, for reports: `rule cleartext.http, server 10.0.0.0/8, port 80`.
        public var scope: String {
            var parts: [String] = []
            if let rule { parts.append("rule " + rule + (ruleIsPrefix ? "*" : "")) }
            if let server { parts.append("server \(server)") }
            if let port { parts.append("port \(port)") }
            if let client { parts.append("client \(client)") }
            return parts.isEmpty ? "everything" : parts.joined(separator: ", ")
        }

        /// The `expires` day as written (`YYYY-MM-DD`).
        public var expiresDay: String? { expires.map { Timestamp.date($0) } }
    }

    /// An address prefix: `10.0.0.0/8`, `2001:db8::/32`, or one address.
    public struct Network: Sendable, Equatable {
        public var address: IPAddress
        /// Prefix length over the 128-bit form (IPv4 is IPv4-mapped: /8 is 104).
        public var bits: Int

        public init?(_ text: String) {
            let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
            guard let address = IPAddress(parts[0]) else { return nil }
            let width = address.isIPv4 ? 32 : 128
            var bits = width
            if parts.count == 2 {
                guard let n = Int(parts[1]), n >= 0, n <= width else { return nil }
                bits = n
            }
            self.bits = bits + (128 - width)
            self.address = address
        }

        public func contains(_ other: IPAddress) -> Bool {
            func masked(_ word: UInt64, _ bits: Int) -> UInt64 {
                bits <= 0 ? 0 : bits >= 64 ? word : word & ~(UInt64.max >> UInt64(bits))
            }
            return masked(other.high, bits) == masked(address.high, bits)
                && masked(other.low, bits - 64) == masked(address.low, bits - 64)
        }
    }

    public private(set) var entries: [Entry] = []
    /// Findings suppressed, per entry.
    public private(set) var suppressed: [UInt64] = []

    public init(entries: [Entry] = []) {
        self.entries = entries
        suppressed = Array(repeating: 0, count: entries.count)
    }

    /// Whether `finding` is an accepted risk at `now`; counted against its
    /// entry when `count` (a deduplicated finding written again with a new
    /// count is not a new suppression).
    public mutating func suppresses(_ finding: Finding, now: Int64, count: Bool = true) -> Bool {
        suppresses(rule: finding.rule, flow: finding.flow, now: now, count: count)
    }

    public mutating func suppresses(rule: String, flow: FlowIdentity, now: Int64, count: Bool = true) -> Bool {
        guard !entries.isEmpty, let i = entry(matching: rule, server: flow.server, port: flow.serverPort, client: flow.client, at: now)
        else { return false }
        if count { suppressed[i] &+= 1 }
        return true
    }

    /// The first entry in force at `now` that matches (an expired one matches nothing).
    public func entry(matching rule: String, server: IPAddress, port: UInt16, client: IPAddress?, at now: Int64) -> Int? {
        entries.indices.first { i in
            (entries[i].expires.map { now <= $0 } ?? true)
                && entries[i].matches(rule: rule, server: server, port: port, client: client)
        }
    }

    /// Entries whose `expires` day is past at `now` (reported as warnings).
    public func expired(at now: Int64) -> [Entry] { entries.filter { ($0.expires ?? .max) < now } }

    // MARK: loading

    public static func load(path: String) throws -> Allowlist {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PatternError("--allowlist: cannot read \(path)")
        }
        return try parse(text, source: path)
    }

    public static func parse(_ yaml: String, source: String) throws -> Allowlist {
        let file = try PatternYAML(yaml, source: source)
        guard let list = try file.value("allow").sequence else { throw file.mismatch("allow", "a list of entries") }
        var entries: [Entry] = []
        for (n, node) in list.enumerated() {
            guard let mapping = node.mapping else { throw PatternError("\(source): allow[\(n)]: expected a mapping of fields") }
            let e = PatternYAML(mapping: mapping, source: source, position: "allow[\(n)]")
            for key in try e.keys() where !["rule", "server", "port", "client", "reason", "expires"].contains(key) {
                throw PatternError("\(source): \(e.path(key)): unknown field (rule, server, port, client, reason, expires)")
            }
            let reason = try e.text("reason")
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw PatternError("\(source): \(e.path("reason")): an accepted risk needs a reason")
            }
            var entry = Entry(reason: reason)
            if e.has("rule") {
                let rule = try e.text("rule")
                if rule.hasSuffix(".*") {
                    entry.rule = String(rule.dropLast())
                    entry.ruleIsPrefix = true
                } else {
                    entry.rule = rule
                }
            }
            for (key, path) in [("server", \Entry.server), ("client", \Entry.client)] where e.has(key) {
                let text = try e.text(key)
                guard let network = Network(text) else { throw e.mismatch(key, "an address or CIDR, not '\(text)'") }
                entry[keyPath: path] = network
            }
            if e.has("port") {
                let port = try e.number("port")
                guard (1...65535).contains(port) else { throw e.mismatch("port", "a port 1-65535") }
                entry.port = UInt16(port)
            }
            if e.has("expires") {
                let text = try e.text("expires")
                guard let day = Allowlist.day(text) else { throw e.mismatch("expires", "a date YYYY-MM-DD, not '\(text)'") }
                entry.expires = day + 86_400_000_000 - 1
            }
            entries.append(entry)
        }
        return Allowlist(entries: entries)
    }

    /// Microseconds at the start of a `YYYY-MM-DD` day (UTC).
    static func day(_ text: String) -> Int64? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), (1...31).contains(d), parts[0].count == 4
        else { return nil }
        return CivilDate(year: Int64(y), month: Int64(m), day: Int64(d)).daysSinceEpoch * 86_400_000_000
    }
}
