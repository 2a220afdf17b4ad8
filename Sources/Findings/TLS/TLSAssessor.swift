import Flows
import Inspection

/// Judges one TLS handshake against a policy: the flow record's `tls`
/// object and the `tls.*` / `certificate.*` findings. Runs once per TLS
/// flow, when its handshake is complete (or the flow ends), never per packet.
public struct TLSAssessor: Sendable {
    public let policy: TLSPolicy
    /// Judge certificate dates at this time (`--now`) instead of capture time.
    public let now: Int64?
    let trust: TrustStore?
    let cache = CertificateCache()
    let profiles = HandshakeProfiles()

    public init(policy: TLSPolicy, now: Int64? = nil, trust: TrustStore? = nil) {
        self.policy = policy
        self.now = now
        self.trust = trust
    }

    static let day: Int64 = 86_400_000_000
    /// CA/Browser Forum ballot SC31: certificates issued from 2020-09-01 live at most 398 days.
    static let validityCapStart: Int64 = CertificateFacts.daysFromCivil(2020, 9, 1) * 86_400_000_000

    /// `at` is the capture time of the packet that completed the handshake.
    /// A ClientHello still unread (`TLSAnalyzer.takeHandshake`) is read here.
    public func assess(_ handshake: TLSHandshake, flow: FlowIdentity, app: AppProtocol, at time: Int64)
        -> (TLSSummary, [Finding])
    {
        var h = handshake
        _ = h.readClientHello()
        var out = Judgement(policy: policy)
        var summary = TLSSummary()
        summary.starttls = h.upgradedFrom?.description
        summary.tunnel = h.tunnel?.description
        summary.helloRetryRequest = h.helloRetryRequest != nil
        summary.problem = h.problem
        if let alert = h.fatalAlert {
            summary.fatalAlert = TLSAlert.name(alert.description) + (alert.sentBy == .toServer ? " (client)" : " (server)")
        }
        // What depends only on the client's hello, or only on the server's
        // answer to it, is judged once per distinct hello (most traffic comes
        // from a few TLS stacks) and reused.
        let client = h.clientHello
        if let client {
            let judged = profiles.client(client) { judgeClient(client) }
            summary.sni = client.serverName
            summary.clientVersions = judged.clientVersions
            summary.ja3 = client.isSSLv2Format ? nil : TLSFingerprint.ja3(client)
            summary.ja4 = judged.ja4
            out.templates += judged.findings
        }
        if let server = h.serverHello {
            let judged = profiles.server(server, client: client) { judgeServer(server, client: client) }
            summary.version = judged.version
            summary.cipher = judged.cipher
            summary.ja3s = judged.ja3s
            summary.alpn = server.alpn.map { [$0] } ?? []
            out.templates += judged.findings
        }
        if summary.alpn.isEmpty, let offered = client?.alpn { summary.alpn = offered }
        if h.certificateEncrypted {
            summary.certificateStatus = "encrypted"
        } else if !h.certificates.isEmpty {
            summary.certificateStatus = "visible"
            judgeCertificates(h.certificates, sni: client?.serverName, at: now ?? time, &summary, &out)
        } else if h.serverHello != nil {
            summary.certificateStatus = "not_seen"
        }
        // Inside a proxy's tunnel the flow's server is the proxy: the finding
        // names the tunnel and the server the client asked for.
        var tunnel: [(key: String, value: String)] = []
        var via = ""
        if let kind = h.tunnel {
            tunnel.append(("tunnel", kind.description))
            if let sni = client?.serverName { tunnel.append(("sni", sni)) }
            let name = switch kind {
            case .httpConnect: "an HTTP CONNECT tunnel"
            case .socks5: "a SOCKS5 tunnel"
            case .socks4: "a SOCKS4 tunnel"
            }
            via = " (in \(name)" + (client?.serverName.map { " to \($0)" } ?? "") + ")"
        }
        let findings = out.templates.map { t in
            Finding(
                timestamp: time, rule: t.rule, category: t.rule.hasPrefix("certificate.") ? .certificate : .tls,
                severity: t.severity, flow: flow, direction: nil, app: app,
                message: via.isEmpty || !t.message.hasSuffix(".") ? t.message + via : t.message.dropLast() + via + ".",
                evidence: t.evidence,
                // A name mismatch names the SNI already.
                details: t.details + tunnel.filter { extra in !t.details.contains { $0.key == extra.key } })
        }
        return (summary, findings)
    }

