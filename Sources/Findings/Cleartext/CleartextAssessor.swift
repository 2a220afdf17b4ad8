import Decoding
import Flows
import Inspection

/// Turns what the cleartext analyzers saw into findings, once per exposure:
/// the same credential (same keyed fingerprint), the same protocol in clear,
/// or the same STARTTLS lapse on the same server endpoint is one finding
/// with a count and first/last seen, however many flows repeat it.
///
/// Runs on the output thread (at the end of a run the capture thread, done
/// with packets, reads the findings too). Findings are not written as they
/// happen (the count would be wrong); `takeChanged()` hands over those that
/// are new or were seen again since the last call — at the end of a file
/// run, and at every periodic stats record in live mode, where a later line
/// with the same `details.key` supersedes the earlier one. When a live
/// sensor moves to another file, `restartCounts()` makes each file's counts
/// its own.
public final class CleartextAssessor: @unchecked Sendable {
    public let rules: CleartextRules
    let fingerprints: FingerprintKey
    let redactUsernames: Bool
    /// PII and secret rules, when content is scanned.
    let content: ContentReporting?

    /// What makes two sightings the same finding.
    struct Key: Hashable {
        let rule: String
        let transport: TransportProtocol
        let server: IPAddress
        let port: UInt16
        /// The credential's keyed fingerprint (empty for exposures).
        let fingerprint: String
        /// The fields' hash (Swift's seeded hasher), worked out once: a key is
        /// looked up twice per sighting, and every key is hashed again each
        /// time the index grows — its strings were a fifth of the output
        /// thread's time on the shared workload.
        private let hash: Int

        /// `rule` on the server endpoint of `flow`.
        init(rule: String, flow: FlowIdentity, fingerprint: String) {
            self.rule = rule
            transport = flow.transport
            server = flow.server
            port = flow.serverPort
            self.fingerprint = fingerprint
            var hasher = Hasher()
            hasher.combine(rule)
            hasher.combine(transport)
            hasher.combine(server)
            hasher.combine(port)
            hasher.combine(fingerprint)
            hash = hasher.finalize()
        }

        func hash(into hasher: inout Hasher) { hasher.combine(hash) }

        /// `E` and 16 hex digits of a fixed (unkeyed) FNV-1a hash of the key:
        /// the same exposure gets the same id in every run, and a live
        /// sensor's later line for it carries the same id.
        var stableID: String {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            h = Key.mix(h, rule)
            h = Key.mix(h, transport.rawValue)
            // Each word's eight bytes, low byte first.
            h = Key.mix(h, word: server.high)
            h = Key.mix(h, word: server.low)
            h = Key.mix(h, word: UInt64(port))
            h = Key.mix(h, fingerprint)
            return ASCII.taggedHex("E", h)
        }

        /// One FNV-1a step.
        @inline(__always) static func mix(_ h: UInt64, _ byte: UInt8) -> UInt64 {
            (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }

        /// A text's UTF-8 bytes, read from its storage (iterating `utf8`
        /// cost ~30 instructions a byte: most of an id's cost).
        static func mix(_ h: UInt64, _ text: String) -> UInt64 {
            var text = text
            return text.withUTF8 { bytes in bytes.reduce(h) { mix($0, $1) } }
        }

        @inline(__always) static func mix(_ h: UInt64, word: UInt64) -> UInt64 {
            var h = h
            for k in 0..<8 { h = mix(h, UInt8(truncatingIfNeeded: word >> (8 * k))) }
            return h
        }
    }

    struct Aggregate {
        var finding: Finding
        var accepted = 0
        var rejected = 0
        var changed = true
        var written = false
    }

    /// Distinct findings kept (default 100,000): a brute-force run (one
    /// fingerprint per guessed password) or a flood of endpoints cannot grow
    /// memory without bound.
    public let maxFindings: Int
    // The state below is used by one thread at a time (the output thread, then
    // the capture thread once it has drained it), so the run-time exclusivity
    // checks on it are switched off: six of them per content sighting, 2 % of
    // the output thread on the shared workload.

