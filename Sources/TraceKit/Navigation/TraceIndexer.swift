/// Builds a `TraceIndex` by reading the merged records in slices, so a viewer can show the first screen
/// at once and keep indexing between keystrokes (or on another thread, with its own `TraceSet` readers).
public final class TraceIndexer {
    public let set: TraceSet
    public let index: TraceIndex
    private let merger: EventMerger
    private var schedulerClasses: [[Bool?]]
    private var switchCapture = FieldCapture(names: ["prev_pid", "prev_tid", "next_pid", "next_tid",
                                                     "prev_comm", "next_comm"])

    public init(set: TraceSet, checkpointInterval: Int? = nil) throws {
        self.set = set
        merger = try set.makeMerger()
        index = TraceIndex(sourceCount: merger.sources.count, checkpointInterval: checkpointInterval)
        schedulerClasses = set.traces.map { Array(repeating: nil, count: $0.eventClasses.count) }
    }

    /// Indexes up to `maxRecords` more records; returns true once the end of every stream is reached.
    @discardableResult
    public func step(maxRecords: Int) -> Bool {
        var n = 0
        while n < maxRecords {
            guard let record = merger.current else {
                index.isComplete = true
                return true
            }
            index.append(record, sources: merger.sources)
            note(record)
            n += 1
            do {
                try merger.advance()
            } catch {
                index.errors.append(String(describing: error))
            }
        }
        if merger.current == nil { index.isComplete = true }
        return index.isComplete
    }

    /// Looks again for records after the end (a live trace that grew); the index continues from there.
    public func refresh() {
        merger.rebuild()
        if merger.current != nil { index.isComplete = false }
    }

    private func isSchedulerSwitch(_ record: EventRecord) -> Bool {
        let t = Int(record.trace), k = Int(record.classIndex)
        guard schedulerClasses.indices.contains(t) else { return false }
        if schedulerClasses[t].count <= k {
            schedulerClasses[t] += Array(repeating: nil, count: k + 1 - schedulerClasses[t].count)
        }
        if let known = schedulerClasses[t][k] { return known }
        let name = set.eventClass(of: record)?.name ?? ""
        let answer = name == "sched_switch" || name.hasSuffix(":sched_switch")
        schedulerClasses[t][k] = answer
        return answer
    }

    private func note(_ record: EventRecord) {
        let activity = index.activity
        if case .lostEvents(let count, let since) = record.kind {
            activity.addLost(record, LostRange(cpu: record.cpu, since: since, until: record.timestamp, count: count))
            return
        }
        activity.addEvent(record)
        guard isSchedulerSwitch(record) else { return }
        switchCapture.reset()
        try? set.trace(of: record).decodeFields(of: record, scope: .payload, into: &switchCapture)
        let v = switchCapture.values
        guard let next = (v[2] ?? v[3])?.integerValue?.int64 else { return }
        let prev = (v[0] ?? v[1])?.integerValue?.int64
        activity.addSwitch(record,
                           previous: prev.map { TaskRef(pid: $0, comm: v[4]?.stringValue ?? "") },
                           next: TaskRef(pid: next, comm: v[5]?.stringValue ?? ""))
    }
}
