#if canImport(Glibc)
import Glibc
#endif
import Flows

/// Reads the login dialogue of a cleartext command/reply protocol — SMTP,
/// POP3, IMAP, FTP, NNTP — and reports the credentials a client sent in clear
/// (with the server's verdict on them) and what it did with an offer of TLS.
///
/// Both directions are split into lines (CRLF or a bare LF) as they arrive.
/// A line that lies inside one chunk is read in place; one that spans chunks
/// has its first `maxLine` bytes copied, charged to the context's buffer
/// budget (a refused charge empties that line: `bufferCapHits` counts it).
/// Longer lines are read up to `maxLine` bytes, the rest skipped. IMAP
/// literals and SMTP `BDAT` chunks are passed over by length (a literal that
/// is a LOGIN argument is kept, up to `maxLine` bytes, also charged).
///
/// Replies are matched to commands by counting (each SMTP/POP3/FTP command
/// gets exactly one final reply, in order; the greeting is reply 0) or, for
/// IMAP, by tag — so the verdicts do not depend on how the two directions'
/// chunks interleave. A credential is emitted when its reply is seen; when
/// the server direction ends or passes `maxDepth` first, it is emitted
/// with outcome `.unknown` (a credential is never lost — but see below for
/// one read after lost bytes).
///
/// Lost bytes — a direction first seen past its start (picked up
/// mid-stream), or a gap — cost the line they fall in, not the direction
/// (`LineDialogue`): reading goes on after the next line feed. From then on
/// the counts of what went by unseen are unknown, so a reply answers the last
/// command read before it (arrival order; a credential whose reply was not
/// the next one is `.unknown`), and the greeting is not expected. After the
/// client's side resumed it may be inside a mail body or a literal, so until
/// a reply shows it is sending commands, a credential read there counts only
/// if the server answers it before the next command, and is dropped
/// otherwise (a mail about "AUTH PLAIN ..." is not a login). A STARTTLS offer
/// counts only where it is seen.
///
/// It is `.done` once both directions have ended (or passed
/// `maxDepth` bytes), once a login was accepted and nothing else waits for a
/// reply (the session that follows holds no login; not FTP, whose data
/// connections are announced after the login), after the reply to
/// QUIT/LOGOUT, and after a TLS upgrade was accepted (the rest is TLS). Per chunk it allocates nothing unless a
/// line spans chunks for the first time in its direction, or a credential or
/// tag is kept.
public final class LoginDialogAnalyzer: StreamAnalyzer, SightingSource, LineDialogue {
    public enum Dialect: Sendable { case smtp, pop3, imap, ftp, nntp }

    public let dialect: Dialect
    /// Bytes read per direction before giving up on it.
    public let maxDepth: UInt64
    /// What was seen so far, in order.
    public internal(set) var sightings: [Sighting] = []

    /// Bytes of a line kept (and of an IMAP literal argument).
    public static let maxLine = 1024
    /// Credentials waiting for their reply; past it the oldest is emitted as `.unknown`.
    static let maxPendingCredentials = 4
    /// Replies of interest waited for (STARTTLS, QUIT, CAPA, a body: a news
    /// reader pipelines dozens of BODY commands); past it the oldest is forgotten.
    static let maxExpectations = 64

    // One flow's state, used on the packet thread only.
    @exclusivity(unchecked) var readers = (toServer: LoginLineReader(), toClient: LoginLineReader())
    /// Set by a line handler: the bytes that follow the line are data, not lines.
    var rawRequest: (length: UInt64, capture: Bool)?
    var lineNotContent: Range<Int>?
    var isDone = false

    // MARK: dialogue bookkeeping

