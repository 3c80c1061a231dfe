/// The timeline's precomputed aggregates, as a value: per lane, a grid of `ActivityBucket`s of one
/// width for all lanes. The grid starts fine (1 ns) and doubles its width, merging neighbours, each
/// time it would exceed its budget, so it never holds more than `capacity` buckets per lane
/// (`budget` in all) whatever the length of the trace: its memory is bounded, and drawing reads a
/// bounded number of buckets at any zoom (see `ActivityIndex`).
///
/// It is built in merge order by `IndexBuilder` (`addEvent`, `addSwitch`, `addLost`) and handed to
/// the viewer as a copy (arrays are copied on write).
public struct ActivityData {
    /// Buckets per lane at most.
    public static let maxBucketsPerLane = 8192
    /// Buckets of all lanes at most (lanes of traces with thousands of streams share it).
    public static let budget = 1 << 19

    /// Lanes in the order they were met.
    public private(set) var keys: [LaneKey] = []
    private var laneOfKey: [LaneKey: Int] = [:]
    /// Lane of each CPU number (-1: none yet), for the common case without a dictionary lookup.
    private var laneOfCPU: [Int] = []
    /// Time of the start of bucket 0 (the first record's time).
    public private(set) var origin: Int64?
    /// Nanoseconds per bucket.
    public private(set) var width: Int64 = 1
    /// Buckets per lane at most, from the budget and the number of lanes.
    public private(set) var capacity = ActivityData.maxBucketsPerLane
    /// Per lane: buckets from `origin` (a lane's array stops at its last activity).
    public private(set) var buckets: [[ActivityBucket]] = []
    /// Per lane: events in total, and the first event's time.
    public private(set) var laneEvents: [Int] = []
    public private(set) var firstEvent: [Int64?] = []
    /// Per lane: the task running now (-1 unknown) and since when its time was counted.
    private var running: [Int32] = []
    private var runningSince: [Int64] = []
    private var switched: [Bool] = []
    public private(set) var lost: [(lane: Int, range: LostRange)] = []
    public private(set) var tasks = TaskTable()
    /// True when the trace has scheduler switch events, so lanes can show tasks.
    public private(set) var hasScheduler = false
    /// Records noted so far (the data changes only when this does).
    public private(set) var recordsNoted = 0
    /// Latest time noted.
    public private(set) var lastTime: Int64 = .min
    /// Lost ranges kept at most (damaged traces could report one per packet).
    static let lostLimit = 1 << 16
    /// Per lane, events counted in its latest bucket but not yet added to it (nor to the lane's
    /// total): most events fall in the bucket of the one before on their lane, and are then
    /// counted here in a few instructions. Added before they are read or reshaped (`flushPending`).
    private var pending: [PendingEvents] = []

    private struct PendingEvents {
        var bucket = -1
        /// Time range of `bucket` (empty when none).
        var start: Int64 = 0
        var end: Int64 = 0
        var events: UInt32 = 0
    }

    public init() {}

    public var laneCount: Int { keys.count }

    public func lane(cpu: Int32) -> Int? {
        guard cpu >= 0, Int(cpu) < laneOfCPU.count, laneOfCPU[Int(cpu)] >= 0 else { return nil }
        return laneOfCPU[Int(cpu)]
    }

    /// The lane a record is drawn in.
    public func lane(of record: EventRecord) -> Int? {
        record.cpu >= 0 ? lane(cpu: record.cpu)
            : laneOfKey[LaneKey(cpu: -1, trace: record.trace, stream: record.stream)]
    }