    func judgeClient(_ client: ClientHello) -> ClientJudgement {
        var out = Judgement(policy: policy)
        judgeOffers(client, &out)
        return ClientJudgement(
            clientVersions: client.offeredVersions.map(\.description),
            ja4: client.isSSLv2Format ? nil : TLSFingerprint.ja4(client), findings: out.templates)
    }

    func judgeServer(_ server: ServerHello, client: ClientHello?) -> ServerJudgement {
        var out = Judgement(policy: policy)
        judgeNegotiated(server, client: client, &out)
        return ServerJudgement(
            version: server.version.description,
            cipher: server.isSSLv2
                ? server.sslv2CipherKinds.first.map(SSLv2CipherKind.name) : CipherSuite(server.cipherSuite).description,
            ja3s: server.isSSLv2 ? nil : TLSFingerprint.ja3s(server), findings: out.templates)
    }

    // MARK: versions and cipher suites

    func judgeOffers(_ client: ClientHello, _ out: inout Judgement) {
        let weakVersions = client.offeredVersions.filter { policy.severity(of: $0) != nil }
        if let severity = policy.clientOffers, !weakVersions.isEmpty {
            let names = weakVersions.map(\.description).joined(separator: ", ")
            out.add(
                "tls.client-offers-weak-version", severity, clause: "client_offers",
                "The client offered \(names), which \(policy.name) does not allow.", evidence: names,
                [("offered_versions", names)])
        }
        var weakSuites: [String] = []
        for value in client.cipherSuites where !TLSVersion.isGREASE(value) {
            let suite = CipherSuite(value)
            guard !suite.isSignalingValue, let s = policy.worstSeverity(of: suite.weaknesses), s >= .high else { continue }
            weakSuites.append(suite.description)
        }
        for kind in client.sslv2CipherKinds {
            if let s = policy.worstSeverity(of: SSLv2CipherKind.weaknesses(kind)), s >= .high {
                weakSuites.append(SSLv2CipherKind.name(kind))
            }
        }
        if let severity = policy.clientOffers, !weakSuites.isEmpty {
            let shown = weakSuites.prefix(5).joined(separator: ", ") + (weakSuites.count > 5 ? ", …" : "")
            out.add(
                "tls.client-offers-weak-cipher", severity, clause: "client_offers",
                "The client offered \(weakSuites.count) cipher suite(s) with broken protection (\(shown)).",
                evidence: shown, [("offered_weak_ciphers", String(weakSuites.count)), ("examples", shown)])
        }
        if let severity = policy.heartbeat, client.extensions.contains(TLSExtension.heartbeat) {
            out.add(
                "tls.heartbeat", severity, clause: "heartbeat",
                "The client offered the heartbeat extension (the Heartbleed attack surface).", evidence: nil,
                [("side", "client")])
        }
    }