    /// Client commands counted so far; command n is answered by reply n.
    var commandCount: UInt64 = 0
    /// Complete (final) server replies so far; the greeting is reply 0.
    var replyCount: UInt64 = 0
    var expectations: [LoginExpectation] = []
    var pending: [PendingCredential] = []
    var sasl: SASLExchange?
    /// Argument of the last USER command (FTP, POP3).
    var lastUser: [UInt8]?
    /// The reply (IMAP: the command count) in which TLS was first offered.
    var offerIndex: UInt64?
    /// Credential commands sent while no upgrade had been asked for (the first few).
    var cleartextCommands: [(index: UInt64, word: StaticString)] = []
    /// The client asked for TLS at some point (refused or not).
    var tlsRequested = false
    var reportedNotUsed = false
    /// A login was accepted.
    var loggedIn = false
    var reportedFailed = false

    // MARK: per-dialect reply and command state

    /// FTP: code of the multi-line reply being read.
    var multiLineCode: Int?
    /// POP3, NNTP: inside the body of a multi-line reply.
    var inReplyBody = false
    /// SMTP, NNTP: inside the mail text after DATA (an article after POST,
    /// IHAVE), until the `.` line.
    var inData = false
    /// The mail being read (SMTP DATA or BDAT, a POP3 RETR/TOP reply, an IMAP
    /// literal holding a message), decoded when content is wanted.
    var message: MailMessageReader?
    /// The direction `message` is read from.
    var messageDirection = Direction.toServer
    /// SMTP: a `BDAT` chunk announced, and whether it is the last.
    var bdat: (size: UInt64, last: Bool)?
    /// SMTP: the chunk being read is the message's last (reset with `message`).
    var bdatLast = false
    /// POP3, NNTP: the reply being read has a mail as its body (RETR, TOP;
    /// ARTICLE, HEAD).
    var mailReply = false
    /// IMAP: a literal that holds a message was announced (a FETCH of a
    /// whole message or its header, an APPEND).
    var messageLiteral: (length: UInt64, direction: Direction)?
    /// Number of the next content stream (mail parts) of this flow.
    var nextContentStream: UInt32 = 0
    /// IMAP: a command continued after a literal.
    var imap = IMAPCommandState()
    /// FTP: the data connection announced last (PASV/EPSV reply, PORT/EPRT), until a transfer command uses it.
    var dataAnnouncement: FTPDataAnnouncement?
    /// FTP: what the pipeline has not taken yet (`takeDataEvents()`).
    var dataEvents: [FTPDataEvent] = []
    /// FTP data events waiting for the pipeline; past it the oldest is dropped.
    static let maxDataEvents = 8

    // MARK: after lost bytes

    /// Bytes of a direction were lost (or never seen): replies are matched
    /// to commands in the order they arrive, not by count.
    var countsLost = false
    /// The client's side resumed after lost bytes and no reply has shown yet
    /// that it sends commands: a credential read now needs its answer.
    var clientUnconfirmed = false
    /// `commandCount` when the client's side resumed.
    var clientResumedAt: UInt64 = 0
    /// IMAP, while unconfirmed: the last command's tag (its tagged reply confirms).
    var lastTag: [UInt8] = []
    /// While unconfirmed: the last command, if it went out in clear instead of
    /// STARTTLS; noted once the server answers it.
    var unconfirmedCleartext: (index: UInt64, word: StaticString)?
    /// SMTP: the client's side resumed inside DATA, so the rest of the mail is
    /// passed over (to its end line), not decoded.
    var dataResumed = false

    public init(dialect: Dialect, maxDepth: UInt64) {
        self.dialect = dialect
        self.maxDepth = maxDepth
    }

    // MARK: StreamAnalyzer

