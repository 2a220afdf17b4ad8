@testable import Assessment

/// A nightly report as a site would get it, written out field by field: every
/// severity, new / still open / resolved / unobserved rows, an expired, two
/// expiring and one long-valid certificate, credentials, PII and a secret,
/// an active and an expired accepted risk, seven runs of trend. The summary
/// agrees with the rows (13 exposures = 5 new + 8 still open, and so on), and
/// the seven headline numbers differ from each other so a test can tell them
/// apart on the rendered page. `scripts/report-screenshot.sh` renders it for
/// the README.
enum SampleReport {
    typealias Row = AssessmentReport.ExposureRow

    static let generatedAt = "2026-12-05T02:30:11.204311Z"

    static let headline: [(metric: String, label: String, value: Int)] = [
        ("exposures", "Exposures", 13), ("new", "New", 5), ("resolved", "Resolved", 2), ("still-open", "Still open", 8),
        ("services", "Services", 11), ("cleartext-services", "Cleartext services", 6),
        ("expiring-certificates", "Expiring certificates", 3),
    ]

    static let web = "tcp 10.20.0.15:80", ftp = "tcp 10.20.0.21:21", vpn = "tcp 10.20.0.30:443"
    static let billing = "tcp 10.20.0.31:8443", intranet = "tcp 10.20.0.32:443", ldaps = "tcp 10.20.0.33:636"
    static let api = "tcp 10.20.4.12:8080", mail = "tcp 10.20.1.7:25", snmp = "udp 10.20.9.2:161"

    static let pci421 = "PCI DSS 4.0 req. 4.2.1", pci832 = "PCI DSS 4.0 req. 8.3.2", soc67 = "SOC 2 CC6.7"
    static let soc61 = "SOC 2 CC6.1", hipaa = "HIPAA 164.312(e)(1)"

    static let newExposures: [Row] = [
        Row(
            key: "E3a91c04d2b7f6e18", rule: "secret.aws-secret-access-key", category: "secret", severity: "critical", service: api,
            app: "http", message: "AWS secret access key in cleartext http to the server",
            evidence: "wJal********************************EKEY", count: 3, firstSeen: "2026-12-04T09:12:44.018233Z",
            lastSeen: "2026-12-04T17:40:02.551901Z", firstReported: generatedAt,
            remediation: "Delete the access key pair in IAM at once, review CloudTrail for its use, and replace static keys with IAM roles or short-lived credentials.",
            references: [pci421, soc67]),
        Row(
            key: "E5d2c88a10f3b4e97", rule: "credential.http-basic", category: "credential", severity: "high", service: web,
            app: "http", message: "HTTP Basic credentials sent in clear for user 'deploy' (accepted by the server)",
            evidence: "********", count: 9, firstSeen: "2026-12-04T06:00:03.114502Z", lastSeen: "2026-12-04T21:00:02.908113Z",
            firstReported: generatedAt,
            remediation: "Move the endpoint to HTTPS; prefer token or certificate authentication for services; rotate the exposed password.",
            references: ["RFC 7617 4", pci832, soc61]),
        Row(
            key: "Eb07e2f4c99a1d356", rule: "tls.weak-version", category: "tls", severity: "high", service: vpn, app: "tls",
            message: "The connection negotiated TLSv1.0, which mozilla-intermediate does not allow.", evidence: "TLSv1.0",
            count: 41, firstSeen: "2026-12-04T00:14:51.772310Z", lastSeen: "2026-12-04T23:51:09.004417Z",
            firstReported: generatedAt,
            remediation: "Disable SSLv2, SSLv3, TLS 1.0 and TLS 1.1 on the server and upgrade clients that cannot speak TLS 1.2.",
            references: ["RFC 8996", pci421, "NIST SP 800-52r2 3.1"], policyRule: "versions.TLSv1.0"),
        Row(
            key: "E70c3d5e2a8b91f40", rule: "certificate.expiring-soon", category: "certificate", severity: "medium",
            service: billing, app: "tls", message: "The certificate of billing.corp.example expires in 12 days (2026-12-17).",
            evidence: "CN=billing.corp.example", count: 18, firstSeen: "2026-12-04T07:30:00.412077Z",
            lastSeen: "2026-12-04T19:02:45.300981Z", firstReported: generatedAt,
            remediation: "Renew the certificate now and automate renewal.", references: ["PCI DSS 4.0 req. 4.2.1.1"],
            policyRule: "certificates.expiry_warning_days"),
        Row(
            key: "E19f4a0b6c2d7e853", rule: "cleartext.ftp", category: "cleartext", severity: "medium", service: ftp, app: "ftp",
            message: "FTP without TLS", count: 6, firstSeen: "2026-12-04T01:00:00.208113Z", lastSeen: "2026-12-04T23:00:00.190004Z",
            firstReported: generatedAt,
            remediation: "Replace FTP with SFTP, or require FTPS (explicit AUTH TLS for control and data channels).",
            references: [pci421, pci832, soc67, hipaa]),
    ]

