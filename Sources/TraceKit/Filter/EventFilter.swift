/// What a filter needs to know beyond the record itself.
public struct FilterContext {
    public var set: TraceSet
    /// Timestamp of the first event of the traces (for `elapsed`).
    public var traceStart: Int64
    /// Finds the task of a record when the trace does not record it (the viewer knows which task ran
    /// on a CPU from scheduler events).
    public var taskResolver: ((EventRecord) -> TaskRef?)?

    public init(set: TraceSet, traceStart: Int64 = 0, taskResolver: ((EventRecord) -> TaskRef?)? = nil) {
        self.set = set
        self.traceStart = traceStart
        self.taskResolver = taskResolver
    }
}

/// A compiled filter expression that tells whether a record matches.
///
/// Payload and context fields are decoded only when the evaluation reaches a comparison that needs
/// them, and only the named fields are kept. Event-name comparisons are answered once per event class.
/// An instance keeps caches, so use one per thread.
///
/// Comparisons on a field the event does not have are false (`!=` included), so
/// `prev_pid != 0` selects only events that have a `prev_pid`.
public final class EventFilter {
    /// The expression as the user typed it.
    public let text: String
    public let expression: FilterExpression

    private let root: Node
    private let fieldNames: [String]
    private var capture: FieldCapture
    // Per-record evaluation state.
    private var decodedFields = false
    private var task: TaskRef??
    private var record = EventRecord(timestamp: 0, cpu: 0, classIndex: 0, stream: 0,
                                     position: StreamPosition(unit: 0, offset: 0, clock: 0))

    /// Parses and compiles `text`; throws `FilterError` pointing at the offending column.
    public init(_ text: String) throws {
        self.text = text
        expression = try FilterParser.parse(text)
        var names: [String] = []
        root = try Self.compile(expression, fieldNames: &names)
        fieldNames = names
        capture = FieldCapture(names: names)
    }

    /// True when `record` matches.
    public func matches(_ record: EventRecord, in context: FilterContext) -> Bool {
        self.record = record
        decodedFields = false
        task = nil
        return evaluate(root, context)
    }

    // MARK: - Compiled form

    private indirect enum Node {
        case and(Node, Node)
        case or(Node, Node)
        case not(Node)
        case test(Test)
        case truthy(FilterOperand, fieldSlot: Int)
    }

    /// One comparison with its caches.
    private final class Test {
        let comparison: FilterComparison
        let fieldSlot: Int
        let glob: GlobPattern?
        let regex: Regex<AnyRegexOutput>?
        /// Event-name answers per trace and class (nil: not computed yet).
        var classAnswers: [[Bool?]] = []

        init(_ comparison: FilterComparison, fieldSlot: Int) throws {
            self.comparison = comparison
            self.fieldSlot = fieldSlot
            switch comparison.literal {
            case .string(let s) where comparison.op == .matches || comparison.op == .notMatches:
                glob = GlobPattern(s)
                regex = nil
            case .regex(let r):
                glob = nil
                do {
                    regex = try Regex(r)
                } catch {
                    throw FilterError(column: comparison.column, "invalid regular expression: \(error)")
                }
            default:
                glob = nil
                regex = nil
            }
            if case .regex = comparison.literal, comparison.op != .matches && comparison.op != .notMatches {
                throw FilterError(column: comparison.column, "a /regex/ needs '=~' or '!~'")
            }
        }
    }

    private static func slot(for operand: FilterOperand, _ names: inout [String]) -> Int {
        guard case .field(let name) = operand else { return -1 }
        if let i = names.firstIndex(of: name) { return i }
        names.append(name)
        return names.count - 1
    }

    private static func compile(_ e: FilterExpression, fieldNames: inout [String]) throws -> Node {
        switch e {
        case .and(let a, let b): return .and(try compile(a, fieldNames: &fieldNames), try compile(b, fieldNames: &fieldNames))
        case .or(let a, let b): return .or(try compile(a, fieldNames: &fieldNames), try compile(b, fieldNames: &fieldNames))
        case .not(let a): return .not(try compile(a, fieldNames: &fieldNames))
        case .truthy(let operand): return .truthy(operand, fieldSlot: slot(for: operand, &fieldNames))
        case .comparison(let c):
            return .test(try Test(c, fieldSlot: slot(for: c.operand, &fieldNames)))
        }
    }

    // MARK: - Evaluation