    public func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard !isDone else { return .done }
        var r = LoginLineReader()
        if direction == .toServer { swap(&r, &readers.toServer) } else { swap(&r, &readers.toClient) }
        readLines(bytes, offset: offset, into: &r, direction: direction, context: &context)
        if direction == .toServer { swap(&r, &readers.toServer) } else { swap(&r, &readers.toClient) }
        return settle(&context)
    }

    /// Lost bytes cost the line they fall in: the direction resumes after the next line feed.
    public func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard !isDone else { return .done }
        var r = LoginLineReader()
        if direction == .toServer { swap(&r, &readers.toServer) } else { swap(&r, &readers.toClient) }
        skipLostLines(offset: offset, length: length, into: &r, direction: direction, context: &context)
        if direction == .toServer { swap(&r, &readers.toServer) } else { swap(&r, &readers.toClient) }
        return settle(&context)
    }

    public func end(direction: Direction, context: inout InspectionContext) {
        guard !isDone else { return }
        if direction == .toServer { readers.toServer.stop(&context) } else { readers.toClient.stop(&context) }
        _ = settle(&context)
    }

    /// After any input: with the server's stream over no reply can decide a
    /// waiting credential; with both over (or done) everything is let go.
    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict {
        if readers.toClient.finished { flushPending() }
        if readers.toServer.finished && readers.toClient.finished { isDone = true }
        // Logged in, nothing left waiting: the rest of the session (mail,
        // files, listings) holds no login, and is not read — unless the
        // content stage wants the mail it carries. FTP reads on (within
        // the depth) for the data connections it announces: its control
        // channel is small, the files go elsewhere.
        if loggedIn && pending.isEmpty && sasl == nil && !context.wantsContent && dialect != .ftp {
            isDone = true
        }
        let messageStopped = messageDirection == .toServer ? readers.toServer.finished : readers.toClient.finished
        if message != nil && (isDone || messageStopped) { endMessage(complete: false, &context) }
        guard isDone else { return .needMore }
        flushPending()
        sasl = nil
        readers.toServer.stop(&context)
        readers.toClient.stop(&context)
        imap.clear(&context)
        return .done
    }

    // MARK: lines

    /// A mail's bytes are the message, not lines: SMTP `DATA` (dot-stuffed,
    /// up to CRLF.CRLF) and `BDAT` chunks, a POP3 `RETR`/`TOP` reply's body
    /// while content is wanted, an IMAP literal holding a message, an NNTP
    /// article (an `ARTICLE`/`HEAD` reply's body while content is wanted, or
    /// sent after `POST`/`IHAVE`).
    func streamBytes(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, context: inout InspectionContext
    ) -> (used: Int, decoded: Bool)? {
        switch dialect {
        case .smtp:
            guard direction == .toServer else { return nil }
            if inData { return readData(bytes, &context) }
            if let chunk = bdat {  // announced by the line just read
                bdat = nil
                if message == nil { startMessage(.smtpMessagePart, .toServer, .counted, &context) }
                message!.expect(chunk.size)
                bdatLast = chunk.last
            }
            // Between chunks (and after a refused DATA) the next line is a
            // command: one other than BDAT ends the message (`smtpClientLine`).
            guard let m = message else { return nil }
            guard m.remaining > 0 else {
                if bdatLast { endMessage(complete: true, &context) }  // `BDAT 0 LAST`
                return nil
            }
            let taken = readMessage(bytes, &context)
            if taken.ended && bdatLast { endMessage(complete: true, &context) }
            return (taken.used, taken.decoded)
        case .pop3:
            guard direction == .toClient else { return nil }
            return readMailReply(bytes, .pop3MessagePart, &context)
        case .nntp:
            if direction == .toServer { return inData ? readData(bytes, &context) : nil }
            return readMailReply(bytes, .nntpArticlePart, &context)
        case .imap:
            if let literal = messageLiteral, literal.direction == direction {
                messageLiteral = nil
                startMessage(.imapMessagePart, direction, .counted, &context)
                message!.expect(literal.length)
            }
            guard message != nil, messageDirection == direction else { return nil }
            let taken = readMessage(bytes, &context)
            if taken.ended { endMessage(complete: true, &context) }
            return (taken.used, taken.decoded)
        case .ftp:
            return nil
        }
    }

    /// A POP3 `RETR`/`TOP` or NNTP `ARTICLE`/`HEAD` reply's body, up to its
    /// end line: the reply is complete then.
    private func readMailReply(
        _ bytes: UnsafeRawBufferPointer, _ kind: ContentKind, _ context: inout InspectionContext
    ) -> (used: Int, decoded: Bool)? {
        guard mailReply, context.wantsContent else { return nil }
        if message == nil { startMessage(kind, .toClient, .dotStuffed, &context) }
        let taken = readMessage(bytes, &context)
        if taken.ended {
            endMessage(complete: true, &context)
            mailReply = false
            inReplyBody = false
            completeReply(.positive)
        }
        return (taken.used, taken.decoded)
    }

    /// SMTP `DATA`, NNTP `POST`/`IHAVE`: the client's bytes up to the end line.
    private func readData(_ bytes: UnsafeRawBufferPointer, _ context: inout InspectionContext) -> (used: Int, decoded: Bool) {
        if message == nil {
            let kind: ContentKind = dialect == .nntp ? .nntpArticlePart : .smtpMessagePart
            startMessage(kind, .toServer, .dotStuffed, &context, decode: !dataResumed)
        }
        let taken = readMessage(bytes, &context)
        if taken.ended {
            endMessage(complete: !dataResumed, &context)
            inData = false
            dataResumed = false
            _ = nextCommand()  // the text is answered like a command
        }
        return (taken.used, taken.decoded)
    }

    private func startMessage(
        _ kind: ContentKind, _ direction: Direction, _ framing: MailMessageReader.Framing,
        _ context: inout InspectionContext, decode: Bool = true
    ) {
        endMessage(complete: false, &context)
        message = MailMessageReader(kind, direction: direction, framing: framing, context: &context, decode: decode)
        messageDirection = direction
    }

    /// `decoded` is asked after the read: bytes of a chunk in which a part
    /// hit its cap are scanned raw too.
    private func readMessage(
        _ bytes: UnsafeRawBufferPointer, _ context: inout InspectionContext
    ) -> (used: Int, ended: Bool, decoded: Bool) {
        let (used, ended) = message!.read(bytes, ids: &nextContentStream, &context)
        return (used, ended, message!.decodes)
    }

    func deliver(_ bytes: UnsafeRawBufferPointer, truncated: Bool, direction: Direction, context: inout InspectionContext) {
        let line = LoginLine(bytes: bytes, truncated: truncated)
        switch (dialect, direction) {
        case (.smtp, .toServer): smtpClientLine(line, context: &context)
        case (.smtp, .toClient): smtpServerLine(line)
        case (.pop3, .toServer): pop3ClientLine(line)
        case (.pop3, .toClient): pop3ServerLine(line)
        case (.imap, .toServer): imapClientLine(line, context: &context)
        case (.imap, .toClient): imapServerLine(line)
        case (.ftp, .toServer): ftpClientLine(line)
        case (.ftp, .toClient): ftpServerLine(line)
        case (.nntp, .toServer): nntpClientLine(line)
        case (.nntp, .toClient): nntpServerLine(line)
        }
    }

    func endMessage(complete: Bool, _ context: inout InspectionContext) {
        message?.finish(complete: complete, &context)
        message = nil
        bdatLast = false
    }

    func rawData(_ bytes: UnsafeRawBufferPointer, context: inout InspectionContext) {
        imap.appendLiteral(bytes, &context)
    }

    func rawDataEnded() { imap.literalEnded() }

    func linesLost(_ direction: Direction, context: inout InspectionContext) {
        countsLost = true
        // The next reply answers the last command, unless that one was answered.
        replyCount = max(replyCount, commandCount)
        if direction == .toServer {
            clientUnconfirmed = true
            clientResumedAt = commandCount
            sasl = nil
            imap.clear(&context)
            if message != nil && messageDirection == .toServer { endMessage(complete: false, &context) }
            dataResumed = inData
            bdat = nil
        } else {
            // A reply body in progress may have ended unseen; and what comes is no greeting.
            multiLineCode = nil
            inReplyBody = false
            mailReply = false
            imap.greetingSeen = true
            if message != nil && messageDirection == .toClient { endMessage(complete: false, &context) }
        }
        if messageLiteral?.direction == direction { messageLiteral = nil }
    }

    // MARK: commands and replies

    /// A line of a multi-line reply's body (POP3, NNTP): the `.` line ends the
    /// reply; in a capability listing, the word `offer` offers TLS.
    func replyBodyLine(_ line: LoginLine, offer: StaticString) {
        if line.count == 1 && line[0] == UInt8(ascii: ".") && !line.truncated {
            inReplyBody = false
            completeReply(.positive)
        } else if expects(.listing, reply: replyCount) && line.verb(is: offer) {
            noteOffer(replyCount)
        }
    }

    /// Counts a client command; returns the index of the reply that answers it.
    func nextCommand() -> UInt64 {
        commandCount += 1
        if countsLost {
            // In arrival order the next reply answers this command; what still
            // waits for an earlier one was answered unseen (IMAP: its tagged
            // reply may still come, unless it was read unconfirmed).
            replyCount = commandCount
            unconfirmedCleartext = nil
            var k = 0
            while k < pending.count {
                if pending[k].reply < commandCount && (dialect != .imap || pending[k].unconfirmed) {
                    settleUnanswered(pending.remove(at: k))
                } else {
                    k += 1
                }
            }
            if dialect != .imap { expectations.removeAll { $0.reply < commandCount } }
        }
        return commandCount
    }

    /// A reply showed the client's side sends commands: what it sends now is believed.
    func confirmClient() {
        clientUnconfirmed = false
        lastTag = []
        if let note = unconfirmedCleartext {
            unconfirmedCleartext = nil
            noteCleartext(note.word, command: note.index)
        }
    }

    func expect(_ kind: LoginExpectation.Kind, reply: UInt64, tag: [UInt8] = []) {
        if expectations.count >= LoginDialogAnalyzer.maxExpectations { expectations.removeFirst() }
        expectations.append(LoginExpectation(reply: reply, tag: tag, kind: kind))
    }

    func expects(_ kind: LoginExpectation.Kind, reply: UInt64) -> Bool {
        expectations.contains { $0.reply == reply && $0.kind == kind }
    }

    /// A final reply (numbered in order) is complete.
    func completeReply(_ status: LoginReplyStatus) {
        let index = replyCount
        replyCount += 1
        if clientUnconfirmed && index == commandCount && commandCount > clientResumedAt { confirmClient() }
        var k = 0
        while k < pending.count {
            if pending[k].reply == index {
                emit(pending.remove(at: k), status: status)
            } else if pending[k].reply < index {
                settleUnanswered(pending.remove(at: k))  // its reply went by unrecognised
            } else {
                k += 1
            }
        }
        if let exchange = sasl, exchange.lastIndex <= index, status != .continuation { sasl = nil }
        k = 0
        while k < expectations.count {
            if expectations[k].reply == index {
                let kind = expectations.remove(at: k).kind
                expectationMet(kind, status: status)
            } else if expectations[k].reply < index {
                expectations.remove(at: k)
            } else {
                k += 1
            }
        }
    }

    /// IMAP: a tagged reply is complete.
    func completeTaggedReply(tag: LoginLine, _ status: LoginReplyStatus) {
        if clientUnconfirmed && !lastTag.isEmpty && tag.equals(lastTag) { confirmClient() }
        var k = 0
        while k < pending.count {
            if tag.equals(pending[k].tag) { emit(pending.remove(at: k), status: status) } else { k += 1 }
        }
        if let exchange = sasl, tag.equals(exchange.tag) { sasl = nil }
        k = 0
        while k < expectations.count {
            if tag.equals(expectations[k].tag) {
                let kind = expectations.remove(at: k).kind
                expectationMet(kind, status: status)
            } else {
                k += 1
            }
        }
    }

    func expectationMet(_ kind: LoginExpectation.Kind, status: LoginReplyStatus) {
        switch kind {
        case .startTLS:
            switch status {
            case .positive, .intermediate:
                // Upgraded: what follows is TLS, read by the TLS analyzer.
                isDone = true
            case .negative:
                if !reportedFailed {
                    reportedFailed = true
                    sightings.append(.startTLSFailed)
                }
            case .continuation:
                break
            }
        case .quit:
            isDone = true
        case .data:
            if status == .negative { inData = false }
        case .listing, .multiLine, .mail, .messageIDs, .overview:
            break
        }
    }

    // MARK: credentials

    func addCredential(
        _ mechanism: CredentialMechanism, username: [UInt8]?, secret: [UInt8], reply: UInt64, tag: [UInt8] = []
    ) {
        if pending.count >= LoginDialogAnalyzer.maxPendingCredentials { settleUnanswered(pending.removeFirst()) }
        pending.append(
            PendingCredential(
                sighting: CredentialSighting(mechanism: mechanism, username: username, secret: secret), reply: reply, tag: tag,
                unconfirmed: clientUnconfirmed))
    }

    /// A credential whose reply will not be seen goes out as `.unknown` —
    /// unless it was read while the client's side was unconfirmed: then it
    /// may never have been a command (a line of a mail or a literal).
    func settleUnanswered(_ credential: PendingCredential) {
        guard !credential.unconfirmed else { return }
        emit(credential, status: nil)
    }

    /// `nil`: no verdict.
    func emit(_ credential: PendingCredential, status: LoginReplyStatus?) {
        var sighting = credential.sighting
        switch status {
        case .positive:
            sighting.outcome = .accepted
            loggedIn = true
        case .negative: sighting.outcome = .rejected
        case .continuation, .intermediate, nil: sighting.outcome = .unknown
        }
        sightings.append(.credential(sighting))
    }

    func flushPending() {
        for credential in pending { settleUnanswered(credential) }
        pending.removeAll()
    }

    // MARK: STARTTLS

    /// The server offered TLS in reply `index` (IMAP: after `index` commands).
    func noteOffer(_ index: UInt64) {
        if offerIndex == nil { offerIndex = index }
        checkNotUsed()
    }

    /// The client asked to upgrade.
    func noteTLSRequest(reply: UInt64, tag: [UInt8] = []) {
        tlsRequested = true
        expect(.startTLS, reply: reply, tag: tag)
    }

    /// A credential command (or SMTP MAIL) went out in clear. Once the client
    /// has asked for TLS, later ones are not sent "instead of" it.
    func noteCleartext(_ word: StaticString, command index: UInt64) {
        if clientUnconfirmed {
            unconfirmedCleartext = (index, word)  // a command only if the server answers it
            return
        }
        guard !reportedNotUsed, !tlsRequested, cleartextCommands.count < 4 else { return }
        cleartextCommands.append((index, word))
        checkNotUsed()
    }

    func checkNotUsed() {
        guard !reportedNotUsed, let offered = offerIndex else { return }
        guard let first = cleartextCommands.first(where: { $0.index > offered }) else { return }
        reportedNotUsed = true
        sightings.append(.startTLSNotUsed(command: first.word.description))
    }
}

