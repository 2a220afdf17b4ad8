import Foundation
import Testing
import TestSupport
@testable import Findings
@testable import Inspection

// JA3 / JA3S (Salesforce) and JA4 (FoxIO) on hellos built from raw lists.
// The expected values are not from this code: they come from a colleague's
// independent notes in /tmp/ja4 (NOTES.md, foxio_vectors.json and
// all_raw.jsonl, written from FoxIO's spec and test data; JA3 values were
// cross-checked against tshark 4.0.17), copied here, or were computed with
// that independent implementation (/tmp/ja4/ja4.py `compute_ja4`,
// `alpn_code`) and Python's hashlib.md5 where marked.

/// One ClientHello described by its lists, with what it fingerprints to.
struct JA4Vector: Sendable, CustomStringConvertible {
    var name: String
    var legacy: UInt16
    var ciphers: [UInt16]
    var extensions: [UInt16]
    var groups: [UInt16] = [0x001d, 0x0017]
    var pointFormats: [UInt8] = [0]
    var sigalgs: [UInt16]
    var supportedVersions: [UInt16]?
    var sni: String?
    /// The first ALPN value, hex.
    var alpn: String?
    var ja3String: String?
    var ja3: String?
    var ja4: String
    var description: String { name }

    init(
        _ name: String, legacy: UInt16, ciphers: [UInt16], extensions: [UInt16], groups: [UInt16] = [0x001d, 0x0017],
        pointFormats: [UInt8] = [0], sigalgs: [UInt16], supportedVersions: [UInt16]?, sni: String?, alpn: String?,
        ja3String: String? = nil, ja3: String? = nil, ja4: String
    ) {
        self.name = name
        self.legacy = legacy
        self.ciphers = ciphers
        self.extensions = extensions
        self.groups = groups
        self.pointFormats = pointFormats
        self.sigalgs = sigalgs
        self.supportedVersions = supportedVersions
        self.sni = sni
        self.alpn = alpn
        self.ja3String = ja3String
        self.ja3 = ja3
        self.ja4 = ja4
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    /// The extensions in wire order, each with data of its own format.
    func builtExtensions() -> [TLSBytes.Extension] {
        extensions.map { type -> TLSBytes.Extension in
            switch type {
            case 0x0000:
                if let sni { return TLSBytes.sni(sni) }
                return TLSBytes.Extension(type: 0, data: TLSBytes.vector16([]))  // an empty server_name_list
            case 0x0010:
                guard let alpn else { return TLSBytes.alpn(raw: []) }
                let first = JA4Vector.bytes(hex: alpn)
                return TLSBytes.alpn(raw: first == Array("http/1.1".utf8) ? [first] : [first, Array("http/1.1".utf8)])
            case 0x000a: return TLSBytes.supportedGroups(groups)
            case 0x000b: return TLSBytes.ecPointFormats(pointFormats)
            case 0x000d: return TLSBytes.signatureAlgorithms(sigalgs)
            case 0x002b: return TLSBytes.supportedVersions(supportedVersions ?? [legacy])
            case 0x0033: return TLSBytes.keyShare([(0x001d, TLSBytes.counting(32, from: 9))])
            case 0x0032, 0x0022:  // signature_algorithms_cert, delegated_credentials: not JA4's list
                return TLSBytes.Extension(type: type, data: TLSBytes.vector16(TLSBytes.list16([0x0201, 0x0203])))
            case 0x002d: return TLSBytes.Extension(type: type, data: [1, 1])
            case 0xff01: return TLSBytes.renegotiationInfo()
            default: return TLSBytes.empty(type)
            }
        }
    }

    var spec: TLSBytes.ClientHelloSpec {
        var s = TLSBytes.ClientHelloSpec()
        s.version = legacy
        s.cipherSuites = ciphers
        s.extensions = extensions.isEmpty ? nil : builtExtensions()
        return s
    }

    func clientHello() throws -> ClientHello { try parseClientHello(spec) }

    /// The JA4 of the built hello ("parse error" when it does not parse).
    var ja4Computed: String { (try? clientHello()).map(TLSFingerprint.ja4) ?? "parse error" }
}

/// The JA4 of a spec's hello ("parse error" when it does not parse).
func ja4(of spec: TLSBytes.ClientHelloSpec) -> String {
    (try? parseClientHello(spec)).map(TLSFingerprint.ja4) ?? "parse error"
}

enum Vectors {
    /// Records of /tmp/ja4/all_raw.jsonl (their ja4, ja3 and ja3 string;
    /// the lists from their ja4_ro and ja3 string, the rest from the record).
    static let captures: [JA4Vector] = [
        JA4Vector(
            "tls12-openssl:33778", legacy: 0x0303,
            ciphers: [0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff],
            extensions: [0x0000, 0x000b, 0x000a, 0x0023, 0x0016, 0x0017, 0x000d],
            groups: [0x001d, 0x0017, 0x001e, 0x0019, 0x0018], pointFormats: [0, 1, 2],
            sigalgs: [0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602],
            supportedVersions: nil, sni: "plainsight.test", alpn: nil,
            ja3String: "771,49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-35-22-23-13,29-23-30-25-24,0-1-2",
            ja3: "871a754af286dfb70c1b53c6887c62e0", ja4: "t12d280700_d943125447b4_e7e480e5a997"),
        JA4Vector(
            "tls13-openssl:45002", legacy: 0x0303,
            ciphers: [0x1302, 0x1303, 0x1301, 0x00ff],
            extensions: [0x0000, 0x000b, 0x000a, 0x0023, 0x0016, 0x0017, 0x000d, 0x002b, 0x002d, 0x0033],
            groups: [0x001d, 0x0017, 0x001e, 0x0019, 0x0018, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104], pointFormats: [0, 1, 2],
            sigalgs: [0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601],
            supportedVersions: [0x0304], sni: "plainsight.test", alpn: nil,
            ja3String: "771,4866-4867-4865-255,0-11-10-35-22-23-13-43-45-51,29-23-30-25-24-256-257-258-259-260,0-1-2",
            ja3: "f146948b4a599d4d7ddf071b74696983", ja4: "t13d041000_16476d049b0b_78f1d400d464"),
        JA4Vector(
            "arkime__openssl-ssl3:45680", legacy: 0x0300,
            ciphers: [0xc014, 0xc00a, 0x0039, 0x0038, 0x0088, 0x0087, 0xc00f, 0xc005, 0x0035, 0x0084, 0xc012, 0xc008, 0x0016, 0x0013, 0xc00d, 0xc003, 0x000a, 0xc013, 0xc009, 0x0033, 0x0032, 0x009a, 0x0099, 0x0045, 0x0044, 0xc00e, 0xc004, 0x002f, 0x0096, 0x0041, 0x0007, 0xc011, 0xc007, 0xc00c, 0xc002, 0x0005, 0x0004, 0x0015, 0x0012, 0x0009, 0x0014, 0x0011, 0x0008, 0x0006, 0x0003, 0x00ff],
            extensions: [],
            groups: [], pointFormats: [],
            sigalgs: [],
            supportedVersions: nil, sni: nil, alpn: nil,
            ja3String: "768,49172-49162-57-56-136-135-49167-49157-53-132-49170-49160-22-19-49165-49155-10-49171-49161-51-50-154-153-69-68-49166-49156-47-150-65-7-49169-49159-49164-49154-5-4-21-18-9-20-17-8-6-3-255,,,",
            ja3: "f917ae2520ef9784557b0a3c02489c2c", ja4: "ts3i460000_234845559c90_000000000000"),
        JA4Vector(
            "ndpi__KakaoTalk_chat:58964", legacy: 0x0301,
            ciphers: [0x0004, 0x0005, 0x002f, 0x0033, 0x0032, 0x000a, 0x0016, 0x0013, 0x0009, 0x0015, 0x0012, 0x0003, 0x0008, 0x0014, 0x0011],
            extensions: [],
            groups: [], pointFormats: [],
            sigalgs: [],
            supportedVersions: nil, sni: nil, alpn: nil,
            ja3String: "769,4-5-47-51-50-10-22-19-9-21-18-3-8-20-17,,,",
            ja3: "d9ce50c62ab1fd5932da3c6b6d406c65", ja4: "t10i150000_e2ff6cb279ee_000000000000"),
        JA4Vector(
            "arkime__smtp-starttls:57406", legacy: 0x0301,
            ciphers: [0x0039, 0x0038, 0x0088, 0x0087, 0x0035, 0x0084, 0x0016, 0x0013, 0x000a, 0x0033, 0x0032, 0x009a, 0x0099, 0x0045, 0x0044, 0x002f, 0x0096, 0x0041, 0x0005, 0x0004, 0x0015, 0x0012, 0x0009, 0x0014, 0x0011, 0x0008, 0x0006, 0x0003, 0x00ff],
            extensions: [0x0023],
            groups: [], pointFormats: [],
            sigalgs: [],
            supportedVersions: nil, sni: nil, alpn: nil,
            ja3String: "769,57-56-136-135-53-132-22-19-10-51-50-154-153-69-68-47-150-65-5-4-21-18-9-20-17-8-6-3-255,35,,",
            ja3: "fab507fe132c544e8a0eb7c394affeae", ja4: "t10i290100_cdba58456bdf_e78b541c01a9"),
        JA4Vector(
            "ndpi__android:32998", legacy: 0x0303,
            ciphers: [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035, 0x000a],
            extensions: [0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010, 0x0005, 0x000d, 0x0012, 0x0033, 0x002d, 0x002b, 0x001b, 0x0015],
            groups: [0x001d, 0x0017, 0x0018], pointFormats: [0],
            sigalgs: [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201],
            supportedVersions: [0x8a8a, 0x0304, 0x0303, 0x0302, 0x0301], sni: "accounts.google.com", alpn: "6832",
            ja3String: "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53-10,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-21,29-23-24,0",
            ja3: "66918128f1b9b03303d77c6f2eefd128", ja4: "t13d1615h2_46e7e9700bed_45f260be83e2"),
        JA4Vector(
            "ndpi__instagram:49357", legacy: 0x0303,
            ciphers: [0x1301, 0x1302, 0x1303],
            extensions: [0x002b, 0x000a, 0x0033, 0x000d, 0x0000, 0x0010, 0x002d, 0x002a, 0x0029],
            groups: [0x001d, 0x0017], pointFormats: [],
            sigalgs: [0x0403, 0x0804],
            supportedVersions: [0x0304, 0xfb1a], sni: "scontent-mxp1-1.cdninstagram.com", alpn: "687474702f312e31",
            ja3String: "771,4865-4866-4867,43-10-51-13-0-16-45-42-41,29-23,",
            ja3: "44dab16d680ef93487bc16ad23b3ffb1", ja4: "t00d0309h1_55b375c5d22e_2d3f7b9fe3d5"),
        JA4Vector(
            "zeek__tls__tls13draft23-chrome67.0.3368.0-canary:63449", legacy: 0x0303,
            ciphers: [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035, 0x000a],
            extensions: [0xff01, 0x0000, 0x0017, 0x0023, 0x000d, 0x0005, 0x0012, 0x0010, 0x7550, 0x000b, 0x0033, 0x002d, 0x002b, 0x000a, 0x0018, 0x0015],
            groups: [0x001d, 0x0017, 0x0018], pointFormats: [0],
            sigalgs: [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201],
            supportedVersions: [0xdada, 0x7f17, 0x0303, 0x0302, 0x0301], sni: "tls13.crypto.mozilla.org", alpn: "6832",
            ja3String: "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53-10,65281-0-23-35-13-5-18-16-30032-11-51-45-43-10-24-21,29-23-24,0",
            ja3: "6cb345f0f89fe97b1dfad775b52d5cf2", ja4: "t00d1616h2_46e7e9700bed_420f9a5d0665"),
        JA4Vector(
            "ndpi__ja3_lots_of_cipher_suites_2_anon:58496", legacy: 0x0303,
            ciphers: [0xc02c, 0xc030, 0x009f, 0xc0ad, 0xc09f, 0xc024, 0xc028, 0x006b, 0xc00a, 0xc014, 0x0039, 0xc0af, 0xc0a3, 0xc087, 0xc08b, 0xc07d, 0xc073, 0xc077, 0x00c4, 0x0088, 0xc02b, 0xc02f, 0x009e, 0xc0ac, 0xc09e, 0xc023, 0xc027, 0x0067, 0xc009, 0xc013, 0x0033, 0xc0ae, 0xc0a2, 0xc086, 0xc08a, 0xc07c, 0xc072, 0xc076, 0x00be, 0x0045, 0xc008, 0xc012, 0x0016, 0x00ab, 0xc0a7, 0xc038, 0x00b3, 0xc036, 0x0091, 0xc091, 0xc09b, 0xc097, 0xc0ab, 0x00aa, 0xc0a6, 0xc037, 0x00b2, 0xc035, 0x0090, 0xc090, 0xc096, 0xc09a, 0xc0aa, 0xc034, 0x008f, 0x009d, 0xc09d, 0x003d, 0x0035, 0xc032, 0xc02a, 0xc00f, 0xc02e, 0xc026, 0xc005, 0xc0a1, 0xc07b, 0x00c0, 0x0084, 0xc08d, 0xc079, 0xc089, 0xc075, 0x009c, 0xc09c, 0x003c, 0x002f, 0xc031, 0xc029, 0xc00e, 0xc02d, 0xc025, 0xc004, 0xc0a0, 0xc07a, 0x00ba, 0x0041, 0xc08c, 0xc078, 0xc088, 0xc074, 0x000a, 0xc00d, 0xc003, 0x00ad, 0x00b7, 0x0095, 0xc093, 0xc099, 0x00ac, 0x00b6, 0x0094, 0xc092, 0xc098, 0x0093, 0x00a9, 0xc0a5, 0x00af, 0x008d, 0xc08f, 0xc095, 0xc0a9, 0x00a8, 0xc0a4, 0x00ae, 0x008c, 0xc08e, 0xc094, 0xc0a8, 0x008b, 0x00ff],
            extensions: [0x0000, 0x000d, 0x000a, 0x000b, 0x0016, 0x0017, 0x0023],
            groups: [0x0019, 0x001c, 0x0018, 0x001b, 0x0017, 0x0016, 0x001a, 0x0015, 0x0014, 0x0013, 0x0012], pointFormats: [0],
            sigalgs: [0x0603, 0x0601, 0x0503, 0x0501, 0x0403, 0x0401, 0x0303, 0x0301, 0x0203, 0x0201],
            supportedVersions: nil, sni: "192.69.136.179", alpn: nil,
            ja3String: "771,49196-49200-159-49325-49311-49188-49192-107-49162-49172-57-49327-49315-49287-49291-49277-49267-49271-196-136-49195-49199-158-49324-49310-49187-49191-103-49161-49171-51-49326-49314-49286-49290-49276-49266-49270-190-69-49160-49170-22-171-49319-49208-179-49206-145-49297-49307-49303-49323-170-49318-49207-178-49205-144-49296-49302-49306-49322-49204-143-157-49309-61-53-49202-49194-49167-49198-49190-49157-49313-49275-192-132-49293-49273-49289-49269-156-49308-60-47-49201-49193-49166-49197-49189-49156-49312-49274-186-65-49292-49272-49288-49268-10-49165-49155-173-183-149-49299-49305-172-182-148-49298-49304-147-169-49317-175-141-49295-49301-49321-168-49316-174-140-49294-49300-49320-139-255,0-13-10-11-22-23-35,25-28-24-27-23-22-26-21-20-19-18,0",
            ja3: "50221ef5bde0fcee8864bbcea5211d51", ja4: "t12d990700_413fe4e0e24f_7b0ba9b4cf08"),
        JA4Vector(
            "ndpi__tls_esni_sni_both:55500", legacy: 0x0303,
            ciphers: [0x1303, 0x1301, 0x1302],
            extensions: [0x0000, 0xffce, 0x0005, 0x000a, 0x000b, 0x000d, 0x0032, 0xff01, 0x0012, 0x0033, 0x002b],
            groups: [0x001d, 0x0017, 0x0018, 0x0019], pointFormats: [0],
            sigalgs: [0x0804, 0x0401, 0x0403, 0x0805, 0x0501, 0x0503, 0x0806, 0x0601, 0x0603, 0x0201, 0x0203],
            supportedVersions: [0x0304], sni: "these-are-not-the-droids-youre-looking-for.com", alpn: nil,
            ja3String: "771,4867-4865-4866,0-65486-5-10-11-13-50-65281-18-51-43,29-23-24-25,0",
            ja3: "077d20c3f8c5a1f091dc937c515b69c1", ja4: "t13d031100_55b375c5d22e_77359c92d649"),
        JA4Vector(
            "ndpi__rdp:52494", legacy: 0x0303,
            ciphers: [0x00ff, 0xc02c, 0xc02b, 0xc024, 0xc023, 0xc00a, 0xc009, 0xc008, 0xc030, 0xc02f, 0xc028, 0xc027, 0xc014, 0xc013, 0xc012, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x000a],
            extensions: [0x0000, 0x000a, 0x000b, 0x000d, 0x0005, 0x0012, 0x0017],
            groups: [0x0017, 0x0018, 0x0019], pointFormats: [0],
            sigalgs: [0x0401, 0x0201, 0x0501, 0x0601, 0x0403, 0x0203, 0x0503, 0x0603],
            supportedVersions: nil, sni: "192.168.2.142", alpn: nil,
            ja3String: "771,255-49196-49195-49188-49187-49162-49161-49160-49200-49199-49192-49191-49172-49171-49170-157-156-61-60-53-47-10,0-10-11-13-5-18-23,23-24-25,0",
            ja3: "e4d448cdfe06dc1243c1eb026c74ac9a", ja4: "t12d220700_0d4ca5d4ec72_3304d8368043"),
        JA4Vector(
            "zeek__tls__client-certificate:49480", legacy: 0x0303,
            ciphers: [0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc009, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035],
            extensions: [0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010, 0x0005, 0x0022, 0x0033, 0x002b, 0x000d, 0x002d, 0x001c, 0x0015],
            groups: [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101], pointFormats: [0],
            sigalgs: [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201],
            supportedVersions: [0x0304, 0x0303], sni: "certauth.idrix.fr", alpn: "6832",
            ja3String: "771,4865-4867-4866-49195-49199-52393-52392-49196-49200-49162-49161-49171-49172-156-157-47-53,0-23-65281-10-11-35-16-5-34-51-43-13-45-28-21,29-23-24-25-256-257,0",
            ja3: "579ccef312d18482fc42e2b822ca2430", ja4: "t13d1715h2_5b57614c22b0_3d5424432f57"),
        JA4Vector(
            "zeek__mysql__encrypted:59272", legacy: 0x0302,
            ciphers: [0x0039, 0x0038, 0x0035, 0x0033, 0x0032, 0x002f, 0x007e, 0x007d, 0x007c, 0x0079, 0x0078, 0x0077, 0x0074, 0x0073, 0x0072, 0x0005, 0x0004, 0x000a, 0x0009, 0x0016, 0x0013, 0x0015, 0x0012],
            extensions: [],
            groups: [], pointFormats: [],
            sigalgs: [],
            supportedVersions: nil, sni: nil, alpn: nil,
            ja3String: "770,57-56-53-51-50-47-126-125-124-121-120-119-116-115-114-5-4-10-9-22-19-21-18,,,",
            ja3: "d69eab8c471fd12a39df0bb60c1b7f3f", ja4: "t11i230000_c965f8ff29e8_000000000000"),
        JA4Vector(
            "ndpi__tls_ech:47460", legacy: 0x0303,
            ciphers: [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035],
            extensions: [0x0033, 0x0023, 0xff01, 0x002d, 0x001b, 0x000a, 0x0017, 0x0005, 0x0012, 0x002b, 0x000d, 0x0010, 0x0000, 0xfe0d, 0x000b, 0x4469],
            groups: [0x001d, 0x0017, 0x0018], pointFormats: [0],
            sigalgs: [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601],
            supportedVersions: [0xdada, 0x0304, 0x0303], sni: "performance.radar.cloudflare.com", alpn: "6832",
            ja3String: "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,51-35-65281-45-27-10-23-5-18-43-13-16-0-65037-11-17513,29-23-24,0",
            ja3: "6820f114cf3b0809ffdcb30cb277848a", ja4: "t13d1516h2_8daaf6152771_02713d6af862"),
        JA4Vector(
            "ndpi__443-curl:55523", legacy: 0x0303,
            ciphers: [0xcc14, 0xcc13, 0xcc15, 0xc030, 0xc02c, 0xc028, 0xc024, 0xc014, 0xc00a, 0x00a3, 0x009f, 0x006b, 0x006a, 0x0039, 0x0038, 0xff85, 0x00c4, 0x00c3, 0x0088, 0x0087, 0x0081, 0xc032, 0xc02e, 0xc02a, 0xc026, 0xc00f, 0xc005, 0x009d, 0x003d, 0x0035, 0x00c0, 0x0084, 0xc02f, 0xc02b, 0xc027, 0xc023, 0xc013, 0xc009, 0x00a2, 0x009e, 0x0067, 0x0040, 0x0033, 0x0032, 0x00be, 0x00bd, 0x0045, 0x0044, 0xc031, 0xc02d, 0xc029, 0xc025, 0xc00e, 0xc004, 0x009c, 0x003c, 0x002f, 0x00ba, 0x0041, 0xc012, 0xc008, 0x0016, 0x0013, 0xc00d, 0xc003, 0x000a, 0x00ff],
            extensions: [0x0000, 0x000b, 0x000a, 0x000d, 0x3374, 0x0010, 0x0015],
            groups: [0x000e, 0x000d, 0x0019, 0x001c, 0x000b, 0x000c, 0x001b, 0x0018, 0x0009, 0x000a, 0x001a, 0x0016, 0x0017, 0x0008, 0x0006, 0x0007, 0x0014, 0x0015, 0x0004, 0x0005, 0x0012, 0x0013, 0x0001, 0x0002, 0x0003, 0x000f, 0x0010, 0x0011], pointFormats: [0, 1, 2],
            sigalgs: [0x0601, 0x0602, 0x0603, 0xefef, 0x0501, 0x0502, 0x0503, 0x0401, 0x0402, 0x0403, 0xeeee, 0xeded, 0x0301, 0x0302, 0x0303, 0x0201, 0x0202, 0x0203],
            supportedVersions: nil, sni: "www.ntop.org", alpn: "6832",
            ja3String: "771,52244-52243-52245-49200-49196-49192-49188-49172-49162-163-159-107-106-57-56-65413-196-195-136-135-129-49202-49198-49194-49190-49167-49157-157-61-53-192-132-49199-49195-49191-49187-49171-49161-162-158-103-64-51-50-190-189-69-68-49201-49197-49193-49189-49166-49156-156-60-47-186-65-49170-49160-22-19-49165-49155-10-255,0-11-10-13-13172-16-21,14-13-25-28-11-12-27-24-9-10-26-22-23-8-6-7-20-21-4-5-18-19-1-2-3-15-16-17,0-1-2",
            ja3: "2a26b1a62e40d25d4de3babc9d532f30", ja4: "t12d6707h2_2955a3196ffa_c83f907a73d3"),
        JA4Vector(
            "ndpi__ssl-cert-name-mismatch:54772", legacy: 0x0303,
            ciphers: [0xc02b, 0xc02c, 0xc086, 0xc087, 0xc009, 0xc00a, 0xc0ac, 0xc0ad, 0xc008, 0xc02f, 0xc030, 0xc08a, 0xc08b, 0xc013, 0xc014, 0xc012, 0x009c, 0x009d, 0xc07a, 0xc07b, 0x002f, 0x0035, 0x0041, 0x0084, 0xc09c, 0xc09d, 0x000a, 0x009e, 0x009f, 0xc07c, 0xc07d, 0x0033, 0x0039, 0x0045, 0x0088, 0xc09e, 0xc09f, 0x0016],
            extensions: [0x0017, 0x0016, 0x0005, 0x0000, 0xff01, 0x0023, 0x000a, 0x000b, 0x000d, 0x0010],
            groups: [0x0017, 0x0018, 0x0019, 0x0015, 0x0013], pointFormats: [0],
            sigalgs: [0x0401, 0x0403, 0x0501, 0x0503, 0x0601, 0x0603, 0x0301, 0x0303, 0x0201, 0x0203],
            supportedVersions: nil, sni: "wrong.host.badssl.com", alpn: "687474702f312e31",
            ja3String: "771,49195-49196-49286-49287-49161-49162-49324-49325-49160-49199-49200-49290-49291-49171-49172-49170-156-157-49274-49275-47-53-65-132-49308-49309-10-158-159-49276-49277-51-57-69-136-49310-49311-22,23-22-5-0-65281-35-10-11-13-16,23-24-25-21-19,0",
            ja3: "4e69e4e5627c5e4c2846ba3e64d23fb9", ja4: "t12d3810h1_845d1e55a368_7448b1316cd7"),
        JA4Vector(
            "zeek__tls__tls13draft16-ff52.a01:36778", legacy: 0x0303,
            ciphers: [0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc009, 0xc013, 0xc014, 0x0033, 0x0039, 0x002f, 0x0035, 0x000a],
            extensions: [0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010, 0x0005, 0x0012, 0x0028, 0x002b, 0x000d, 0x0015],
            groups: [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101], pointFormats: [0],
            sigalgs: [0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202],
            supportedVersions: [0x7f10, 0x0303, 0x0302, 0x0301], sni: nil, alpn: "6832",
            ja3String: "771,4865-4867-4866-49195-49199-52393-52392-49196-49200-49162-49161-49171-49172-51-57-47-53-10,23-65281-10-11-35-16-5-18-40-43-13-21,29-23-24-25-256-257,0",
            ja3: "7475b427c2658e9ae2388737ecc29164", ja4: "t00i1812h2_29a2cd9e9f10_410211a62323"),

    ]

