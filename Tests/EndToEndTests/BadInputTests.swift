import Foundation
import Testing

/// Bad input gets a clear error, exit status 2, and loses nothing found before it.
@Suite struct BadInputTests {
    let dir = Paths.temporaryDirectory()

    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let url = dir.appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
        return url.path
    }

    /// A classic pcap global header (little-endian, microseconds).
    func pcapHeader(linkType: UInt32, snaplen: UInt32 = 65535) -> [UInt8] {
        var h: [UInt8] = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        h += withUnsafeBytes(of: snaplen.littleEndian, Array.init)
        h += withUnsafeBytes(of: linkType.littleEndian, Array.init)
        return h
    }

    @Test func nonexistentPathIsAnInputError() throws {
        let run = try plainsight(["read", dir.appendingPathComponent("missing.pcap").path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("missing.pcap: no such file or directory"))
    }

    @Test func aFileThatIsNotACaptureIsNamed() throws {
        let path = write("notes.txt", Array("these are not packets, just some words in a text file\n".utf8))
        let run = try plainsight(["read", path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("notes.txt: not a pcap or pcapng capture"))
    }

    @Test func anEmptyFileIsNotACapture() throws {
        let run = try plainsight(["read", write("empty.pcap", [])])
        #expect(run.status == 2)
        #expect(run.stderr.contains("not a pcap or pcapng capture"))
    }

    @Test func anUnsupportedLinkTypeIsNamed() throws {
        // DLT 9 (PPP) with one 4-byte record.
        let path = write("ppp.pcap", pcapHeader(linkType: 9) + [0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4])
        let run = try plainsight(["read", path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("unsupported link type 9 (DLT_PPP)"))
    }

    @Test func aTruncatedCaptureKeepsEveryFlowAndSaysWhereItBroke() throws {
        let sample = try Data(contentsOf: Paths.captures.appendingPathComponent("tls12-openssl.pcap"))
        let path = write("cut.pcap", Array(sample.prefix(sample.count - 10)))
        let run = try plainsight(["read", path, "--format", "json"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("cut.pcap: capture is truncated or corrupt after packet"))
        #expect(run.stderr.contains("at byte"))
        // The flow seen before the break is still reported, with the stats.
        #expect(run.flows.count == 1)
        #expect(run.flows.first?["app"] as? String == "tls")
        let stats = try #require(run.stats)
        #expect((stats["input_error"] as? String)?.contains("truncated") == true)
    }

    @Test func aCorruptRecordLengthIsReportedNotTrusted() throws {
        let sample = Array(try Data(contentsOf: Paths.captures.appendingPathComponent("http-curl.pcap")))
        // Append a record header claiming 1 GB of captured bytes.
        let bogus: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0x40]
        let run = try plainsight(["read", write("bogus.pcap", sample + bogus), "--format", "json"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("bogus.pcap: capture is truncated or corrupt after packet 20"))
        #expect(run.flows.count == 1)
    }

    @Test func laterFilesAreStillReadAfterABadOne() throws {
        let bad = write("bad.pcap", Array("garbage".utf8))
        let good = Paths.captures.appendingPathComponent("http-curl.pcap").path
        let run = try plainsight(["read", bad, good, "--format", "json"])
        #expect(run.status == 2)
        #expect(run.flows.count == 1)
    }

    @Test func aFolderSkipsFilesThatAreNotCapturesAndSaysSo() throws {
        let folder = dir.appendingPathComponent("rotated")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: Paths.captures.appendingPathComponent("http-curl.pcap"), to: folder.appendingPathComponent("a.pcap"))
        try FileManager.default.copyItem(
            at: Paths.captures.appendingPathComponent("tls13-openssl.pcap"), to: folder.appendingPathComponent("b.pcap"))
        _ = FileManager.default.createFile(atPath: folder.appendingPathComponent("README").path, contents: Data("notes".utf8))
        let run = try plainsight(["read", folder.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.flows.count == 2)
        #expect(run.stderr.contains("skipped 1 file"))
    }

    @Test func anEmptyFolderIsAnInputError() throws {
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let run = try plainsight(["read", empty.path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("folder holds no files that are pcap or pcapng captures"))
    }

    @Test func aBadFilterIsAnInputError() throws {
        let run = try plainsight(["read", Paths.captures.appendingPathComponent("http-curl.pcap").path, "--filter", "tcp port banana"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("invalid filter"))
    }

    @Test(arguments: [
        ["read"], ["read", "x.pcap", "--format", "xml"], ["read", "x.pcap", "--analyzers", "flows,bogus"],
        ["read", "x.pcap", "--fail-on", "severe"], ["live"], ["frobnicate"], ["read", "x.pcap", "--max-flows", "0"],
        ["read", "x.pcap", "--tcp-timeout", "99999999999999"], ["read", "x.pcap", "--max-held-mb", "99999999999"],
        ["live", "-i", "lo", "--buffer-size", "4096"],
    ])
    func usageErrorsExitWithStatusTwo(arguments: [String]) throws {
        let run = try plainsight(arguments)
        #expect(run.status == 2)
        #expect(run.stderr.contains("plainsight:") || run.stderr.contains("Error"))
    }

    @Test func helpExitsZeroAndDocumentsExitStatus() throws {
        let run = try plainsight(["--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("Exit status"))
        let read = try plainsight(["read", "--help"])
        #expect(read.stdout.contains("--max-flows"))
        #expect(read.stdout.contains("--analyzers"))
    }
}