    private func evaluate(_ node: Node, _ context: FilterContext) -> Bool {
        switch node {
        case .and(let a, let b): return evaluate(a, context) && evaluate(b, context)
        case .or(let a, let b): return evaluate(a, context) || evaluate(b, context)
        case .not(let a): return !evaluate(a, context)
        case .test(let test): return evaluate(test, context)
        case .truthy(let operand, let slot):
            switch value(of: operand, slot: slot, context) {
            case .none: return false
            case .integer(let v)?: return v.int64 != 0
            case .double(let d)?: return d != 0
            case .string(let s)?: return !s.isEmpty
            case .field(let f)?:
                switch f {
                case .integer(let v, _), .enumeration(let v, _): return v.int64 != 0
                case .float(let d): return d != 0
                case .string(let s): return !s.isEmpty
                case .array(let a): return !a.isEmpty
                default: return true
                }
            }
        }
    }

    /// A value read from the record for a comparison.
    private enum Value {
        case integer(IntegerValue)
        case double(Double)
        case string(String)
        case field(FieldValue)
    }

    private func currentTask(_ context: FilterContext) -> TaskRef? {
        if let task { return task }
        let found = record.isLostEvents ? nil
            : (context.set.trace(of: record).task(of: record) ?? context.taskResolver?(record))
        task = .some(found)
        return found
    }

    private func value(of operand: FilterOperand, slot: Int, _ context: FilterContext) -> Value? {
        switch operand {
        case .eventName: return .string(context.set.eventName(of: record))
        case .cpu: return .integer(.signed(Int64(record.cpu)))
        case .time: return .integer(.signed(record.timestamp))
        case .elapsed: return .integer(.signed(SaturatingTime.difference(record.timestamp, context.traceStart)))
        case .pid: return currentTask(context).map { .integer(.signed($0.pid)) }
        case .comm: return currentTask(context).map { .string($0.comm) }
        case .traceName: return .string(context.set.trace(of: record).name)
        case .field:
            guard !record.isLostEvents else { return nil }
            if !decodedFields {
                decodedFields = true
                capture.reset()
                let trace = context.set.trace(of: record)
                try? trace.decodeFields(of: record, scope: .payload, into: &capture)
                if capture.values.contains(where: { $0 == nil }) {
                    try? trace.decodeFields(of: record, scope: .context, into: &capture)
                }
            }
            guard capture.values.indices.contains(slot), let v = capture.values[slot] else { return nil }
            return .field(v)
        }
    }

    private func evaluate(_ test: Test, _ context: FilterContext) -> Bool {
        let c = test.comparison
        if c.operand == .eventName {
            if record.isLostEvents { return false }
            let t = Int(record.trace), k = Int(record.classIndex)
            if test.classAnswers.count <= t {
                test.classAnswers += Array(repeating: [], count: t + 1 - test.classAnswers.count)
            }
            if test.classAnswers[t].count <= k {
                let classes = context.set.traces[t].eventClasses.count
                test.classAnswers[t] += Array(repeating: nil, count: max(classes, k + 1) - test.classAnswers[t].count)
            }
            if let known = test.classAnswers[t][k] { return known }
            let cls = context.set.eventClass(of: record)
            let names = [cls?.name ?? context.set.eventName(of: record), cls?.qualifiedName].compactMap { $0 }
            let answer: Bool
            switch c.op {
            case .notEqual, .notMatches:
                // Negations hold when no spelling of the name matches.
                let positive = FilterComparison(operand: c.operand, op: c.op == .notEqual ? .equal : .matches,
                                                literal: c.literal, column: c.column)
                answer = !names.contains { compareString($0, positive, test) }
            default:
                answer = names.contains { compareString($0, c, test) }
            }
            test.classAnswers[t][k] = answer
            return answer
        }
        guard let v = value(of: c.operand, slot: test.fieldSlot, context) else { return false }
        switch v {
        case .integer(let i): return compareInteger(i, c, test, context)
        case .double(let d): return compareDouble(d, c)
        case .string(let s): return compareString(s, c, test)
        case .field(let f): return compareField(f, c, test, context)
        }
    }