    /// FoxIO's python/test/testdata records (foxio_vectors.json): the hello's lists
    /// from its JA4_ro, version and ALPN from JA4_a. The `99` (non-ASCII ALPN)
    /// record is left out: it predates the hex rule.
    static let foxio: [(id: String, ro: String, ja4: String)] = [
        ("tls12.pcap stream0",
         "t13d1715h2_1301,1303,1302,c02b,c02f,cca9,cca8,c02c,c030,c00a,c009,c013,c014,009c,009d,002f,0035_0000,0017,ff01,000a,000b,0023,0010,0005,0022,0033,002b,000d,002d,001c,0015_0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201",
         "t13d1715h2_5b57614c22b0_3d5424432f57"),
        ("sigalg-grease stream0",
         "t13d1517h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_fe0d,0010,0017,0033,44cd,ff01,000a,000d,0023,002b,000b,ca34,002d,0000,0005,001b,0012_0904,0905,0906,0403,0804,0401,0503,0805,0501,0806,0601",
         "t13d1517h2_8daaf6152771_cb7bf5808d99"),
        ("macos_tcp_flags stream0 (duplicate sigalg)",
         "t13d2613h2_1301,1302,1303,c02c,c02b,c024,c023,c00a,c009,cca9,c030,c02f,c028,c027,c014,c013,cca8,009d,009c,003d,003c,0035,002f,c008,c012,000a_ff01,0000,0017,000d,0005,0012,0010,000b,0033,002d,002b,000a,0015_0403,0804,0401,0503,0203,0805,0805,0501,0806,0601,0201",
         "t13d2613h2_2802a3db6c62_845d286b0d67"),
        ("tls3 stream9 (psk 0029)",
         "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_0033,000a,0005,000d,0012,0000,0010,002b,0023,001b,0017,002d,ff01,4469,000b,0029_0403,0804,0401,0503,0805,0501,0806,0601",
         "t13d1516h2_8daaf6152771_9b887d9acb53"),
        ("tls3 stream11",
         "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,000a,4469,0023,002b,0033,000d,000b,ff01,002d,0000,0017,0005,0010,0012,0029_0403,0804,0401,0503,0805,0501,0806,0601",
         "t13d1516h2_8daaf6152771_9b887d9acb53"),
        ("tls3 stream7",
         "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_0023,0033,ff01,000a,0012,0005,0017,4469,0000,001b,000d,002d,000b,002b,0010,0015_0403,0804,0401,0503,0805,0501,0806,0601",
         "t13d1516h2_8daaf6152771_e5627efa2ab1"),
        ("tls-handshake stream6 (no ALPN)",
         "t13d151400_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_0033,002b,001b,0000,0012,002d,000d,000a,0005,0023,0017,ff01,000b,0015_0403,0804,0401,0503,0805,0501,0806,0601",
         "t13d151400_8daaf6152771_de4a06bb82e3"),
        ("tls-handshake stream5 (h1)",
         "t13d1516h1_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_000d,0033,0000,ff01,002b,0023,002d,0005,0012,000b,0017,4469,0010,001b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601",
         "t13d1516h1_8daaf6152771_e5627efa2ab1"),
        ("tls-handshake stream2 (= the JA4.md example)",
         "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601",
         "t13d1516h2_8daaf6152771_e5627efa2ab1"),
        ("tls-handshake stream33",
         "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_0033,ff01,002b,0000,4469,001b,000b,0012,0005,000d,0017,002d,0010,000a,0023,0015_0403,0804,0401,0503,0805,0501,0806,0601",
         "t13d1516h2_8daaf6152771_e5627efa2ab1"),
        ("browsers-x509 stream0",
         "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_000d,0000,000a,0005,000b,002b,001b,ff01,0033,4469,002d,0023,0017,0012,0010,0015_0403,0804,0401,0503,0805,0501,0806,0601",
         "t13d1516h2_8daaf6152771_e5627efa2ab1"),
        ("browsers-x509 stream1",
         "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_002b,4469,000b,0017,000d,0000,001b,0005,0033,ff01,0010,000a,002d,0012,0023,0015_0403,0804,0401,0503,0805,0501,0806,0601",
         "t13d1516h2_8daaf6152771_e5627efa2ab1"),
        ("tls-sni stream4",
         "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_ff01,0005,002b,001b,000a,0033,000b,000d,0000,002d,0023,0012,0017,0010,4469,0015_0403,0804,0401,0503,0805,0501,0806,0601",
         "t13d1516h2_8daaf6152771_e5627efa2ab1"),
        ("tls-sni stream19 (h1)",
         "t13d1516h1_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_0012,4469,0010,000a,002b,0033,001b,0017,0023,000b,0000,0005,ff01,002d,000d,0015_0403,0804,0401,0503,0805,0501,0806,0601",
         "t13d1516h1_8daaf6152771_e5627efa2ab1"),
    ]

