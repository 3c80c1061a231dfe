/// Per-lane activity for the timeline: which task runs when (from `sched_switch`), event density,
/// and lost-event ranges. One lane per CPU; records without a CPU get a lane per stream.
///
/// Answers come from the bounded aggregates of `ActivityData` — a pyramid of ever coarser copies of
/// its buckets, so a slice of any length reads a few buckets — unless the slice is finer than the
/// buckets: then the records of the window are read from the trace (`windowReader`, at most
/// `exactLimit` of them) and the answer is exact. Memory stays bounded whatever the trace size.
public final class ActivityIndex {
    public private(set) var data: ActivityData
    /// Reads records for answers finer than the buckets (set by the index's owner).
    public var windowReader: ActivityWindowReader?
    /// Records a window may hold to be read for an exact answer.
    public var exactLimit = 20_000
    /// Recently read windows, most recent last.
    private var windows: [ExactActivity] = []
    /// Windows known to hold too many records, for the current data.
    private var refused: [(from: Int64, to: Int64)] = []
    /// Per lane, coarser copies of its buckets: level k merges 4^k buckets.
    private var pyramid: [[[ActivityBucket]]?] = []
    private var sortedCache: [Int]?

    public init(data: ActivityData = ActivityData()) {
        self.data = data
    }

    /// Takes newer aggregates (indexing went on); windows read before stay valid where the data
    /// they relied on was already complete.
    public func update(_ newer: ActivityData) {
        let completeUpTo = data.lastTime
        let sameGrid = newer.width == data.width && newer.laneCount == data.laneCount
        data = newer
        pyramid = Array(repeating: nil, count: newer.laneCount)
        refused.removeAll()
        windows.removeAll { !sameGrid || $0.to > completeUpTo }
        if sortedCache?.count != newer.laneCount { sortedCache = nil }
    }

    // MARK: - Lanes

    /// Number of lanes.
    public var laneCount: Int { data.laneCount }
    /// Number of lanes (kept for callers that think in CPUs).
    public var cpuCount: Int { laneCount }
    public var hasScheduler: Bool { data.hasScheduler }
    /// Records noted so far (lanes change only when this does).
    public var recordsNoted: Int { data.recordsNoted }
    public var tasks: TaskTable { data.tasks }
    public var lostRanges: [(lane: Int, range: LostRange)] { data.lost }

    /// Lane indices sorted for display: CPUs in order, then streams.
    public var lanes: [Int] {
        if let sortedCache { return sortedCache }
        let keys = data.keys
        let sorted = keys.indices.sorted { keys[$0] < keys[$1] }
        sortedCache = sorted
        return sorted
    }

    public func key(ofLane lane: Int) -> LaneKey? { data.keys.indices.contains(lane) ? data.keys[lane] : nil }
    public func lane(cpu: Int32) -> Int? { data.lane(cpu: cpu) }
    public func lane(of record: EventRecord) -> Int? { data.lane(of: record) }

    /// Bytes of memory the aggregates take.
    public var memoryBytes: Int { data.memoryBytes }

    // MARK: - Exact windows

    /// The records of `[from, to)` read from the trace, when a reader is set and they are few enough.
    private func exactWindow(from: Int64, to: Int64, limit: Int) -> ExactActivity? {
        guard let reader = windowReader, to > from else { return nil }
        if let i = windows.lastIndex(where: { $0.from <= from && $0.to >= to }) {
            let w = windows.remove(at: i)
            windows.append(w)
            return w
        }
        // Scheduler lanes need the task running at the window start: buckets know it at theirs.
        let start = data.hasScheduler ? data.start(ofBucket: data.bucket(of: from)) : from
        if refused.contains(where: { start <= $0.from && to >= $0.to }) { return nil }
        let b = data.bucket(of: start)
        let startTasks: [Int32?] = data.buckets.map { lane in
            b < lane.count && lane[b].startTask >= 0 ? lane[b].startTask : nil
        }
        let exact = ExactActivity(from: start, to: to, laneCount: data.laneCount, startTasks: startTasks,
                                  firstEvents: data.firstEvent)
        let data = self.data
        let ok = reader.read(from: start, to: to, limit: limit) { record, switchTasks in
            guard !record.isLostEvents, let lane = data.lane(of: record) else { return }
            exact.addEvent(lane: lane, time: record.timestamp)
            if let switchTasks, let next = data.tasks.id(ofPID: switchTasks.next.pid) {
                exact.addSwitch(lane: lane, time: record.timestamp,
                                previous: switchTasks.previous.flatMap { data.tasks.id(ofPID: $0.pid) }, next: next)
            }
        }
        guard ok else {
            if refused.count > 32 { refused.removeFirst() }
            refused.append((start, to))
            return nil
        }
        if windows.count >= 4 { windows.removeFirst() }
        windows.append(exact)
        return exact
    }


