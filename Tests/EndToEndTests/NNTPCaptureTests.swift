import Foundation
import Testing

/// `Captures/nntp-python.pcap`, recorded on loopback (`RECORD_ONLY=nntp
/// Captures/record.sh`): python's nntplib against a scripted news server on
/// 18104 (no INN here). One connection logs in with a wrong password
/// (`AUTHINFO USER`/`PASS`, 381 then 481) and gives up; a second logs in (381,
/// 281), reads `ARTICLE 1` — the MIME mail of `mail-content.pcap` — and posts
/// the same article back (`POST`, 340, the article, 240).
struct NNTPCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("nntp-python.pcap")
    static let planted = ContentRecordedCaptureTests.planted

    @Test func theLoginsTheArticleAndThePostedCopy() throws {
        let run = try plainsight(["read", Self.capture.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let flows = run.records.filter { $0["type"] as? String == "flow" }
        #expect(flows.count == 2 && flows.allSatisfy { $0["app"] as? String == "nntp" && $0["encrypted"] as? Bool == false })

        let logins = run.records.filter { $0["category"] as? String == "credential" }.map { c -> String in
            let d = c["details"] as? [String: Any] ?? [:]
            return "\(c["rule"] as? String ?? "") \(d["username"] as? String ?? "") \(d["outcome"] as? String ?? "")"
        }
        #expect(logins.sorted() == ["credential.nntp-password demo accepted", "credential.nntp-password demo rejected"])
        let exposure = run.records.filter { $0["rule"] as? String == "cleartext.nntp" }
        #expect(exposure.count == 1 && exposure.first?["count"] as? Int == 2, "one finding for the server, both connections")
        #expect(exposure.first?["severity"] as? String == "high", "with credentials")

        // The article read: each planted value once (the posted copy's equal
        // values in the same flow are the same findings; the stats count them).
        let found = run.records.filter { ["pii", "secret"].contains($0["category"] as? String ?? "") }
        #expect(Set(found.compactMap { $0["rule"] as? String }) == Set(Self.planted.keys))
        #expect(found.count == Self.planted.count)
        for f in found {
            let details = try #require(f["details"] as? [String: Any])
            let rule = f["rule"] as? String ?? ""
            #expect(f["direction"] as? String == "to_client", "\(rule): ARTICLE's reply comes first")
            #expect(details["source"] as? String == (rule == "secret.github-pat" ? "mime-headers" : "nntp-article-part"), "\(rule)")
        }
        let content = try #require(run.stats?["content"] as? [String: Any])
        #expect((content["streams"] as? [String: Int])?["nntp-article-part"] == 4, "two leaf parts, read and posted")
        #expect((content["decoded_bytes"] as? [String: Int])?["nntp-article-part"] == 2 * 344)
        #expect((content["scan"] as? [String: Any])?["matches"] as? Int == 2 * Self.planted.count)

        for value in Array(Self.planted.values) + ["demo-password", "wrong-password", "whitfield@corp-mail.io"] {
            #expect(!run.stdout.contains(value), "\(value) in the output")
            #expect(!run.stderr.contains(value), "\(value) on standard error")
        }
    }
}

/// nDPI's `nntp.pcap` (../shared): a Leafnode server, three news articles read
/// with `ARTICLE n`. Each `220` reply names the article by its message-id, an
/// address look-alike; the articles' From, Reply-To and X-Complaints-To
/// addresses are real ones.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: Paths.realCaptures.path),
                "../shared/captures/real is absent (a fresh clone): the real NNTP capture is skipped"))
struct NNTPRealCaptureTests {
    @Test func addressesAreFoundAndMessageIDsAreNot() throws {
        let capture = Paths.realCaptures.appendingPathComponent("ndpi__nntp.pcap")
        let run = try plainsight(["read", capture.path, "--format", "json", "--reveal"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.records.first { $0["type"] as? String == "flow" }?["app"] as? String == "nntp")
        #expect(run.records.contains { $0["rule"] as? String == "cleartext.nntp" })
        let addresses = Set(run.records.filter { $0["rule"] as? String == "pii.email" }.compactMap { $0["evidence"] as? String })
        for address in ["DELETEucwubqf02@sneakemail.com", "staff@sunsite.dk", "steve@kostecke.net", "abuse@proxad.net"] {
            #expect(addresses.contains(address), "\(address)")
        }
        for messageID in ["2v22g5tgqijmpnq08phvo9s69asimesi21@4ax.com", "mf88t6-un7.ln1@datacenter.viste-family.net",
                          "slrnhg6pii.180.steve@stasis.kostecke.net"] {
            #expect(!addresses.contains(messageID), "\(messageID) is a message-id")
        }
        let content = try #require(run.stats?["content"] as? [String: Any])
        #expect((content["streams"] as? [String: Int])?["nntp-article-part"] == 3, "three articles, one part each")
    }
}
