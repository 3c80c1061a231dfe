import Dispatch

/// Builds `IndexData` for a trace set: merges the records of all streams in time order (the order of
/// `EventMerger`, ties included), noting checkpoints, timeline aggregates and per-class counts.
///
/// Streams are read ahead in batches — every stream up to a common time, on all cores when
/// `parallel` — into per-stream queues, and the queues are merged on the calling thread. The merge
/// treats each stream's next unread record as part of its queue, and stops as soon as that record
/// would come next, so it emits exactly the sequence of a plain `EventMerger` (the tests compare
/// them). Only cursors are advanced concurrently, never fields decoded, which every reader supports
/// on distinct streams; fields (scheduler switches) are decoded by the merging thread.
final class IndexBuilder {
    let set: TraceSet
    @exclusivity(unchecked)
    private(set) var data: IndexData
    private let tieBreak: EventMerger.TieBreak?
    private let parallel: Bool

    /// One stream's records read ahead. Each reading thread touches only its own sources' queues.
    private final class SourceQueue {
        let stream: EventStream
        let trace: Int32
        @exclusivity(unchecked)
        var records: [EventRecord] = []
        /// Records merged already.
        @exclusivity(unchecked)
        var head = 0
        /// The read error that ended the stream (reported once its queue is merged).
        @exclusivity(unchecked)
        var failure: String?
        /// True once the stream left the merge after a failure.
        @exclusivity(unchecked)
        var ended = false

        /// The stream, when it decodes its current record by itself: switches are then read
        /// here, on the reading thread, while the record's bytes are at hand.
        let decoding: CurrentRecordDecoding?
        /// Whether each class of the stream's trace is a scheduler switch.
        let switchClasses: [Bool]
        @exclusivity(unchecked)
        var fields = SwitchFieldReader()
        /// Tasks of queued switch records (parallel to `records` when `decoding` is set).
        @exclusivity(unchecked)
        var switches: [SwitchTasks?] = []

        init(_ source: EventMerger.Source, switchClasses: [Bool]) {
            stream = source.stream
            trace = source.trace
            decoding = source.stream as? CurrentRecordDecoding
            self.switchClasses = switchClasses
        }

        /// Queues `r` (the stream's current record), with its switch tasks when read here.
        @inline(__always)
        private func enqueue(_ r: EventRecord) throws {
            records.append(r)
            guard let decoding else { return }
            let k = Int(r.classIndex)
            if case .event = r.kind, k >= 0, k < switchClasses.count, switchClasses[k] {
                switches.append(try fields.read { try decoding.decodeCurrentPayload(into: &$0) })
            } else {
                switches.append(nil)
            }
        }

        /// The switch tasks of the next queued record: nil when it is no switch, `.some(nil)`
        /// when it must be decoded through the trace.
        @inline(__always)
        var nextSwitch: SwitchTasks?? {
            guard decoding != nil else { return .some(nil) }
            guard head < switches.count, let tasks = switches[head] else { return .none }
            return .some(tasks)
        }

        /// The next record in merge terms: the first queued one, or the unread one.
        @inline(__always)
        var next: (record: EventRecord, queued: Bool)? {
            if head < records.count { return (records[head], true) }
            guard failure == nil, !ended, var r = stream.current else { return nil }
            r.trace = trace
            return (r, false)
        }

        /// Reads records before `limit`, at most until `capacity` are queued; returns how many.
        func read(until limit: Int64, capacity: Int) -> Int {
            guard failure == nil, !ended else { return 0 }
            var n = 0
            while records.count < capacity, var r = stream.current, r.timestamp < limit {
                r.trace = trace
                n += 1
                do {
                    try enqueue(r)
                    try stream.advance()
                } catch {
                    failure = String(describing: error)
                    break
                }
            }
            return n
        }

        /// Queues the unread record whatever its time (a batch must make progress).
        func readOne() {
            guard failure == nil, !ended, var r = stream.current else { return }
            r.trace = trace
            do {
                try enqueue(r)
                try stream.advance()
            } catch {
                failure = String(describing: error)
            }
        }

        func dropMerged() {
            guard head > 0 else { return }
            records.removeFirst(head)
            if !switches.isEmpty { switches.removeFirst(min(head, switches.count)) }
            head = 0
        }
    }

    private let queues: [SourceQueue]
    /// Per source, the timestamp of its next record (valid for sources in the heap): most
    /// comparisons of the merge read only these.
    private let keys: UnsafeMutablePointer<Int64>
    @exclusivity(unchecked)
    private var switches: SchedulerSwitchReader
    /// How far ahead of the earliest unread record a batch reads, adapted to the record density.
    private var readAheadSpan: Int64 = 100_000
    /// Records a batch aims at (all streams together), and the most a stream may queue.
    private let batchTarget = 65_536
    private let queueLimit: Int
    /// Sources ordered as a min-heap on their next record (queued or unread).
    @exclusivity(unchecked)
    private var heap: [Int] = []

