import Decoding

/// Builds one JSON object as UTF-8 bytes, in field order, escaping strings
/// per RFC 8259. Used only when a record is written, never per packet.
public struct JSONObject {
    public private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]
    var empty = true

    public init() {}

    mutating func key(_ name: String) {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        JSONObject.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func add(_ name: String, _ value: String) {
        key(name)
        JSONObject.appendString(value, to: &bytes)
    }

    /// Adds the field only when `value` is non-nil (absent values are omitted).
    public mutating func add(_ name: String, ifPresent value: String?) {
        if let value { add(name, value) }
    }

    public mutating func add<I: BinaryInteger>(_ name: String, _ value: I) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func add(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    public mutating func add(_ name: String, seconds value: Double) {
        key(name)
        let micros = Int64((value * 1_000_000).rounded())
        let whole = micros / 1_000_000, frac = abs(micros % 1_000_000)
        var f = String(frac)
        f = String(repeating: "0", count: 6 - f.count) + f
        bytes.append(contentsOf: "\(micros < 0 && whole == 0 ? "-" : "")\(whole).\(f)".utf8)
    }

    public mutating func add(_ name: String, _ object: JSONObject) {
        key(name)
        bytes.append(contentsOf: object.finished)
    }

    public mutating func add(_ name: String, strings: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (i, s) in strings.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONObject.appendString(s, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    public var finished: [UInt8] { bytes + [UInt8(ascii: "}")] }

    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0a: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0d: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xf)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// RFC 3339 UTC with microseconds: `2026-11-28T06:37:20.123456Z`.
public func rfc3339(_ time: Microseconds) -> String {
    let seconds = time >= 0 ? time / 1_000_000 : (time - 999_999) / 1_000_000
    let micros = time - seconds * 1_000_000
    let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let secondOfDay = seconds - days * 86_400
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
    return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
        + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(micros, 6))Z"
}