    private func compareField(_ f: FieldValue, _ c: FilterComparison, _ test: Test, _ context: FilterContext) -> Bool {
        switch f {
        case .integer(let v, _): return compareInteger(v, c, test, context)
        case .float(let d): return compareDouble(d, c)
        case .string(let s): return compareString(s, c, test)
        case .enumeration(let v, let labels):
            switch c.literal {
            case .string, .regex:
                if c.op == .notEqual || c.op == .notMatches {
                    var positive = c
                    positive.op = c.op == .notEqual ? .equal : .matches
                    return !labels.contains { compareString($0, positive, test) }
                }
                return labels.contains { compareString($0, c, test) }
            default: return compareInteger(v, c, test, context)
            }
        case .variant(_, let inner): return compareField(inner, c, test, context)
        case .array(let elements):
            if c.op == .notEqual || c.op == .notMatches {
                var positive = c
                positive.op = c.op == .notEqual ? .equal : .matches
                return !elements.contains { compareField($0, positive, test, context) }
            }
            return elements.contains { compareField($0, c, test, context) }
        case .structure: return false
        }
    }

    private static func order<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }

    private func holds(_ order: Int, _ op: FilterOperator) -> Bool {
        switch op {
        case .equal, .matches: return order == 0
        case .notEqual, .notMatches: return order != 0
        case .less: return order < 0
        case .lessOrEqual: return order <= 0
        case .greater: return order > 0
        case .greaterOrEqual: return order >= 0
        }
    }

    /// Orders an integer of either signedness against a signed or unsigned literal, exactly.
    private static func order(_ v: IntegerValue, _ literal: IntegerValue) -> Int {
        switch (v, literal) {
        case (.signed(let a), .signed(let b)): return order(a, b)
        case (.unsigned(let a), .unsigned(let b)): return order(a, b)
        case (.signed(let a), .unsigned(let b)): return a < 0 ? -1 : order(UInt64(a), b)
        case (.unsigned(let a), .signed(let b)): return b < 0 ? 1 : order(a, UInt64(b))
        }
    }

    private func compareInteger(_ v: IntegerValue, _ c: FilterComparison, _ test: Test, _ context: FilterContext) -> Bool {
        switch c.literal {
        case .integer(let b): return holds(Self.order(v, .signed(b)), c.op)
        case .unsignedInteger(let b): return holds(Self.order(v, .unsigned(b)), c.op)
        case .nanoseconds(let b): return holds(Self.order(v, .signed(b)), c.op)
        case .float(let d): return holds(Self.order(v.double, d), c.op)
        case .timeOfDay(let tod):
            // On an epoch clock, compare the time of day (UTC); otherwise the value as a duration.
            var n = v.int64
            if context.set.timeDomain == .unixEpoch && (c.operand == .time) {
                n %= 86_400_000_000_000
                if n < 0 { n += 86_400_000_000_000 }
            }
            return holds(Self.order(n, tod), c.op)
        case .string, .regex:
            // Numbers compared with text: as their decimal spelling (`pid =~ "12*"`).
            let text: String
            switch v {
            case .signed(let s): text = String(s)
            case .unsigned(let u): text = String(u)
            }
            return compareString(text, c, test)
        }
    }

    private func compareDouble(_ d: Double, _ c: FilterComparison) -> Bool {
        let other: Double
        switch c.literal {
        case .integer(let b): other = Double(b)
        case .unsignedInteger(let b): other = Double(b)
        case .nanoseconds(let b): other = Double(b)
        case .timeOfDay(let b): other = Double(b)
        case .float(let b): other = b
        case .string, .regex: return false
        }
        if d.isNaN || other.isNaN { return c.op == .notEqual }
        return holds(Self.order(d, other), c.op)
    }

    private func compareString(_ s: String, _ c: FilterComparison, _ test: Test) -> Bool {
        switch c.literal {
        case .string(let lit):
            if let glob = test.glob {
                let m = glob.matches(s)
                return c.op == .notMatches ? !m : m
            }
            return holds(Self.order(s, lit), c.op)
        case .regex:
            guard let regex = test.regex else { return false }
            let m = (try? regex.firstMatch(in: s)) != nil
            return c.op == .notMatches ? !m : m
        case .integer(let b):
            // Text compared with a number: numerically when the text is a number.
            if let v = Int64(s) { return holds(Self.order(v, b), c.op) }
            return c.op == .notEqual
        case .unsignedInteger(let b):
            if let v = UInt64(s) { return holds(Self.order(v, b), c.op) }
            return c.op == .notEqual
        case .float(let b):
            if let v = Double(s) { return holds(Self.order(v, b), c.op) }
            return c.op == .notEqual
        case .nanoseconds, .timeOfDay:
            return false
        }
    }
}
