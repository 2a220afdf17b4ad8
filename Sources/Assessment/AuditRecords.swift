import Decoding
import Findings
import Foundation

// MARK: - Reading JSON Lines back
//
// The assessment reads what `read` and `live` write (output-contract.md): a
// nightly run over captures first writes them as JSON Lines, so captures and
// a sensor's files go through the same reader. Only the fields the inventory
// and the diff use are kept. A line that is not a record (a sensor killed
// mid-line, a stray edit) is skipped and reported with its file and line:
// the rest of the file still counts.

/// A server endpoint: what exposures and the inventory are kept per.
public struct Service: Hashable, Comparable, Sendable {
    public var transport: String
    public var ip: String
    public var port: Int

    /// `tcp 192.0.2.10:80`, `tcp [2001:db8::1]:443`.
    public var name: String { "\(transport) \(ip.contains(":") ? "[\(ip)]" : ip):\(port)" }

    public static func < (a: Service, b: Service) -> Bool {
        (a.ip, a.port, a.transport) < (b.ip, b.port, b.transport)
    }
}

/// A `finding` record.
public struct FindingLine: Sendable {
    public var ts: String
    public var rule: String
    public var category: String
    public var severity: Severity
    public var service: Service
    public var client: String?
    public var app: String?
    public var message: String
    public var evidence: String?
    /// Present on deduplicated findings: the occurrences since the writer
    /// started the file (a later line for the same key supersedes the earlier).
    public var count: Int?
    public var firstSeen: String?
    public var lastSeen: String?
    /// Every detail as text.
    public var details: [String: String]
}

/// A `flow` record.
public struct FlowLine: Sendable {
    public var tsStart: String
    public var tsEnd: String
    public var service: Service
    public var app: String
    public var encrypted: Bool?
    public var tls: TLSFacts?

    public struct TLSFacts: Sendable {
        public var version: String?
        public var cipher: String?
        public var sni: String?
        public var certificate: CertificateFacts?
    }

    public struct CertificateFacts: Sendable {
        public var sha256: String
        public var subject: String
        public var issuer: String
        public var notBefore: String
        public var notAfter: String
    }
}

/// What a JSON Lines file held.
public enum AuditRecord: Sendable {
    case finding(FindingLine)
    case flow(FlowLine)
    /// The final or periodic stats record: the TLS policy, and whether the writer ended there.
    case stats(tlsPolicy: String?, final: Bool)
}