    /// Aggregates read back from a saved index (of a complete trace: no task is running on).
    mutating func restore(keys: [LaneKey], origin: Int64?, width: Int64, capacity: Int, buckets: [[ActivityBucket]],
                          laneEvents: [Int], firstEvent: [Int64?], lost: [(lane: Int, range: LostRange)],
                          tasks: [TaskRef], hasScheduler: Bool, recordsNoted: Int, lastTime: Int64) throws {
        for key in keys { _ = add(key) }
        self.origin = origin
        self.width = width
        self.capacity = capacity
        self.buckets = buckets
        self.laneEvents = laneEvents
        self.firstEvent = firstEvent
        self.lost = lost
        self.tasks = try TaskTable(restoring: tasks)
        self.hasScheduler = hasScheduler
        self.recordsNoted = recordsNoted
        self.lastTime = lastTime
        switched = Array(repeating: hasScheduler, count: keys.count)
        pending = Array(repeating: PendingEvents(), count: keys.count)
    }

    // MARK: - Grid

    /// The bucket holding `time` (0 for times before the origin).
    @inline(__always)
    public func bucket(of time: Int64) -> Int {
        guard let origin else { return 0 }
        let d = SaturatingTime.difference(time, origin)
        return d <= 0 ? 0 : Int(d / width)
    }

    /// Start time of bucket `b`.
    @inline(__always)
    public func start(ofBucket b: Int) -> Int64 {
        let (product, overflow) = Int64(b).multipliedReportingOverflow(by: width)
        return overflow ? .max : SaturatingTime.sum(origin ?? 0, product)
    }

    /// Doubles the bucket width until `time` fits in the grid.
    private mutating func fit(_ time: Int64) {
        if origin == nil { origin = time }
        while bucket(of: time) >= capacity && width < Int64.max / 4 { coarsen() }
    }

    private mutating func coarsen() {
        flushPending()
        width *= 2
        for lane in buckets.indices {
            let old = buckets[lane]
            var merged: [ActivityBucket] = []
            merged.reserveCapacity(max(capacity, (old.count + 1) / 2))
            var i = 0
            while i < old.count {
                merged.append(i + 1 < old.count ? ActivityBucket.merged(old[i], old[i + 1]) : old[i])
                i += 2
            }
            buckets[lane] = merged
        }
    }

    private mutating func laneCreating(for record: EventRecord) -> Int? {
        if record.cpu >= 0 {
            guard record.cpu < 65_536 else { return nil }
            if let lane = lane(cpu: record.cpu) { return lane }
            return add(.cpu(record.cpu))
        }
        let key = LaneKey(cpu: -1, trace: record.trace, stream: record.stream)
        return laneOfKey[key] ?? add(key)
    }

    private mutating func add(_ key: LaneKey) -> Int {
        keys.append(key)
        let lane = keys.count - 1
        laneOfKey[key] = lane
        if key.isCPU {
            while laneOfCPU.count <= Int(key.cpu) { laneOfCPU.append(-1) }
            laneOfCPU[Int(key.cpu)] = lane
        }
        buckets.append([])
        laneEvents.append(0)
        firstEvent.append(nil)
        running.append(-1)
        runningSince.append(.min)
        switched.append(false)
        pending.append(PendingEvents())
        let newCapacity = max(64, min(Self.maxBucketsPerLane, Self.budget / keys.count))
        if newCapacity < capacity {
            capacity = newCapacity
            while buckets.contains(where: { $0.count > capacity }) && width < Int64.max / 4 { coarsen() }
        }
        return lane
    }

    /// Makes `lane`'s array reach bucket `b`; new buckets start with the running task.
    @inline(__always)
    private mutating func extend(_ lane: Int, to b: Int) {
        guard buckets[lane].count <= b else { return }
        var fresh = ActivityBucket()
        fresh.startTask = running[lane]
        while buckets[lane].count <= b { buckets[lane].append(fresh) }
    }

    /// Counts the running task's time up to `time`.
    private mutating func account(_ lane: Int, upTo time: Int64) {
        let task = running[lane]
        var s = runningSince[lane]
        guard task >= 0, time > s else { return }
        var b = bucket(of: s)
        extend(lane, to: bucket(of: time))
        while b < buckets[lane].count {
            let end = start(ofBucket: b + 1)
            let segmentEnd = min(time, end)
            buckets[lane][b].addRun(task: task, span: Float(SaturatingTime.difference(segmentEnd, s)))
            if segmentEnd >= time || end <= s { break }
            s = end
            b += 1
            if b < buckets[lane].count { buckets[lane][b].startTask = task }
        }
        runningSince[lane] = time
    }