// MARK: - Bookkeeping

/// How a server answered.
enum LoginReplyStatus: Equatable {
    /// 2xx, `+OK`, `OK`.
    case positive
    /// 4xx/5xx, `-ERR`, `NO`/`BAD`.
    case negative
    /// Go on: SMTP 3xx (334, 354), POP3/IMAP `+`.
    case continuation
    /// FTP 3xx: more is needed (331 after USER, 332 after PASS).
    case intermediate

    /// SMTP/FTP reply code classes.
    init(code: Int, ftp: Bool) {
        switch code / 100 {
        case 2: self = .positive
        case 3: self = ftp ? .intermediate : .continuation
        default: self = .negative
        }
    }
}

/// A reply something waits for: by number, or (IMAP) by tag.
struct LoginExpectation {
    enum Kind: Equatable {
        /// STARTTLS/STLS/AUTH TLS.
        case startTLS
        /// QUIT/LOGOUT: the dialogue is over.
        case quit
        /// POP3 CAPA, FTP FEAT: the reply lists capabilities.
        case listing
        /// POP3: a `+OK` reply has a body ending in a `.` line.
        case multiLine
        /// POP3 RETR, TOP: a `+OK` reply's body (ending in a `.` line) is a mail.
        case mail
        /// NNTP NEWNEWS, HDR of an id header: the body's lines are message-ids.
        case messageIDs
        /// NNTP OVER, XOVER: the body's lines are overview lines, whose
        /// Message-ID and References fields are message-ids.
        case overview
        /// SMTP DATA: the mail text follows unless refused.
        case data
    }

