/// The FTP side of `LoginDialogAnalyzer`: `USER`/`PASS` (RFC 959 §4.1.1),
/// replies with their multi-line form (§4.2: `ddd-` ... `ddd `), preliminary
/// `1xx` replies that do not answer a command, `FEAT` (RFC 2389) listing
/// `AUTH TLS`/`AUTH SSL`, and `AUTH TLS` itself (RFC 4217 §4).
extension LoginDialogAnalyzer {
    func ftpClientLine(_ line: LoginLine) {
        let index = nextCommand()
        let verbEnd = line.wordEnd(from: 0)
        if line.word(0, verbEnd, is: "USER") {
            noteCleartext("USER", command: index)
            lastUser = line.argument()
        } else if line.word(0, verbEnd, is: "PASS") {
            noteCleartext("PASS", command: index)
            addCredential(.ftp, username: lastUser, secret: line.argument(), reply: index)
        } else if line.word(0, verbEnd, is: "AUTH") {
            // `AUTH TLS`, `AUTH SSL`, `AUTH TLS-C`, `AUTH TLS-P`; other mechanisms (GSSAPI) are not TLS.
            let start = line.skipSpaces(from: verbEnd)
            if line.hasPrefix("TLS", at: start) || line.hasPrefix("SSL", at: start) { noteTLSRequest(reply: index) }
        } else if line.word(0, verbEnd, is: "FEAT") {
            expect(.listing, reply: index)
        } else if line.word(0, verbEnd, is: "QUIT") {
            expect(.quit, reply: index)
        }
    }

    func ftpServerLine(_ line: LoginLine) {
        if let code = multiLineCode {
            if line.replyCode() == code && (line.count == 3 || line[3] == 0x20) {
                multiLineCode = nil
                ftpReply(code)
            } else if expects(.listing, reply: replyCount) {
                // A feature line: ` AUTH TLS`, ` AUTH TLS;TLS-C;SSL`, ` AUTH SSL`.
                let start = line.skipSpaces(from: 0)
                if line.word(start, line.wordEnd(from: start), is: "AUTH")
                    && (line.containsWord("TLS", from: start) || line.containsWord("SSL", from: start)
                        || line.hasPrefix("TLS", at: start + 5))
                {
                    noteOffer(replyCount)
                }
            }
            return
        }
        guard let code = line.replyCode() else { return }
        if line.count > 3 && line[3] == 0x2d {
            multiLineCode = code
            return
        }
        ftpReply(code)
    }

    func ftpReply(_ code: Int) {
        guard code >= 200 else { return }  // 1xx: preliminary, the final reply follows
        completeReply(LoginReplyStatus(code: code, ftp: true))
    }
}
