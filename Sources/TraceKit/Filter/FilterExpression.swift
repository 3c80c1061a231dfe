/// The parsed form of a filter expression.
public indirect enum FilterExpression: Sendable, Equatable {
    case and(FilterExpression, FilterExpression)
    case or(FilterExpression, FilterExpression)
    case not(FilterExpression)
    case comparison(FilterComparison)
    /// A bare operand: true when the field exists and is not zero or empty.
    case truthy(FilterOperand)
}

/// What a comparison reads from a record.
public enum FilterOperand: Sendable, Equatable {
    /// The event name (`event`): matches the plain and `system:name` forms.
    case eventName
    case cpu
    /// The timestamp in the trace clock, in nanoseconds.
    case time
    /// Nanoseconds since the first event of the traces.
    case elapsed
    case pid
    /// The task's command name (`comm`, `task`).
    case comm
    /// The name of the trace the record belongs to.
    case traceName
    /// A payload or context field by name (nested fields are found depth-first).
    case field(String)
}

public enum FilterOperator: String, Sendable, Equatable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case matches = "=~", notMatches = "!~"
}

/// A literal on the right of a comparison.
public enum FilterLiteral: Sendable, Equatable {
    case integer(Int64)
    case unsignedInteger(UInt64)
    case float(Double)
    case string(String)
    /// A duration or time with a unit, in nanoseconds.
    case nanoseconds(Int64)
    /// A time of day (`22:50:11.5`) in nanoseconds since midnight, for traces on an epoch clock.
    case timeOfDay(Int64)
    case regex(String)
}

public struct FilterComparison: Sendable, Equatable {
    public var operand: FilterOperand
    public var op: FilterOperator
    public var literal: FilterLiteral
    /// Column of the comparison in the source, for errors found when compiling.
    public var column: Int
}
