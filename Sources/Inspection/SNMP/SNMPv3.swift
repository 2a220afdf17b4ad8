import Flows

/// An SNMPv3 message (RFC 3412 §6, the User-based Security Model's
/// parameters of RFC 3414 §2.4), read in place from one UDP datagram:
///
///     SNMPv3Message ::= SEQUENCE { msgVersion INTEGER (3),
///         msgGlobalData SEQUENCE { msgID INTEGER, msgMaxSize INTEGER,
///                                  msgFlags OCTET STRING (SIZE(1)), msgSecurityModel INTEGER },
///         msgSecurityParameters OCTET STRING,
///         msgData CHOICE { plaintext ScopedPDU (a SEQUENCE), encryptedPDU OCTET STRING } }
///
/// msgFlags: bit 0 authentication, bit 1 privacy (encryption; never without
/// authentication), bit 2 reportable. Without privacy the scoped PDU — the
/// object names and values, a SET's new values — crosses in clear.
public enum SNMPv3Message {
    public struct View {
        public var authenticated: Bool
        public var encrypted: Bool
        /// The User-based Security Model's user name is not empty (a discovery
        /// message's is, RFC 3414 §4); false for other security models.
        public var namedUser: Bool
    }

    static let authFlag: UInt8 = 1
    static let privFlag: UInt8 = 2

    /// The message filling `datagram` exactly; nil for v1/v2c, another
    /// version, flags that claim privacy without authentication, a data part
    /// that does not match the privacy flag, or anything malformed.
    public static func parse(_ datagram: UnsafeRawBufferPointer) -> View? {
        var outer = BERCursor(datagram)
        guard let body = outer.readElement(BERCursor.sequenceTag), outer.isAtEnd else { return nil }
        var c = BERCursor(body)
        guard c.readInteger() == 3, let header = c.readElement(BERCursor.sequenceTag) else { return nil }
        var h = BERCursor(header)
        guard h.readInteger() != nil, let maxSize = h.readInteger(), maxSize >= 484,
            let flags = h.readElement(BERCursor.octetStringTag), flags.count == 1,
            let model = h.readInteger(), model > 0, h.isAtEnd
        else { return nil }
        let f = flags[0]
        guard f & 0xf8 == 0, f & (authFlag | privFlag) != privFlag,
            let security = c.readElement(BERCursor.octetStringTag)
        else { return nil }
        let encrypted = f & privFlag != 0
        guard c.readElement(encrypted ? BERCursor.octetStringTag : BERCursor.sequenceTag) != nil, c.isAtEnd else { return nil }
        return View(authenticated: f & authFlag != 0, encrypted: encrypted, namedUser: model == usm && hasUserName(security))
    }

    static let usm: Int64 = 3

    /// UsmSecurityParameters ::= SEQUENCE { engineID OCTET STRING, engineBoots
    /// INTEGER, engineTime INTEGER, userName OCTET STRING, ... }: a user name
    /// that is not empty.
    static func hasUserName(_ parameters: UnsafeRawBufferPointer) -> Bool {
        var outer = BERCursor(parameters)
        guard let usm = outer.readElement(BERCursor.sequenceTag) else { return false }
        var c = BERCursor(usm)
        guard c.readElement(BERCursor.octetStringTag) != nil, c.readInteger() != nil, c.readInteger() != nil,
            let user = c.readElement(BERCursor.octetStringTag)
        else { return false }
        return !user.isEmpty
    }
}

/// Watches the security level of an SNMPv3 flow. Its payload is protected
/// (`isEncrypted`) when it carried a message with privacy and no scoped PDU
/// in clear from a named user: an authPriv session starts with a discovery
/// exchange in clear whose user name is empty (RFC 3414 §4), and that does
/// not make it cleartext; an agent that sends some traps with privacy and
/// others without is. Reports no credential (the USM's HMAC could be
/// cracked offline; not read). Never `.done`: a later message may be in clear.
public final class SNMPv3Analyzer: StreamAnalyzer, SightingSource {
    public internal(set) var sightings: [Sighting] = []
    /// A message with privacy was seen.
    private(set) var sawPrivacy = false
    /// A scoped PDU from a named user crossed in clear.
    private(set) var sawClearPDU = false

    public var isEncrypted: Bool { sawPrivacy && !sawClearPDU }

    public init() {}

    public func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        if let m = SNMPv3Message.parse(bytes) {
            if m.encrypted { sawPrivacy = true } else if m.namedUser { sawClearPDU = true }
        }
        return .needMore
    }

    public func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict { .needMore }

    public func end(direction: Direction, context: inout InspectionContext) {}
}
