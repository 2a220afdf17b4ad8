// MARK: - HTML built so that report text cannot become markup
//
// A report carries strings that came off the network — evidence, messages,
// SNI names, certificate subjects — chosen by whoever sent the traffic. In
// the HTML report such a string can only enter through string interpolation
// of a `String` into a `Markup`, which escapes it; tags and attributes come
// from the renderer's own string literals. So forgetting to escape takes an
// explicit `Markup(stringLiteral:)` on report text, which review can see.

/// A fragment of HTML.
struct Markup: ExpressibleByStringInterpolation, Sendable {
    private(set) var html: String

    /// The renderer's own markup (a literal in this module's source).
    init(stringLiteral literal: String) {
        html = literal
    }

    init(stringInterpolation: StringInterpolation) {
        html = stringInterpolation.html
    }

    /// Text, escaped.
    init(text: String) {
        html = Markup.escape(text)
    }

    mutating func append(_ other: Markup) {
        html += other.html
    }

    struct StringInterpolation: StringInterpolationProtocol {
        fileprivate(set) var html = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            html.reserveCapacity(literalCapacity + 24 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: String) {
            html += literal
        }

        /// Text from the report: escaped, wherever it lands (element content or a quoted attribute).
        mutating func appendInterpolation(_ text: String) {
            html += Markup.escape(text)
        }

        mutating func appendInterpolation(_ markup: Markup) {
            html += markup.html
        }

        mutating func appendInterpolation(_ markups: [Markup]) {
            for markup in markups { html += markup.html }
        }

        mutating func appendInterpolation(_ number: Int) {
            html += String(number)
        }

        /// A coordinate or length in an SVG or a style: one decimal is enough on screen and paper.
        mutating func appendInterpolation(_ number: Double) {
            let rounded = number.isFinite ? (number * 10).rounded() / 10 : 0
            html += rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : String(rounded)
        }
    }

    /// Escapes the five characters that can end a text run or a quoted
    /// attribute (`&`, `<`, `>`, `"`, `'`). Control characters (bar tab and
    /// newline) and the bidirectional overrides and isolates become U+FFFD:
    /// they would let a sender reorder or hide what the reader sees next to
    /// them ("Trojan Source"), and the evidence is redacted anyway.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            case "\u{0}"..."\u{1F}", "\u{7F}"..."\u{9F}",
                "\u{061C}", "\u{200E}", "\u{200F}", "\u{202A}"..."\u{202E}", "\u{2066}"..."\u{2069}":
                out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension Array where Element == Markup {
    func joined(separator: Markup) -> Markup {
        var out: Markup = ""
        for (index, markup) in enumerated() {
            if index > 0 { out.append(separator) }
            out.append(markup)
        }
        return out
    }
}
