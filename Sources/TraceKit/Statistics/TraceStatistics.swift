/// Counts of records per event, per CPU and per task over a time range.
///
/// Adding a record costs a few array increments (names are resolved only when rows are asked for), so
/// millions of records are counted quickly.
public struct TraceStatistics {
    /// First and last timestamps of the records counted.
    public private(set) var firstTime: Int64?
    public private(set) var lastTime: Int64?
    /// Events counted (lost-event records excluded).
    public private(set) var eventTotal = 0
    /// Lost-event records, and the events they say were lost (when they say).
    public private(set) var lostRecords = 0
    public private(set) var lostEvents: UInt64 = 0
    /// Counts per trace, then per event class index.
    private var perClass: [[Int]] = []
    private var perCPU: [Int] = []
    private var unknownCPU = 0
    private var perTask: [Int64: (comm: String, count: Int)] = [:]
    private var noTask = 0
    /// False for counts kept without tasks (the index's totals): the task table stays empty.
    public private(set) var countsTasks: Bool

    public init(countsTasks: Bool = true) {
        self.countsTasks = countsTasks
    }

    public mutating func add(_ record: EventRecord, task: TaskRef?) {
        if firstTime == nil { firstTime = record.timestamp }
        lastTime = record.timestamp
        if case .lostEvents(let count, _) = record.kind {
            lostRecords += 1
            lostEvents &+= count ?? 0
            return
        }
        eventTotal += 1
        let t = Int(record.trace), k = Int(record.classIndex)
        if t >= 0 && k >= 0 && k < 1 << 24 {
            while perClass.count <= t { perClass.append([]) }
            if perClass[t].count <= k { perClass[t] += Array(repeating: 0, count: k + 1 - perClass[t].count) }
            perClass[t][k] += 1
        }
        if record.cpu >= 0 && record.cpu < 65_536 {
            let c = Int(record.cpu)
            if perCPU.count <= c { perCPU += Array(repeating: 0, count: c + 1 - perCPU.count) }
            perCPU[c] += 1
        } else {
            unknownCPU += 1
        }
        guard countsTasks else { return }
        if let task {
            if let existing = perTask[task.pid] {
                perTask[task.pid] = (existing.comm.isEmpty ? task.comm : existing.comm, existing.count + 1)
            } else {
                perTask[task.pid] = (task.comm, 1)
            }
        } else {
            noTask += 1
        }
    }

    /// The event, CPU and lost counts of `other` added to these (tasks are not: the index's totals
    /// carry none).
    public mutating func addCounts(of other: TraceStatistics) {
        if let f = other.firstTime { firstTime = min(firstTime ?? f, f) }
        if let l = other.lastTime { lastTime = max(lastTime ?? l, l) }
        eventTotal += other.eventTotal
        lostRecords += other.lostRecords
        lostEvents &+= other.lostEvents
        for (t, counts) in other.perClass.enumerated() {
            while perClass.count <= t { perClass.append([]) }
            if perClass[t].count < counts.count { perClass[t] += Array(repeating: 0, count: counts.count - perClass[t].count) }
            for (k, n) in counts.enumerated() { perClass[t][k] += n }
        }
        if perCPU.count < other.perCPU.count { perCPU += Array(repeating: 0, count: other.perCPU.count - perCPU.count) }
        for (c, n) in other.perCPU.enumerated() { perCPU[c] += n }
        unknownCPU += other.unknownCPU
    }

    /// Takes the task counts of `other` (counts from the index plus tasks from a pass over the records).
    public mutating func takeTasks(from other: TraceStatistics) {
        perTask = other.perTask
        noTask = other.noTask
        countsTasks = other.countsTasks
    }

    /// Counts per trace and event class, for saving the index.
    var countsPerClass: [[Int]] { perClass }
    /// Counts per CPU and without a CPU, for saving the index.
    var countsPerCPU: (all: [Int], unknown: Int) { (perCPU, unknownCPU) }

    /// Counts read back from a saved index (no tasks).
    mutating func restore(firstTime: Int64?, lastTime: Int64?, eventTotal: Int, lostRecords: Int, lostEvents: UInt64,
                          perClass: [[Int]], perCPU: [Int], unknownCPU: Int) {
        self.firstTime = firstTime
        self.lastTime = lastTime
        self.eventTotal = eventTotal
        self.lostRecords = lostRecords
        self.lostEvents = lostEvents
        self.perClass = perClass
        self.perCPU = perCPU
        self.unknownCPU = unknownCPU
    }

    /// Which table of counts.
    public enum Table: String, CaseIterable, Sendable {
        case events = "Events", cpus = "CPUs", tasks = "Tasks"
    }

    public enum SortOrder: String, CaseIterable, Sendable {
        case countDescending = "count", name = "name"
    }

    public struct Row: Sendable, Equatable {
        public var label: String
        public var count: Int
        /// Sort key for names that are numbers (CPU, pid).
        var numericKey: Int64?
    }

    /// The rows of `table`, sorted.
    public func rows(_ table: Table, in set: TraceSet, sortedBy order: SortOrder) -> [Row] {
        var rows: [Row] = []
        switch table {
        case .events:
            var byName: [String: Int] = [:]
            for (t, counts) in perClass.enumerated() {
                for (k, n) in counts.enumerated() where n > 0 {
                    let classes = set.traces.indices.contains(t) ? set.traces[t].eventClasses : []
                    let name = classes.indices.contains(k) ? classes[k].qualifiedName : "(class \(k))"
                    byName[name, default: 0] += n
                }
            }
            rows = byName.map { Row(label: $0.key, count: $0.value) }
            if lostRecords > 0 { rows.append(Row(label: "(lost events)", count: lostRecords)) }
        case .cpus:
            for (c, n) in perCPU.enumerated() where n > 0 {
                rows.append(Row(label: "CPU \(c)", count: n, numericKey: Int64(c)))
            }
            if unknownCPU > 0 { rows.append(Row(label: "CPU ?", count: unknownCPU, numericKey: Int64.max)) }
        case .tasks:
            for (pid, entry) in perTask {
                let label = entry.comm.isEmpty ? String(pid) : "\(entry.comm)-\(pid)"
                rows.append(Row(label: label, count: entry.count, numericKey: pid))
            }
            if noTask > 0 { rows.append(Row(label: "(no task)", count: noTask, numericKey: Int64.max)) }
        }
        switch order {
        case .countDescending:
            rows.sort { $0.count != $1.count ? $0.count > $1.count : $0.label < $1.label }
        case .name:
            rows.sort {
                if let a = $0.numericKey, let b = $1.numericKey, table == .cpus { return a < b }
                return $0.label.lowercased() < $1.label.lowercased()
            }
        }
        return rows
    }
}
