import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Debian's chromium, headless, and poppler's tools to read what it printed.
/// Every run gets its own profile, resolves no host name (`MAP * ~NOTFOUND`:
/// nothing leaves the machine, whatever the page or the browser asks for)
/// and writes a network log, from which `pageRequests` lists what the page
/// itself asked the network for.
enum HeadlessChromium {
    static let browser = firstExecutable(["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"])
    static let pdftotext = firstExecutable(["/usr/bin/pdftotext", "/usr/local/bin/pdftotext"])
    static let pdftoppm = firstExecutable(["/usr/bin/pdftoppm", "/usr/local/bin/pdftoppm"])
    static let available = browser != nil && pdftotext != nil && pdftoppm != nil
    static let missing = "chromium or poppler-utils is not installed (apt-get install chromium poppler-utils; scripts/test.sh does)"

    struct Printout {
        let pdf: URL
        let netLog: URL
    }

    enum Failure: Error, CustomStringConvertible {
        case notInstalled
        case failed(command: String, status: Int32, output: String)
        case timedOut(command: String)
        var description: String {
            switch self {
            case .notInstalled: return HeadlessChromium.missing
            case .failed(let command, let status, let output): return "\(command) exited with \(status): \(output.suffix(2000))"
            case .timedOut(let command): return "\(command) did not finish in time"
            }
        }
    }

    /// Prints `page` (a file) to `<stem>.pdf` in `directory`, as a user's "Save as PDF" would, with print CSS.
    static func printToPDF(_ page: URL, in directory: URL, stem: String) throws -> Printout {
        guard let browser else { throw Failure.notInstalled }
        let pdf = directory.appendingPathComponent(stem + ".pdf")
        let netLog = directory.appendingPathComponent(stem + "-netlog.json")
        // As root (CI) chromium refuses to start with its sandbox on.
        let sandbox = getuid() == 0 ? ["--no-sandbox"] : []
        try run(
            browser,
            ["--headless"] + sandbox + [
                "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
                "--user-data-dir=" + directory.appendingPathComponent(stem + "-profile").path,
                "--host-resolver-rules=MAP * ~NOTFOUND", "--log-net-log=" + netLog.path,
                "--no-pdf-header-footer", "--print-to-pdf=" + pdf.path, page.absoluteString,
            ])
        return Printout(pdf: pdf, netLog: netLog)
    }

    /// URLs the page asked the network for. Chromium's own background
    /// requests (component updates and the like, which the host resolver
    /// rule stops anyway) are told apart by their network isolation key: a
    /// page opened from a file has `file://` there.
    static func pageRequests(_ netLog: URL) throws -> [String] {
        let data = try Data(contentsOf: netLog)
        let log = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let constants = try #require(log["constants"] as? [String: Any])
        let types = try #require(constants["logEventTypes"] as? [String: Int])
        let startJob = try #require(types["URL_REQUEST_START_JOB"])
        let events = try #require(log["events"] as? [[String: Any]])
        return events.compactMap { event in
            guard event["type"] as? Int == startJob, let params = event["params"] as? [String: Any],
                let url = params["url"] as? String, (params["network_isolation_key"] as? String)?.contains("file://") == true
            else { return nil }
            return url
        }
    }

    /// A word pdftotext found, with its box in PDF points (origin top left).
    struct Word {
        let page: Int
        let xMin, yMin, xMax, yMax: Double
        let text: String
        var height: Double { yMax - yMin }
        var midY: Double { (yMin + yMax) / 2 }
    }

