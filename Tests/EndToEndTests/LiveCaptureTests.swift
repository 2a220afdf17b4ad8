import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `plainsight live` on the loopback interface, with traffic the test makes
/// itself between two sockets on 127.0.0.1 (bounded: one short exchange per
/// test). Capturing needs root; otherwise the suite is skipped.
@Suite(.enabled(if: getuid() == 0, "not root: live-capture tests skipped (they capture on the loopback interface)"),
       .serialized)
struct LiveCaptureTests {
    /// A free TCP port on 127.0.0.1, chosen by the kernel.
    static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: address.sin_port)
    }

    /// One HTTP-looking request and response between two loopback sockets.
    static func exchange(port: UInt16) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(server, $0, length) } }
        listen(server, 1)
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) } }
        let accepted = accept(server, nil, nil)
        let request = Array("GET /live-test HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        let response = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
        var buffer = [UInt8](repeating: 0, count: 1024)
        _ = send(client, request, request.count, 0)
        _ = recv(accepted, &buffer, buffer.count, 0)
        _ = send(accepted, response, response.count, 0)
        _ = recv(client, &buffer, buffer.count, 0)
        close(client)
        close(accepted)
        close(server)
    }

    @Test func capturesLoopbackTrafficForADuration() throws {
        let port = LiveCaptureTests.freePort()
        let run = try plainsight(
            ["live", "-i", "lo", "--filter", "tcp port \(port)", "--duration", "3", "--format", "json"], timeout: 20
        ) { _ in
            usleep(1_500_000)  // let the capture start
            LiveCaptureTests.exchange(port: port)
        }
        #expect(run.status == 0, "\(run.stderr)")
        let flow = try #require(run.flows.first, "no flow captured: \(run.stderr)")
        #expect(run.flows.count == 1)
        #expect(endpoints(flow).hasSuffix("> 127.0.0.1:\(port)"))
        #expect(flow["app"] as? String == "http")
        #expect(flow["encrypted"] as? Bool == false)
        #expect((flow["flow"] as! [String: Any])["client_guessed"] == nil)
        let stats = try #require(run.stats)
        #expect(stats["final"] as? Bool == true)
        #expect((stats["drops"] as! [String: Int])["kernel"] == 0)
    }

    @Test func sigtermStopsCleanlyAndFlushesOpenFlows() throws {
        let port = LiveCaptureTests.freePort()
        let run = try plainsight(
            ["live", "-i", "lo", "--filter", "tcp port \(port)", "--format", "json", "--stats-interval", "0.5"], timeout: 20
        ) { process in
            usleep(1_500_000)
            LiveCaptureTests.exchange(port: port)
            usleep(1_200_000)
            kill(process.processIdentifier, SIGTERM)
        }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.flows.count == 1)
        let stats = run.records.filter { $0["type"] as? String == "stats" }
        #expect(stats.last?["final"] as? Bool == true)
        #expect(stats.contains { $0["final"] as? Bool == false }, "periodic stats while running")
    }

    @Test func stopsAfterCountPackets() throws {
        let port = LiveCaptureTests.freePort()
        let run = try plainsight(
            ["live", "-i", "lo", "--filter", "tcp port \(port)", "--count", "3", "--format", "json"], timeout: 20
        ) { _ in
            usleep(1_500_000)
            LiveCaptureTests.exchange(port: port)
        }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stats?["packets"] as? Int == 3)
    }

    @Test func dropsRootWithUser() throws {
        let run = try plainsight(["live", "-i", "lo", "--duration", "1", "--user", "nobody", "--filter", "tcp port 9"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stats?["final"] as? Bool == true)
    }

    @Test func unknownInterfaceIsNamed() throws {
        let run = try plainsight(["live", "-i", "nosuchif0", "--duration", "1"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("nosuchif0: no such interface"))
    }

    @Test func listsInterfaces() throws {
        let run = try plainsight(["live", "--list-interfaces"])
        #expect(run.status == 0)
        #expect(run.stdout.split(separator: "\n").contains { $0.hasPrefix("lo") })
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser"), "runuser missing"))
    func withoutPrivilegesTheMissingCapabilityIsNamed() throws {
        // The binary must be reachable by `nobody`; skip if the build folder is not.
        guard access(Paths.binary.path, X_OK) == 0 else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        process.arguments = ["-u", "nobody", "--", Paths.binary.path, "live", "-i", "lo", "--duration", "1"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if text.contains("Permission denied") && !text.contains("plainsight:") { return }  // path not traversable
        #expect(process.terminationStatus == 2)
        #expect(text.contains("CAP_NET_RAW"))
    }
}