    /// Sightings dropped because `maxFindings` distinct findings existed.
    @exclusivity(unchecked) public private(set) var dropped: UInt64 = 0

    // Swift dictionaries hash with a per-process random seed: keys built
    // from attacker-chosen usernames and addresses cannot be aimed at one bucket.
    @exclusivity(unchecked) var index: [Key: Int] = [:]
    @exclusivity(unchecked) var aggregates: [Aggregate] = []
    /// Per flow slot: the aggregates it contributed to, and whether it carried credentials.
    @exclusivity(unchecked) var flows: [Int32: (aggregates: Set<Int>, credentials: Bool)] = [:]
    /// Per flow slot: PII/secret sightings held until the flow ends, and the
    /// secrets of its credential sightings (a token reported as a credential
    /// is not reported again as a secret).
    @exclusivity(unchecked) var heldContent: [Int32: (sightings: [HeldContent], secrets: [[UInt8]])] = [:]
    /// PII/secret matches dropped because they were a credential already reported on their flow.
    @exclusivity(unchecked) public internal(set) var contentDuplicatesOfCredentials: UInt64 = 0

    public init(
        rules: CleartextRules, fingerprints: FingerprintKey, redactUsernames: Bool = false, content: ContentReporting? = nil,
        maxFindings: Int = 100_000
    ) {
        self.rules = rules
        self.content = content
        self.maxFindings = maxFindings
        self.fingerprints = fingerprints
        self.redactUsernames = redactUsernames
    }

    /// Records one sighting on the flow in `slot`.
    public func note(_ sighting: Sighting, slot: Int32, flow: FlowIdentity, app: AppProtocol, at time: Int64) {
        switch sighting {
        case .credential(let credential):
            note(credential, slot: slot, flow: flow, app: app, at: time)
        case .startTLSNotUsed(let command):
            addEndpointFinding(
                CleartextRules.startTLSNotUsed, slot: slot, flow: flow, app: app, at: time, direction: .toServer
            ) { rule in
                ("\(rule.title): the \(app) server offered TLS and the client sent \(command) in clear", [("command", command)])
            }
        case .startTLSFailed:
            addEndpointFinding(CleartextRules.startTLSFailed, slot: slot, flow: flow, app: app, at: time) { rule in
                ("\(rule.title) (\(app))", [])
            }
        case .radiusForgeableReply(let reply, let later):
            addEndpointFinding(
                CleartextRules.radiusForgeableReply, slot: slot, flow: flow, app: app, at: time, direction: .toClient
            ) { rule in
                let placement = later ? "after other attributes" : "absent"
                return (
                    "\(rule.title): an \(reply) whose Message-Authenticator is \(placement)",
                    [("reply", reply), ("message_authenticator", placement)]
                )
            }
        case .tacacsBodiesInClear:
            addEndpointFinding(CleartextRules.tacacsInClear, slot: slot, flow: flow, app: app, at: time) { rule in
                (rule.title, [])
            }
        case .content(let content):
            holdContent(content, slot: slot, flow: flow, app: app, at: time)
        }
    }

    /// Adds an occurrence of the cleartext finding `id` (no credential in
    /// it) on the flow's server endpoint; `describe` gives its message and
    /// rule-specific details when it is new.
    func addEndpointFinding(
        _ id: String, severity: Severity? = nil, slot: Int32, flow: FlowIdentity, app: AppProtocol, at time: Int64,
        last: Int64? = nil, direction: Direction? = nil,
        describe: (CleartextRules.Rule) -> (message: String, details: [(key: String, value: String)])
    ) {
        guard let rule = rules[id] else { return }
        let severity = severity ?? rule.severity
        add(Key(rule: id, flow: flow, fingerprint: ""), slot: slot, at: time, last: last, severity: severity) {
            let (message, details) = describe(rule)
            return Finding(
                timestamp: time, rule: id, category: .cleartext, severity: severity, flow: flow, direction: direction,
                app: app, message: message, details: details + CleartextAssessor.advice(rule))
        }
    }