    var reply: UInt64
    var tag: [UInt8]
    var kind: Kind
}

struct PendingCredential {
    var sighting: CredentialSighting
    var reply: UInt64
    /// IMAP: the command's tag.
    var tag: [UInt8]
    /// Read while the client's side was unconfirmed: reported only with its reply.
    var unconfirmed = false
}

/// One direction split into lines.
struct LoginLineReader {
    /// Bytes of a line kept (the rest of a longer line is skipped).
    static let maxLine = LoginDialogAnalyzer.maxLine
    /// Bytes of a line this reader keeps (`maxLine` unless its dialogue
    /// carries longer values: a STOMP passcode that is an OAuth token).
    var lineLimit = LoginLineReader.maxLine
    /// Stream offset of the next byte to read.
    var expectedOffset: UInt64 = 0
    /// Ended, gapped or past the depth: nothing more is read.
    var finished = false
    /// First bytes (up to `maxLine`) of a line that began in an earlier chunk.
    var held: [UInt8] = []
    /// Bytes of `held` charged to the context.
    var charged = 0
    /// The current line began in an earlier chunk.
    var spanning = false
    /// Bytes of the current line seen so far (without its LF).
    var seen = 0
    var lastWasCR = false
    /// The budget refused the copy: the line is read to its end and dropped.
    var dropped = false
    /// Bytes still to pass as data (a literal, a BDAT chunk), not lines.
    var rawRemaining: UInt64 = 0
    var rawCapture = false
    /// Bytes before were lost: what comes up to the next line feed is the
    /// end of a line whose start is gone, and is skipped.
    var resuming = false

