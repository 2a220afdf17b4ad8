// What the targets that judge TLS handshakes and cleartext sightings share
// (FuzzTLS, FuzzCertificate, FuzzCleartext, FuzzPipeline): the policy and the
// cleartext rules, parsed once, a flow identity to put in findings,
// and paths into the repository (found from this file's location).

import Foundation
@testable import Decoding
@testable import Findings
@testable import Flows
@testable import Inspection
@testable import Scanning

/// The repository root (`Fuzz/Sources/FuzzSupport/TLSSupport.swift` is three levels down).
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `Patterns/tls/policies/mozilla-intermediate.yaml` with the rule texts of
/// `Patterns/tls/rules.yaml`, loaded once with `TLSPolicy.load` (the path the
/// program takes); when the checkout is not where this file was compiled, the
/// copy of the policy below is parsed with `TLSPolicy.parse` instead.
public let fuzzPolicy: TLSPolicy = {
    let patterns = repositoryRoot.appendingPathComponent("Patterns")
    if let policy = try? TLSPolicy.load("mozilla-intermediate", patterns: patterns) { return policy }
    do {
        return try TLSPolicy.parse(embeddedIntermediatePolicy, source: "embedded mozilla-intermediate.yaml")
    } catch {
        preconditionFailure("the embedded policy does not parse: \(error)")
    }
}()

/// `Patterns/cleartext/rules.yaml`, loaded once (FuzzCleartext, FuzzPipeline).
public let fuzzCleartextRules: CleartextRules = {
    do {
        return try CleartextRules.load(patterns: repositoryRoot.appendingPathComponent("Patterns"))
    } catch {
        preconditionFailure("cannot load Patterns/cleartext/rules.yaml: \(error)")
    }
}()

/// The content scanner with the built-in rules of `Patterns/content`, loaded
/// once (FuzzScanner, FuzzPipeline).
public let builtInScanner: ContentScanner = {
    do {
        return try ContentScanner(ContentRuleSet.load(patterns: repositoryRoot.appendingPathComponent("Patterns")))
    } catch {
        preconditionFailure("cannot load Patterns/content: \(error)")
    }
}()

/// A fresh cleartext assessor with a fixed fingerprint key (one per input,
/// for the same reason as `makeAssessor`: it remembers what it saw).
public func makeCleartextAssessor(content: ContentReporting? = nil) -> CleartextAssessor {
    CleartextAssessor(
        rules: fuzzCleartextRules, fingerprints: FingerprintKey(bytes: Array(repeating: 9, count: 32)), content: content)
}

/// A fresh assessor (mozilla-intermediate, capture time; no trust store unless
/// given). One per input: TLSAssessor keeps a CertificateCache across
/// assessments, which would make an input's path depend on the inputs before it.
public func makeAssessor(trust: TrustStore? = nil) -> TLSAssessor {
    TLSAssessor(policy: fuzzPolicy, now: nil, trust: trust)
}

/// A TCP flow 10.0.0.1:40000 -> 10.0.0.2:`serverPort` that started at `start`.
public func fuzzFlowIdentity(serverPort: UInt16, start: Int64 = 1_700_000_000_000_000) -> FlowIdentity {
    var p = DecodedPacket()
    p.source = IPAddress(ipv4: 0x0a00_0001)
    p.destination = IPAddress(ipv4: 0x0a00_0002)
    p.sourcePort = 40_000
    p.destinationPort = serverPort
    p.transport = .tcp
    p.tcpFlags = [.syn]
    p.timestamp = start
    var sentByLow = false
    let key = FlowKey(p, sentByLow: &sentByLow)
    return FlowIdentity(Flow(key: key, first: p, sentByLow: sentByLow))
}

/// Capture times an input can pick for `assess(at:)`: a 2024 capture, 2010,
/// the epoch, and the latest second a capture file can carry (9999-12-31).
public let fuzzJudgeTimes: [Int64] = [1_717_200_000_000_000, 1_262_304_000_000_000, 0, 253_402_300_799_000_000]

/// Copy of `Patterns/tls/policies/mozilla-intermediate.yaml` (comments dropped).
let embeddedIntermediatePolicy = """
    name: mozilla-intermediate
    title: Mozilla Server Side TLS, Intermediate (v5.7)
    reference: https://wiki.mozilla.org/Security/Server_Side_TLS
    versions:
      SSLv2: critical
      SSLv3: critical
      TLSv1.0: high
      TLSv1.1: high
      TLSv1.2: allowed
      TLSv1.3: allowed
    cipher_weaknesses:
      null: critical
      anonymous: critical
      export: critical
      rc4: high
      des: high
      rc2: high
      md5: high
      3des: medium
      idea: medium
      seed: medium
      small-block: medium
      no-forward-secrecy: medium
      cbc-sha1: low
      cbc: low
      unknown: medium
    client_offers: low
    downgrade: high
    compression: high
    insecure_renegotiation: medium
    heartbeat: info
    certificate:
      expired: high
      not_yet_valid: high
      expiring: medium
      expiring_within_days: 30
      self_signed: medium
      untrusted: medium
      name_mismatch: medium
      weak_key: high
      min_rsa_bits: 2048
      min_ec_bits: 256
      weak_signature: high
      weak_signature_hashes: [md2, md5, sha1]
      long_validity: low
      max_validity_days: 366
    """
