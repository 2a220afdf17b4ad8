// FuzzValidators: one value through one content-scanner validator (Scanning/Validators), and
// through JWTFacts, Validator.cardBrand and Entropy.shannon, on a private copy of exactly the
// value's bytes (so ASan sees any read past its end).
//
// Input format (make_validators_corpus.py writes it):
//   byte 0   the validator: Validator.allCases[byte % count] (payment-card, iban, us-ssn,
//            aba-routing, uk-nino, ca-sin, in-aadhaar, nanp-phone, e164-phone, email, jwt, pem,
//            base62-crc32, luhn)
//   then     the value, as a rule's capture group would hand it over
//
// Checked (besides "no trap, no ASan report"): a value payment-card accepts has a brand and
// passes plain Luhn ("card-brand"); one ca-sin accepts passes plain Luhn ("sin-luhn"); jwt
// accepts exactly when JWTFacts parses, and then names an algorithm ("jwt-facts"); a lifetime is
// exp − iat ("jwt-lifetime"); the checks answer the same twice ("deterministic"); entropy lies in
// 0...8 ("entropy"). The value is also read as a token's JSON: base64url-encoded as its header
// and its payload, so JWTFacts's JSON reader sees the raw bytes; a token read so names an
// algorithm ("jwt-json"), and whitespace around the JSON changes nothing ("jwt-json-space").
//
// FUZZ_IGNORE (environment, comma-separated): card-brand, sin-luhn, jwt-facts, jwt-lifetime,
// jwt-json, jwt-json-space, deterministic, entropy.

import Scanning

import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let validators = Validator.allCases
    let validator = validators[Int(input.u8()) % validators.count]
    let source = input.bytes(input.remaining)
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 1)
    defer { copy.deallocate() }
    if source.count > 0 { copy.copyMemory(from: source) }
    let value = UnsafeRawBufferPointer(copy)

    let accepted = validator.accepts(value)
    check("deterministic", validator.accepts(value) == accepted, "\(validator) answered twice differently")

    let brand = Validator.cardBrand(value)
    if Validator.paymentCard.accepts(value) {
        check("card-brand", brand != nil && Validator.luhn.accepts(value), "accepted card without a brand or Luhn")
    }
    if Validator.canadianSIN.accepts(value) {
        check("sin-luhn", Validator.luhn.accepts(value), "accepted SIN fails Luhn")
    }
    let facts = JWTFacts(token: value)
    check("jwt-facts", Validator.jwt.accepts(value) == (facts != nil) && (facts == nil || facts?.algorithm != nil),
          "jwt \(Validator.jwt.accepts(value)), facts \(String(describing: facts))")
    if let facts, let issuedAt = facts.issuedAt, let expires = facts.expires {
        let (difference, overflow) = expires.subtractingReportingOverflow(issuedAt)
        check("jwt-lifetime", facts.lifetime == (overflow ? nil : difference), "lifetime \(String(describing: facts.lifetime))")
    }
    if value.count < 4000 {
        let asJSON = jwtFacts(json: Array(value))
        check("jwt-json", asJSON == nil || asJSON?.algorithm != nil, "facts \(String(describing: asJSON))")
        let spaced = jwtFacts(json: [0x20] + Array(value) + [0x0d, 0x0a, 0x09])
        check("jwt-json-space", spaced == asJSON, "\(String(describing: spaced)) vs \(String(describing: asJSON))")
    }
    let entropy = Entropy.shannon(value)
    check("entropy", entropy >= 0 && entropy <= 8.000_001, "entropy \(entropy)")

    if verbose {
        print("FuzzValidators: \(validator.rawValue) on \(value.count) bytes: \(accepted ? "accepted" : "refused"), brand \(brand ?? "-"), jwt \(facts?.algorithm ?? "-")")
    }
    return 0
}

/// JWTFacts of a token whose header and payload are `json`, base64url-encoded (no padding), with
/// an empty signature.
func jwtFacts(json: [UInt8]) -> JWTFacts? {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    var part: [UInt8] = []
    var i = 0
    while i < json.count {
        let n = min(3, json.count - i)
        var bits: UInt32 = 0
        for k in 0..<3 { bits = bits << 8 | UInt32(k < n ? json[i + k] : 0) }
        for k in 0...n { part.append(alphabet[Int(bits >> UInt32(18 - 6 * k) & 63)]) }
        i += 3
    }
    let text = part + [UInt8(ascii: ".")] + part + [UInt8(ascii: ".")]
    return text.withUnsafeBytes { JWTFacts(token: $0) }
}