    func judgeNegotiated(_ server: ServerHello, client: ClientHello?, _ out: inout Judgement) {
        let version = server.version
        if let severity = policy.severity(of: version) {
            out.add(
                "tls.weak-version", severity, clause: "versions.\(version)",
                "The connection negotiated \(version), which \(policy.name) does not allow.",
                evidence: version.description, [("version", version.description)])
        }
        if let client, let severity = policy.downgrade, client.highestVersion >= .tls12, version < .tls12 {
            out.add(
                "tls.downgrade", severity, clause: "downgrade",
                "The client offered up to \(client.highestVersion) but the server chose \(version).",
                evidence: version.description,
                [("client_highest", client.highestVersion.description), ("version", version.description)])
        }
        if !server.isSSLv2 {
            let suite = CipherSuite(server.cipherSuite)
            let (severity, names) = policy.severity(of: suite.weaknesses)
            if let severity {
                out.add(
                    "tls.weak-cipher", severity, clause: names.map { "cipher_weaknesses.\($0)" }.joined(separator: ", "),
                    "The connection negotiated \(suite) (\(names.joined(separator: ", "))).", evidence: suite.description,
                    [("cipher", suite.description), ("weaknesses", names.joined(separator: ","))])
            }
            if let severity = policy.compression, server.compressionMethod != 0 {
                out.add(
                    "tls.compression", severity, clause: "compression",
                    "The server enabled TLS compression (method \(server.compressionMethod)): CRIME can recover secrets.",
                    evidence: String(server.compressionMethod), [("compression_method", String(server.compressionMethod))])
            }
            if let severity = policy.insecureRenegotiation, version < .tls13, version >= .sslv3,
                !server.offersSecureRenegotiation
            {
                let clientOffered = client?.offersSecureRenegotiation ?? false
                out.add(
                    "tls.insecure-renegotiation", severity, clause: "insecure_renegotiation",
                    "The server did not confirm secure renegotiation (RFC 5746)"
                        + (clientOffered ? "." : "; the client did not offer it either."),
                    evidence: nil, [("client_offered", clientOffered ? "true" : "false")])
            }
            if let severity = policy.heartbeat, server.extensions.contains(TLSExtension.heartbeat) {
                out.add(
                    "tls.heartbeat", severity, clause: "heartbeat",
                    "The server accepted the heartbeat extension (the Heartbleed attack surface).", evidence: nil,
                    [("side", "server")])
            }
        }
    }

    // MARK: certificates

