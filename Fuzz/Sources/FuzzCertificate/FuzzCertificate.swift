// FuzzCertificate: the input is one DER certificate. It goes through
// CertificateFacts(der:) (SwiftASN1 walking, X509.Certificate when that
// accepts it, through CertificateCache); when it parses, its names,
// covers(_:), the cache's parse and signature checks (selfSigned), the date
// formatting, and TLSAssessor (mozilla-intermediate) on synthetic TLS 1.2
// handshakes whose chain is [input] (judged inside, after and before its
// validity, with an SNI from its names) and [input, input] (with a trust store
// of Captures/tls-test-ca.pem). Also TrustStore.readPEM on the input as text
// and on the input wrapped in a PEM block.
//
// Input format: the DER bytes (make_corpus.py writes the certificates of the
// captures and of /etc/ssl/certs).
//
// Checked (precondition): CertificateCache.facts parses iff init(der:) does,
// to the same facts; selfSigned is false unless self-issued, else the
// self-signature check; a cached answer equals the first; an assessment with
// a warm cache equals one with a cold cache; the assessor's summary shows the
// chain ("visible", the leaf summary, chain length 1 / 2) and its SHA-256 is the leaf's; dates
// format as RFC 3339 and the civil-date conversion round-trips; isIssuer(of:
// self) == isSelfIssued; "covers-name": a certificate covers each of its own
// names (those not ending in "."), and "covers-wildcard" the one-label
// expansion of each `*.` name; "sni-match": no certificate.name-mismatch when
// the SNI is one of its printable names; "pem": the input wrapped in PEM reads
// back as exactly one certificate with the same SHA-256 iff the DER parses.
//
// Differential against swift-certificates (whose parser is SwiftASN1's):
// when X509.Certificate(derEncoded:) accepts the input, CertificateFacts (a
// hand-written DER reader) must too ("x509-accepts"), with the same validity
// to the second ("x509-dates") and the same subject and issuer elements
// as SwiftASN1's node tree ("x509-names").
//
// "malformed-san": the same, when the difference is a subjectAltName that X509
// cannot read either (it never reads it while parsing).
//
// FUZZ_IGNORE (environment, comma-separated): covers-name, covers-wildcard,
// sni-match, pem, x509-accepts, malformed-san, x509-dates, x509-names.

import Foundation
@testable import Decoding
@testable import Findings
@testable import Flows
@testable import Inspection

import FuzzSupport
import SwiftASN1
import X509

/// A CA bundle with the test CA of the captures (chain walking, signature checks).
let trust: TrustStore? = {
    let path = repositoryRoot.appendingPathComponent("Captures/tls-test-ca.pem").path
    return FileManager.default.isReadableFile(atPath: path) ? TrustStore(path: path) : nil
}()

/// A TLS 1.2 ServerHello: ECDHE-RSA-AES128-GCM-SHA256, secure renegotiation confirmed.
let serverHello: ServerHello = {
    var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 0x42, count: 32) + [0x00, 0xc0, 0x2f, 0x00]
    body += [0x00, 0x05, 0xff, 0x01, 0x00, 0x01, 0x00]
    return try! body.withUnsafeBytes { try ServerHello(parsing: $0) }
}()

/// A TLS 1.2 ClientHello offering one suite, with `sni` as its server name.
func clientHello(sni: [UInt8]) -> ClientHello {
    let name = Array(sni.prefix(1000))
    let entry: [UInt8] = [0x00, UInt8(name.count >> 8), UInt8(name.count & 0xff)] + name
    let list: [UInt8] = [UInt8(entry.count >> 8), UInt8(entry.count & 0xff)] + entry
    let ext: [UInt8] = [0x00, 0x00, UInt8(list.count >> 8), UInt8(list.count & 0xff)] + list
    var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 0x17, count: 32) + [0x00, 0x00, 0x02, 0xc0, 0x2f, 0x01, 0x00]
    body += [UInt8(ext.count >> 8), UInt8(ext.count & 0xff)] + ext
    return try! body.withUnsafeBytes { try ClientHello(parsing: $0) }
}

