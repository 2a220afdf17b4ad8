#if canImport(Glibc)
import Glibc
#endif

/// Reading progress on standard error (bytes done of total, rate, ETA),
/// redrawn at most four times a second; only when stderr is a terminal.
struct Progress {
    let totalBytes: Int64
    let start = Clock.seconds()
    var lastDraw = 0.0
    var visible = false

    init(totalBytes: Int64) { self.totalBytes = totalBytes }

    mutating func update(doneBytes: Int64, file: Int, files: Int) {
        let now = Clock.seconds()
        guard now - lastDraw >= 0.25 else { return }
        lastDraw = now
        let elapsed = max(now - start, 0.001)
        let rate = Double(doneBytes) / elapsed
        let remaining = rate > 0 ? Double(totalBytes - doneBytes) / rate : 0
        let percent = totalBytes > 0 ? Int(Double(doneBytes) * 100 / Double(totalBytes)) : 0
        let line = "\r  file \(file)/\(files)  \(mb(doneBytes)) / \(mb(totalBytes)) MB (\(percent)%)  "
            + "\(Int(rate / 1_000_000)) MB/s  ETA \(Int(remaining.rounded())) s   "
        writeStandardError(line)
        visible = true
    }

    mutating func clear() {
        if visible { writeStandardError("\r\u{1b}[K") }
        visible = false
    }

    func mb(_ bytes: Int64) -> String { String(bytes / 1_000_000) }
}

/// Wall-clock time.
enum Clock {
    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func nowMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}

/// Writes text to standard error, unbuffered.
func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
