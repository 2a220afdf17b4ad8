import Foundation
import Testing

/// `Captures/mail-content.pcap`, recorded on loopback (`RECORD_ONLY=mailcontent
/// Captures/record.sh`): one MIME mail holding the data of `content-http.pcap`,
/// built with python's `email` package — an `X-Deploy-Token` header with the
/// GitHub token; multipart/mixed with a quoted-printable text part (the e-mail
/// address, soft-broken as `dana=` CRLF `.whitfield@…`, and the SSN) and a base64
/// attachment `customers.csv` (columns `card_number`, `aws_access_key_id`).
/// Three connections to scripted servers: smtplib sends it with `DATA` (18101),
/// poplib logs in and reads it with `RETR 1` (18099), imaplib logs in, reads it
/// with `FETCH 1 (BODY.PEEK[])` and stores it again with `APPEND` (18100).
/// The card number, the AWS key id and the address are not on the wire as they
/// are (base64; a soft line break); the token and the SSN are.
struct MailContentCaptureTests {
    static let capture = Paths.captures.appendingPathComponent("mail-content.pcap")
    /// The same fake values as `content-http.pcap`.
    static let planted = ContentRecordedCaptureTests.planted

    /// rule: source, field, file (nil: none) — the same in each connection.
    static func expected(_ part: String) -> [String: [String?]] {
        [
            "secret.github-pat": ["mime-headers", "X-Deploy-Token", nil],
            "pii.email": [part, nil, nil],
            "pii.us-ssn": [part, nil, nil],
            "pii.payment-card": [part, "card_number", "customers.csv"],
            "secret.aws-access-key-id": [part, "aws_access_key_id", "customers.csv"],
        ]
    }

    static func serverPort(_ record: [String: Any]) -> Int? {
        ((record["flow"] as? [String: Any])?["server"] as? [String: Any])?["port"] as? Int
    }

    @Test func whatTheWireShows() throws {
        let bytes = try Data(contentsOf: Self.capture)
        for rule in ["pii.payment-card", "secret.aws-access-key-id", "pii.email"] {
            #expect(bytes.range(of: Data(Self.planted[rule]!.utf8)) == nil, "\(rule): not readable on the wire")
        }
        // Quoted-printable leaves these as they are, and a header is not encoded.
        for rule in ["pii.us-ssn", "secret.github-pat"] {
            #expect(bytes.range(of: Data(Self.planted[rule]!.utf8)) != nil, "\(rule): readable on the wire")
        }
        // The address's continuation line, dot-stuffed in SMTP DATA and the POP3 reply, not in IMAP literals.
        #expect(bytes.range(of: Data("dana=\r\n..whitfield@corp-mail.io".utf8)) != nil)
        #expect(bytes.range(of: Data("dana=\r\n.whitfield@corp-mail.io".utf8)) != nil)
    }

    @Test func everyPlantedValueIsFoundInEachConnection() throws {
        let run = try plainsight(["read", Self.capture.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let found = run.records.filter { ["pii", "secret"].contains($0["category"] as? String ?? "") }
        // port: direction, source of the decoded parts
        let connections: [Int: (String, String)] = [
            18101: ("to_server", "smtp-message-part"),  // DATA
            18099: ("to_client", "pop3-message-part"),  // RETR 1
            // FETCH BODY[] to the client first; the APPEND's equal matches in the
            // same flow are the same findings (rule, flow, fingerprint): see the stats below.
            18100: ("to_client", "imap-message-part"),
        ]
        #expect(found.count == connections.count * Self.planted.count)
        for (port, (direction, part)) in connections {
            let here = found.filter { Self.serverPort($0) == port }
            #expect(Set(here.compactMap { $0["rule"] as? String }) == Set(Self.planted.keys), "port \(port)")
            #expect(here.count == Self.planted.count, "port \(port)")
            let expected = Self.expected(part)
            for f in here {
                let rule = f["rule"] as? String ?? ""
                let details = try #require(f["details"] as? [String: Any])
                #expect(f["direction"] as? String == direction, "\(port) \(rule)")
                #expect(
                    [details["source"] as? String, details["field"] as? String, details["file"] as? String]
                        == expected[rule], "\(port) \(rule)")
                #expect(!(f["evidence"] as? String ?? "").contains(Self.planted[rule] ?? "?"), "\(rule) evidence in clear")
            }
            let card = try #require(here.first { $0["rule"] as? String == "pii.payment-card" })
            #expect(card["evidence"] as? String == "************8143")
        }

        // The logins before RETR and FETCH are still reported.
        let credentials = run.records.filter { $0["category"] as? String == "credential" }
        let logins = Set(credentials.map { c -> String in
            let d = c["details"] as? [String: Any] ?? [:]
            return "\(Self.serverPort(c) ?? 0) \(c["rule"] as? String ?? "") \(d["username"] as? String ?? "") \(d["outcome"] as? String ?? "")"
        })
        #expect(logins == ["18099 credential.pop3-password demo accepted", "18100 credential.imap-login demo accepted"])

        // No planted value, nor the password, in clear anywhere in the output.
        for value in Array(Self.planted.values) + ["demo-password", "whitfield@corp-mail.io"] {
            #expect(!run.stdout.contains(value), "\(value) in the output")
            #expect(!run.stderr.contains(value), "\(value) on standard error")
        }

        // Four copies of the mail (DATA, RETR, FETCH, APPEND), each three header
        // blocks (the message's, each part's) and two leaf parts; 344 bytes
        // decoded per copy: the text part (246 bytes: 239 of UTF-8 with LF line
        // ends, sent with CRLF) and the 98-byte CSV file. Five matches per
        // copy: the APPEND's are the fourth five.
        let content = try #require(run.stats?["content"] as? [String: Any])
        let streams = try #require(content["streams"] as? [String: Int])
        let decoded = try #require(content["decoded_bytes"] as? [String: Int])
        #expect(streams["mime-headers"] == 12)
        for (kind, copies) in ["smtp-message-part": 1, "pop3-message-part": 1, "imap-message-part": 2] {
            #expect(streams[kind] == 2 * copies, "\(kind)")
            #expect(decoded[kind] == 344 * copies, "\(kind)")
        }
        let scan = try #require(content["scan"] as? [String: Any])
        #expect(scan["matches"] as? Int == 4 * Self.planted.count)
        #expect(scan["binary_streams"] as? Int == 0)
    }
}