    static let stillOpen: [Row] = [
        Row(
            key: "E8e1f27a3b5c40d69", rule: "pii.payment-card", category: "pii", severity: "high", service: web, app: "http",
            message: "Payment card number (PAN) with a valid Luhn check digit and issuer prefix in cleartext http to the server",
            evidence: "**** **** **** 9010", count: 14, firstSeen: "2026-12-04T08:03:12.640022Z",
            lastSeen: "2026-12-04T20:44:31.017735Z", firstReported: "2026-11-28T02:30:08.551210Z",
            remediation: "Stop sending card numbers in clear: serve the API over TLS, and keep full PANs out of systems that do not need them.",
            references: ["PCI DSS 4.0 req. 3.4.1, 4.2.1"]),
        Row(
            key: "E2b6d9c1e4f0a7385", rule: "certificate.expired", category: "certificate", severity: "high", service: vpn,
            app: "tls", message: "The certificate of legacy-vpn.corp.example expired on 2026-11-20.",
            evidence: "CN=legacy-vpn.corp.example", count: 41, firstSeen: "2026-12-04T00:14:51.772310Z",
            lastSeen: "2026-12-04T23:51:09.004417Z", firstReported: "2026-11-21T02:30:07.902114Z",
            remediation: "Renew the certificate and automate renewal (ACME/cert-manager); clients that accept an expired certificate are accepting any certificate.",
            references: ["RFC 5280 4.1.2.5", pci421], policyRule: "certificates.expired"),
        Row(
            key: "E4c0a8f3d1b9e2760", rule: "credential.ftp-password", category: "credential", severity: "high", service: ftp,
            app: "ftp", message: "FTP password sent in clear for user 'backup' (accepted by the server)", evidence: "********",
            count: 6, firstSeen: "2026-12-04T01:00:00.208113Z", lastSeen: "2026-12-04T23:00:00.190004Z",
            firstReported: "2026-11-30T02:30:10.337801Z",
            remediation: "Replace FTP with SFTP or FTPS (AUTH TLS before USER); rotate the exposed password.",
            references: ["RFC 4217", pci832, soc61]),
        Row(
            key: "E6f3b2e9d0c8a1447", rule: "cleartext.http", category: "cleartext", severity: "high", service: web, app: "http",
            message: "HTTP without TLS, with credentials in it", count: 212, firstSeen: "2026-12-04T00:00:41.090115Z",
            lastSeen: "2026-12-04T23:59:12.771008Z", firstReported: "2026-11-20T02:30:06.128870Z",
            remediation: "Serve the endpoint over HTTPS only (redirect port 80, send Strict-Transport-Security); between services use TLS or a service mesh with mTLS.",
            references: [pci421, soc67, hipaa, "RFC 9110 4.2.2"]),
        Row(
            key: "E0d7c6b5a4f3e2d11", rule: "cleartext.starttls-not-used", category: "cleartext", severity: "medium",
            service: mail, app: "smtp", message: "The server offered STARTTLS; the client sent MAIL FROM in clear instead",
            evidence: "MAIL FROM", count: 57, firstSeen: "2026-12-04T00:02:10.400311Z", lastSeen: "2026-12-04T23:48:55.019920Z",
            firstReported: "2026-11-24T02:30:09.771342Z",
            remediation: "Configure the client to require STARTTLS, and the server to refuse AUTH and MAIL before it.",
            references: ["RFC 8314", "RFC 3207", pci421, hipaa]),
        Row(
            key: "E9a8b7c6d5e4f3a22", rule: "cleartext.snmp", category: "cleartext", severity: "medium", service: snmp,
            app: "snmp", message: "SNMP v2c in clear (community strings readable on the wire)", count: 288,
            firstSeen: "2026-12-04T00:00:05.000221Z", lastSeen: "2026-12-04T23:55:05.001870Z",
            firstReported: "2026-11-20T02:30:06.128870Z",
            remediation: "Move to SNMPv3 with authPriv (SHA-2 authentication, AES privacy) and remove the v1/v2c communities.",
            references: ["RFC 3414", "RFC 3826", "PCI DSS 4.0 req. 2.2.7"]),
        Row(
            key: "E1e2d3c4b5a69788", rule: "pii.email", category: "pii", severity: "low", service: mail, app: "smtp",
            message: "E-mail addresses in cleartext smtp", evidence: "j***@example.com", count: 57,
            firstSeen: "2026-12-04T00:02:10.400311Z", lastSeen: "2026-12-04T23:48:55.019920Z",
            firstReported: "2026-11-24T02:30:09.771342Z",
            remediation: "Require TLS for mail submission and relay.", references: [hipaa]),
        Row(
            key: "E5b4a39281706f5e", rule: "certificate.long-validity", category: "certificate", severity: "info",
            service: intranet, app: "tls", message: "The certificate of intranet.corp.example is valid for 825 days.",
            evidence: "CN=intranet.corp.example", count: 96, firstSeen: "2026-12-04T06:58:21.114000Z",
            lastSeen: "2026-12-04T18:31:40.927114Z", firstReported: "2026-11-20T02:30:06.128870Z",
            remediation: "Issue certificates valid for at most 398 days (90 is better) and renew automatically.",
            references: ["CA/Browser Forum ballot SC31"], policyRule: "certificates.max_validity_days"),
    ]

