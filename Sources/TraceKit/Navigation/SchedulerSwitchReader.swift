/// The tasks a scheduler switch names.
typealias SwitchTasks = (previous: TaskRef?, next: TaskRef)

/// Reads the tasks of a switch record from its payload fields (any reader, any decoding path).
struct SwitchFieldReader {
    private var capture = FieldCapture(names: ["prev_pid", "prev_tid", "next_pid", "next_tid", "prev_comm", "next_comm"])

    /// Decodes with `decode` (which fills the visitor) and returns the tasks, nil without a next task.
    mutating func read(_ decode: (inout FieldCapture) throws -> Void) rethrows -> SwitchTasks? {
        capture.reset()
        try decode(&capture)
        let v = capture.values
        guard let next = (v[2] ?? v[3])?.integerValue?.int64 else { return nil }
        let prev = (v[0] ?? v[1])?.integerValue?.int64
        return (prev.map { TaskRef(pid: $0, comm: v[4]?.stringValue ?? "") },
                TaskRef(pid: next, comm: v[5]?.stringValue ?? ""))
    }

    /// Whether each class of `trace` is a scheduler switch.
    static func switchClasses(of trace: Trace) -> [Bool] {
        trace.eventClasses.map { $0.name == "sched_switch" || $0.name.hasSuffix(":sched_switch") }
    }
}

/// Recognises scheduler switch records (`sched_switch`, `*:sched_switch`) and reads the tasks they
/// name, for the timeline's task lanes.
struct SchedulerSwitchReader {
    /// Per trace, per class: whether it is a switch (nil: not looked at yet).
    private var schedulerClasses: [[Bool?]]
    private var fields = SwitchFieldReader()

    init(set: TraceSet) {
        schedulerClasses = set.traces.map { Array(repeating: nil, count: $0.eventClasses.count) }
    }

    mutating func isSwitch(_ record: EventRecord, in set: TraceSet) -> Bool {
        guard case .event = record.kind else { return false }
        let t = Int(record.trace), k = Int(record.classIndex)
        guard schedulerClasses.indices.contains(t), k >= 0, k < 1 << 24 else { return false }
        if schedulerClasses[t].count <= k {
            schedulerClasses[t] += Array(repeating: nil, count: k + 1 - schedulerClasses[t].count)
        }
        if let known = schedulerClasses[t][k] { return known }
        let name = set.eventClass(of: record)?.name ?? ""
        let answer = name == "sched_switch" || name.hasSuffix(":sched_switch")
        schedulerClasses[t][k] = answer
        return answer
    }

    /// The previous and next tasks of a switch record (nil when it is not one or has no next task).
    mutating func switchTasks(of record: EventRecord, in set: TraceSet) -> (previous: TaskRef?, next: TaskRef)? {
        guard isSwitch(record, in: set) else { return nil }
        let trace = set.trace(of: record)
        return fields.read { try? trace.decodeFields(of: record, scope: .payload, into: &$0) }
    }
}

/// Reads the records of a time window, for `ActivityIndex` answers finer than its buckets.
public protocol ActivityWindowReader: AnyObject {
    /// Calls `body` with the records in `[from, to)` in merge order (with the tasks of scheduler
    /// switches) and returns true; returns false without calling it when there are more than
    /// `limit` records.
    func read(from: Int64, to: Int64, limit: Int, _ body: (EventRecord, (previous: TaskRef?, next: TaskRef)?) -> Void) -> Bool
}

/// Reads windows through the checkpoints of a `TraceIndex` (its own cursor, so the list's reads
/// stay sequential).
public final class MergedWindowReader: ActivityWindowReader {
    private let cursor: MergedCursor
    private var switches: SchedulerSwitchReader

    public init(set: TraceSet, index: TraceIndex) throws {
        cursor = try MergedCursor(set: set, index: index)
        switches = SchedulerSwitchReader(set: set)
    }

    public func read(from: Int64, to: Int64, limit: Int,
                     _ body: (EventRecord, (previous: TaskRef?, next: TaskRef)?) -> Void) -> Bool {
        guard to > from else { return true }
        let first = cursor.ordinal(atOrAfter: from)
        let end = cursor.ordinal(atOrAfter: to)
        guard end - first <= limit else { return false }
        let set = cursor.set
        cursor.forEach(from: first, count: end - first) { _, record in
            body(record, switches.switchTasks(of: record, in: set))
            return true
        }
        return true
    }
}