    static func fromRO(_ id: String, _ ro: String, _ ja4: String) -> JA4Vector {
        let parts = ro.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        func list(_ s: String) -> [UInt16] { s.split(separator: ",").map { UInt16($0, radix: 16)! } }
        let a = parts[0]
        let version = a.dropFirst().prefix(2)
        let alpnCode = String(a.suffix(2))
        let legacy: UInt16 = 0x0303
        let versions: [UInt16] = version == "13" ? [0x0304, 0x0303] : [0x0303]
        let alpnHex: String? = alpnCode == "h2" ? "6832" : alpnCode == "h1" ? "687474702f312e31" : nil
        return JA4Vector(
            id, legacy: legacy, ciphers: list(parts[1]), extensions: list(parts[2]),
            sigalgs: parts.count > 3 ? list(parts[3]) : [], supportedVersions: versions, sni: "example.com",
            alpn: alpnHex, ja4: ja4)
    }
}

@Suite("Fingerprints")
struct FingerprintTests {
    // MARK: JA3 / JA3S

    @Test func ja3StringLeavesGREASEOutAndUsesTheLegacyVersion() throws {
        var s = B.ClientHelloSpec()
        s.version = 0x0303
        s.cipherSuites = [0x0a0a, 0x1301, 0x1302, 0xc02f, 0x00ff]
        s.extensions = [
            B.empty(0x1a1a), B.sni("example.com"), B.supportedGroups([0x2a2a, 0x001d, 0x0017]), B.ecPointFormats([0]),
            B.alpn("h2"), B.signatureAlgorithms([0x0403]), B.supportedVersions([0x3a3a, 0x0304, 0x0303]),
            B.Extension(type: 0x4a4a, data: [0]),
        ]
        let h = try parseClientHello(s)
        let expected = "771,4865-4866-49199-255,0-10-11-16-13-43,29-23,0"
        #expect(TLSFingerprint.ja3String(h) == expected)
        #expect(TLSFingerprint.ja3(h) == "2935c6c7b4daa8bcccf95c502d57fbff")  // hashlib.md5 of `expected`
    }

