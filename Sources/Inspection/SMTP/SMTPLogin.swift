/// The SMTP side of `LoginDialogAnalyzer`: `AUTH` (RFC 4954) with its `334`
/// continuations and `235`/`535` verdicts, the `STARTTLS` keyword of an EHLO
/// reply and the `STARTTLS` command (RFC 3207). The mail text after `DATA`
/// (RFC 5321 §4.1.1.4) and the chunks of `BDAT` (RFC 3030) are read by a
/// `MailMessageReader` (decoded for the content stage when wanted, never read
/// for commands: a message about "AUTH PLAIN" is not a login).
extension LoginDialogAnalyzer {
    /// The replies to AUTH and its responses (RFC 4954 §4, §6, RFC 3463 codes aside).
    static let authReplyCodes: Set<Int> = [235, 334, 432, 454, 500, 501, 504, 530, 534, 535, 538]

    func smtpClientLine(_ line: LoginLine, context: inout InspectionContext) {
        if sasl != nil && saslResponse(line) { return }
        let index = nextCommand()
        let verbEnd = line.wordEnd(from: 0)
        if let m = message, !(m.framing == .counted && line.word(0, verbEnd, is: "BDAT")) {
            // A chunked message (BDAT without LAST) given up — RSET, a new
            // MAIL or DATA after a refused chunk (RFC 3030 §4.2) — or the
            // text pipelined after a refused DATA.
            endMessage(complete: false, &context)
        }
        if line.word(0, verbEnd, is: "AUTH") {
            noteCleartext("AUTH", command: index)
            startSASL(line, from: verbEnd, reply: index)
        } else if line.word(0, verbEnd, is: "MAIL") {
            noteCleartext("MAIL", command: index)
        } else if line.word(0, verbEnd, is: "STARTTLS") {
            noteTLSRequest(reply: index)
        } else if line.word(0, verbEnd, is: "DATA") {
            inData = true
            dataResumed = false
            expect(.data, reply: index)
        } else if line.word(0, verbEnd, is: "BDAT") {
            // `BDAT <size> [LAST]`: exactly <size> bytes of message follow.
            var size: UInt64 = 0
            var i = line.skipSpaces(from: verbEnd)
            while i < line.count && line[i] >= 0x30 && line[i] <= 0x39 && size < UInt64.max / 20 {
                size = size * 10 + UInt64(line[i] - 0x30)
                i += 1
            }
            let lastStart = line.skipSpaces(from: i)
            bdat = (size, line.word(lastStart, line.wordEnd(from: lastStart), is: "LAST"))
        } else if line.word(0, verbEnd, is: "QUIT") {
            expect(.quit, reply: index)
        }
    }

    func smtpServerLine(_ line: LoginLine) {
        guard let code = line.replyCode() else { return }
        // EHLO keyword lines: `250-STARTTLS` / `250 STARTTLS`.
        if code == 250 && line.count >= 12 && line.word(4, line.wordEnd(from: 4), is: "STARTTLS") {
            noteOffer(replyCount)
        }
        let last = line.count == 3 || line[3] == 0x20
        guard last else { return }
        if clientUnconfirmed {
            // The client's side resumed inside DATA, and now a final reply: the
            // mail's end line was lost too (the server answers nothing before it).
            if inData && code != 354 { inData = false }
            // What answers a mail line that read like AUTH is the mail's own
            // reply (250, 554, ...), never one AUTH gets (RFC 4954 §4, §6).
            if !LoginDialogAnalyzer.authReplyCodes.contains(code) {
                pending.removeAll { $0.unconfirmed && $0.reply == replyCount }
            }
        }
        completeReply(LoginReplyStatus(code: code, ftp: false))
    }
}
