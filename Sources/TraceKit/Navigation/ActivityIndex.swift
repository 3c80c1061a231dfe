/// Events the tracer lost on one CPU between two times.
public struct LostRange: Sendable, Hashable {
    public var cpu: Int32
    public var since: Int64
    public var until: Int64
    /// nil when the format does not say how many.
    public var count: UInt64?

    public init(cpu: Int32, since: Int64, until: Int64, count: UInt64?) {
        self.cpu = cpu
        self.since = since
        self.until = until
        self.count = count
    }
}

/// Tasks seen in scheduler events, numbered densely so lanes store small ids.
public final class TaskTable {
    /// Id 0 is the idle task (pid 0).
    public private(set) var tasks: [TaskRef] = [TaskRef(pid: 0, comm: "<idle>")]
    private var idsByPID: [Int64: Int32] = [0: 0]

    public static let idle: Int32 = 0

    /// The id of `task`, registering it (and updating its name) as needed.
    func id(for task: TaskRef) -> Int32 {
        if let id = idsByPID[task.pid] {
            if !task.comm.isEmpty && task.pid != 0 && tasks[Int(id)].comm != task.comm {
                tasks[Int(id)].comm = task.comm
            }
            return id
        }
        tasks.append(task)
        let id = Int32(tasks.count - 1)
        idsByPID[task.pid] = id
        return id
    }

    public func task(_ id: Int32) -> TaskRef? {
        tasks.indices.contains(Int(id)) ? tasks[Int(id)] : nil
    }
}

/// What a lane shows for one slice of time on one CPU.
public struct LaneSample: Sendable, Hashable {
    /// Share of the slice a non-idle task ran (scheduler lanes), 0...1.
    public var busyFraction: Double
    /// The task that ran longest in the slice, when known (`TaskTable` id).
    public var task: Int32?
    /// Events recorded in the slice.
    public var events: Int
}

/// Per-CPU activity for timeline lanes: which task runs when (from `sched_switch`), event timestamps
/// for density, and lost-event ranges. Queries are binary searches plus prefix sums, so drawing a lane
/// costs a few lookups per column at any zoom level.
public final class ActivityIndex {
    /// Per CPU (index = CPU number): timestamps of its events, in time order.
    private var eventTimes: [[Int64]] = []
    /// Per CPU: times where a task started running, the task, and busy time before each start.
    private var switchTimes: [[Int64]] = []
    private var switchTasks: [[Int32]] = []
    private var busyPrefix: [[Int64]] = []
    /// Events with no CPU.
    public private(set) var unknownCPUEvents = 0
    public private(set) var lostRanges: [LostRange] = []
    public let tasks = TaskTable()

    /// CPUs with at least one event or lost range (highest CPU number + 1).
    public var cpuCount: Int { max(eventTimes.count, switchTimes.count) }
    /// True when the trace has scheduler switch events, so lanes can show tasks.
    public private(set) var hasScheduler = false

    private func ensure(_ cpu: Int) {
        while eventTimes.count <= cpu {
            eventTimes.append([])
            switchTimes.append([])
            switchTasks.append([])
            busyPrefix.append([])
        }
    }

    func addEvent(cpu: Int32, time: Int64) {
        guard cpu >= 0, cpu < 65_536 else { unknownCPUEvents += 1; return }
        let c = Int(cpu)
        ensure(c)
        eventTimes[c].append(time)
    }

    func addLost(_ range: LostRange) {
        if range.cpu >= 0 && range.cpu < 65_536 { ensure(Int(range.cpu)) }
        lostRanges.append(range)
    }

    func addSwitch(cpu: Int32, time: Int64, previous: TaskRef?, next: TaskRef) {
        guard cpu >= 0, cpu < 65_536 else { return }
        let c = Int(cpu)
        ensure(c)
        hasScheduler = true
        if switchTimes[c].isEmpty, let previous {
            // Before its first switch the CPU ran the previous task, since its first event.
            let start = eventTimes[c].first ?? time
            if start < time { appendInterval(c, start, tasks.id(for: previous)) }
        } else if let previous, !previous.comm.isEmpty {
            _ = tasks.id(for: previous)
        }
        appendInterval(c, time, tasks.id(for: next))
    }

    private func appendInterval(_ c: Int, _ time: Int64, _ task: Int32) {
        let n = switchTimes[c].count
        var busy: Int64 = 0
        if n > 0 {
            busy = busyPrefix[c][n - 1]
            if switchTasks[c][n - 1] != TaskTable.idle { busy += max(0, time - switchTimes[c][n - 1]) }
        }
        switchTimes[c].append(time)
        switchTasks[c].append(task)
        busyPrefix[c].append(busy)
    }