    func note(_ credential: CredentialSighting, slot: Int32, flow: FlowIdentity, app: AppProtocol, at time: Int64) {
        let id = CleartextRules.credentialRule(credential.mechanism)
        guard let rule = rules[id] else { return }
        if content != nil { noteCredentialSecret(credential.secret, slot: slot) }
        let username = credential.username ?? []
        // A challenge response differs in every session: what repeats — and
        // what "the same credential" means — is the account it logs into (with
        // no user name, as in VNC Authentication, the endpoint's one password).
        let perAccount = credential.mechanism.grade == .crackable
        let fingerprint = fingerprints.fingerprint(
            Array(credential.mechanism.rawValue.utf8), username, perAccount ? [] : credential.secret)
        let key = Key(rule: id, flow: flow, fingerprint: fingerprint)
        flows[slot, default: ([], false)].credentials = true
        guard let at = add(key, slot: slot, at: time, severity: rule.severity, make: {
            var details: [(key: String, value: String)] = [
                ("protocol", app.description), ("mechanism", credential.mechanism.rawValue),
                ("exposure", credential.mechanism.grade.rawValue),
            ]
            // A session cookie's "username" is the cookie's name: not personal, never redacted.
            let isCookie = credential.mechanism == .httpCookie
            var who = ""
            if let name = credential.username {
                if isCookie {
                    details.append(("cookie_name", Redaction.name(name)))
                    who = " (cookie '\(Redaction.name(name))')"
                } else {
                    details.append(("username", redactUsernames ? "(redacted)" : Redaction.name(name)))
                    who = redactUsernames ? "" : " for user '\(Redaction.name(name))'"
                }
            }
            details.append(("fingerprint", fingerprint))
            details.append(("secret_length", String(credential.secret.count)))
            return Finding(
                timestamp: time, rule: id, category: .credential, severity: rule.severity, flow: flow,
                direction: credential.direction, app: app, message: "\(rule.title)\(who)",
                evidence: Redaction.mask(credential.secret, isToken: credential.mechanism.grade == .token),
                details: details + CleartextAssessor.advice(rule))
        }) else { return }
        switch credential.outcome {
        case .accepted: aggregates[at].accepted += 1
        case .rejected: aggregates[at].rejected += 1
        case .unknown: break
        }
    }

    /// The flow in `slot` ended: a cleartext protocol that should be
    /// encrypted becomes (or adds to) its endpoint's `cleartext.<protocol>`
    /// finding. Returns how many findings the flow contributed to (its
    /// record's `findings`), and forgets the slot.
    public func flowEnded(slot: Int32, record: FlowRecord) -> Int {
        releaseContent(slot: slot)
        if record.encrypted == false, let (id, rule) = rules.exposureRule(for: record.app) {
            let credentials = flows[slot]?.credentials ?? false
            let app = record.app
            addEndpointFinding(
                id, severity: credentials ? (rule.withCredentials ?? rule.severity) : rule.severity, slot: slot,
                flow: record.identity, app: app, at: record.identity.start, last: record.end
            ) { rule in
                (rule.title, [("protocol", app.description)])
            }
        }
        return flows.removeValue(forKey: slot)?.aggregates.count ?? 0
    }

    /// Findings new or seen again since the last call, in the order first
    /// seen; `isNew` the first time a finding is handed over. A view: each
    /// finding is built from the assessor as it is when read, so read them
    /// all before the assessor notes anything else.
    public func takeChanged() -> ChangedFindings {
        var changed: [(index: Int, isNew: Bool)] = []
        for i in aggregates.indices where aggregates[i].changed {
            aggregates[i].changed = false
            changed.append((i, !aggregates[i].written))
            aggregates[i].written = true
        }
        return ChangedFindings(assessor: self, changed: changed)
    }

