import Flows

/// The NNTP side of `LoginDialogAnalyzer` (RFC 3977): `AUTHINFO USER`/`PASS`
/// with their `381`/`281`/`481` replies and `AUTHINFO SASL` with `383`
/// continuations (RFC 4643), `STARTTLS` in a `CAPABILITIES` listing and as a
/// command (RFC 4642). Replies are three-digit codes as in SMTP; those that
/// carry a body ending in a `.` line are known by the command they answer
/// (`211` is one line after GROUP, a listing after LISTGROUP), so a `281`
/// inside an article is not an answer. With content wanted, the article of
/// an `ARTICLE`/`HEAD` reply (`220`/`221`) and the one a client sends after
/// `POST`/`IHAVE` (`340`/`335`) go to a `MailMessageReader`: news articles
/// are RFC 5322 messages, dot-stuffed like POP3's.
extension LoginDialogAnalyzer {
    /// Commands whose positive reply has a body ending in a `.` line (RFC 3977
    /// §3.1.1; OVER/HDR's older X names, RFC 2980).
    static let nntpMultiLineCommands: [StaticString] = [
        "HELP", "LIST", "LISTGROUP", "NEWGROUPS", "NEWNEWS", "OVER", "XOVER", "HDR", "XHDR", "XPAT", "BODY",
    ]

    func nntpClientLine(_ line: LoginLine) {
        if sasl != nil && saslResponse(line) { return }
        lineIsNotContent = nntpNamesArticle(line, direction: .toServer)
        let index = nextCommand()
        let verbEnd = line.wordEnd(from: 0)
        if line.word(0, verbEnd, is: "AUTHINFO") {
            let kindStart = line.skipSpaces(from: verbEnd)
            let kindEnd = line.wordEnd(from: kindStart)
            // The rest of the line after one space: a password may hold spaces.
            let value = kindEnd < line.count ? line.copy(kindEnd + 1, line.count) : []
            if line.word(kindStart, kindEnd, is: "USER") {
                noteCleartext("AUTHINFO", command: index)
                lastUser = value
            } else if line.word(kindStart, kindEnd, is: "PASS") {
                noteCleartext("AUTHINFO", command: index)
                addCredential(.nntp, username: lastUser, secret: value, reply: index)
            } else if line.word(kindStart, kindEnd, is: "SASL") {
                noteCleartext("AUTHINFO", command: index)
                startSASL(line, from: kindEnd, reply: index)
            }
        } else if line.word(0, verbEnd, is: "STARTTLS") {
            noteTLSRequest(reply: index)
        } else if line.word(0, verbEnd, is: "CAPABILITIES") {
            expect(.listing, reply: index)
            expect(.multiLine, reply: index)
        } else if line.word(0, verbEnd, is: "ARTICLE") || line.word(0, verbEnd, is: "HEAD") {
            expect(.mail, reply: index)
        } else if line.word(0, verbEnd, is: "POST") || line.word(0, verbEnd, is: "IHAVE") {
            // The article follows a 340/335; a refusal (440, 435, 437) ends it.
            inData = true
            dataResumed = false
            expect(.data, reply: index)
        } else if line.word(0, verbEnd, is: "QUIT") {
            expect(.quit, reply: index)
        } else if LoginDialogAnalyzer.nntpMultiLineCommands.contains(where: { line.word(0, verbEnd, is: $0) }) {
            expect(.multiLine, reply: index)
        }
    }

    func nntpServerLine(_ line: LoginLine) {
        if inReplyBody {
            replyBodyLine(line, offer: "STARTTLS")
            return
        }
        guard let code = line.replyCode() else { return }
        lineIsNotContent = nntpNamesArticle(line, direction: .toClient)
        switch code / 100 {
        case 1, 2:
            // 1xx are informative replies with a body (HELP, CAPABILITIES); a
            // 2xx has one when its command's does (`.multiLine`, `.mail`).
            mailReply = (code == 220 || code == 221) && expects(.mail, reply: replyCount)
            if mailReply || expects(.multiLine, reply: replyCount) || code / 100 == 1 {
                inReplyBody = true
            } else {
                completeReply(.positive)
            }
        case 3:
            completeReply(.continuation)  // 381 password, 383 SASL, 340/335 send the article
        default:
            completeReply(.negative)
        }
    }
}

extension LoginDialogAnalyzer {
    /// Commands that may name an article by its message-id (RFC 3977 §6.2, §6.3.2; RFC 4644).
    static let nntpArticleCommands: [StaticString] = ["ARTICLE", "HEAD", "BODY", "STAT", "IHAVE", "CHECK", "TAKETHIS"]

    /// A reply that names the article it answers for (`220 3000234
    /// <45223423@example.com>`, 220–223), or a command naming one by
    /// message-id: a message-id is shaped like an e-mail address and is none,
    /// so the raw scan skips the line. (In an article's own headers the
    /// e-mail rule knows `Message-ID:` and `References:`.)
    func nntpNamesArticle(_ line: LoginLine, direction: Direction) -> Bool {
        if direction == .toClient {
            guard let code = line.replyCode(), (220...223).contains(code) else { return false }
        } else {
            let verbEnd = line.wordEnd(from: 0)
            guard LoginDialogAnalyzer.nntpArticleCommands.contains(where: { line.word(0, verbEnd, is: $0) }) else { return false }
        }
        return line.bytes.contains(UInt8(ascii: "<"))
    }
}
