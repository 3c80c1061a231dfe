/// Per-record lane activity over one time window, read from the trace itself: event times, and the
/// task intervals of scheduler switches. `ActivityIndex` builds one when a question needs more
/// precision than its buckets hold (a zoomed-in view, the task running at one instant) and the
/// window holds few enough records to read at once.
final class ExactActivity {
    let from: Int64
    let to: Int64
    /// Per lane: timestamps of its events, in time order.
    private var eventTimes: [[Int64]]
    /// Per lane: times where a task started running, the task, and busy time before each start.
    private var switchTimes: [[Int64]]
    private var switchTasks: [[Int32]]
    private var busyPrefix: [[Int64]]
    /// Per lane: the first switch's previous task is taken to run since `pendingSince` (the lane's
    /// first event or the window start) when the task at the window start is unknown.
    private var pendingSince: [Int64?]

    /// - Parameters:
    ///   - startTasks: the task running on each lane at `from` (nil: unknown).
    ///   - firstEvents: each lane's first event time in the whole trace.
    init(from: Int64, to: Int64, laneCount: Int, startTasks: [Int32?], firstEvents: [Int64?]) {
        self.from = from
        self.to = to
        eventTimes = Array(repeating: [], count: laneCount)
        switchTimes = Array(repeating: [], count: laneCount)
        switchTasks = Array(repeating: [], count: laneCount)
        busyPrefix = Array(repeating: [], count: laneCount)
        pendingSince = Array(repeating: nil, count: laneCount)
        for lane in 0..<laneCount {
            if lane < startTasks.count, let task = startTasks[lane] {
                appendInterval(lane, from, task)
            } else if lane < firstEvents.count, let first = firstEvents[lane] {
                pendingSince[lane] = max(first, from)
            }
        }
    }

    func addEvent(lane: Int, time: Int64) {
        guard eventTimes.indices.contains(lane) else { return }
        eventTimes[lane].append(time)
        if pendingSince[lane] == nil && switchTimes[lane].isEmpty { pendingSince[lane] = time }
    }

    func addSwitch(lane: Int, time: Int64, previous: Int32?, next: Int32) {
        guard switchTimes.indices.contains(lane) else { return }
        if switchTimes[lane].isEmpty, let previous, let since = pendingSince[lane], since < time {
            appendInterval(lane, since, previous)
        }
        pendingSince[lane] = nil
        appendInterval(lane, time, next)
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

    /// Events in `lane` in `[from, to)` (within the window).
    func eventCount(lane: Int, from: Int64, to: Int64) -> Int {
        guard eventTimes.indices.contains(lane), to > from else { return 0 }
        let a = eventTimes[lane]
        return Self.firstIndex(a, atOrAfter: to) - Self.firstIndex(a, atOrAfter: from)
    }

    /// The task running in `lane` at `time`, when known.
    func runningTask(lane: Int, at time: Int64) -> Int32? {
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
    func sample(lane: Int, from: Int64, to: Int64) -> LaneSample {
        let events = eventCount(lane: lane, from: from, to: to)
        guard switchTimes.indices.contains(lane), !switchTimes[lane].isEmpty, to > from else {
            return LaneSample(busyFraction: 0, task: nil, events: events)
        }
        let times = switchTimes[lane], ids = switchTasks[lane]
        guard to > times[0] else { return LaneSample(busyFraction: 0, task: nil, events: events) }
        let start = max(from, times[0])
        let busy = Double(SaturatingTime.difference(busyTime(lane, upTo: to), busyTime(lane, upTo: start)))
            / Double(SaturatingTime.difference(to, from))
        let first = max(0, Self.lastIndex(times, atOrBefore: start))
        let last = max(first, Self.lastIndex(times, atOrBefore: to - 1))
        // The longest-running non-idle task; with many intervals, a bounded even sample of them.
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
        var bestTask: Int32? = nil
        var bestTime: Int64 = -1
        for (task, time) in candidates where time > bestTime {
            bestTask = task
            bestTime = time
        }
        return LaneSample(busyFraction: min(1, max(0, busy)), task: bestTask ?? TaskTable.idle, events: events)
    }
}