    static let resolved: [Row] = [
        Row(
            key: "E7c6b5a4d3e2f1009", rule: "credential.pop3-password", category: "credential", severity: "high",
            service: "tcp 10.20.1.9:110", app: "pop3", message: "POP3 password sent in clear for user 'alerts'",
            evidence: "********", count: 4, firstSeen: "2026-12-03T03:00:00.110020Z", lastSeen: "2026-12-03T21:00:00.093117Z",
            firstReported: "2026-11-26T02:30:08.004417Z", remediation: "Use POP3S or STLS before login; rotate the exposed password.",
            references: ["RFC 2595", pci832]),
        Row(
            key: "E3f2e1d0c9b8a7776", rule: "cleartext.telnet", category: "cleartext", severity: "high",
            service: "tcp 10.20.0.40:23", app: "telnet", message: "Telnet session", count: 2,
            firstSeen: "2026-12-03T10:14:00.550100Z", lastSeen: "2026-12-03T10:52:13.218004Z",
            firstReported: "2026-11-18T02:30:05.661201Z", remediation: "Disable telnetd and use SSH.",
            references: ["PCI DSS 4.0 req. 2.2.7", pci832, soc67]),
    ]

    static let unobserved: [Row] = [
        Row(
            key: "E8d7c6b5a4f3e2d33", rule: "cleartext.redis", category: "cleartext", severity: "medium",
            service: "tcp 10.20.6.3:6379", app: "redis", message: "Redis without TLS", count: 31,
            firstSeen: "2026-12-03T00:01:00.000330Z", lastSeen: "2026-12-03T23:59:00.001004Z",
            firstReported: "2026-11-29T02:30:09.115200Z",
            remediation: "Enable TLS (tls-port, tls-cert-file, tls-key-file; port 0 to close the cleartext port).",
            references: [pci421, soc67]),
    ]

    static func service(
        _ service: String, _ apps: [String], encrypted: Bool?, flows: Int, exposures: Int = 0, worst: String? = nil,
        credentials: Int = 0, data: Int = 0
    ) -> AssessmentReport.ServiceRow {
        let parts = service.split(separator: " ")
        let endpoint = parts[1]
        let colon = endpoint.lastIndex(of: ":")!
        return AssessmentReport.ServiceRow(
            service: service, transport: String(parts[0]), ip: String(endpoint[..<colon]),
            port: Int(endpoint[endpoint.index(after: colon)...])!, apps: apps, encrypted: encrypted, flows: flows,
            firstSeen: "2026-12-04T00:00:05.000221Z", lastSeen: "2026-12-04T23:59:12.771008Z", exposures: exposures,
            worstSeverity: worst, credentials: credentials, dataExposures: data)
    }

