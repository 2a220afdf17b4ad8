/// The POP3 side of `LoginDialogAnalyzer`: `USER`/`PASS` and `APOP`
/// (RFC 1939 §7), `AUTH` (RFC 5034) with `+ ` continuations, `CAPA` listing
/// `STLS` and `STLS` itself (RFC 2449, RFC 2595 §4). The bodies of
/// multi-line replies (CAPA, LIST, UIDL, RETR, TOP, a bare AUTH) are read as
/// part of their reply, so a `+OK` inside a mail is not an answer; with
/// content wanted, the mail of a RETR/TOP reply goes to a `MailMessageReader`.
extension LoginDialogAnalyzer {
    func pop3ClientLine(_ line: LoginLine) {
        if sasl != nil && saslResponse(line) { return }
        let index = nextCommand()
        let verbEnd = line.wordEnd(from: 0)
        let argument = line.skipSpaces(from: verbEnd)
        let hasArgument = argument < line.count
        if line.word(0, verbEnd, is: "USER") {
            noteCleartext("USER", command: index)
            lastUser = line.argument()
        } else if line.word(0, verbEnd, is: "PASS") {
            noteCleartext("PASS", command: index)
            addCredential(.pop3, username: lastUser, secret: line.argument(), reply: index)
        } else if line.word(0, verbEnd, is: "APOP") {
            // `APOP name digest`: the digest is MD5(timestamp + password).
            noteCleartext("APOP", command: index)
            let nameEnd = line.wordEnd(from: argument)
            let digestStart = line.skipSpaces(from: nameEnd)
            let digestEnd = line.wordEnd(from: digestStart)
            addCredential(
                .apop, username: line.copy(argument, nameEnd), secret: line.copy(digestStart, digestEnd), reply: index)
        } else if line.word(0, verbEnd, is: "AUTH") {
            if hasArgument {
                noteCleartext("AUTH", command: index)
                startSASL(line, from: verbEnd, reply: index)
            } else {
                expect(.multiLine, reply: index)  // the list of mechanisms
            }
        } else if line.word(0, verbEnd, is: "STLS") {
            noteTLSRequest(reply: index)
        } else if line.word(0, verbEnd, is: "CAPA") {
            expect(.listing, reply: index)
            expect(.multiLine, reply: index)
        } else if line.word(0, verbEnd, is: "RETR") || line.word(0, verbEnd, is: "TOP") {
            expect(.mail, reply: index)
        } else if !hasArgument && (line.word(0, verbEnd, is: "LIST") || line.word(0, verbEnd, is: "UIDL")) {
            expect(.multiLine, reply: index)
        } else if line.word(0, verbEnd, is: "QUIT") {
            expect(.quit, reply: index)
        }
    }

    func pop3ServerLine(_ line: LoginLine) {
        if inReplyBody {
            replyBodyLine(line, offer: "STLS")  // a mail's lines are not scanned
            return
        }
        let verbEnd = line.wordEnd(from: 0)
        if line.word(0, verbEnd, is: "+OK") {
            mailReply = expects(.mail, reply: replyCount)
            if mailReply || expects(.multiLine, reply: replyCount) {
                inReplyBody = true
            } else {
                completeReply(.positive)
            }
        } else if line.word(0, verbEnd, is: "-ERR") {
            completeReply(.negative)
        } else if line.count >= 1 && line[0] == UInt8(ascii: "+") {
            completeReply(.continuation)  // `+ <challenge>` (RFC 5034 §4)
        }
    }
}
