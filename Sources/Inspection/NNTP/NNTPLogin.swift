import Flows

/// The NNTP side of `LoginDialogAnalyzer` (RFC 3977): `AUTHINFO USER`/`PASS`
/// with their `381`/`281`/`481` replies and `AUTHINFO SASL` with `383`
/// continuations (RFC 4643), `STARTTLS` in a `CAPABILITIES` listing and as a
/// command (RFC 4642). Replies are three-digit codes as in SMTP; those that
/// carry a body ending in a `.` line are known by the command they answer
/// (`211` is one line after GROUP, a listing after LISTGROUP), so a `281`
/// inside an article is not an answer. With content wanted, the article of
/// an `ARTICLE`/`HEAD` reply (`220`/`221`) and the one a client sends after
/// `POST`/`IHAVE` (`340`/`335`) or with `TAKETHIS` (RFC 4644) go to a
/// `MailMessageReader`: news articles are RFC 5322 messages, dot-stuffed like
/// POP3's. The article is always read as data, never as commands.
extension LoginDialogAnalyzer {
    /// Commands whose positive reply has a body ending in a `.` line (RFC 3977
    /// §3.1.1; OVER/HDR's older X names and XGTITLE, XROVER of RFC 2980).
    static let nntpMultiLineCommands: [StaticString] = [
        "HELP", "LIST", "LISTGROUP", "NEWGROUPS", "NEWNEWS", "OVER", "XOVER", "HDR", "XHDR", "XPAT", "BODY",
        "XGTITLE", "XROVER",
    ]

    func nntpClientLine(_ line: LoginLine) {
        if sasl != nil && saslResponse(line) { return }
        lineNotContent = nntpNamesArticle(line, direction: .toServer) ? Self.wholeLine : nil
        let verbEnd = line.wordEnd(from: 0)
        if line.word(0, verbEnd, is: "TAKETHIS") {
            // RFC 4644 §2.5: the article follows at once, and one reply (239,
            // 439) answers command and article: counted when the article ends.
            inData = true
            dataResumed = false
            return
        }
        let index = nextCommand()
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
            // The article follows a 340/335; a refusal (440; 435, 436) means none comes.
            inData = true
            dataResumed = false
            expect(.data, reply: index)
        } else if line.word(0, verbEnd, is: "QUIT") {
            expect(.quit, reply: index)
        } else if LoginDialogAnalyzer.nntpMultiLineCommands.contains(where: { line.word(0, verbEnd, is: $0) }) {
            expect(.multiLine, reply: index)
            if nntpListsMessageIDs(line, verbEnd: verbEnd) { expect(.messageIDs, reply: index) }
            if line.word(0, verbEnd, is: "OVER") || line.word(0, verbEnd, is: "XOVER") { expect(.overview, reply: index) }
        }
    }

    func nntpServerLine(_ line: LoginLine) {
        if inReplyBody {
            if expects(.messageIDs, reply: replyCount) {
                lineNotContent = Self.wholeLine
            } else if expects(.overview, reply: replyCount) {
                lineNotContent = LoginDialogAnalyzer.overviewIDFields(line)
            }
            replyBodyLine(line, offer: "STARTTLS")
            return
        }
        guard let code = line.replyCode() else { return }
        lineNotContent = nntpNamesArticle(line, direction: .toClient) ? Self.wholeLine : nil
        switch code / 100 {
        case 1, 2:
            // A reply has a body when its command's does (`.multiLine`, `.mail`):
            // HELP's 100 and CAPABILITIES' 101 do, DATE's 111 does not.
            mailReply = (code == 220 || code == 221) && expects(.mail, reply: replyCount)
            if mailReply || expects(.multiLine, reply: replyCount) {
                inReplyBody = true
            } else {
                completeReply(.positive)
            }
        case 3:
            // 382: go ahead with TLS (RFC 4642 §2.2), the upgrade accepted; 381
            // password, 383 SASL, 340/335 send the article: more is wanted.
            completeReply(code == 382 ? .positive : .continuation)
        default:
            completeReply(.negative)
        }
    }
}

extension LoginDialogAnalyzer {
    /// Commands that may name an article by its message-id (RFC 3977 §6.2, §6.3.2; RFC 4644).
    static let nntpArticleCommands: [StaticString] = ["ARTICLE", "HEAD", "BODY", "STAT", "IHAVE", "CHECK", "TAKETHIS"]

    /// Replies that may name an article by message-id: ARTICLE, HEAD, BODY,
    /// STAT (220–223), IHAVE (335, 435–437), CHECK and TAKETHIS (238, 239,
    /// 431, 438, 439; RFC 4644), and `340` (INN names the id it will give).
    static let nntpArticleReplies: Set<Int> = [220, 221, 222, 223, 238, 239, 335, 340, 431, 435, 436, 437, 438, 439]

    /// NEWNEWS lists message-ids (RFC 3977 §7.4), and so does HDR/XHDR of an
    /// id header (`HDR References 1-20`, the headers a mail's reader blanks:
    /// `MIMEReader.holdsIDs`): lines that read like addresses and are none.
    func nntpListsMessageIDs(_ line: LoginLine, verbEnd: Int) -> Bool {
        if line.word(0, verbEnd, is: "NEWNEWS") { return true }
        guard line.word(0, verbEnd, is: "HDR") || line.word(0, verbEnd, is: "XHDR") else { return false }
        let fieldStart = line.skipSpaces(from: verbEnd)
        let fieldEnd = line.wordEnd(from: fieldStart)
        return MIMEReader.holdsIDs(UnsafeRawBufferPointer(rebasing: line.bytes[fieldStart..<fieldEnd]))
    }

    /// The Message-ID and References fields of an overview line (RFC 3977
    /// §8.3.2: the article number, then Subject, From, Date, Message-ID,
    /// References, :bytes, :lines, tab-separated): what lies between its
    /// fourth and sixth tab (or its end: the end of the whole line when only
    /// its first `maxLine` bytes are read — a long thread's References). The
    /// From field stays content.
    static func overviewIDFields(_ line: LoginLine) -> Range<Int>? {
        var tabs = 0
        var start = 0
        for i in 0..<line.count where line.bytes[i] == 0x09 {
            tabs += 1
            if tabs == 4 { start = i + 1 }
            if tabs == 6 { return start..<i }
        }
        return tabs >= 4 ? start..<(line.truncated ? Int.max : line.count) : nil
    }

    /// A reply that names the article it answers for (`220 3000234
    /// <45223423@example.com>`), or a command naming one by message-id: a
    /// message-id is shaped like an e-mail address and is none, so the raw
    /// scan skips the line. (In an article's own headers the e-mail rule
    /// knows `Message-ID:`, `References:` and the like.)
    func nntpNamesArticle(_ line: LoginLine, direction: Direction) -> Bool {
        if direction == .toClient {
            guard let code = line.replyCode(), LoginDialogAnalyzer.nntpArticleReplies.contains(code) else { return false }
        } else {
            let verbEnd = line.wordEnd(from: 0)
            guard LoginDialogAnalyzer.nntpArticleCommands.contains(where: { line.word(0, verbEnd, is: $0) }) else { return false }
        }
        return line.bytes.contains(UInt8(ascii: "<"))
    }
}
