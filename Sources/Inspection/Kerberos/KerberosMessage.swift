/// The parts of Kerberos V5 messages (RFC 4120 §5) that tell whether an
/// eavesdropper got something to crack offline, read in place with
/// `BERCursor` (DER; every tag number is below 31):
///
///     AS-REQ  ::= [APPLICATION 10] KDC-REQ      TGS-REQ ::= [APPLICATION 12] KDC-REQ
///     AS-REP  ::= [APPLICATION 11] KDC-REP      TGS-REP ::= [APPLICATION 13] KDC-REP
///     KRB-ERROR ::= [APPLICATION 30] SEQUENCE { ..., error-code [6] Int32, ... }
///     KDC-REQ ::= SEQUENCE { pvno [1] (5), msg-type [2], padata [3] SEQUENCE OF PA-DATA OPTIONAL,
///                            req-body [4] KDC-REQ-BODY }
///     KDC-REQ-BODY ::= SEQUENCE { kdc-options [0], cname [1] PrincipalName OPTIONAL, realm [2] Realm, ... }
///     KDC-REP ::= SEQUENCE { pvno [0] (5), msg-type [1], padata [2] OPTIONAL, crealm [3] Realm,
///                            cname [4] PrincipalName, ticket [5] Ticket, enc-part [6] EncryptedData }
///     Ticket  ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2], enc-part [3] EncryptedData }
///     PA-DATA ::= SEQUENCE { padata-type [1] Int32, padata-value [2] OCTET STRING }
///     EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL, cipher [2] OCTET STRING }
///     PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString }
enum KerberosMessage {
    // APPLICATION tags (constructed): 0x60 | number.
    static let asReq: UInt8 = 0x6a
    static let asRep: UInt8 = 0x6b
    static let tgsReq: UInt8 = 0x6c
    static let tgsRep: UInt8 = 0x6d
    static let krbError: UInt8 = 0x7e
    static let ticket: UInt8 = 0x61
    static let generalString: UInt8 = 0x1b

    /// PA-ENC-TIMESTAMP (RFC 4120 §5.2.7.2): the current time encrypted with the client's key.
    static let paEncTimestamp: Int64 = 2
    /// rc4-hmac and rc4-hmac-exp (RFC 4757 §4): keyed by the unsalted MD4 of the password.
    static func isRC4(_ etype: Int64) -> Bool { etype == 23 || etype == 24 }

    /// KDC_ERR_PREAUTH_FAILED (RFC 4120 §7.5.9). (KDC_ERR_PREAUTH_REQUIRED, 25,
    /// answers a request that sent no pre-authentication: nothing is waiting.)
    static let preauthFailed: Int64 = 24

    /// Context tag `[n]`, constructed.
    static func context(_ n: UInt8) -> UInt8 { 0xa0 | n }

    /// A SEQUENCE's content read by context tag [n]: each lookup walks the
    /// elements (a handful) in place rather than building a table.
    struct Fields {
        let content: UnsafeRawBufferPointer

        init(_ content: UnsafeRawBufferPointer) {
            self.content = content
        }

        /// The content of the first element tagged `[n]`, nil when absent.
        subscript(_ n: Int) -> UnsafeRawBufferPointer? {
            var c = BERCursor(content)
            let tag = KerberosMessage.context(UInt8(n))
            while let e = c.readElement() {
                if e.tag == tag { return e.content }
            }
            return nil
        }

        /// `[n]` holding an INTEGER.
        func integer(_ n: Int) -> Int64? {
            guard let e = self[n] else { return nil }
            var c = BERCursor(e)
            return c.readInteger()
        }

        /// `[n]` holding a SEQUENCE: its content.
        func sequence(_ n: Int) -> UnsafeRawBufferPointer? {
            guard let e = self[n] else { return nil }
            var c = BERCursor(e)
            return c.readElement(BERCursor.sequenceTag)
        }

        /// `[n]` holding a KerberosString (GeneralString).
        func string(_ n: Int) -> UnsafeRawBufferPointer? {
            guard let e = self[n] else { return nil }
            var c = BERCursor(e)
            return c.readElement(KerberosMessage.generalString)
        }
    }

