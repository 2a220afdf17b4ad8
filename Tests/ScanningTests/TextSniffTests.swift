import Testing
@testable import Scanning

/// The binary-or-text verdict on a decoded stream's first bytes.
@Suite struct TextSniffTests {
    static func verdict(_ pieces: [[UInt8]]) -> TextSniff.Verdict {
        var sniff = TextSniff()
        for piece in pieces { piece.withUnsafeBytes { _ = sniff.read($0) } }
        return sniff.verdict
    }

    @Test func htmlJSONAndLogTextAreText() {
        let html = Array(String(repeating: "<p class=\"x\">Caf\u{e9} \u{2014} d\u{e9}j\u{e0} vu</p>\r\n\t", count: 20).utf8)
        #expect(Self.verdict([html]) == .text)
        let coloured = Array(String(repeating: "\u{1b}[31mERROR\u{1b}[0m disk full\n\u{0c}", count: 30).utf8)
        #expect(Self.verdict([coloured]) == .text, "escape and form feed are text")
    }

    @Test func aUTF16ByteOrderMarkMakesItUTF16() {
        let text: [UInt8] = [0xff, 0xfe] + Array("Name\tCard\r\n".utf16).flatMap { [UInt8($0), 0] }
        #expect(Self.verdict([text]) == .utf16)
        #expect(Self.verdict([[0xff], Array(text[1...])]) == .utf16, "the mark cut after its FF")
        #expect(Self.verdict([[0xff], Array("abc".utf8) + [0]]) == .binary, "an FF alone is a byte of the window")
        #expect(Self.verdict([[0xfe, 0xff, 0, 0x41]]) == .binary, "UTF-16BE is not read")
        #expect(Self.verdict([Array("x".utf8), [0xff, 0xfe, 0x41, 0]]) == .binary, "only at the start")
    }

    @Test func aNULMakesItBinaryAtOnce() {
        #expect(Self.verdict([Array("GIF89a".utf8) + [1, 0, 1, 0]]) == .binary)
    }

    @Test func randomBytesAreBinary() {
        // A fixed pseudo-random stream without NULs: the control characters alone decide.
        var x: UInt32 = 2_463_534_242
        let bytes: [UInt8] = (0..<512).map { _ in
            x ^= x << 13; x ^= x >> 17; x ^= x << 5
            return UInt8(truncatingIfNeeded: x) | (UInt8(truncatingIfNeeded: x) == 0 ? 1 : 0)
        }
        #expect(!bytes.contains(0))
        #expect(Self.verdict([bytes]) == .binary)
    }

    @Test func aFewStrayControlsAreTolerated() {
        var text = Array(String(repeating: "a", count: 600).utf8)
        for i in stride(from: 0, to: TextSniff.maxControls * 8, by: 8) { text[i] = 0x01 }
        #expect(Self.verdict([text]) == .text)
        text[TextSniff.maxControls * 8 + 1] = 0x02
        #expect(Self.verdict([text]) == .binary, "one control more than tolerated")
    }

    @Test func theVerdictBuildsUpOverPiecesAndStopsAtTheWindow() {
        let half = [UInt8](repeating: 0x41, count: TextSniff.window / 2)
        #expect(Self.verdict([half]) == .undecided)
        #expect(Self.verdict([half, half]) == .text)
        #expect(Self.verdict([half, half, [0, 0, 0]]) == .text, "bytes past the window are not judged")
        #expect(Self.verdict([half, [0x41, 0]]) == .binary)
    }
}