    /// Finding `i` as written: a credential's says whether the server accepted it.
    /// Only reads: two threads may build findings at once (between changes).
    func finding(at i: Int) -> Finding {
        var finding = aggregates[i].finding
        if finding.category == .credential {
            let a = aggregates[i]
            let outcome = a.accepted > 0 ? "accepted" : a.rejected > 0 ? "rejected" : "unknown"
            if outcome != "unknown" { finding.message += " (\(outcome) by the server)" }
            finding.details.insert(("outcome", outcome), at: finding.details.firstIndex { $0.key == "fingerprint" } ?? 0)
            if a.accepted > 0 && a.rejected > 0 {
                finding.details.insert(("rejected_count", String(a.rejected)), at: finding.details.firstIndex { $0.key == "fingerprint" } ?? 0)
            }
        }
        return finding
    }

    /// The output moved to a new file (a live sensor's rotation, or a reopen
    /// on SIGHUP), after `takeChanged()` wrote every finding into the old one:
    /// counts, first/last seen, severity and outcomes start again, so a file's
    /// lines say what happened while it was open and a nightly run over
    /// several files can add them up. A finding seen again is written again,
    /// with the same `details.key`; it is not new (the stats tallies count it
    /// once per sensor run).
    public func restartCounts() {
        for i in aggregates.indices {
            aggregates[i].finding.occurrences = nil
            aggregates[i].accepted = 0
            aggregates[i].rejected = 0
            aggregates[i].changed = false
        }
    }

    /// Adds an occurrence to the finding with `key`, creating it with `make`
    /// on first sight; the worst severity seen wins. Returns its index.
    @discardableResult
    func add(
        _ key: Key, slot: Int32, at time: Int64, last: Int64? = nil, severity: Severity, make: () -> Finding
    ) -> Int? {
        let i: Int
        if let found = index[key] {
            i = found
            if let seen = aggregates[i].finding.occurrences {
                aggregates[i].finding.occurrences = (seen.count + 1, min(seen.first, time), max(seen.last, last ?? time))
                if severity > aggregates[i].finding.severity { aggregates[i].finding.severity = severity }
            } else {
                // The first occurrence since `restartCounts()`.
                aggregates[i].finding.occurrences = (1, time, last ?? time)
                aggregates[i].finding.severity = severity
            }
            aggregates[i].changed = true
        } else {
            guard aggregates.count < maxFindings else {
                dropped &+= 1
                return nil
            }
            i = aggregates.count
            var finding = make()
            finding.occurrences = (1, time, last ?? time)
            finding.details.append(("key", key.stableID))
            aggregates.append(Aggregate(finding: finding))
            index[key] = i
        }
        flows[slot, default: ([], false)].aggregates.insert(i)
        return i
    }

    static func advice(_ rule: CleartextRules.Rule) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = [("remediation", rule.remediation)]
        if !rule.references.isEmpty { out.append(("references", rule.references.joined(separator: "; "))) }
        return out
    }
}

/// What `takeChanged()` hands over: each finding is built when read. At the
/// end of a run that is up to `maxFindings` of them, each a dozen strings
/// scattered over the heap: building them all into an array before writing
/// any took 0.09 s per GiB of the shared workload; built as they are
/// written, the idle output thread can build and render half of them.
public struct ChangedFindings: RandomAccessCollection, Sendable {
    let assessor: CleartextAssessor
    let changed: [(index: Int, isNew: Bool)]

    public var startIndex: Int { 0 }
    public var endIndex: Int { changed.count }

    public subscript(position: Int) -> (finding: Finding, isNew: Bool) {
        (assessor.finding(at: changed[position].index), changed[position].isNew)
    }

    /// What the allowlist and the tallies read, without building the finding.
    public func summary(_ position: Int) -> (rule: String, flow: FlowIdentity, severity: Severity, isNew: Bool) {
        let (i, isNew) = changed[position]
        return (assessor.aggregates[i].finding.rule, assessor.aggregates[i].finding.flow, assessor.aggregates[i].finding.severity, isNew)
    }
}
