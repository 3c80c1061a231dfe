/// What one lane did during one bucket of time: the unit of the timeline's precomputed aggregates.
/// 20 bytes, whatever the number of records the bucket covers.
public struct ActivityBucket: Sendable, Hashable {
    /// Events recorded in the bucket.
    public var events: UInt32 = 0
    /// Nanoseconds a non-idle task ran in the bucket.
    public var busy: Float = 0
    /// The non-idle task that ran longest in the bucket (`TaskTable` id), -1 when none ran.
    public var task: Int32 = -1
    /// How long `task` ran in the bucket (nanoseconds).
    public var taskTime: Float = 0
    /// The task running when the bucket starts, -1 when unknown.
    public var startTask: Int32 = -1

    public init() {}

    /// Adds `span` nanoseconds of `task` running (a heavy-hitter estimate of the longest-running
    /// task: exact with one or two tasks per bucket, which is what the finest buckets see).
    @inline(__always)
    mutating func addRun(task: Int32, span: Float) {
        guard span > 0, task != TaskTable.idle else { return }
        busy += span
        if task == self.task {
            taskTime += span
        } else if span > taskTime {
            self.task = task
            taskTime = span
        }
    }

    /// The bucket covering both `a` and the bucket after it.
    static func merged(_ a: ActivityBucket, _ b: ActivityBucket) -> ActivityBucket {
        var m = ActivityBucket()
        m.events = a.events &+ b.events
        m.busy = a.busy + b.busy
        m.startTask = a.startTask
        if a.task == b.task {
            m.task = a.task
            m.taskTime = a.taskTime + b.taskTime
        } else if a.taskTime >= b.taskTime {
            m.task = a.task
            m.taskTime = a.taskTime
        } else {
            m.task = b.task
            m.taskTime = b.taskTime
        }
        return m
    }
}

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
public struct TaskTable: Sendable {
    /// Id 0 is the idle task (pid 0).
    public private(set) var tasks: [TaskRef] = [TaskRef(pid: 0, comm: "<idle>")]
    private var idsByPID: [Int64: Int32] = [0: 0]

    public static let idle: Int32 = 0

    public init() {}

    /// A table read back from a saved index.
    init(restoring tasks: [TaskRef]) throws {
        guard let first = tasks.first, first.pid == 0 else {
            throw ByteReader.Failure(description: "index file task table does not start with the idle task")
        }
        self.tasks = tasks
        idsByPID = [:]
        for (i, t) in tasks.enumerated() {
            guard idsByPID[t.pid] == nil else { throw ByteReader.Failure(description: "index file lists a task twice") }
            idsByPID[t.pid] = Int32(i)
        }
    }

    /// The id of `task`, registering it (and updating its name) as needed.
    mutating func id(for task: TaskRef) -> Int32 {
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

    /// The id of the task with `pid`, if it was seen.
    public func id(ofPID pid: Int64) -> Int32? { idsByPID[pid] }

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