    @Test func ja3OfAHelloWithoutExtensions() throws {
        var s = B.ClientHelloSpec()
        s.version = 0x0300
        s.cipherSuites = [0x000a, 0x0005, 0x0004]
        s.extensions = nil
        let h = try parseClientHello(s)
        #expect(TLSFingerprint.ja3String(h) == "768,10-5-4,,,")
        #expect(TLSFingerprint.ja3(h) == "ae1027abd22396118d04b3eafaf3a97a")  // hashlib.md5
    }

    /// FuzzTLS found it: with every list empty JA3 is the version and four
    /// commas, more than the text's room for "one number and a separator
    /// per value" (a five-digit legacy version left no room for the commas).
    @Test func ja3OfAHelloWithEmptyListsAndAFiveDigitVersion() throws {
        var s = B.ClientHelloSpec()
        s.version = 0xc012
        s.cipherSuites = []
        s.extensions = nil
        let h = try parseClientHello(s)
        #expect(TLSFingerprint.ja3String(h) == "49170,,,,")
        #expect(TLSFingerprint.ja3(h) == "8940937dc40a3058f6cabc846e410056")  // hashlib.md5
        var server = B.ServerHelloSpec()
        server.version = 0xffff
        server.cipherSuite = 0xffff
        server.extensions = []
        let sh = try parseServerHello(server)
        #expect(TLSFingerprint.ja3sString(sh) == "65535,65535,")
        #expect(TLSFingerprint.ja3s(sh) == "78d64c01e9872f74a3349b6c56490fbf")  // hashlib.md5
    }

