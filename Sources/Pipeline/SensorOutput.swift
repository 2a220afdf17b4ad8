import Decoding
import Reporting

/// Where a live sensor's records go, and when they move to another file:
/// at each hour or day boundary of the sensor's wall clock with `--rotate`
/// (not the packets' capture time: a file holds what the sensor wrote in
/// that hour or day), and on SIGHUP, which reopens the same name so that
/// logrotate can rename the file away.
///
/// The capture loop asks `due` once a second; the switch itself is queued
/// behind the records already sent (`Auditor.switchOutput`), so it happens
/// on the output thread between two records and none is lost or written twice.
public struct SensorOutput {
    public enum Switch: Equatable, Sendable {
        /// The period ended: the old file gets a closing stats record, then records go to `to`.
        case rotate(to: String)
        /// SIGHUP: close the file and open the same name again (created 0600 if it was renamed away).
        case reopen(String)

        var path: String {
            switch self {
            case .rotate(let path), .reopen(let path): return path
            }
        }
    }

    /// The real wall clock (microseconds since the epoch, UTC).
    public static let systemClock: @Sendable () -> Microseconds = { Clock.nowMicroseconds() }

    private let rotation: OutputRotation?
    /// The file records go to now.
    public private(set) var path: String
    private var periodEnd: Microseconds
    private let clock: @Sendable () -> Microseconds

    /// `clock` decides the period; a test passes its own to cross a boundary without waiting for one.
    public init(
        path: String, rotate period: OutputRotation.Period?, clock: @escaping @Sendable () -> Microseconds = SensorOutput.systemClock
    ) {
        self.clock = clock
        guard let period else {
            rotation = nil
            self.path = path
            periodEnd = .max
            return
        }
        let rotation = OutputRotation(path: path, period: period)
        let now = clock()
        self.rotation = rotation
        self.path = rotation.path(at: now)
        periodEnd = rotation.periodEnd(containing: now)
    }

    /// The switch to make now, if any: a rotation once the wall clock has
    /// passed the end of the current period (if the sensor was busy or the
    /// clock jumped, the file is the one for the current time, not the next
    /// one in line), else a reopen when SIGHUP asked for one.
    public mutating func due(reopenRequested: Bool) -> Switch? {
        if let rotation {
            let now = clock()
            if now >= periodEnd {
                path = rotation.path(at: now)
                periodEnd = rotation.periodEnd(containing: now)
                return .rotate(to: path)
            }
        }
        return reopenRequested ? .reopen(path) : nil
    }
}
