// Found while building FuzzPipeline (Fuzz/README.md, "Findings"): the fuzz
// target was meant to write to `OutputFile(path: "/dev/null")`, but OutputFile
// fchmods whatever it opened to 0600, and as root that makes /dev/null
// unwritable for every other user of the machine (`sudo plainsight -i eth0
// -o /dev/null` does the same). The test uses its own device node with the
// numbers of /dev/null in a temporary directory, never /dev/null itself.
import Testing
@testable import Reporting

#if canImport(Glibc)
import Glibc
#endif

@Suite("Fuzz regressions: output file")
struct OutputFileRegressionTests {
    @Test("opening an existing device node leaves its mode alone", .enabled(if: geteuid() == 0, "mknod needs root"))
    func deviceNodeModeUnchanged() throws {
        var template = Array("/tmp/plainsight-outputfile-XXXXXX".utf8CString)
        let directory = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            .map { String(cString: $0) })
        let node = directory + "/null"
        defer {
            unlink(node)
            rmdir(directory)
        }
        // Character device 1:3 (what /dev/null is on Linux), mode 0666.
        let madeNode = mknod(node, S_IFCHR | 0o666, dev_t(1 << 8 | 3))
        try #require(madeNode == 0, "mknod failed (errno \(errno))")
        chmod(node, 0o666)

        let output = try OutputFile(path: node)
        output.write("{\"type\":\"stats\"}\n")
        output.flush()

        var st = stat()
        try #require(stat(node, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o666, "mode is now \(String(st.st_mode & 0o777, radix: 8))")
    }

    @Test("a regular file that already existed is still tightened to 0600")
    func regularFileTightened() throws {
        var template = Array("/tmp/plainsight-outputfile-XXXXXX".utf8CString)
        let path = try #require(template.withUnsafeMutableBufferPointer { buffer -> String? in
            let fd = mkstemp(buffer.baseAddress!)
            guard fd >= 0 else { return nil }
            close(fd)
            return String(cString: buffer.baseAddress!)
        })
        defer { unlink(path) }
        chmod(path, 0o644)
        _ = try OutputFile(path: path)
        var st = stat()
        try #require(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
    }
}
