import TraceKit

/// Turns a viewer filter (`event == "sched_switch" && prev_pid == 42`) into kernel event filters
/// where the kernel's filter language can say the same thing, so the kernel drops the events
/// instead of ringside reading and hiding them.
///
/// The `event` parts choose the events (any form the viewer accepts, regular expressions
/// included, evaluated here); the rest must be comparisons of fields with numbers or strings,
/// combined with `&&`, `||` and `!`, which map to the kernel's syntax (`pid` is `common_pid`,
/// `comm` the kernel's `comm`, `cpu` its `CPU`, `=~ "glob"` its `~`). Anything else (times,
/// regular expressions on fields, floats) stays with the viewer, and the reason is given.
public enum KernelFilterPushDown {
    /// What can be pushed down.
    public struct Plan: Equatable, Sendable {
        /// The kernel filter for each chosen event.
        public var filters: [EventName: String]
        /// Chosen events the filter cannot apply to (a field they lack), with the reason.
        public var skipped: [EventName: String]
    }

    /// A field of an event: its name and whether it holds text.
    public struct FieldInfo: Sendable, Equatable {
        public var name: String
        public var isString: Bool

        public init(name: String, isString: Bool) {
            self.name = name
            self.isString = isString
        }
    }

    /// Plans the push-down of `expression` onto `events` (the events enabled in the instance);
    /// `fields` gives an event's fields (nil when its format cannot be read). Throws a `LiveError`
    /// saying why when the filter cannot be expressed for the kernel at all.
    public static func plan(_ expression: FilterExpression, events: [EventName],
                            fields: (EventName) -> [FieldInfo]?) throws -> Plan {
        var selectors: [FilterExpression] = []
        var conditions: [FilterExpression] = []
        for part in conjuncts(expression) {
            if involvesEventName(part) {
                guard onlyEventName(part) else {
                    throw LiveError("the filter mixes the event name with other fields under || or !; the kernel filters one event at a time")
                }
                selectors.append(part)
            } else {
                conditions.append(part)
            }
        }
        guard !conditions.isEmpty else {
            throw LiveError("the filter only chooses events; enable just those events instead of filtering")
        }
        let chosen = events.filter { event in selectors.allSatisfy { selects($0, event) } }
        guard !chosen.isEmpty else { throw LiveError("no enabled event matches the filter's event condition") }
        var plan = Plan(filters: [:], skipped: [:])
        let condition = conditions.dropFirst().reduce(conditions[0]) { .and($0, $1) }
        for event in chosen {
            guard let known = fields(event) else {
                plan.skipped[event] = "its format cannot be read"
                continue
            }
            do {
                plan.filters[event] = try kernelText(condition, fields: known, top: true)
            } catch let error as LiveError {
                // A field that this event lacks only excludes this event; other problems concern all.
                if error.message.hasPrefix("no field") {
                    plan.skipped[event] = error.message
                } else {
                    throw error
                }
            }
        }
        guard !plan.filters.isEmpty else {
            throw LiveError("none of the chosen events has the filter's fields (\(plan.skipped.values.first ?? ""))")
        }
        return plan
    }

    static func conjuncts(_ e: FilterExpression) -> [FilterExpression] {
        if case .and(let a, let b) = e { return conjuncts(a) + conjuncts(b) }
        return [e]
    }

    static func involvesEventName(_ e: FilterExpression) -> Bool {
        switch e {
        case .and(let a, let b), .or(let a, let b): return involvesEventName(a) || involvesEventName(b)
        case .not(let a): return involvesEventName(a)
        case .comparison(let c): return c.operand == .eventName
        case .truthy(let o): return o == .eventName
        }
    }

    static func onlyEventName(_ e: FilterExpression) -> Bool {
        switch e {
        case .and(let a, let b), .or(let a, let b): return onlyEventName(a) && onlyEventName(b)
        case .not(let a): return onlyEventName(a)
        case .comparison(let c): return c.operand == .eventName
        case .truthy(let o): return o == .eventName
        }
    }

