/// The FTP side of `LoginDialogAnalyzer`: `USER`/`PASS` (RFC 959 §4.1.1),
/// replies with their multi-line form (§4.2: `ddd-` ... `ddd `), preliminary
/// `1xx` replies that do not answer a command, `FEAT` (RFC 2389) listing
/// `AUTH TLS`/`AUTH SSL`, and `AUTH TLS` itself (RFC 4217 §4). After the
/// login it reads on for the data connections the session announces (PASV,
/// EPSV, PORT, EPRT and the transfer command that uses each; see
/// FTPDataChannel.swift).
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
        } else if line.word(0, verbEnd, is: "PORT") {
            if let announcement = line.portCommand(argumentAt: verbEnd) { announce(announcement) }
        } else if line.word(0, verbEnd, is: "EPRT") {
            if let announcement = line.extendedPortCommand(argumentAt: verbEnd) { announce(announcement) }
        } else if let transfer = LoginDialogAnalyzer.transfer(line, verbEnd) {
            guard let announcement = dataAnnouncement else { return }
            // A PASV/PORT serves one transfer (RFC 959 §3.2: then the defaults apply again).
            dataAnnouncement = nil
            let start = min(verbEnd + 1, line.count)
            let name = line.copy(start, min(line.count, start + FTPDataEvent.maxName))
            addDataEvent(.transfer(announcement, transfer, name: name))
        }
    }

    /// The transfer commands that use a data connection (RFC 959 §4.1.3, RFC 3659 §7 for MLSD).
    static func transfer(_ line: LoginLine, _ verbEnd: Int) -> FTPTransfer? {
        guard verbEnd == 4 else { return nil }
        if line.word(0, 4, is: "RETR") || line.word(0, 4, is: "LIST") || line.word(0, 4, is: "NLST")
            || line.word(0, 4, is: "MLSD")
        {
            return .download
        }
        if line.word(0, 4, is: "STOR") || line.word(0, 4, is: "STOU") || line.word(0, 4, is: "APPE") { return .upload }
        return nil
    }

    func announce(_ announcement: FTPDataAnnouncement) {
        dataAnnouncement = announcement
        addDataEvent(.announced(announcement))
    }

    func addDataEvent(_ event: FTPDataEvent) {
        if dataEvents.count >= LoginDialogAnalyzer.maxDataEvents { dataEvents.removeFirst() }
        dataEvents.append(event)
    }

    func ftpServerLine(_ line: LoginLine) {
        if let code = multiLineCode {
            if line.replyCode() == code && (line.count == 3 || line[3] == 0x20) {
                multiLineCode = nil
                ftpReply(code, line)
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
        ftpReply(code, line)
    }

    func ftpReply(_ code: Int, _ line: LoginLine) {
        guard code >= 200 else { return }
        if code == 227, let announcement = line.passiveReply() { announce(announcement) }
        if code == 229, let announcement = line.extendedPassiveReply() { announce(announcement) }  // 1xx: preliminary, the final reply follows
        completeReply(LoginReplyStatus(code: code, ftp: true))
    }
}
