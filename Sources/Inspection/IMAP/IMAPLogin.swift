/// The IMAP side of `LoginDialogAnalyzer` (RFC 3501 / RFC 9051): `LOGIN`
/// with its arguments as atoms, quoted strings (`\"`, `\\`) or literals
/// (`{n}`, `{n+}`, the bytes after the line), `AUTHENTICATE` (§6.2.2, with
/// SASL-IR's initial response, RFC 4959), `STARTTLS`, `LOGOUT`, verdicts by
/// tag (`OK`, `NO`/`BAD`; untagged `*` lines answer nothing), and
/// `STARTTLS` in a CAPABILITY response or response code. Literals of other
/// commands (APPEND) and of the server (FETCH) are skipped by length, so
/// their contents are never read as commands or replies.
extension LoginDialogAnalyzer {
    func imapClientLine(_ line: LoginLine, context: inout InspectionContext) {
        if imap.active {
            imapArguments(line, from: 0, context: &context)
            return
        }
        if sasl != nil && saslResponse(line) { return }
        let tagEnd = line.wordEnd(from: 0)
        guard tagEnd > 0, tagEnd < line.count else { return }  // `DONE` ending IDLE, or noise
        let verbStart = tagEnd + 1
        let verbEnd = line.wordEnd(from: verbStart)
        let index = nextCommand()
        if clientUnconfirmed { lastTag = line.copy(0, tagEnd) }
        if line.word(verbStart, verbEnd, is: "LOGIN") {
            noteCleartext("LOGIN", command: index)
            imap.begin(.login, tag: line.copy(0, tagEnd), reply: index)
            imapArguments(line, from: verbEnd, context: &context)
        } else if line.word(verbStart, verbEnd, is: "AUTHENTICATE") {
            noteCleartext("AUTHENTICATE", command: index)
            startSASL(line, from: verbEnd, reply: index, tag: line.copy(0, tagEnd))
        } else if line.word(verbStart, verbEnd, is: "STARTTLS") {
            noteTLSRequest(reply: index, tag: line.copy(0, tagEnd))
        } else if line.word(verbStart, verbEnd, is: "LOGOUT") {
            expect(.quit, reply: index, tag: line.copy(0, tagEnd))
        } else if let length = line.trailingLiteral() {
            imap.begin(.other, tag: [], reply: index)
            imap.active = true
            rawRequest = (length, false)
        }
    }

    /// The arguments of a command from `start`: LOGIN's are kept (user name,
    /// password); a trailing literal continues the command after its bytes.
    func imapArguments(_ line: LoginLine, from start: Int, context: inout InspectionContext) {
        let literal = line.trailingLiteral()
        if imap.kind == .login {
            let end = line.trailingLiteralStart() ?? line.count
            var i = start
            while imap.args.count < 2 {
                i = line.skipSpaces(from: i)
                guard i < end else { break }
                var argument: [UInt8] = []
                if line[i] == UInt8(ascii: "\"") {
                    // quoted = DQUOTE *(any char but `"` and `\`, or `\` followed by one of them) DQUOTE
                    i += 1
                    while i < end && line[i] != UInt8(ascii: "\"") {
                        if line[i] == UInt8(ascii: "\\") && i + 1 < end { i += 1 }
                        argument.append(line[i])
                        i += 1
                    }
                    i += 1
                } else {
                    let atomEnd = min(line.wordEnd(from: i), end)
                    argument = line.copy(i, atomEnd)
                    i = atomEnd
                }
                imap.args.append(argument)
            }
        }
        if let literal {
            imap.active = true
            let keep = imap.kind == .login && imap.args.count < 2
            imap.inLiteral = keep
            rawRequest = (literal, keep)
            return
        }
        // The command is complete.
        if imap.kind == .login && imap.args.count == 2 {
            addCredential(.imapLogin, username: imap.args[0], secret: imap.args[1], reply: imap.reply, tag: imap.tag)
        }
        imap.clear(&context)
    }

    func imapServerLine(_ line: LoginLine) {
        // A literal in a response (FETCH BODY[] {n}): its bytes are not lines.
        if let length = line.trailingLiteral() { rawRequest = (length, false) }
        guard line.count > 0, line[0] != UInt8(ascii: "+") else { return }  // continuation requests
        // The greeting precedes every command, even when the pipeline replays
        // the client's first bytes before it; later responses count from now.
        let isGreeting = !imap.greetingSeen
        imap.greetingSeen = true
        if line.containsWord("CAPABILITY") && line.containsWord("STARTTLS") { noteOffer(isGreeting ? 0 : commandCount) }
        let tagEnd = line.wordEnd(from: 0)
        guard !(tagEnd == 1 && line[0] == UInt8(ascii: "*")) else { return }
        let statusStart = line.skipSpaces(from: tagEnd)
        let statusEnd = line.wordEnd(from: statusStart)
        let status: LoginReplyStatus
        if line.word(statusStart, statusEnd, is: "OK") {
            status = .positive
        } else if line.word(statusStart, statusEnd, is: "NO") || line.word(statusStart, statusEnd, is: "BAD") {
            status = .negative
        } else {
            return
        }
        completeTaggedReply(tag: LoginLine(bytes: UnsafeRawBufferPointer(rebasing: line.bytes[..<tagEnd])), status)
    }
}

/// An IMAP command that goes on after a literal.
struct IMAPCommandState {
    enum Kind { case login, other }

    /// The next client line continues the command.
    var active = false
    var kind: Kind = .other
    var tag: [UInt8] = []
    var reply: UInt64 = 0
    /// LOGIN: user name and password so far.
    var args: [[UInt8]] = []
    /// The literal argument being read, and whether one is.
    var literal: [UInt8] = []
    var inLiteral = false
    /// Literal bytes charged to the context.
    var charged = 0
    /// The server's first line has been read (kept across commands).
    var greetingSeen = false

    mutating func begin(_ kind: Kind, tag: [UInt8], reply: UInt64) {
        self.kind = kind
        self.tag = tag
        self.reply = reply
    }

    /// Keeps up to `maxLine` bytes of a LOGIN literal.
    mutating func appendLiteral(_ bytes: UnsafeRawBufferPointer, _ context: inout InspectionContext) {
        guard inLiteral else { return }
        let take = min(bytes.count, LoginDialogAnalyzer.maxLine - literal.count)
        guard take > 0, context.reserve(take) else { return }
        literal.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[..<take]))
        charged += take
    }

    mutating func literalEnded() {
        guard inLiteral else { return }
        inLiteral = false
        args.append(literal)
        literal = []
    }

    mutating func clear(_ context: inout InspectionContext) {
        context.release(charged)
        let greeting = greetingSeen
        self = IMAPCommandState()
        greetingSeen = greeting
    }
}
