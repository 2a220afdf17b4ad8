/// A SASL exchange in progress (SMTP and POP3 `AUTH`, IMAP `AUTHENTICATE`;
/// RFC 4422): which mechanism, and how many client responses are still due.
///
/// The client side is followed on its own — PLAIN sends one response, LOGIN
/// two (user, then password), CRAM-MD5 one — so the decoding does not depend
/// on when the server's continuations arrive. A response that is not base64
/// ends the exchange and is read as a command (the server refused the
/// mechanism before the client's next line).
struct SASLExchange {
    enum Mechanism { case plain, login, cramMD5, ntlm, other }

    var mechanism: Mechanism
    /// IMAP: the AUTHENTICATE command's tag.
    var tag: [UInt8]
    /// The reply index of the exchange's latest client line.
    var lastIndex: UInt64
    /// LOGIN: the decoded user name, once sent.
    var username: [UInt8]?
    /// Client responses still due (`other`: until the final reply).
    var due: Int
}

extension LoginDialogAnalyzer {
    /// Reads `AUTH <mechanism> [initial-response]` from `start` (the byte after the verb).
    func startSASL(_ line: LoginLine, from start: Int, reply index: UInt64, tag: [UInt8] = []) {
        let mechanismStart = line.skipSpaces(from: start)
        let mechanismEnd = line.wordEnd(from: mechanismStart)
        guard mechanismEnd > mechanismStart else { return }
        let mechanism: SASLExchange.Mechanism =
            line.word(mechanismStart, mechanismEnd, is: "PLAIN") ? .plain
            : line.word(mechanismStart, mechanismEnd, is: "LOGIN") ? .login
            : line.word(mechanismStart, mechanismEnd, is: "CRAM-MD5") ? .cramMD5
            : line.word(mechanismStart, mechanismEnd, is: "NTLM") ? .ntlm : .other
        let initialStart = line.skipSpaces(from: mechanismEnd)
        let initialEnd = line.wordEnd(from: initialStart)
        var initial: [UInt8]?
        if initialEnd > initialStart {
            initial = CleartextBase64.decode(UnsafeRawBufferPointer(rebasing: line.bytes[initialStart..<initialEnd]))
        }
        var exchange = SASLExchange(mechanism: mechanism, tag: tag, lastIndex: index, due: 1)
        switch mechanism {
        case .plain:
            if let initial {
                plainResponse(initial, reply: index, tag: tag)
                return
            }
        case .login:
            if let initial { exchange.username = initial } else { exchange.due = 2 }
        case .cramMD5, .ntlm:
            // NTLM's initial response, if any, is the NEGOTIATE message: no credential.
            break
        case .other:
            exchange.due = Int.max
        }
        sasl = exchange
    }

    /// A client line while an exchange waits for responses; false when it is
    /// not one (the caller reads it as a command).
    func saslResponse(_ line: LoginLine) -> Bool {
        guard var exchange = sasl else { return false }
        if line.count == 1 && line[0] == UInt8(ascii: "*") {
            // The client cancels (RFC 4954 §4, RFC 3501 §6.2.2).
            sasl = nil
            _ = nextCommand()
            return true
        }
        guard let decoded = CleartextBase64.decode(line.bytes) else {
            sasl = nil
            return false
        }
        let index = nextCommand()
        exchange.lastIndex = index
        switch exchange.mechanism {
        case .plain:
            sasl = nil
            plainResponse(decoded, reply: index, tag: exchange.tag)
        case .login:
            if exchange.due == 2 {
                exchange.username = decoded
                exchange.due = 1
                sasl = exchange
            } else {
                sasl = nil
                addCredential(.saslLogin, username: exchange.username, secret: decoded, reply: index, tag: exchange.tag)
            }
        case .cramMD5:
            // `user SP hex-digest` (RFC 2195 §2); the server's challenge is not part of it.
            sasl = nil
            if let space = decoded.lastIndex(of: 0x20) {
                addCredential(
                    .cramMD5, username: Array(decoded[..<space]), secret: Array(decoded[(space + 1)...]), reply: index,
                    tag: exchange.tag)
            } else {
                addCredential(.cramMD5, username: nil, secret: decoded, reply: index, tag: exchange.tag)
            }
        case .ntlm:
            // NEGOTIATE, then AUTHENTICATE after the server's CHALLENGE (MS-SMTPNTLM
            // §3.1.5, MS-POP3 and MS-IMAP the same way): only the AUTHENTICATE carries
            // the user and the challenge response.
            if let c = NTLMMessage.authenticate(decoded) {
                sasl = nil
                addCredential(.ntlm, username: c.username, secret: c.secret, reply: index, tag: exchange.tag)
            } else {
                sasl = exchange
            }
        case .other:
            sasl = exchange
        }
        return true
    }

    /// PLAIN: `authzid NUL authcid NUL passwd` (RFC 4616 §2).
    func plainResponse(_ message: [UInt8], reply index: UInt64, tag: [UInt8]) {
        guard let (username, password) = message.withUnsafeBytes({ SASLPlain.parse($0) }) else { return }
        addCredential(.saslPlain, username: username, secret: password, reply: index, tag: tag)
    }
}