    /// The words of a PDF with their boxes (`pdftotext -bbox`).
    static func words(_ pdf: URL) throws -> [Word] {
        guard let pdftotext else { throw Failure.notInstalled }
        let xhtml = try run(pdftotext, ["-bbox", pdf.path, "-"])
        var words: [Word] = []
        var page = 0
        for line in xhtml.split(separator: "\n") {
            if line.contains("<page ") { page += 1; continue }
            guard let m = line.firstMatch(of: /<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">(.*)<\/word>/)
            else { continue }
            let text = String(m.output.5).replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
                .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
            words.append(Word(page: page, xMin: Double(m.output.1)!, yMin: Double(m.output.2)!, xMax: Double(m.output.3)!,
                              yMax: Double(m.output.4)!, text: text))
        }
        return words
    }

    /// The text of a PDF in reading order (`pdftotext`).
    static func text(_ pdf: URL) throws -> String {
        guard let pdftotext else { throw Failure.notInstalled }
        return try run(pdftotext, [pdf.path, "-"])
    }

    /// One page of a PDF as RGB pixels (`pdftoppm`, PPM) at `dpi`.
    static func pixels(_ pdf: URL, page: Int, dpi: Int, in directory: URL) throws -> Pixmap {
        guard let pdftoppm else { throw Failure.notInstalled }
        let stem = directory.appendingPathComponent("page-\(page)")
        try run(pdftoppm, ["-r", String(dpi), "-f", String(page), "-l", String(page), "-singlefile", pdf.path, stem.path])
        return try Pixmap(ppm: Data(contentsOf: stem.appendingPathExtension("ppm")), dpi: dpi)
    }

    /// Runs a tool to its end (at most `timeout` seconds); its standard output, or an error with its standard error.
    /// Output goes to files, not pipes: chromium is chatty, and a full pipe would block it.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 120) throws -> String {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("plainsight-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outPath = scratch.appendingPathComponent("out"), errPath = scratch.appendingPathComponent("err")
        try Data().write(to: outPath)
        try Data().write(to: errPath)
        let out = try FileHandle(forWritingTo: outPath), err = try FileHandle(forWritingTo: errPath)
        defer { try? out.close(); try? err.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let command = ([executable] + arguments.prefix(1)).joined(separator: " ")
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            guard Date() < deadline else {
                process.terminate()
                process.waitUntilExit()
                throw Failure.timedOut(command: command)
            }
            usleep(20_000)
        }
        guard process.terminationStatus == 0 else {
            let errors = (try? String(contentsOf: errPath, encoding: .utf8)) ?? ""
            throw Failure.failed(command: command, status: process.terminationStatus, output: errors)
        }
        return try String(contentsOf: outPath, encoding: .utf8)
    }

    static func firstExecutable(_ paths: [String]) -> String? {
        paths.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// An RGB image from a binary PPM (P6, maxval 255), addressed in PDF points.
struct Pixmap {
    let width: Int, height: Int
    let pixelsPerPoint: Double
    private let rgb: [UInt8]

    init(ppm: Data, dpi: Int) throws {
        let bytes = [UInt8](ppm)
        // Header: "P6", width, height, maxval, each followed by one whitespace byte.
        var fields: [Int] = [], index = 2, current = ""
        while fields.count < 3, index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte >= 0x30 && byte <= 0x39 {
                current.append(Character(UnicodeScalar(byte)))
            } else if !current.isEmpty {
                fields.append(Int(current)!)
                current = ""
            }
        }
        guard bytes.starts(with: Array("P6".utf8)), fields.count == 3, fields[2] == 255,
            bytes.count - index >= fields[0] * fields[1] * 3
        else { throw CocoaError(.fileReadCorruptFile) }
        width = fields[0]
        height = fields[1]
        pixelsPerPoint = Double(dpi) / 72
        rgb = Array(bytes[index..<(index + width * height * 3)])
    }

    /// Pixels within `tolerance` of `hex` (`#rrggbb`) in a rectangle given in points.
    func count(_ hex: String, xMin: Double, yMin: Double, xMax: Double, yMax: Double, tolerance: Int = 8) -> Int {
        let value = Int(hex.dropFirst(), radix: 16)!
        let target = [(value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF]
        let x0 = max(0, Int(xMin * pixelsPerPoint)), x1 = min(width - 1, Int(xMax * pixelsPerPoint))
        let y0 = max(0, Int(yMin * pixelsPerPoint)), y1 = min(height - 1, Int(yMax * pixelsPerPoint))
        guard x0 <= x1, y0 <= y1 else { return 0 }
        var n = 0
        for y in y0...y1 {
            for x in x0...x1 {
                let offset = (y * width + x) * 3
                if (0..<3).allSatisfy({ abs(Int(rgb[offset + $0]) - target[$0]) <= tolerance }) { n += 1 }
            }
        }
        return n
    }
}
