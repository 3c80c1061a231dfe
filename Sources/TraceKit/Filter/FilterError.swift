/// A filter expression that could not be parsed, with the 1-based column where the problem starts.
public struct FilterError: Error, CustomStringConvertible, Sendable, Equatable {
    /// 1-based column (in characters) of the offending token in the expression.
    public var column: Int
    public var message: String

    public init(column: Int, _ message: String) {
        self.column = column
        self.message = message
    }

    public var description: String { "column \(column): \(message)" }

    /// The expression with a caret line under the offending column, for terminals and error output.
    public func pointing(into expression: String) -> String {
        expression + "\n" + String(repeating: " ", count: max(0, column - 1)) + "^ " + message
    }
}