    /// Keeps the start of a line that goes on in the next chunk.
    mutating func hold(_ bytes: UnsafeRawBufferPointer, _ context: inout InspectionContext) {
        spanning = true
        guard !bytes.isEmpty else { return }
        seen += bytes.count
        lastWasCR = bytes[bytes.count - 1] == 0x0d
        let take = min(bytes.count, lineLimit - held.count)
        guard take > 0, !dropped else { return }
        guard context.reserve(take) else {
            dropped = true
            return
        }
        if held.capacity < lineLimit { held.reserveCapacity(lineLimit) }
        held.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[..<take]))
        charged += take
    }

    mutating func endLine(_ context: inout InspectionContext) {
        held.removeAll(keepingCapacity: true)
        context.release(charged)
        charged = 0
        spanning = false
        seen = 0
        lastWasCR = false
        dropped = false
    }

    mutating func stop(_ context: inout InspectionContext) {
        endLine(&context)
        held = []
        rawRemaining = 0
        finished = true
    }
}

/// A line (without its CR LF) read in place, with byte tests that build nothing.
struct LoginLine {
    let bytes: UnsafeRawBufferPointer
    /// Only the first `maxLine` bytes are here.
    var truncated = false

    var count: Int { bytes.count }
    subscript(i: Int) -> UInt8 { bytes[i] }