    init(set: TraceSet, checkpointInterval: Int? = nil, parallel: Bool = false, checkpointBudget: Int? = nil) throws {
        self.set = set
        let merger = try set.makeMerger()
        let switchClasses = set.traces.map(SwitchFieldReader.switchClasses(of:))
        queues = merger.sources.map {
            SourceQueue($0, switchClasses: switchClasses.indices.contains(Int($0.trace)) ? switchClasses[Int($0.trace)] : [])
        }
        tieBreak = set.tieBreak
        self.parallel = parallel
        let count = queues.count
        data = IndexData(sourceCount: count, checkpointInterval: max(64, checkpointInterval ?? max(1024, count * 32)))
        if let checkpointBudget { data.checkpointBudget = checkpointBudget }
        data.errors += merger.openingErrors.map { String(describing: $0) }
        switches = SchedulerSwitchReader(set: set)
        queueLimit = max(256, 262_144 / max(1, count))
        keys = .allocate(capacity: max(1, count))
        keys.initialize(repeating: 0, count: max(1, count))
    }

    deinit { keys.deallocate() }

    /// Refreshes the key of source `i`; false when it has no next record.
    @inline(__always)
    private func updateKey(_ i: Int) -> Bool {
        guard let next = queues[i].next else { return false }
        keys[i] = next.record.timestamp
        return true
    }

    // MARK: - Sources

    @inline(__always)
    private func precedes(_ a: Int, _ b: Int) -> Bool {
        let ka = keys[a], kb = keys[b]
        if ka != kb { return ka < kb }
        return tiePrecedes(a, b)
    }

    /// Equal timestamps: the merge's tie-break on the records, then the source order.
    private func tiePrecedes(_ a: Int, _ b: Int) -> Bool {
        guard let ra = queues[a].next?.record else { return false }
        guard let rb = queues[b].next?.record else { return true }
        if let tieBreak {
            if tieBreak(ra, rb) { return true }
            if tieBreak(rb, ra) { return false }
        }
        return a < b
    }

    private func rebuildHeap() {
        heap.removeAll(keepingCapacity: true)
        for i in queues.indices where updateKey(i) {
            heap.append(i)
            siftUp(heap.count - 1)
        }
    }

    private func siftUp(_ start: Int) {
        IndexHeap.siftUp(&heap, from: start, by: precedes)
    }

    private func siftDown(_ start: Int) {
        IndexHeap.siftDown(&heap, from: start, by: precedes)
    }

    // MARK: - Reading ahead