    // MARK: - Aggregates

    /// Level `k` of `lane`'s pyramid (level 0: the buckets).
    private func level(_ lane: Int, _ k: Int) -> [ActivityBucket] {
        if pyramid.count != data.laneCount { pyramid = Array(repeating: nil, count: data.laneCount) }
        if pyramid[lane] == nil {
            var levels = [data.buckets[lane]]
            while let last = levels.last, last.count > 4 {
                var next: [ActivityBucket] = []
                next.reserveCapacity((last.count + 3) / 4)
                var i = 0
                while i < last.count {
                    var m = last[i]
                    for j in (i + 1)..<min(i + 4, last.count) { m = ActivityBucket.merged(m, last[j]) }
                    next.append(m)
                    i += 4
                }
                levels.append(next)
            }
            pyramid[lane] = levels
        }
        let levels = pyramid[lane] ?? []
        return levels[min(k, levels.count - 1)]
    }

    /// Sums `lane`'s aggregates over `[from, to)`: buckets whose middle falls inside count whole
    /// (slices of a sweep share no bucket), a bucket wider than the slice counts for its share.
    /// Reads at most about a dozen buckets, from the pyramid level that fits the span.
    private func aggregate(lane: Int, from: Int64, to: Int64) -> (events: Double, busy: Double, task: Int32?) {
        guard data.buckets.indices.contains(lane), to > from, data.origin != nil else { return (0, 0, nil) }
        let span = SaturatingTime.difference(to, from)
        var k = 0
        var w = data.width
        while span / w > 8 && w < Int64.max / 8 && (data.buckets[lane].count >> (2 * (k + 1))) > 0 {
            k += 1
            w *= 4
        }
        let buckets = level(lane, k)
        let origin = data.origin ?? 0
        let first = max(0, Int(SaturatingTime.difference(from, origin) / w) - 1)
        let last = min(buckets.count - 1, Int(max(0, SaturatingTime.difference(to - 1, origin)) / w))
        guard first <= last else { return (0, 0, nil) }
        var events = 0.0, busy = 0.0
        var candidates: [(Int32, Double)] = []
        for b in first...last {
            let s = SaturatingTime.sum(origin, Int64(b) * w), e = SaturatingTime.sum(s, w)
            let overlap = Double(SaturatingTime.difference(min(e, to), max(s, from)))
            guard overlap > 0 else { continue }
            let fraction: Double
            if w <= span {
                let middle = SaturatingTime.sum(s, w / 2)
                guard middle >= from && middle < to else { continue }
                fraction = 1
            } else {
                fraction = overlap / Double(w)
            }
            let bucket = buckets[b]
            events += Double(bucket.events) * fraction
            busy += Double(bucket.busy) * fraction
            if bucket.task >= 0 && bucket.taskTime > 0 {
                let weight = Double(bucket.taskTime) * fraction
                if let c = candidates.firstIndex(where: { $0.0 == bucket.task }) {
                    candidates[c].1 += weight
                } else {
                    candidates.append((bucket.task, weight))
                }
            }
        }
        let best = candidates.max { $0.1 < $1.1 }?.0
        return (events, busy, best)
    }