    /// End of the word starting at `start`: the next space or the line end.
    func wordEnd(from start: Int) -> Int {
        var i = start
        while i < count && bytes[i] != 0x20 { i += 1 }
        return i
    }

    func skipSpaces(from start: Int) -> Int {
        var i = start
        while i < count && bytes[i] == 0x20 { i += 1 }
        return i
    }

    /// `start..<end` is `text`, ignoring ASCII case.
    func word(_ start: Int, _ end: Int, is text: StaticString) -> Bool {
        end - start == text.utf8CodeUnitCount && hasPrefix(text, at: start)
    }

    /// The first word is `text` (ignoring case).
    func verb(is text: StaticString) -> Bool { word(0, wordEnd(from: 0), is: text) }

    func hasPrefix(_ text: StaticString, at start: Int = 0) -> Bool {
        let n = text.utf8CodeUnitCount
        guard start >= 0, count - start >= n else { return false }
        let t = text.utf8Start
        for k in 0..<n where LoginLine.lower(bytes[start + k]) != LoginLine.lower(t[k]) { return false }
        return true
    }

    /// `text` occurs anywhere in the line, ignoring ASCII case.
    func contains(_ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard count >= n else { return false }
        return (0...(count - n)).contains { hasPrefix(text, at: $0) }
    }