    /// Reads every stream up to `limit` (exclusive) into its queue, on all cores when parallel.
    private func readAhead(until limit: Int64) -> Int {
        for q in queues { q.dropMerged() }
        let groups = parallel ? min(2, queues.count) : 1
        let read = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(1, groups))
        read.initialize(repeating: 0)
        defer { read.deallocate() }
        let queues = self.queues
        let capacity = queueLimit
        let work: (Int) -> Void = { g in
            var n = 0
            var i = g
            while i < queues.count {
                n += queues[i].read(until: limit, capacity: capacity)
                i += groups
            }
            read[g] = n
        }
        if groups > 1 {
            DispatchQueue.concurrentPerform(iterations: groups, execute: work)
        } else {
            work(0)
        }
        return read.reduce(0, +)
    }

    // MARK: - Merging

    /// Indexes up to `maxRecords` more records; returns true once the end of every stream is reached.
    @discardableResult
    func step(maxRecords: Int) -> Bool {
        var merged = 0
        rebuildHeap()
        while merged < maxRecords {
            guard let top = heap.first, let (record, queued) = queues[top].next else {
                data.isComplete = true
                break
            }
            if !queued {
                // The earliest record is not read yet: read a batch from its time on.
                let n = readAhead(until: SaturatingTime.sum(record.timestamp, max(1, readAheadSpan)))
                if n < batchTarget / 2 && readAheadSpan < Int64.max / 4 { readAheadSpan *= 2 }
                if n > batchTarget * 2 { readAheadSpan = max(1, readAheadSpan / 2) }
                if queues[top].head >= queues[top].records.count { queues[top].readOne() }
                rebuildHeap()
                continue
            }
            unowned(unsafe) let queue = queues[top]
            append(record, switchTasks: queue.nextSwitch)
            queue.head += 1
            if queue.head >= queue.records.count, let failure = queue.failure {
                // The stream failed after this record: it leaves the merge, as in `EventMerger`.
                data.errors.append(failure)
                queue.failure = nil
                queue.ended = true
            }
            if !updateKey(top) {
                let last = heap.removeLast()
                if !heap.isEmpty {
                    heap[0] = last
                    siftDown(0)
                }
            } else {
                siftDown(0)
            }
            merged += 1
        }
        return data.isComplete
    }

    /// Records one merged record (still the next record of its source).
    @inline(__always)
    private func append(_ record: EventRecord, switchTasks: SwitchTasks??) {
        if data.recordCount % data.checkpointInterval == 0 {
            data.checkpointTimes.append(record.timestamp)
            for q in queues {
                data.checkpointPositions.append(q.next?.record.position ?? TraceIndex.exhausted)
            }
            data.thinIfNeeded()
        }
        if data.firstTimestamp == nil { data.firstTimestamp = record.timestamp }
        data.lastTimestamp = max(data.lastTimestamp ?? record.timestamp, record.timestamp)
        data.recordCount += 1
        note(record, switchTasks: switchTasks)
    }

    /// - Parameter switchTasks: read ahead with the record (nil: no switch), or `.some(nil)`:
    ///   decode it through the trace now.
    private func note(_ record: EventRecord, switchTasks: SwitchTasks??) {
        if case .lostEvents(let count, let since) = record.kind {
            data.activity.addLost(record, LostRange(cpu: record.cpu, since: since, until: record.timestamp, count: count))
            data.totals.add(record, task: nil)
            return
        }
        data.totals.add(record, task: nil)
        data.activity.addEvent(record)
        let tasks: SwitchTasks?
        switch switchTasks {
        case .some(.some(let read)): tasks = read
        case .some(.none): tasks = switches.switchTasks(of: record, in: set)
        case .none: tasks = nil
        }
        if let tasks { data.activity.addSwitch(record, previous: tasks.previous, next: tasks.next) }
    }

    /// The index as it is now, its lanes' running tasks counted up to the latest record.
    func snapshot() -> IndexData {
        // Settled on the copy: the builder's own counting never depends on when copies were taken.
        var copy = data
        copy.activity.settle()
        return copy
    }

    /// Looks again for records after the end (a live trace that grew); indexing continues from there.
    func refresh() {
        if queues.contains(where: { $0.next != nil }) {
            data.isComplete = false
        }
    }
}

/// Builds a `TraceIndex` by reading the merged records in slices, so a viewer can show the first screen
/// at once and keep indexing between keystrokes (`BackgroundIndexer` does the same on a thread).
public final class TraceIndexer {
    public let set: TraceSet
    private let builder: IndexBuilder
    private let indexStorage: TraceIndex
    private var published = -1
    private var publishedComplete = false

    /// - Parameter parallel: read streams ahead on all cores (the set's readers must then not be used
    ///   by another thread while a step runs).
    ///   - checkpointBudget: bytes the checkpoints may take (`IndexData.checkpointBudget` by default).
    public init(set: TraceSet, checkpointInterval: Int? = nil, parallel: Bool = false,
                checkpointBudget: Int? = nil) throws {
        self.set = set
        builder = try IndexBuilder(set: set, checkpointInterval: checkpointInterval, parallel: parallel,
                                   checkpointBudget: checkpointBudget)
        indexStorage = TraceIndex(data: builder.data)
        indexStorage.activity.windowReader = try MergedWindowReader(set: set, index: indexStorage)
    }

    /// The index, up to date with the steps taken.
    public var index: TraceIndex {
        let data = builder.data
        if data.recordCount != published || data.isComplete != publishedComplete || data.errors.count != indexStorage.errors.count {
            indexStorage.update(builder.snapshot())
            published = data.recordCount
            publishedComplete = data.isComplete
        }
        return indexStorage
    }

    /// Indexes up to `maxRecords` more records; returns true once the end of every stream is reached.
    @discardableResult
    public func step(maxRecords: Int) -> Bool { builder.step(maxRecords: maxRecords) }

    /// Looks again for records after the end (a live trace that grew); the index continues from there.
    public func refresh() {
        builder.refresh()
    }

    /// The index of the first `records` merged records of `set`, read on the calling thread: the
    /// same data any indexer of these traces has after as many records, so a viewer can show its
    /// first screen before its indexing thread has opened the traces, then take that thread's
    /// index (which goes on from there).
    public static func head(of set: TraceSet, records: Int) throws -> IndexData {
        let builder = try IndexBuilder(set: set)
        builder.step(maxRecords: records)
        return builder.snapshot()
    }
}