    private func coarseSample(lane: Int, from: Int64, to: Int64) -> LaneSample {
        let a = aggregate(lane: lane, from: from, to: to)
        let span = Double(SaturatingTime.difference(to, from))
        guard data.hasScheduler else { return LaneSample(busyFraction: 0, task: nil, events: Int(a.events.rounded())) }
        let busy = span > 0 ? min(1, max(0, a.busy / span)) : 0
        return LaneSample(busyFraction: busy, task: busy > 0 ? (a.task ?? TaskTable.idle) : TaskTable.idle,
                          events: Int(a.events.rounded()))
    }

    // MARK: - Queries

    /// Events in `lane` in `[from, to)` (exact to the bucket; exact when the records are read).
    public func eventCount(lane: Int, from: Int64, to: Int64) -> Int {
        guard to > from else { return 0 }
        if let exact = exactWindow(from: from, to: to, limit: exactLimit) {
            return exact.eventCount(lane: lane, from: from, to: to)
        }
        return Int(aggregate(lane: lane, from: from, to: to).events.rounded())
    }

    /// Events in `lane` in total.
    public func eventCount(lane: Int) -> Int {
        data.laneEvents.indices.contains(lane) ? data.laneEvents[lane] : 0
    }

    /// The task running in `lane` at `time`, when scheduler events tell: read from the records of
    /// the bucket holding `time` (cached), so it is exact at any trace size.
    public func runningTask(lane: Int, at time: Int64) -> Int32? {
        guard data.buckets.indices.contains(lane), data.hasScheduler else { return nil }
        let b = data.bucket(of: time)
        let start = data.start(ofBucket: b)
        let end = max(SaturatingTime.sum(time, 1), min(data.start(ofBucket: b + 1), SaturatingTime.sum(data.lastTime, 1)))
        if let exact = exactWindow(from: start, to: end, limit: 4_000_000) {
            return exact.runningTask(lane: lane, at: time)
        }
        let buckets = data.buckets[lane]
        guard b < buckets.count else { return nil }
        return buckets[b].startTask >= 0 ? buckets[b].startTask : nil
    }

    /// What ran in `lane` in `[from, to)`: busy share, longest-running task, event count.
    public func sample(lane: Int, from: Int64, to: Int64) -> LaneSample {
        guard to > from else { return LaneSample(busyFraction: 0, task: nil, events: 0) }
        if let exact = exactWindow(from: from, to: to, limit: exactLimit) {
            return exact.sample(lane: lane, from: from, to: to)
        }
        return coarseSample(lane: lane, from: from, to: to)
    }

    /// Samples of `lane` for consecutive slices `[bounds[i], bounds[i+1])` (bounds increasing): the
    /// timeline draws a lane with this, at a cost that grows with the columns, not the trace.
    public func samples(lane: Int, bounds: [Int64]) -> [LaneSample] {
        guard bounds.count >= 2, let first = bounds.first, let last = bounds.last else { return [] }
        if let exact = exactWindow(from: first, to: last, limit: exactLimit) {
            return (0..<(bounds.count - 1)).map { exact.sample(lane: lane, from: bounds[$0], to: bounds[$0 + 1]) }
        }
        return (0..<(bounds.count - 1)).map { coarseSample(lane: lane, from: bounds[$0], to: bounds[$0 + 1]) }
    }

    /// Event counts of `lane` in consecutive slices `[bounds[i], bounds[i+1])`.
    public func eventCounts(lane: Int, bounds: [Int64]) -> [Int] {
        guard bounds.count >= 2, let first = bounds.first, let last = bounds.last else { return [] }
        if let exact = exactWindow(from: first, to: last, limit: exactLimit) {
            return (0..<(bounds.count - 1)).map { exact.eventCount(lane: lane, from: bounds[$0], to: bounds[$0 + 1]) }
        }
        return (0..<(bounds.count - 1)).map {
            Int(aggregate(lane: lane, from: bounds[$0], to: bounds[$0 + 1]).events.rounded())
        }
    }

    /// Lost ranges overlapping `[from, to)` in `lane`.
    public func lostRanges(lane: Int, from: Int64, to: Int64) -> [LostRange] {
        data.lost.filter { $0.lane == lane && $0.range.until >= from && $0.range.since < to }.map(\.range)
    }
}