    @Test func ja3s() throws {
        var s = B.ServerHelloSpec()
        s.cipherSuite = 0xc02f
        s.extensions = [B.renegotiationInfo(), B.empty(23), B.alpn("h2"), B.ecPointFormats([0])]
        let h = try parseServerHello(s)
        #expect(TLSFingerprint.ja3sString(h) == "771,49199,65281-23-16-11")
        #expect(TLSFingerprint.ja3s(h) == "67619a80665d7ab92d1041b1d11f9164")  // hashlib.md5
        // TLS 1.3: still the legacy version field.
        let t13 = try parseServerHello(B.tls13ServerHello())
        #expect(TLSFingerprint.ja3sString(t13) == "771,4865,43-51")
        #expect(TLSFingerprint.ja3s(t13) == "f4febc55ea12b31ae17cfb7e614afda8")  // hashlib.md5
    }

    @Test(arguments: Vectors.captures)
    func capturedHellos(_ v: JA4Vector) throws {
        let h = try v.clientHello()
        #expect(TLSFingerprint.ja4(h) == v.ja4)
        if let s = v.ja3String { #expect(TLSFingerprint.ja3String(h) == s) }
        if let j = v.ja3 { #expect(TLSFingerprint.ja3(h) == j) }
    }

    @Test(arguments: Vectors.captures)
    func greaseEverywhereChangesNothing(_ v: JA4Vector) throws {
        // RFC 8701 values added to the suites, extensions, groups, supported
        // versions and signature algorithms: neither fingerprint moves.
        var s = v.spec
        s.cipherSuites.insert(0x2a2a, at: 0)
        s.cipherSuites.append(0xfafa)
        if var e = s.extensions {
            e = e.map { x in
                switch x.type {
                case 0x000a: return B.supportedGroups([0x6a6a] + v.groups)
                case 0x000d: return B.signatureAlgorithms(v.sigalgs + [0x7a7a])
                case 0x002b: return B.supportedVersions([0x8a8a] + (v.supportedVersions ?? [v.legacy]))
                default: return x
                }
            }
            e.insert(B.empty(0x9a9a), at: 0)
            e.append(B.Extension(type: 0xbaba, data: [0]))
            s.extensions = e
        }
        let h = try parseClientHello(s)
        #expect(TLSFingerprint.ja4(h) == v.ja4)
        if let j = v.ja3 { #expect(TLSFingerprint.ja3(h) == j) }
    }

    @Test(arguments: Vectors.foxio.map { Vectors.fromRO($0.id, $0.ro, $0.ja4) })
    func foxioTestData(_ v: JA4Vector) throws {
        #expect(v.ja4Computed == v.ja4)
    }

    @Test func theJA4SpecExample() throws {
        // JA4.md: Chrome's hello, t13d1516h2_8daaf6152771_e5627efa2ab1.
        let v = JA4Vector(
            "JA4.md", legacy: 0x0303,
            ciphers: [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
                      0x009d, 0x002f, 0x0035],
            extensions: [0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012,
                         0x002b, 0xff01, 0x000b, 0x000a, 0x0015],
            sigalgs: [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601],
            supportedVersions: [0x0304], sni: "www.google.com", alpn: "6832",
            ja4: "t13d1516h2_8daaf6152771_e5627efa2ab1")
        #expect(v.ja4Computed == v.ja4)
        // Without signature algorithms (an empty list), the extension string
        // is hashed without the underscore: JA4.md's `6d807ffa2a79`.
        var noSigalgs = v
        noSigalgs.sigalgs = []
        #expect(noSigalgs.ja4Computed == "t13d1516h2_8daaf6152771_6d807ffa2a79")
    }

    @Test func noSignatureAlgorithmsExtension() throws {
        // arkime smtp-starttls (in Vectors.captures too): one extension, 0x0023, no sigalgs.
        let v = try #require(Vectors.captures.first { $0.name.hasPrefix("arkime__smtp-starttls") })
        #expect(v.extensions == [0x0023])
        #expect(v.ja4Computed == "t10i290100_cdba58456bdf_e78b541c01a9")
    }

    @Test func onlySNIAndALPNGiveAZeroExtensionHash() throws {
        // NOTES.md: "If the whole string is empty (no extensions other than SNI
        // and ALPN), output 000000000000" (FoxIO's socks-https-example).
        // Expected values from /tmp/ja4/ja4.py compute_ja4.
        let onlySNI = JA4Vector(
            "only SNI", legacy: 0x0301, ciphers: [0x002f, 0x0035, 0x000a], extensions: [0x0000], sigalgs: [],
            supportedVersions: nil, sni: "example.com", alpn: nil, ja4: "t10d030100_5704bdfc91c6_000000000000")
        #expect(onlySNI.ja4Computed == onlySNI.ja4)
        let sniALPN = JA4Vector(
            "SNI and ALPN", legacy: 0x0303, ciphers: [0xc02f, 0xc030], extensions: [0x0000, 0x0010], sigalgs: [],
            supportedVersions: nil, sni: "example.com", alpn: "6832", ja4: "t12d0202h2_04659ec43a24_000000000000")
        #expect(sniALPN.ja4Computed == sniALPN.ja4)
    }

    @Test func noCiphersGiveAZeroCipherHash() throws {
        // ja4.py compute_ja4: t12i000100_000000000000_a8f3e973773c.
        let v = JA4Vector(
            "no ciphers", legacy: 0x0303, ciphers: [], extensions: [0x000a], sigalgs: [], supportedVersions: nil,
            sni: nil, alpn: nil, ja4: "t12i000100_000000000000_a8f3e973773c")
        #expect(v.ja4Computed == v.ja4)
    }

    @Test func countsAreCappedAt99() throws {
        // 131 suites: the lots_of_cipher_suites capture (Vectors.captures).
        let many = try #require(Vectors.captures.first { $0.name.hasPrefix("ndpi__ja3_lots_of_cipher_suites") })
        #expect(many.ciphers.count == 131)
        #expect(many.ja4Computed == "t12d990700_413fe4e0e24f_7b0ba9b4cf08")
        // 120 extensions (ja4.py compute_ja4: t12d019900_0f2cb44170f4_c25ce1950fa1).
        let extensions: [UInt16] = [0x0000] + (0..<118).map { 0xfe00 + UInt16($0) } + [0x000d]
        let v = JA4Vector(
            "120 extensions", legacy: 0x0303, ciphers: [0x1301], extensions: extensions, sigalgs: [0x0403],
            supportedVersions: nil, sni: "example.com", alpn: nil, ja4: "t12d019900_0f2cb44170f4_c25ce1950fa1")
        #expect(try v.clientHello().extensions.count == 120)
        #expect(v.ja4Computed == v.ja4)
    }

    @Test func greaseInSupportedVersionsAndDrafts() throws {
        // GREASE is dropped before taking the highest version ...
        let android = try #require(Vectors.captures.first { $0.name == "ndpi__android:32998" })
        #expect(android.supportedVersions?.first == 0x8a8a)
        #expect(android.ja4Computed.hasPrefix("t13d"))
        // ... and a draft or experimental version above 0x0304 gives `00`.
        let draft = try #require(Vectors.captures.first { $0.name.hasPrefix("zeek__tls__tls13draft23") })
        #expect(draft.supportedVersions == [0xdada, 0x7f17, 0x0303, 0x0302, 0x0301])
        #expect(draft.ja4Computed.hasPrefix("t00d"))
        let fizz = try #require(Vectors.captures.first { $0.name == "ndpi__instagram:49357" })
        #expect(fizz.ja4Computed.hasPrefix("t00d"))
    }

    @Test func alpnCharacters() throws {
        // JA4.md and FoxIO PR #277; the expected pairs are ja4.py's `alpn_code`.
        let cases: [([UInt8]?, String)] = [
            (nil, "00"), ([0xab], "ab"), ([0xab, 0xcd], "ad"), ([0x30, 0xab], "3b"), ([0x30, 0x31, 0xab, 0xcd], "3d"),
            ([0x30, 0xab, 0xcd, 0x31], "01"), (Array("h2".utf8), "h2"), (Array("http/1.1".utf8), "h1"),
            (Array("x".utf8), "xx"), (Array(" ".utf8), "20"), (Array("a ".utf8), "60"), (Array("H2".utf8), "H2"),
            (Array("9".utf8), "99"), (Array("/".utf8), "2f"),
        ]
        for (value, code) in cases {
            var s = B.ClientHelloSpec()
            s.cipherSuites = [0x1301]
            s.extensions = [B.sni("example.com"), B.supportedVersions([0x0304])]
            if let value { s.extensions!.append(B.alpn(raw: [value, Array("h2".utf8)])) }
            let a = ja4(of: s).prefix(10)
            #expect(a.suffix(2) == Substring(code), "\(value.map { $0.map { String($0, radix: 16) } } ?? [])")
        }
        // An ALPN extension with an empty list, and one whose first value is empty: `00`.
        for list: [[UInt8]] in [[], [[], Array("h2".utf8)]] {
            var s = B.ClientHelloSpec()
            s.extensions = [B.alpn(raw: list)]
            #expect(ja4(of: s).prefix(10).suffix(2) == "00", "\(list)")
        }
    }

    @Test func sniFlagIsAboutTheExtension() throws {
        // `d` for an SNI extension whatever it holds (here an IP literal), `i` without one.
        let rdp = try #require(Vectors.captures.first { $0.name.hasPrefix("ndpi__rdp") })
        #expect(rdp.sni == "192.168.2.142")
        #expect(rdp.ja4Computed.prefix(4) == "t12d")
        var s = B.ClientHelloSpec()
        s.extensions = [B.supportedGroups([0x001d])]
        #expect(ja4(of: s).prefix(4) == "t12i")
    }
}