func handshake(_ certificates: [[UInt8]], sni: [UInt8]) -> TLSHandshake {
    var h = TLSHandshake()
    h.clientHello = clientHello(sni: sni)
    h.serverHello = serverHello
    h.certificates = certificates
    h.certificateMessageSeen = true
    h.serverHelloDoneSeen = true
    return h
}

func checkSummary(_ summary: TLSSummary, _ facts: CertificateFacts, chain: Int, _ label: String) {
    precondition(summary.certificateStatus == "visible", "\(label): certificate status \(summary.certificateStatus ?? "nil")")
    precondition(summary.certificate?.sha256 == facts.sha256, "\(label): the summary does not show the leaf")
    precondition(summary.chainLength == chain, "\(label): chain length \(summary.chainLength), \(chain) sent")
    precondition(summary.version == "TLSv1.2", "\(label): version \(summary.version ?? "nil")")
}

func checkDate(_ time: Int64) {
    let text = Timestamp.rfc3339(time)
    precondition(text.hasSuffix("Z") && text.count >= 20, "rfc3339(\(time)) = \(text)")
    let days = CivilDate.split(time).days
    precondition(CivilDate(daysSinceEpoch: days).daysSinceEpoch == days, "civil date of day \(days) does not round-trip")
}

func isPrintableASCII(_ s: String) -> Bool { s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7f } }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let der = Array(UnsafeBufferPointer(start: data, count: size))
    let facts: CertificateFacts?
    var parseError = ""
    do { facts = try CertificateFacts(der: der) } catch {
        facts = nil
        parseError = "\(error)"
    }

    // The input as a PEM bundle and wrapped in one PEM block.
    _ = TrustStore.readPEM(der)
    let pem = "-----BEGIN CERTIFICATE-----\n" + Data(der).base64EncodedString(options: .lineLength64Characters)
        + "\n-----END CERTIFICATE-----\n"
    let read = TrustStore.readPEM(Array(pem.utf8))
    check("pem", read.count == (facts == nil ? 0 : 1) && read.first?.sha256 == facts?.sha256,
          "\(size) DER bytes \(facts == nil ? "do not parse" : "parse"), PEM gives \(read.count) certificate(s)")

    // Differential: what swift-certificates accepts, the hand-written DER reader reads the same way.
    let reference = try? Certificate(derEncoded: der)
    if let reference, facts == nil {
        // X509 leaves extension values opaque until asked; CertificateFacts reads
        // the subjectAltName's. A malformed one fails the whole certificate there
        // (finding 7): a separate check name, so FUZZ_IGNORE can skip just that.
        var sanReadable = true
        do { _ = try reference.extensions.subjectAlternativeNames } catch { sanReadable = false }
        check(sanReadable ? "x509-accepts" : "malformed-san", false,
              "X509 parses the certificate, CertificateFacts does not: \(parseError)"
              + (sanReadable ? "" : " (X509 cannot read its subjectAltName either)"))
    }
    guard let facts else { return 0 }
    if let reference {
        let before = Int64(reference.notValidBefore.timeIntervalSince1970.rounded(.down)) * 1_000_000
        let after = Int64(reference.notValidAfter.timeIntervalSince1970.rounded(.down)) * 1_000_000
        check("x509-dates", facts.notBefore == before && facts.notAfter == after,
              "validity \(facts.notBefore)...\(facts.notAfter), X509 says \(before)...\(after)")
        // The name elements as SwiftASN1 finds them (X509 re-encodes names: a
        // UTF8String with invalid UTF-8 comes back with U+FFFD, so compare the
        // original bytes of SwiftASN1's nodes instead).
        if let root = try? DER.parse(der), case .constructed(let top) = root.content,
            let tbsNode = Array(top).first, case .constructed(let tbsNodes) = tbsNode.content
        {
            var fields = Array(tbsNodes)
            if fields.first?.identifier.tagClass == .contextSpecific { fields.removeFirst() }
            if fields.count >= 6 {
                check("x509-names", facts.issuerDER.elementsEqual(fields[2].encodedBytes)
                      && facts.subjectDER.elementsEqual(fields[4].encodedBytes),
                      "subject/issuer bytes differ from SwiftASN1's (\(facts.subject) / \(facts.issuer))")
            }
        }
    }
    precondition(facts.isIssuer(of: facts) == facts.isSelfIssued, "isIssuer(of: self) != isSelfIssued")
    precondition(facts.der == der, "facts.der is not the input")
    // The assessor's cache parses the same way and agrees on the signature checks.
    let assessor = makeAssessor()
    let cache = assessor.cache
    guard case .success(let cached) = cache.facts(der) else { preconditionFailure("CertificateCache.facts fails where init(der:) parses") }
    precondition(cached.sha256 == facts.sha256 && cached.subject == facts.subject, "CertificateCache.facts differs")
    let signedBySelf = cache.isSigned(facts, by: facts)
    let selfSigned = cache.selfSigned(facts)
    precondition(facts.isSelfIssued ? selfSigned == signedBySelf : selfSigned == false,
                 "selfSigned \(String(describing: selfSigned)), self-issued \(facts.isSelfIssued), own key verifies \(String(describing: signedBySelf))")
    precondition(cache.isSigned(facts, by: facts) == signedBySelf, "a cached signature check differs")
    if verbose {
        print("FuzzCertificate: \(facts.subject) by \(facts.issuer), \(facts.keyType) \(facts.keyBits) \(facts.curve ?? ""), "
              + "\(facts.signatureAlgorithm), names \(facts.names.prefix(4)), self-signed \(String(describing: selfSigned)), "
              + "X509 \(cache.certificate(der) != nil)")
    }
    checkDate(facts.notBefore)
    checkDate(facts.notAfter)

    let names = facts.names
    for name in names.prefix(32) where !name.isEmpty && !name.hasSuffix(".") {
        check("covers-name", facts.covers(name), "\(facts.subject) does not cover its own name '\(name)'")
        if name.hasPrefix("*."), name.count > 2 {
            let host = "x." + name.dropFirst(2)
            check("covers-wildcard", facts.covers(host), "'\(name)' does not cover '\(host)'")
        }
    }
    _ = facts.covers("")
    _ = facts.covers(".")
    _ = facts.covers("*.")
    _ = facts.covers("www.example.com.")

    // One certificate, judged at a 2024 capture time, just after it expired and just before it starts.
    let sniName = names.first(where: { !$0.isEmpty && !$0.hasSuffix(".") && !$0.contains("*") && isPrintableASCII($0) })
    let sni = Array((sniName ?? "fuzz.example").utf8)
    let flow = fuzzFlowIdentity(serverPort: 443)
    let one = handshake([der], sni: sni)
    let (cold, coldFindings) = makeAssessor().assess(one, flow: flow, app: .tls, at: fuzzJudgeTimes[0])
    for at in [fuzzJudgeTimes[0], facts.notAfter &+ 1, facts.notBefore &- 1] {
        let (summary, findings) = assessor.assess(one, flow: flow, app: .tls, at: at)
        if at == fuzzJudgeTimes[0] {
            precondition(findings.map(\.rule) == coldFindings.map(\.rule) && summary.problem == cold.problem,
                         "with a warm cache: \(findings.map(\.rule)); cold: \(coldFindings.map(\.rule))")
        }
        checkSummary(summary, facts, chain: 1, "[input] at \(at)")
        if sniName != nil {
            check("sni-match", !findings.contains { $0.rule == "certificate.name-mismatch" },
                  "name mismatch for SNI '\(sniName!)', one of the names \(names.prefix(8))")
        }
        let dates = findings.filter { ["certificate.expired", "certificate.not-yet-valid", "certificate.expiring-soon"].contains($0.rule) }
        precondition(dates.count <= 1, "\(dates.count) date findings")
    }

    // The certificate twice, against a trust store, with an SNI it does not cover.
    let two = handshake([der, der], sni: Array("mismatch.invalid".utf8))
    let (summary, _) = makeAssessor(trust: trust).assess(two, flow: flow, app: .tls, at: fuzzJudgeTimes[0])
    checkSummary(summary, facts, chain: 2, "[input, input]")
    if let trust { _ = trust.problem(with: [facts, facts], cache: cache) }
    return 0
}
