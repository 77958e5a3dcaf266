/// A malformed line in a ledger operation stream (`osg ledger apply`): an operating error,
/// thrown, never a business verdict.
public struct LedgerScriptError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 1-based line number in the input.
    public let lineNumber: Int
    /// What is wrong with the line, naming the field and the value.
    public let message: String

    /// Creates an error for a line.
    public init(lineNumber: Int, message: String) {
        self.lineNumber = lineNumber
        self.message = message
    }

    public var description: String { "line \(lineNumber): \(message)" }
}