    /// The body of a message with APPLICATION `tag` filling `bytes` exactly: its outer SEQUENCE's content.
    static func body(_ bytes: UnsafeRawBufferPointer, tag: UInt8) -> UnsafeRawBufferPointer? {
        var outer = BERCursor(bytes)
        guard let app = outer.readElement(tag), outer.isAtEnd else { return nil }
        var c = BERCursor(app)
        return c.readElement(BERCursor.sequenceTag)
    }

    /// EncryptedData: etype and cipher.
    static func encryptedData(_ sequence: UnsafeRawBufferPointer) -> (etype: Int64, cipher: UnsafeRawBufferPointer)? {
        let f = Fields(sequence)
        guard let etype = f.integer(0), let c = f[2] else { return nil }
        var cursor = BERCursor(c)
        guard let cipher = cursor.readElement(BERCursor.octetStringTag) else { return nil }
        return (etype, cipher)
    }

    /// `name/instance@REALM` (RFC 4120 §5.2.2 name-string components joined by `/`), copied out.
    static func principal(_ name: UnsafeRawBufferPointer, realm: UnsafeRawBufferPointer?) -> [UInt8] {
        var out: [UInt8] = []
        if let strings = Fields(name).sequence(1) {
            var c = BERCursor(strings)
            while let s = c.readElement(generalString) {
                if !out.isEmpty { out.append(UInt8(ascii: "/")) }
                out += s
            }
        }
        if let realm, !realm.isEmpty {
            out.append(UInt8(ascii: "@"))
            out += realm
        }
        return out
    }

    /// The first name-string component of a PrincipalName (the service, for an sname).
    static func firstComponent(_ name: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let strings = Fields(name).sequence(1) else { return nil }
        var c = BERCursor(strings)
        return c.readElement(generalString)
    }

    /// Whether `bytes` start a Kerberos message a client (`requests`) or a KDC
    /// sends: an AS/TGS request or reply or a KRB-ERROR, whose APPLICATION
    /// element is `length` bytes long when given, holding a SEQUENCE whose
    /// first fields are pvno 5 and the msg-type matching the tag.
    static func probe(_ b: UnsafeRawBufferPointer, requests: Bool, length: Int?) -> ProbeResult {
        guard b.count >= 1 else { return .needMore }
        let tag = b[0]
        let known = requests ? tag == asReq || tag == tgsReq : tag == asRep || tag == tgsRep || tag == krbError
        guard known else { return .noMatch }
        var k = 0
        switch BERCursor.header(b, at: 0) {
        case .malformed: return .noMatch
        case .needMore: return .needMore
        case .element(_, let l, let h):
            if let length, UInt64(length) != UInt64(h) + l { return .noMatch }
            k = h
        }
        switch BERCursor.header(b, at: k) {
        case .malformed: return .noMatch
        case .needMore: return .needMore
        case .element(let t, _, let h):
            guard t == BERCursor.sequenceTag else { return .noMatch }
            k += h
        }
        // pvno [1] (requests) or [0] (replies and errors) INTEGER 5, then msg-type [n+1] INTEGER tag number.
        let first: UInt8 = requests ? 1 : 0
        switch smallInteger(b, at: k, field: first, value: 5) {
        case .match: return smallInteger(b, at: k + 5, field: first + 1, value: tag & 0x1f)
        case let other: return other
        }
    }

    /// `[field] { INTEGER value }` in its 5-byte DER form (`A<field> 03 02 01 <value>`) at `at`.
    static func smallInteger(_ b: UnsafeRawBufferPointer, at: Int, field: UInt8, value: UInt8) -> ProbeResult {
        let expected = UInt64(context(field)) << 32 | 0x03_02_01_00 | UInt64(value)
        for i in 0..<5 {
            guard at + i < b.count else { return .needMore }
            guard b[at + i] == UInt8(truncatingIfNeeded: expected >> (8 * (4 - i))) else { return .noMatch }
        }
        return .match
    }
}