    // MARK: - Queries

    /// Index of the last element `<= value` in a sorted array, or -1.
    @inline(__always)
    static func lastIndex(_ a: [Int64], atOrBefore value: Int64) -> Int {
        var low = 0, high = a.count
        while low < high {
            let mid = (low + high) / 2
            if a[mid] <= value { low = mid + 1 } else { high = mid }
        }
        return low - 1
    }

    /// Index of the first element `>= value`.
    @inline(__always)
    static func firstIndex(_ a: [Int64], atOrAfter value: Int64) -> Int {
        var low = 0, high = a.count
        while low < high {
            let mid = (low + high) / 2
            if a[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Events on `cpu` in `[from, to)`.
    public func eventCount(cpu: Int, from: Int64, to: Int64) -> Int {
        guard eventTimes.indices.contains(cpu), to > from else { return 0 }
        let a = eventTimes[cpu]
        return Self.firstIndex(a, atOrAfter: to) - Self.firstIndex(a, atOrAfter: from)
    }

    /// Events on `cpu` in total.
    public func eventCount(cpu: Int) -> Int {
        eventTimes.indices.contains(cpu) ? eventTimes[cpu].count : 0
    }

    /// The task running on `cpu` at `time`, when scheduler events tell.
    public func runningTask(cpu: Int, at time: Int64) -> Int32? {
        guard switchTimes.indices.contains(cpu) else { return nil }
        let i = Self.lastIndex(switchTimes[cpu], atOrBefore: time)
        return i >= 0 ? switchTasks[cpu][i] : nil
    }

    private func busyTime(_ c: Int, upTo time: Int64) -> Int64 {
        let i = Self.lastIndex(switchTimes[c], atOrBefore: time)
        guard i >= 0 else { return 0 }
        var busy = busyPrefix[c][i]
        if switchTasks[c][i] != TaskTable.idle { busy += time - switchTimes[c][i] }
        return busy
    }

    /// What ran on `cpu` in `[from, to)`: busy share, longest-running task, event count.
    public func sample(cpu: Int, from: Int64, to: Int64) -> LaneSample {
        let events = eventCount(cpu: cpu, from: from, to: to)
        guard switchTimes.indices.contains(cpu), !switchTimes[cpu].isEmpty, to > from else {
            return LaneSample(busyFraction: 0, task: nil, events: events)
        }
        let times = switchTimes[cpu], ids = switchTasks[cpu]
        guard to > times[0] else { return LaneSample(busyFraction: 0, task: nil, events: events) }
        let start = max(from, times[0])
        let busy = Double(busyTime(cpu, upTo: to) - busyTime(cpu, upTo: start)) / Double(to - from)
        let first = max(0, Self.lastIndex(times, atOrBefore: start))
        let last = max(first, Self.lastIndex(times, atOrBefore: to - 1))
        // The longest-running non-idle task; with many intervals, a bounded even sample of them.
        var bestTask: Int32? = nil
        var bestTime: Int64 = -1
        var candidates: [(Int32, Int64)] = []
        let stride = max(1, (last - first + 1) / 48)
        var i = first
        while i <= last {
            let task = ids[i]
            if task != TaskTable.idle {
                let s = max(times[i], start)
                let e = min(i + 1 < times.count ? times[i + 1] : to, to)
                let span = max(0, e - s) + (stride > 1 ? 1 : 0)
                if let k = candidates.firstIndex(where: { $0.0 == task }) {
                    candidates[k].1 += span
                } else {
                    candidates.append((task, span))
                }
            }
            i += stride
        }
        for (task, time) in candidates where time > bestTime {
            bestTask = task
            bestTime = time
        }
        if bestTask == nil {
            bestTask = ids[first] == TaskTable.idle || times[first] <= start ? ids[first] : nil
        }
        return LaneSample(busyFraction: min(1, max(0, busy)), task: bestTask ?? TaskTable.idle, events: events)
    }

    /// Lost ranges overlapping `[from, to)` on `cpu`.
    public func lostRanges(cpu: Int32, from: Int64, to: Int64) -> [LostRange] {
        lostRanges.filter { $0.cpu == cpu && $0.until >= from && $0.since < to }
    }

    /// Bytes of memory the activity index takes.
    public var memoryBytes: Int {
        eventTimes.reduce(0) { $0 + $1.capacity * 8 } + switchTimes.reduce(0) { $0 + $1.capacity * 20 }
    }
}