public enum AuditRecords {
    /// Reads `path` line by line, handing each record to `body`; lines that are
    /// not records go to `skipped` as `file:line: why`. Throws only when the
    /// file cannot be read at all.
    public static func read(
        _ path: String, skipped: (String) -> Void, _ body: (AuditRecord) throws -> Void
    ) throws {
        try checkNotFolder(path)
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw AssessmentError("\(path): cannot read")
        }
        defer { try? file.close() }
        var pending = Data()
        var lineNumber = 0
        func take(line: Data) throws {
            lineNumber += 1
            guard !line.isEmpty else { return }
            switch parse(line) {
            case .success(let record?): try body(record)
            case .success(nil): break  // a record type the assessment does not use
            case .failure(let why): skipped("\(path):\(lineNumber): \(why)")
            }
        }
        var searched = 0  // bytes of `pending` known to hold no newline
        var skipping = false  // inside a line over `maxLine`, dropped up to its newline
        while let chunk = try file.read(upToCount: 1 << 20), !chunk.isEmpty {
            pending.append(chunk)
            // Lines found with memchr over the bytes (Data's own index walk costs
            // more than parsing the JSON), from where the last search stopped.
            let lines = pending.withUnsafeBytes { raw -> [Range<Int>] in
                var found: [Range<Int>] = []
                var start = 0
                var from = searched
                while from < raw.count, let hit = memchr(raw.baseAddress! + from, 0x0a, raw.count - from) {
                    let end = raw.baseAddress!.distance(to: UnsafeRawPointer(hit))
                    found.append(start..<end)
                    start = end + 1
                    from = start
                }
                return found
            }
            for line in lines {
                if skipping {
                    skipping = false
                    lineNumber += 1
                } else if line.count > AuditRecords.maxLine {
                    lineNumber += 1
                    skipped("\(path):\(lineNumber): a line over \(AuditRecords.maxLine >> 20) MiB, skipped")
                } else {
                    try take(line: pending[line])
                }
            }
            pending = Data(pending[(lines.last.map { $0.upperBound + 1 } ?? 0)...])
            searched = pending.count
            if pending.count > AuditRecords.maxLine {
                // A zero-filled tail after a crash, or not JSON Lines at all: keep no more of it.
                if !skipping { skipped("\(path):\(lineNumber + 1): a line over \(AuditRecords.maxLine >> 20) MiB, skipped") }
                skipping = true
                pending = Data()
                searched = 0
            }
        }
        if skipping { return }
        if !pending.isEmpty {
            // No final newline: a writer stopped mid-line, or the file simply ends without one.
            try take(line: pending)
        }
    }

    /// A folder reads as an obscure Foundation error: say what it is instead.
    public static func checkNotFolder(_ path: String) throws {
        var st = stat()
        if stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR {
            throw AssessmentError("\(path): a folder, not a JSON Lines file")
        }
    }

    /// Longest line read (a record is a few KiB; a certificate chain's flow record the most).
    static let maxLine = 16 << 20

    enum ParseError: Error, CustomStringConvertible {
        case why(String)
        var description: String {
            switch self {
            case .why(let s): s
            }
        }
    }

    static func parse(_ line: Data) -> Result<AuditRecord?, ParseError> {
        guard let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else {
            return .failure(.why("not a JSON object (cut short?)"))
        }
        switch object["type"] as? String {
        case "finding":
            guard let rule = object["rule"] as? String, let category = object["category"] as? String,
                  let severity = (object["severity"] as? String).flatMap(Severity.init(name:)),
                  let ts = object["ts"] as? String, let flow = object["flow"] as? [String: Any],
                  let service = service(flow)
            else { return .failure(.why("a finding without rule, category, severity, ts or flow")) }
            var details: [String: String] = [:]
            for (key, value) in object["details"] as? [String: Any] ?? [:] { details[key] = text(value) }
            return .success(.finding(FindingLine(
                ts: ts, rule: rule, category: category, severity: severity, service: service,
                client: (flow["client"] as? [String: Any])?["ip"] as? String, app: object["app"] as? String,
                message: object["message"] as? String ?? rule, evidence: object["evidence"] as? String,
                count: (object["count"] as? Int).flatMap { $0 >= 1 ? $0 : nil }, firstSeen: object["first_seen"] as? String,
                lastSeen: object["last_seen"] as? String, details: details)))
        case "flow":
            guard let flow = object["flow"] as? [String: Any], let service = service(flow),
                  let start = object["ts_start"] as? String, let end = object["ts_end"] as? String
            else { return .failure(.why("a flow without flow, ts_start or ts_end")) }
            var tls: FlowLine.TLSFacts?
            if let t = object["tls"] as? [String: Any] {
                var certificate: FlowLine.CertificateFacts?
                if let c = t["certificate"] as? [String: Any], let sha = c["sha256"] as? String {
                    certificate = FlowLine.CertificateFacts(
                        sha256: sha, subject: c["subject"] as? String ?? "", issuer: c["issuer"] as? String ?? "",
                        notBefore: c["not_before"] as? String ?? "", notAfter: c["not_after"] as? String ?? "")
                }
                tls = FlowLine.TLSFacts(
                    version: t["version"] as? String, cipher: t["cipher"] as? String, sni: t["sni"] as? String,
                    certificate: certificate)
            }
            return .success(.flow(FlowLine(
                tsStart: start, tsEnd: end, service: service, app: object["app"] as? String ?? "unknown",
                encrypted: object["encrypted"] as? Bool, tls: tls)))
        case "stats":
            return .success(.stats(tlsPolicy: object["tls_policy"] as? String, final: object["final"] as? Bool ?? false))
        case .some:
            return .success(nil)
        case nil:
            return .failure(.why("a JSON object without a type"))
        }
    }

    static func service(_ flow: [String: Any]) -> Service? {
        guard let transport = flow["transport"] as? String, let server = flow["server"] as? [String: Any],
              let ip = server["ip"] as? String, let port = server["port"] as? Int
        else { return nil }
        return Service(transport: transport, ip: ip, port: port)
    }

    static func text(_ value: Any) -> String {
        switch value {
        case let s as String: s
        case let n as NSNumber: n.stringValue
        case let list as [Any]: list.map(text).joined(separator: "; ")
        default: "\(value)"
        }
    }
}