    static let topServices: [AssessmentReport.ServiceRow] = [
        service(api, ["http"], encrypted: false, flows: 388, exposures: 1, worst: "critical", data: 1),
        service(web, ["http"], encrypted: false, flows: 4_210, exposures: 3, worst: "high", credentials: 1, data: 1),
        service(vpn, ["tls"], encrypted: true, flows: 41, exposures: 2, worst: "high"),
        service(ftp, ["ftp"], encrypted: false, flows: 12, exposures: 2, worst: "high", credentials: 1),
        service(mail, ["smtp"], encrypted: false, flows: 57, exposures: 2, worst: "medium", data: 1),
        service(billing, ["tls"], encrypted: true, flows: 18, exposures: 1, worst: "medium"),
        service(snmp, ["snmp"], encrypted: false, flows: 288, exposures: 1, worst: "medium"),
        service(intranet, ["tls"], encrypted: true, flows: 96, exposures: 1, worst: "info"),
    ]

    static let services: [AssessmentReport.ServiceRow] = topServices + [
        service(ldaps, ["tls"], encrypted: true, flows: 2_204),
        service("tcp 10.20.2.5:22", ["ssh"], encrypted: true, flows: 733),
        service("udp 10.20.0.53:53", ["dns"], encrypted: false, flows: 10_295),
    ]

