import Foundation
import Testing

/// `plainsight read` on the real SMB and Kerberos captures: the exposure side
/// the oracle comparison does not look at. An SMB session without SMB3
/// encryption is `cleartext.smb` (high once a credential crossed it); Kerberos
/// has no `cleartext.*` exposure, only weak-etype credentials; and the flows
/// carry their app. A fresh clone has no ../shared: skipped then.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: Paths.realCaptures.path),
                "../shared/captures/real is absent (a fresh clone): SMB/Kerberos capture checks skipped"))
struct SMBKerberosCaptureTests {
    static func run(_ capture: String) throws -> PlainSightRun {
        let run = try plainsight(["read", Paths.realCaptures.appendingPathComponent(capture).path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        return run
    }

    static func findings(_ run: PlainSightRun) -> [(rule: String, severity: String)] {
        run.records.filter { $0["type"] as? String == "finding" }.map { ($0["rule"] as! String, $0["severity"] as! String) }
    }

    @Test func smbSessionsAreCleartextAndHighWithNTLM() throws {
        let ntlm = try SMBKerberosCaptureTests.run("arkime__smbtorture-ntlmssp.pcap")
        let found = SMBKerberosCaptureTests.findings(ntlm)
        #expect(found.contains { $0 == ("cleartext.smb", "high") }, "\(found)")
        #expect(found.contains { $0 == ("credential.ntlm", "medium") }, "\(found)")
        #expect(ntlm.flows.allSatisfy { $0["app"] as? String == "smb" && $0["encrypted"] as? Bool == false })

        let null = SMBKerberosCaptureTests.findings(try SMBKerberosCaptureTests.run("ndpi__smbv1.pcap"))
        #expect(null.map(\.rule) == ["cleartext.smb"] && null.first?.severity == "medium", "a null session: no credential")
    }

    @Test func kerberosHasNoCleartextExposure() throws {
        for capture in ["ndpi__kerberos-login.pcap", "zeek__krb__auth.pcap", "arkime__krb5-udp.pcap"] {
            let run = try SMBKerberosCaptureTests.run(capture)
            let rules = SMBKerberosCaptureTests.findings(run).map(\.rule)
            #expect(!rules.contains { $0.hasPrefix("cleartext.") }, "\(capture): \(rules)")
            #expect(rules.allSatisfy { $0 == "credential.kerberos-tgs-rc4" }, "\(capture): \(rules)")
            #expect(run.flows.allSatisfy { $0["app"] as? String == "kerberos" }, "\(capture)")
        }
    }
}
