/// An input or state problem, said in one line.
public struct AssessmentError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
