import Foundation
import Testing
@testable import Reporting

#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite("OutputFile")
struct OutputFileTests {
    @Test func newFileIsCreatedOwnerOnly() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/new.jsonl"
        do {
            let out = try OutputFile(path: path)
            out.write("{}\n")
        }
        #expect(fileMode(path) == 0o600)
        #expect(try readFile(path) == Array("{}\n".utf8))
    }

    @Test func existingWorldReadableFileIsTightenedAndTruncated() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/old.jsonl"
        try Data(repeating: 0x78, count: 5000).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, 0o644) == 0)
        #expect(fileMode(path) == 0o644)
        do {
            let out = try OutputFile(path: path)
            out.write("new\n")
        }
        #expect(fileMode(path) == 0o600)
        #expect(try readFile(path) == Array("new\n".utf8))
    }

    @Test func outputLargerThanTheBufferArrivesIntact() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/big.jsonl"
        var expected: [UInt8] = []
        var g = SplitMix64(seed: 0xf11e_0006)
        do {
            let out = try OutputFile(path: path)
            var i = 0
            while expected.count < 300_000 {
                let line = "{\"n\":\(i),\"pad\":\"" + String(repeating: "abcdefgh", count: Int.random(in: 0...300, using: &g)) + "\"}\n"
                out.write(line)
                expected += Array(line.utf8)
                i += 1
                #expect(out.sink.count < (1 << 16) + 3000)  // flushed as it fills
            }
            // One write far larger than the whole buffer.
            let huge = String(repeating: "0123456789", count: 25_000)
            out.write(huge)
            expected += Array(huge.utf8)
            // Records written straight into the sink, as Reporter does.
            out.sink.append("tail\n")
            expected += Array("tail\n".utf8)
            out.flush()
            #expect(out.sink.count == 0)
        }
        let got = try readFile(path)
        #expect(got.count == expected.count)
        #expect(got == expected)
    }

    @Test func pendingOutputIsWrittenWhenTheFileGoesAway() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/deinit.jsonl"
        do {
            let out = try OutputFile(path: path)
            out.write("only buffered\n")
            #expect(try readFile(path).isEmpty)
        }
        #expect(try readFile(path) == Array("only buffered\n".utf8))
    }

    @Test func unopenablePathIsAnErrorNamingIt() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/missing/sub/out.jsonl"
        do {
            _ = try OutputFile(path: path)
            Issue.record("opened \(path)")
        } catch {
            #expect(error.description.contains(path))
            #expect(error.description.hasPrefix("cannot write "))
        }
    }
}
