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

/// What a timeline lane stands for: a CPU, or a stream whose records carry no CPU number (user-space
/// channels, per-process buffers).
public struct LaneKey: Sendable, Hashable, Comparable {
    /// CPU number, or -1 for a stream lane.
    public var cpu: Int32
    public var trace: Int32
    public var stream: Int32

    public static func cpu(_ cpu: Int32) -> LaneKey { LaneKey(cpu: cpu, trace: -1, stream: -1) }

    public var isCPU: Bool { cpu >= 0 }

    public static func < (a: LaneKey, b: LaneKey) -> Bool {
        if a.isCPU != b.isCPU { return a.isCPU }
        return (a.cpu, a.trace, a.stream) < (b.cpu, b.trace, b.stream)
    }
}

/// Per-lane activity for the timeline: which task runs when (from `sched_switch`), event timestamps
/// for density, and lost-event ranges. One lane per CPU; records without a CPU get a lane per
/// stream. Queries are binary searches plus prefix sums, so drawing a lane costs a few lookups per
/// column at any zoom level.
public final class ActivityIndex {
    /// Lanes in the order they were met; `lanes` gives them sorted for display.
    private var keys: [LaneKey] = []
    private var laneOfKey: [LaneKey: Int] = [:]
    /// Lane of each CPU number (-1: none yet), for the common case without a dictionary lookup.
    private var laneOfCPU: [Int] = []
    /// Per lane: timestamps of its events, in time order.
    private var eventTimes: [[Int64]] = []
    /// Per lane: times where a task started running, the task, and busy time before each start.
    private var switchTimes: [[Int64]] = []
    private var switchTasks: [[Int32]] = []
    private var busyPrefix: [[Int64]] = []
    public private(set) var lostRanges: [(lane: Int, range: LostRange)] = []
    public let tasks = TaskTable()
    private var sortedCache: [Int]?

    /// Number of lanes.
    public var laneCount: Int { keys.count }
    /// Number of CPU lanes (kept for callers that think in CPUs).
    public var cpuCount: Int { laneCount }
    /// True when the trace has scheduler switch events, so lanes can show tasks.
    public private(set) var hasScheduler = false

    /// Lane indices sorted for display: CPUs in order, then streams.
    public var lanes: [Int] {
        if let sortedCache { return sortedCache }
        let sorted = keys.indices.sorted { keys[$0] < keys[$1] }
        sortedCache = sorted
        return sorted
    }

    public func key(ofLane lane: Int) -> LaneKey? { keys.indices.contains(lane) ? keys[lane] : nil }

    /// The lane of CPU `cpu`, if it has events.
    public func lane(cpu: Int32) -> Int? {
        guard cpu >= 0, Int(cpu) < laneOfCPU.count, laneOfCPU[Int(cpu)] >= 0 else { return nil }
        return laneOfCPU[Int(cpu)]
    }

    /// The lane a record is drawn in.
    public func lane(of record: EventRecord) -> Int? {
        record.cpu >= 0 ? lane(cpu: record.cpu)
            : laneOfKey[LaneKey(cpu: -1, trace: record.trace, stream: record.stream)]
    }

    private func laneCreating(for record: EventRecord) -> Int? {
        if record.cpu >= 0 {
            guard record.cpu < 65_536 else { return nil }
            if let lane = lane(cpu: record.cpu) { return lane }
            return add(.cpu(record.cpu))
        }
        let key = LaneKey(cpu: -1, trace: record.trace, stream: record.stream)
        return laneOfKey[key] ?? add(key)
    }

    private func add(_ key: LaneKey) -> Int {
        keys.append(key)
        let lane = keys.count - 1
        laneOfKey[key] = lane
        if key.isCPU {
            while laneOfCPU.count <= Int(key.cpu) { laneOfCPU.append(-1) }
            laneOfCPU[Int(key.cpu)] = lane
        }
        eventTimes.append([])
        switchTimes.append([])
        switchTasks.append([])
        busyPrefix.append([])
        sortedCache = nil
        return lane
    }

