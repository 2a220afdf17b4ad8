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

/// A live sensor's file: appended to when it exists, reopened by name on
/// SIGHUP (after logrotate renamed it away) and at each rotation.
@Suite("OutputFile reopen")
struct OutputFileReopenTests {
    @Test func appendingKeepsWhatTheFileHeldAndTightensIt() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/sensor-2026-12-05.jsonl"
        try Data("{\"n\":1}\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, 0o644) == 0)
        do {
            let out = try OutputFile(path: path, appending: true)
            out.write("{\"n\":2}\n")
        }
        #expect(fileMode(path) == 0o600)
        #expect(try readFile(path) == Array("{\"n\":1}\n{\"n\":2}\n".utf8))
    }

    @Test func aFileRenamedAwayIsLeftCompleteAndANewOneIsCreatedOwnerOnly() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/sensor.jsonl"
        let out = try OutputFile(path: path)
        out.write("{\"n\":1}\n")  // still buffered when the file is renamed
        #expect(rename(path, path + ".1") == 0)
        try out.reopen(path: path)
        out.write("{\"n\":2}\n")
        out.flush()
        #expect(try readFile(path + ".1") == Array("{\"n\":1}\n".utf8))
        #expect(try readFile(path) == Array("{\"n\":2}\n".utf8))
        #expect(fileMode(path) == 0o600)
    }

    @Test func reopeningAFileStillInPlaceAppendsToIt() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/sensor.jsonl"
        let out = try OutputFile(path: path)
        out.write("{\"n\":1}\n")
        try out.reopen(path: path)
        out.write("{\"n\":2}\n")
        out.flush()
        #expect(try readFile(path) == Array("{\"n\":1}\n{\"n\":2}\n".utf8))
    }

    @Test func aFailedReopenKeepsWritingToTheOpenFile() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/sensor.jsonl"
        let out = try OutputFile(path: path)
        out.write("{\"n\":1}\n")
        #expect(throws: OutputFile.OpenError.self) { try out.reopen(path: dir + "/gone/sensor.jsonl") }
        out.write("{\"n\":2}\n")
        out.flush()
        #expect(try readFile(path) == Array("{\"n\":1}\n{\"n\":2}\n".utf8))
    }
}