    func judgeCertificates(
        _ ders: [[UInt8]], sni: String?, at: Int64, _ summary: inout TLSSummary, _ out: inout Judgement
    ) {
        var chain: [CertificateFacts] = []
        for (index, der) in ders.enumerated() {
            switch cache.facts(der) {
            case .success(let facts):
                chain.append(facts)
            case .failure(let error):
                if summary.problem == nil { summary.problem = "certificate \(index) does not parse: \(error)" }
                if index == 0 { return }
            }
        }
        guard let leaf = chain.first else { return }
        summary.certificate = CertificateSummary(leaf)
        summary.chainLength = chain.count
        let rules = policy.certificate
        func dates(_ c: CertificateFacts) -> [(key: String, value: String)] {
            [("subject", c.subject), ("not_before", Timestamp.rfc3339(c.notBefore)), ("not_after", Timestamp.rfc3339(c.notAfter)),
             ("judged_at", Timestamp.rfc3339(at))]
        }
        if let s = rules.expired, leaf.notAfter < at {
            out.add(
                "certificate.expired", s, clause: "certificate.expired",
                "The server certificate expired on \(Timestamp.date(leaf.notAfter)) (\((at - leaf.notAfter) / TLSAssessor.day) days before).",
                evidence: leaf.subject, dates(leaf))
        } else if let s = rules.notYetValid, leaf.notBefore > at {
            out.add(
                "certificate.not-yet-valid", s, clause: "certificate.not_yet_valid",
                "The server certificate is not valid until \(Timestamp.date(leaf.notBefore)).", evidence: leaf.subject,
                dates(leaf))
        } else if let s = rules.expiring, leaf.notAfter - at < Int64(rules.expiringWithinDays) * TLSAssessor.day {
            out.add(
                "certificate.expiring-soon", s, clause: "certificate.expiring_within_days: \(rules.expiringWithinDays)",
                "The server certificate expires on \(Timestamp.date(leaf.notAfter)), within \(rules.expiringWithinDays) days.",
                evidence: leaf.subject, dates(leaf) + [("days_left", String((leaf.notAfter - at) / TLSAssessor.day))])
        }
        // Self-issued (subject == issuer): self-signed when its own key verifies
        // the signature; one whose signature does not verify is reported too
        // (signature_verified: false) — a forged or corrupt certificate.
        if let s = rules.selfSigned, leaf.isSelfIssued {
            let verified = cache.selfSigned(leaf).map { $0 ? "true" : "false" } ?? "not checked"
            out.add(
                "certificate.self-signed", s, clause: "certificate.self_signed",
                "The server certificate is self-signed (\(leaf.subject))"
                    + (verified == "false" ? ", and its signature does not verify." : "."),
                evidence: leaf.subject, [("subject", leaf.subject), ("signature_verified", verified)])
        } else if let s = rules.untrusted, let trust, let problem = cache.chainProblem(chain, trust) {
            out.add(
                "certificate.untrusted", s, clause: "certificate.untrusted",
                "The certificate chain does not lead to a CA in \(trust.path): \(problem).", evidence: leaf.subject,
                [("subject", leaf.subject), ("issuer", leaf.issuer), ("ca_bundle", trust.path)])
        }
        if let s = rules.nameMismatch, let sni, !sni.isEmpty, !leaf.covers(sni) {
            out.add(
                "certificate.name-mismatch", s, clause: "certificate.name_mismatch",
                "The certificate does not cover the requested name \(sni) (it names \(leaf.names.prefix(5).joined(separator: ", "))).",
                evidence: sni, [("sni", sni), ("names", leaf.names.prefix(16).joined(separator: ","))])
        }
        let lifetime = leaf.notAfter - leaf.notBefore
        if let s = rules.longValidity, leaf.notBefore >= TLSAssessor.validityCapStart,
            lifetime > Int64(rules.maxValidityDays) * TLSAssessor.day
        {
            out.add(
                "certificate.long-validity", s, clause: "certificate.max_validity_days: \(rules.maxValidityDays)",
                "The certificate is valid for \(lifetime / TLSAssessor.day) days, more than \(rules.maxValidityDays).",
                evidence: leaf.subject, dates(leaf))
        }
        for (index, cert) in chain.enumerated() {
            let position = index == 0 ? "leaf" : "chain[\(index)]"
            let minimum = cert.keyType == "EC" ? rules.minECBits : (cert.keyType == "RSA" || cert.keyType == "DSA" ? rules.minRSABits : 0)
            if let s = rules.weakKey, cert.keyBits > 0, cert.keyBits < minimum {
                out.add(
                    "certificate.weak-key", s, clause: cert.keyType == "EC" ? "certificate.min_ec_bits: \(minimum)" : "certificate.min_rsa_bits: \(minimum)",
                    "The \(position) certificate has a \(cert.keyBits)-bit \(cert.keyType) key (policy minimum \(minimum)).",
                    evidence: cert.subject,
                    [("subject", cert.subject), ("position", position), ("key_type", cert.keyType), ("key_bits", String(cert.keyBits))])
            }
            // A root's signature on itself is not relied upon; everything below it is.
            let isRoot = index > 0 && cert.isSelfIssued
            if let s = rules.weakSignature, let hash = cert.signatureHash, rules.weakSignatureHashes.contains(hash), !isRoot {
                out.add(
                    "certificate.weak-signature", s, clause: "certificate.weak_signature_hashes",
                    "The \(position) certificate is signed with \(cert.signatureAlgorithm).", evidence: cert.subject,
                    [("subject", cert.subject), ("position", position), ("signature_algorithm", cert.signatureAlgorithm)])
            }
        }
    }
}

/// A finding before it is placed on a flow: rule, severity, text and
/// details, with the policy's name, clause and remediation added.
struct FindingTemplate: Sendable {
    var rule: String
    var severity: Severity
    var message: String
    var evidence: String?
    var details: [(key: String, value: String)]
}

/// The findings of one judgement, built with the policy's name, clause, remediation and references.
struct Judgement {
    let policy: TLSPolicy
    var templates: [FindingTemplate] = []

    mutating func add(
        _ rule: String, _ severity: Severity, clause: String, _ message: String, evidence: String?,
        _ details: [(key: String, value: String)]
    ) {
        var all = details
        all.append(("policy", policy.name))
        all.append(("policy_rule", clause))
        if let text = policy.rules[rule] {
            all.append(("remediation", text.remediation))
            if let references = text.references, !references.isEmpty { all.append(("references", references.joined(separator: "; "))) }
        }
        templates.append(FindingTemplate(rule: rule, severity: severity, message: message, evidence: evidence, details: all))
    }
}