    static let tls: [AssessmentReport.TLSRow] = [
        .init(
            service: vpn, sni: ["legacy-vpn.corp.example"], versions: ["TLSv1.0", "TLSv1.2"],
            ciphers: ["TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
            certificate: "9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f1a3c5e7b9d0f",
            findings: ["tls.weak-version", "certificate.expired"], worstSeverity: "high"),
        .init(
            service: billing, sni: ["billing.corp.example"], versions: ["TLSv1.2"],
            ciphers: ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
            certificate: "4b7d0e3a6c9f2b5e8d1a4c7f0b3e6d9a2c5f8b1e4d7a0c3f6b9e2d5a8c1f4b7e",
            findings: ["certificate.expiring-soon"], worstSeverity: "medium"),
        .init(
            service: intranet, sni: ["intranet.corp.example"], versions: ["TLSv1.2", "TLSv1.3"],
            ciphers: ["TLS_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
            certificate: "c1e3a5b7d9f0e2c4a6b8d0f1e3c5a7b9d1f2e4c6a8b0d2f3e5c7a9b1d3f4e6c8",
            findings: ["certificate.long-validity"], worstSeverity: "info"),
        .init(
            service: ldaps, sni: ["ldap.corp.example"], versions: ["TLSv1.2"], ciphers: ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
            certificate: "7a9c1e3b5d7f9a0c2e4b6d8f1a3c5e7b9d0f2a4c6e8b1d3f5a7c9e0b2d4f6a8c", findings: [], worstSeverity: nil),
    ]

    static let certificates: [AssessmentReport.CertificateRow] = [
        .init(
            sha256: tls[0].certificate!, subject: "CN=legacy-vpn.corp.example, O=Example Corp", issuer: "CN=Example Corp Issuing CA 1",
            notBefore: "2024-11-20T00:00:00Z", notAfter: "2026-11-20T23:59:59Z", daysLeft: -15, status: "expired", services: [vpn]),
        .init(
            sha256: tls[1].certificate!, subject: "CN=billing.corp.example", issuer: "CN=R11, O=Let's Encrypt",
            notBefore: "2026-09-18T08:12:40Z", notAfter: "2026-12-17T08:12:39Z", daysLeft: 12, status: "expiring", services: [billing]),
        .init(
            sha256: tls[3].certificate!, subject: "CN=ldap.corp.example, OU=Directory", issuer: "CN=Example Corp Issuing CA 1",
            notBefore: "2025-12-31T00:00:00Z", notAfter: "2027-01-01T00:00:00Z", daysLeft: 27, status: "expiring", services: [ldaps]),
        .init(
            sha256: tls[2].certificate!, subject: "CN=intranet.corp.example", issuer: "CN=Example Corp Issuing CA 1",
            notBefore: "2025-11-24T00:00:00Z", notAfter: "2028-01-28T00:00:00Z", daysLeft: 784, status: "valid", services: [intranet]),
    ]

    static let credentials: [AssessmentReport.CredentialRow] = [
        .init(
            rule: "credential.http-basic", severity: "high", service: web, evidence: "********",
            fingerprint: "hmac-sha256:3f0c9a1be2d47c5e8a61f0b2", count: 9, lastSeen: "2026-12-04T21:00:02.908113Z"),
        .init(
            rule: "credential.ftp-password", severity: "high", service: ftp, evidence: "********",
            fingerprint: "hmac-sha256:9b2e04d7c1a8f3e6b5d09c72", count: 6, lastSeen: "2026-12-04T23:00:00.190004Z"),
    ]

    static let dataExposures: [AssessmentReport.DataTypeRow] = [
        .init(rule: "secret.aws-secret-access-key", category: "secret", severity: "critical", values: 1, occurrences: 3, services: [api]),
        .init(rule: "pii.payment-card", category: "pii", severity: "high", values: 3, occurrences: 14, services: [web]),
        .init(rule: "pii.email", category: "pii", severity: "low", values: 23, occurrences: 57, services: [mail]),
    ]

    static let trend: [AssessmentReport.TrendPoint] = [
        .init(runAt: "2026-11-29T02:30:07.112020Z", window: "2026-11-28", exposures: 9,
              bySeverity: ["high": 4, "medium": 3, "low": 1, "info": 1], new: 1, resolved: 0),
        .init(runAt: "2026-11-30T02:30:10.337801Z", window: "2026-11-29", exposures: 10,
              bySeverity: ["high": 5, "medium": 3, "low": 1, "info": 1], new: 1, resolved: 0),
        .init(runAt: "2026-12-01T02:30:08.900112Z", window: "2026-11-30", exposures: 11,
              bySeverity: ["high": 5, "medium": 4, "low": 1, "info": 1], new: 1, resolved: 0),
        .init(runAt: "2026-12-02T02:30:09.004417Z", window: "2026-12-01", exposures: 11,
              bySeverity: ["high": 5, "medium": 4, "low": 1, "info": 1], new: 0, resolved: 0),
        .init(runAt: "2026-12-03T02:30:08.551210Z", window: "2026-12-02", exposures: 12,
              bySeverity: ["high": 6, "medium": 4, "low": 1, "info": 1], new: 1, resolved: 0),
        .init(runAt: "2026-12-04T02:30:09.118230Z", window: "2026-12-03", exposures: 11,
              bySeverity: ["high": 6, "medium": 3, "low": 1, "info": 1], new: 0, resolved: 1),
        .init(runAt: generatedAt, window: "2026-12-04", exposures: 13,
              bySeverity: ["critical": 1, "high": 6, "medium": 4, "low": 1, "info": 1], new: 5, resolved: 2),
    ]

    static var value: AssessmentReport {
        var summary = AssessmentReport.Summary()
        summary.exposures = 13
        summary.bySeverity = ["critical": 1, "high": 6, "medium": 4, "low": 1, "info": 1]
        summary.byCategory = ["cleartext": 4, "certificate": 3, "credential": 2, "pii": 2, "tls": 1, "secret": 1]
        summary.new = 5
        summary.stillOpen = 8
        summary.resolved = 2
        summary.unobserved = 1
        summary.suppressed = 4
        summary.services = 11
        summary.cleartextServices = 6
        summary.flows = 18_342
        summary.expiringCertificates = 3
        summary.expiryDays = 30
        summary.threshold = "high"
        summary.newAtOrAboveThreshold = 3
        return AssessmentReport(
            title: "Nightly assessment — corp network, 2026-12-04", generatedAt: generatedAt,
            window: .init(label: "2026-12-04", from: "2026-12-04T00:00:00Z", to: "2026-12-05T00:00:00Z"),
            inputs: [
                "/var/lib/plainsight/sensor/live-2026-12-04.jsonl", "/srv/captures/dmz/2026-12-04-00.pcapng",
                "/srv/captures/dmz/2026-12-04-12.pcapng",
            ],
            policy: "mozilla-intermediate", baseline: "2026-12-04T02:30:09.118230Z", summary: summary, trend: trend,
            newExposures: newExposures, stillOpen: stillOpen, resolved: resolved, unobserved: unobserved,
            acceptedRisks: [
                .init(
                    reason: "Badge readers speak HTTP only; replacement ordered (CHG-2231)",
                    scope: "rule cleartext.http, server 10.20.8.0/24, port 80", expires: "2027-03-31", expired: false, suppressed: 4),
                .init(
                    reason: "Lab printer, decommissioned in November", scope: "rule cleartext.ipp, server 10.20.7.14",
                    expires: "2026-11-30", expired: true, suppressed: 0),
            ],
            topServices: topServices, services: services, tls: tls, certificates: certificates, credentials: credentials,
            dataExposures: dataExposures)
    }
}
