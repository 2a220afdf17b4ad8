import Flows

/// The IMAP side of `LoginDialogAnalyzer` (RFC 3501 / RFC 9051): `LOGIN`
/// with its arguments as atoms, quoted strings (`\"`, `\\`) or literals
/// (`{n}`, `{n+}`, the bytes after the line), `AUTHENTICATE` (§6.2.2, with
/// SASL-IR's initial response, RFC 4959), `STARTTLS`, `LOGOUT`, verdicts by
/// tag (`OK`, `NO`/`BAD`; untagged `*` lines answer nothing), and
/// `STARTTLS` in a CAPABILITY response or response code. Literals of other
/// commands and of the server are passed over by length, so their contents
/// are never read as commands or replies; one that holds a message — an
/// `APPEND`'s, a FETCH of `BODY[]`, `RFC822`, `BINARY[]` or of a header
/// section — goes to a `MailMessageReader` (decoded when content is wanted).
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
            // `APPEND mailbox [flags] [date] {n}`: the last literal is the message,
            // unless it is the mailbox name itself (`APPEND {5}`): the message's
            // literal ends the line that follows it.
            let append = line.word(verbStart, verbEnd, is: "APPEND")
            let mailboxLiteral = append && line.trailingLiteralStart() == line.skipSpaces(from: verbEnd)
            imap.begin(mailboxLiteral ? .appendAfterMailbox : .other, tag: [], reply: index)
            imap.active = true
            if append && !mailboxLiteral {
                literalHoldsMessage(length, .toServer)
            } else {
                rawRequest = (length, false)
            }
        }
    }

    /// A literal of `length` bytes that holds a message follows in
    /// `direction`; one message is read at a time, so while the other
    /// direction's is open or announced this one is passed over (and scanned raw).
    func literalHoldsMessage(_ length: UInt64, _ direction: Direction) {
        if (message != nil && messageDirection != direction) || (messageLiteral.map { $0.direction != direction } ?? false) {
            rawRequest = (length, false)
        } else {
            messageLiteral = (length, direction)
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
            if imap.kind == .appendAfterMailbox {
                imap.kind = .other
                literalHoldsMessage(literal, .toServer)
                return
            }
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
        if let length = line.trailingLiteral() {
            if line.literalHoldsMessage() { literalHoldsMessage(length, .toClient) } else { rawRequest = (length, false) }
        }
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
    enum Kind {
        case login
        /// APPEND whose mailbox name was a literal: the next literal is the message.
        case appendAfterMailbox
        case other
    }

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

extension LoginLine {
    /// Whether the FETCH item before the trailing literal starts with a
    /// message's headers (RFC 9051 §7.5.2): `BODY[]`, `BINARY[]` or
    /// `RFC822` (a whole message, `<origin>` or not), a `HEADER` or
    /// `HEADER.FIELDS (...)` section, `RFC822.HEADER`, a part's `MIME`
    /// header. Not `TEXT` or a part's content (`BODY[1]`): their transfer
    /// encoding is in headers not sent with them; the raw scan reads them.
    func literalHoldsMessage() -> Bool {
        guard var end = trailingLiteralStart() else { return false }
        if end > 0 && bytes[end - 1] == UInt8(ascii: "~") { end -= 1 }  // a literal8 (RFC 3516)
        while end > 0 && bytes[end - 1] == 0x20 { end -= 1 }
        if end > 0 && bytes[end - 1] == UInt8(ascii: ">") {  // a partial fetch's origin
            while end > 0 && bytes[end - 1] != UInt8(ascii: "<") { end -= 1 }
            end = max(end - 1, 0)
        }
        var nameEnd = end
        var section = UnsafeRawBufferPointer(start: nil, count: 0)
        if end > 0 && bytes[end - 1] == UInt8(ascii: "]") {
            var open = end - 1
            while open > 0 && bytes[open] != UInt8(ascii: "[") { open -= 1 }
            guard bytes[open] == UInt8(ascii: "[") else { return false }
            section = UnsafeRawBufferPointer(rebasing: bytes[(open + 1)..<(end - 1)])
            nameEnd = open
        }
        var nameStart = nameEnd
        while nameStart > 0 && bytes[nameStart - 1] != 0x20 && bytes[nameStart - 1] != UInt8(ascii: "(") { nameStart -= 1 }
        let name = UnsafeRawBufferPointer(rebasing: bytes[nameStart..<nameEnd])
        if nameEnd == end {
            return MIMEHeader.equals(name, "rfc822") || MIMEHeader.equals(name, "rfc822.header")
        }
        guard MIMEHeader.equals(name, "body") || MIMEHeader.equals(name, "binary") else { return false }
        // The section's last part after any part number: empty, HEADER..., or MIME.
        var k = 0
        while k < section.count && (section[k] >= 0x30 && section[k] <= 0x39 || section[k] == UInt8(ascii: ".")) { k += 1 }
        let rest = UnsafeRawBufferPointer(rebasing: section[k...])
        return section.isEmpty || MIMEHeader.hasPrefix(rest, "header") || MIMEHeader.equals(rest, "mime")
    }
}