    /// `text` occurs as a whole word (between non-alphanumeric bytes), ignoring case.
    func containsWord(_ text: StaticString, from start: Int = 0) -> Bool {
        let n = text.utf8CodeUnitCount
        guard count - start >= n else { return false }
        for i in start...(count - n) where hasPrefix(text, at: i) {
            let before = i == start || !LoginLine.isWordByte(bytes[i - 1])
            let after = i + n == count || !LoginLine.isWordByte(bytes[i + n])
            if before && after { return true }
        }
        return false
    }

    func equals(_ other: [UInt8]) -> Bool {
        guard other.count == count else { return false }
        for k in 0..<count where bytes[k] != other[k] { return false }
        return true
    }

    func copy(_ start: Int, _ end: Int) -> [UInt8] { Array(bytes[start..<end]) }

    /// Everything after the verb and one space (a password may hold spaces).
    func argument() -> [UInt8] {
        let end = wordEnd(from: 0)
        return end < count ? copy(end + 1, count) : []
    }

    /// The three-digit code of an SMTP/FTP reply line.
    func replyCode() -> Int? {
        guard count >= 3 else { return nil }
        var code = 0
        for k in 0..<3 {
            let d = bytes[k]
            guard d >= 0x30 && d <= 0x39 else { return nil }
            code = code * 10 + Int(d - 0x30)
        }
        guard count == 3 || bytes[3] == 0x20 || bytes[3] == 0x2d else { return nil }
        return code
    }

    /// The length of a literal `{n}` or `{n+}` that ends the line.
    func trailingLiteral() -> UInt64? {
        guard !truncated, count >= 3, bytes[count - 1] == UInt8(ascii: "}") else { return nil }
        var i = count - 2
        if bytes[i] == UInt8(ascii: "+") { i -= 1 }
        var length: UInt64 = 0
        var scale: UInt64 = 1
        var digits = 0
        while i >= 0 && bytes[i] >= 0x30 && bytes[i] <= 0x39 {
            guard digits < 18 else { return nil }
            length += UInt64(bytes[i] - 0x30) * scale
            scale *= 10
            digits += 1
            i -= 1
        }
        guard digits > 0, i >= 0, bytes[i] == UInt8(ascii: "{") else { return nil }
        return length
    }

    /// Index of the `{` of the trailing literal.
    func trailingLiteralStart() -> Int? {
        guard trailingLiteral() != nil else { return nil }
        var i = count - 1
        while bytes[i] != UInt8(ascii: "{") { i -= 1 }
        return i
    }

    static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5a ? b | 0x20 : b }

    static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x2d
    }
}