    /// Records noted so far (lanes change only when this does).
    public private(set) var recordsNoted = 0

    func addEvent(_ record: EventRecord) {
        recordsNoted += 1
        guard let lane = laneCreating(for: record) else { return }
        eventTimes[lane].append(record.timestamp)
    }

    func addLost(_ record: EventRecord, _ range: LostRange) {
        recordsNoted += 1
        guard let lane = laneCreating(for: record) else { return }
        lostRanges.append((lane, range))
    }

    func addSwitch(_ record: EventRecord, previous: TaskRef?, next: TaskRef) {
        guard let c = laneCreating(for: record) else { return }
        let time = record.timestamp
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
            if switchTasks[c][n - 1] != TaskTable.idle {
                busy = SaturatingTime.sum(busy, max(0, SaturatingTime.difference(time, switchTimes[c][n - 1])))
            }
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

    /// Events in `lane` in `[from, to)`.
    public func eventCount(lane: Int, from: Int64, to: Int64) -> Int {
        guard eventTimes.indices.contains(lane), to > from else { return 0 }
        let a = eventTimes[lane]
        return Self.firstIndex(a, atOrAfter: to) - Self.firstIndex(a, atOrAfter: from)
    }

    /// Events in `lane` in total.
    public func eventCount(lane: Int) -> Int {
        eventTimes.indices.contains(lane) ? eventTimes[lane].count : 0
    }

    /// The task running in `lane` at `time`, when scheduler events tell.
    public func runningTask(lane: Int, at time: Int64) -> Int32? {
        guard switchTimes.indices.contains(lane) else { return nil }
        let i = Self.lastIndex(switchTimes[lane], atOrBefore: time)
        return i >= 0 ? switchTasks[lane][i] : nil
    }

    private func busyTime(_ c: Int, upTo time: Int64) -> Int64 {
        let i = Self.lastIndex(switchTimes[c], atOrBefore: time)
        guard i >= 0 else { return 0 }
        var busy = busyPrefix[c][i]
        if switchTasks[c][i] != TaskTable.idle {
            busy = SaturatingTime.sum(busy, max(0, SaturatingTime.difference(time, switchTimes[c][i])))
        }
        return busy
    }

    /// What ran in `lane` in `[from, to)`: busy share, longest-running task, event count.
    public func sample(lane: Int, from: Int64, to: Int64) -> LaneSample {
        let cpu = lane
        let events = eventCount(lane: cpu, from: from, to: to)
        guard switchTimes.indices.contains(cpu), !switchTimes[cpu].isEmpty, to > from else {
            return LaneSample(busyFraction: 0, task: nil, events: events)
        }
        let times = switchTimes[cpu], ids = switchTasks[cpu]
        guard to > times[0] else { return LaneSample(busyFraction: 0, task: nil, events: events) }
        let start = max(from, times[0])
        let busy = Double(SaturatingTime.difference(busyTime(cpu, upTo: to), busyTime(cpu, upTo: start)))
            / Double(SaturatingTime.difference(to, from))
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
        return LaneSample(busyFraction: min(1, max(0, busy)), task: bestTask ?? TaskTable.idle, events: events)
    }

    /// Index of the last element `<= value`, searching forward from `start` (galloping), for
    /// increasing values: sweeps over time touch memory in order.
    @inline(__always)
    static func lastIndex(_ a: [Int64], atOrBefore value: Int64, from start: Int) -> Int {
        var low = max(0, start)
        if low >= a.count || a[low] > value { return lastIndex(a, atOrBefore: value) }
        var step = 1
        var high = low + 1
        while high < a.count && a[high] <= value {
            low = high
            step *= 2
            high = low + step
        }
        high = min(high, a.count)
        // a[low] <= value; a[high] > value or high == count.
        while high - low > 1 {
            let mid = (low + high) / 2
            if a[mid] <= value { low = mid } else { high = mid }
        }
        return low
    }

    /// Samples of `lane` for consecutive slices `[bounds[i], bounds[i+1])` (bounds increasing), in one
    /// sweep: the timeline draws a lane with this, at a cost that grows with the columns, not the
    /// trace.
    public func samples(lane: Int, bounds: [Int64]) -> [LaneSample] {
        guard bounds.count >= 2 else { return [] }
        let n = bounds.count - 1
        var out = [LaneSample](repeating: LaneSample(busyFraction: 0, task: nil, events: 0), count: n)
        guard switchTimes.indices.contains(lane), !switchTimes[lane].isEmpty else { return out }
        let times = switchTimes[lane], ids = switchTasks[lane], prefix = busyPrefix[lane]
        // Index of the last switch at or before each bound, and busy time up to it.
        var index = [Int](repeating: -1, count: bounds.count)
        var busy = [Int64](repeating: 0, count: bounds.count)
        var cursor = 0
        for (b, t) in bounds.enumerated() {
            let i = Self.lastIndex(times, atOrBefore: t, from: cursor)
            index[b] = i
            if i >= 0 {
                cursor = i
                busy[b] = SaturatingTime.sum(prefix[i], ids[i] != TaskTable.idle ? max(0, SaturatingTime.difference(t, times[i])) : 0)
            }
        }
        var candidates: [(Int32, Int64)] = []
        candidates.reserveCapacity(16)
        for k in 0..<n {
            let from = bounds[k], to = bounds[k + 1]
            guard to > from, to > times[0] else { continue }
            let fraction = Double(SaturatingTime.difference(busy[k + 1], busy[k])) / Double(SaturatingTime.difference(to, from))
            let first = max(0, index[k])
            let last = max(first, Self.lastIndex(times, atOrBefore: to - 1, from: first))
            // The longest-running non-idle task; with many intervals, an even sample of 16.
            candidates.removeAll(keepingCapacity: true)
            let stride = max(1, (last - first + 1) / 16)
            var i = first
            while i <= last {
                let task = ids[i]
                if task != TaskTable.idle {
                    let s = max(times[i], from)
                    let e = min(i + 1 < times.count ? times[i + 1] : to, to)
                    let span = max(0, e - s) + (stride > 1 ? 1 : 0)
                    if let c = candidates.firstIndex(where: { $0.0 == task }) {
                        candidates[c].1 += span
                    } else {
                        candidates.append((task, span))
                    }
                }
                i += stride
            }
            var best: Int32 = TaskTable.idle
            var bestTime: Int64 = -1
            for (task, time) in candidates where time > bestTime {
                best = task
                bestTime = time
            }
            out[k] = LaneSample(busyFraction: min(1, max(0, fraction)), task: best, events: 0)
        }
        return out
    }

    /// Event counts of `lane` in consecutive slices `[bounds[i], bounds[i+1])`, in one sweep.
    public func eventCounts(lane: Int, bounds: [Int64]) -> [Int] {
        guard bounds.count >= 2, eventTimes.indices.contains(lane) else { return [] }
        let a = eventTimes[lane]
        var positions: [Int] = []
        positions.reserveCapacity(bounds.count)
        var cursor = 0
        for t in bounds {
            // First index with a[i] >= t == (last index with a[i] <= t - 1) + 1.
            let i = Self.lastIndex(a, atOrBefore: t &- 1, from: cursor) + 1
            positions.append(i)
            cursor = max(0, i - 1)
        }
        return (0..<(bounds.count - 1)).map { max(0, positions[$0 + 1] - positions[$0]) }
    }

    /// Lost ranges overlapping `[from, to)` in `lane`.
    public func lostRanges(lane: Int, from: Int64, to: Int64) -> [LostRange] {
        lostRanges.filter { $0.lane == lane && $0.range.until >= from && $0.range.since < to }.map(\.range)
    }

    /// Bytes of memory the activity index takes.
    public var memoryBytes: Int {
        eventTimes.reduce(0) { $0 + $1.capacity * 8 } + switchTimes.reduce(0) { $0 + $1.capacity * 20 }
    }
}