    /// Whether an event-name condition holds for `event` (its plain or `system:name` form).
    static func selects(_ e: FilterExpression, _ event: EventName) -> Bool {
        switch e {
        case .and(let a, let b): return selects(a, event) && selects(b, event)
        case .or(let a, let b): return selects(a, event) || selects(b, event)
        case .not(let a): return !selects(a, event)
        case .truthy: return true
        case .comparison(let c):
            let names = [event.name, event.description]
            switch (c.op, c.literal) {
            case (.equal, .string(let s)): return names.contains(s)
            case (.notEqual, .string(let s)): return !names.contains(s)
            case (.matches, .string(let s)): return names.contains { GlobPattern(s).matches($0) }
            case (.notMatches, .string(let s)): return !names.contains { GlobPattern(s).matches($0) }
            case (.matches, .regex(let r)): return names.contains { regexMatches(r, $0) }
            case (.notMatches, .regex(let r)): return !names.contains { regexMatches(r, $0) }
            default: return false
            }
        }
    }

    /// The viewer's rule: a regular expression matches when it is found anywhere in the name.
    static func regexMatches(_ pattern: String, _ text: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return (try? regex.firstMatch(in: text)) != nil
    }

    static func kernelText(_ e: FilterExpression, fields: [FieldInfo], top: Bool = false) throws -> String {
        switch e {
        case .and(let a, let b):
            let text = try kernelText(a, fields: fields) + " && " + kernelText(b, fields: fields)
            return top ? text : "(" + text + ")"
        case .or(let a, let b):
            let text = try kernelText(a, fields: fields) + " || " + kernelText(b, fields: fields)
            return top ? text : "(" + text + ")"
        case .not(let a):
            return "!(" + (try kernelText(a, fields: fields, top: true)) + ")"
        case .truthy(let operand):
            let (name, isString) = try kernelField(operand, fields: fields)
            return isString ? name + " != \"\"" : name + " != 0"
        case .comparison(let c):
            let (name, isString) = try kernelField(c.operand, fields: fields)
            let value: String
            switch c.literal {
            case .integer(let v):
                guard !isString else { throw LiveError("\(name) holds text but is compared with a number") }
                value = String(v)
            case .unsignedInteger(let v):
                guard !isString else { throw LiveError("\(name) holds text but is compared with a number") }
                value = String(v)
            case .string(let s):
                guard isString else { throw LiveError("\(name) is a number but is compared with text") }
                guard !s.contains("\""), ControlText.firstControlCharacter(in: s) == nil else {
                    throw LiveError("the text \(s.debugDescription) cannot be written in a kernel filter")
                }
                value = "\"" + s + "\""
            case .regex:
                throw LiveError("regular expressions on fields stay in the viewer (the kernel has globs: =~ \"pat*\")")
            case .float, .nanoseconds, .timeOfDay:
                throw LiveError("the kernel filters integers and text, not \(c.literal)")
            }
            switch c.op {
            case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
                if isString && ![.equal, .notEqual].contains(c.op) {
                    throw LiveError("the kernel compares text only with ==, != and globs")
                }
                return name + " " + c.op.rawValue + " " + value
            case .matches:
                guard isString else { throw LiveError("globs apply to text fields, and \(name) is a number") }
                return name + " ~ " + value
            case .notMatches:
                guard isString else { throw LiveError("globs apply to text fields, and \(name) is a number") }
                return "!(" + name + " ~ " + value + ")"
            }
        }
    }

    /// The kernel's name for an operand and whether it holds text.
    static func kernelField(_ operand: FilterOperand, fields: [FieldInfo]) throws -> (String, Bool) {
        switch operand {
        case .field(let name):
            if let field = fields.first(where: { $0.name == name }) { return (field.name, field.isString) }
            if name.hasPrefix("common_"), let field = fields.first(where: { $0.name == name }) {
                return (field.name, field.isString)
            }
            throw LiveError("no field \(name)")
        case .pid: return ("common_pid", false)
        case .comm: return ("comm", true)
        case .cpu: return ("CPU", false)
        case .time, .elapsed: throw LiveError("times stay in the viewer (the kernel filters fields, not timestamps)")
        case .traceName: throw LiveError("the trace name is not an event field")
        case .eventName: throw LiveError("the event name is chosen, not filtered")
        }
    }
}