    // MARK: - Building

    mutating func addEvent(_ record: EventRecord) {
        let time = record.timestamp
        if record.cpu >= 0, Int(record.cpu) < laneOfCPU.count {
            let lane = laneOfCPU[Int(record.cpu)]
            if lane >= 0, time >= pending[lane].start, time < pending[lane].end {
                // Counted in the lane's total too when flushed: one array written here, not two.
                pending[lane].events &+= 1
                recordsNoted += 1
                if time > lastTime { lastTime = time }
                return
            }
        }
        recordsNoted += 1
        fit(time)
        guard let lane = laneCreating(for: record) else { return }
        lastTime = max(lastTime, time)
        let b = bucket(of: time)
        extend(lane, to: b)
        flushPending(lane)
        buckets[lane][b].events &+= 1
        pending[lane] = PendingEvents(bucket: b, start: start(ofBucket: b), end: start(ofBucket: b + 1), events: 0)
        laneEvents[lane] += 1
        if firstEvent[lane] == nil { firstEvent[lane] = time }
    }

    /// Adds `lane`'s pending events to their bucket.
    @inline(__always)
    private mutating func flushPending(_ lane: Int) {
        let p = pending[lane]
        guard p.bucket >= 0 else { return }
        if p.events > 0 {
            buckets[lane][p.bucket].events &+= p.events
            laneEvents[lane] += Int(p.events)
        }
        pending[lane] = PendingEvents()
    }

    /// Adds every lane's pending events to their buckets.
    private mutating func flushPending() {
        for lane in pending.indices { flushPending(lane) }
    }

    mutating func addLost(_ record: EventRecord, _ range: LostRange) {
        recordsNoted += 1
        fit(record.timestamp)
        guard let lane = laneCreating(for: record) else { return }
        lastTime = max(lastTime, record.timestamp)
        if lost.count < Self.lostLimit { lost.append((lane, range)) }
    }

    /// A scheduler switch on `record`'s lane (noted as an event first).
    mutating func addSwitch(_ record: EventRecord, previous: TaskRef?, next: TaskRef) {
        guard let lane = lane(of: record) else { return }
        let time = record.timestamp
        hasScheduler = true
        if !switched[lane], let previous {
            // Before its first switch the CPU ran the previous task, since its first event.
            let start = firstEvent[lane] ?? time
            if start < time {
                running[lane] = tasks.id(for: previous)
                runningSince[lane] = start
                fillStartTasks(lane, from: start, to: time)
            }
        } else if let previous, !previous.comm.isEmpty {
            _ = tasks.id(for: previous)
        }
        account(lane, upTo: time)
        switched[lane] = true
        running[lane] = tasks.id(for: next)
        runningSince[lane] = time
        let b = bucket(of: time)
        extend(lane, to: b)
        if start(ofBucket: b) == time { buckets[lane][b].startTask = running[lane] }
    }

    /// Marks the buckets starting inside `(from, to]` as starting with the running task (it was
    /// learnt late: the first switch tells what ran before it).
    private mutating func fillStartTasks(_ lane: Int, from: Int64, to: Int64) {
        var b = bucket(of: from) + 1
        let last = min(bucket(of: to), buckets[lane].count - 1)
        while b <= last {
            buckets[lane][b].startTask = running[lane]
            b += 1
        }
    }

    /// Counts every lane's running task up to the latest time (before handing out a copy).
    mutating func settle() {
        flushPending()
        guard lastTime > .min else { return }
        for lane in keys.indices where running[lane] >= 0 { account(lane, upTo: lastTime) }
    }

    /// Bytes the aggregates take.
    public var memoryBytes: Int {
        buckets.reduce(0) { $0 + $1.capacity * MemoryLayout<ActivityBucket>.stride } + lost.count * 48
            + keys.count * 64
    }
}
