/// Why a capture could not be opened or read, worded for the user.
public struct CaptureError: Error, CustomStringConvertible, Equatable {
    public enum Code: Sendable, Equatable {
        case noSuchPath, unreadable, notACapture, unsupportedLinkType, truncated, readFailed
        case noSuchInterface, permissionDenied, badFilter, liveFailed, privilegeDrop
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Equality on the code only, so tests assert on what kind of failure it was.
    public static func == (a: CaptureError, b: CaptureError) -> Bool { a.code == b.code }
}

/// The text libpcap wrote into an error buffer.
func text(_ errorBuffer: [CChar]) -> String {
    errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
