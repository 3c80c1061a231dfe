import Dispatch

/// Builds `IndexData` for a trace set: merges the records of all streams in time order (the order of
/// `EventMerger`, ties included), noting checkpoints, timeline aggregates and per-class counts.
///
/// Streams are read in chunks: when `parallel`, by an `IndexFeed`'s workers on all cores while
/// the merge runs on the calling thread; otherwise by the calling thread when the merge needs
/// them. The merge treats each stream's next unread record as part of its queue and reads (or
/// waits for) more only when that record would come next, so it emits exactly the sequence of a
/// plain `EventMerger` (the tests compare them). Workers only advance cursors and read the fields
/// of scheduler switches through them; everything else happens on the merging thread.
final class IndexBuilder {
    let set: TraceSet
    @exclusivity(unchecked)
    private(set) var data: IndexData
    private let tieBreak: EventMerger.TieBreak?

    private let queues: [IndexSourceQueue]
    /// Workers reading the streams while the merge runs (parallel indexing), started by the
    /// first step (until then the caller may still open other readers of the same traces).
    private var feed: IndexFeed?
    private let usesFeed: Bool
    /// Records per chunk read on the merging thread, at most.
    private let chunkLimit: Int
    @exclusivity(unchecked)
    private var switches: SchedulerSwitchReader
    /// Counts per class and CPU (`data.totals` of the copies handed out).
    private let tally: IndexTally
    // Per source, the merge's view of its chunk, kept in plain memory for the hot loop: the
    // records, how many, the next to merge, and the time of its next record (queued or not).
    private let bases: UnsafeMutablePointer<UnsafeMutablePointer<EventRecord>?>
    private let counts: UnsafeMutablePointer<Int>
    private let heads: UnsafeMutablePointer<Int>
    private let keys: UnsafeMutablePointer<Int64>
    /// Sources ordered as a min-heap on their next record (queued or unread), in plain memory.
    private let heap: UnsafeMutablePointer<Int>
    @exclusivity(unchecked)
    private var heapCount = 0
    /// Merged records until the next checkpoint.
    @exclusivity(unchecked)
    private var untilCheckpoint = 0

    init(set: TraceSet, checkpointInterval: Int? = nil, parallel: Bool = false, checkpointBudget: Int? = nil) throws {
        self.set = set
        let merger = try set.makeMerger()
        let switchClasses = set.traces.map(SwitchFieldReader.switchClasses(of:))
        let classes: (EventMerger.Source) -> [Bool] = {
            switchClasses.indices.contains(Int($0.trace)) ? switchClasses[Int($0.trace)] : []
        }
        let queues = merger.sources.map { IndexSourceQueue($0, switchClasses: classes($0)) }
        self.queues = queues
        // Workers read when every switch is read by its stream's own cursor: decoding one through
        // its trace would touch a reader a worker may be using.
        let fed = parallel && merger.sources.allSatisfy { $0.stream is CurrentRecordDecoding || !classes($0).contains(true) }
        usesFeed = fed
        chunkLimit = fed ? IndexFeed.chunkSize(streams: queues.count) : max(64, min(8_192, 262_144 / max(1, queues.count)))
        tieBreak = set.tieBreak
        let count = queues.count
        data = IndexData(sourceCount: count, checkpointInterval: max(64, checkpointInterval ?? max(1024, count * 32)))
        if let checkpointBudget { data.checkpointBudget = checkpointBudget }
        data.errors += merger.openingErrors.map { String(describing: $0) }
        switches = SchedulerSwitchReader(set: set)
        tally = IndexTally(set: set)
        let n = max(1, count)
        bases = .allocate(capacity: n)
        bases.initialize(repeating: nil, count: n)
        counts = .allocate(capacity: n)
        counts.initialize(repeating: 0, count: n)
        heads = .allocate(capacity: n)
        heads.initialize(repeating: 0, count: n)
        keys = .allocate(capacity: n)
        keys.initialize(repeating: 0, count: n)
        heap = .allocate(capacity: n)
        heap.initialize(repeating: 0, count: n)
    }

    deinit {
        feed?.close()
        bases.deallocate()
        counts.deallocate()
        heads.deallocate()
        keys.deallocate()
        heap.deallocate()
    }

    // MARK: - Sources

    /// The next record of source `i` (queued or unread), nil when it has none.
    @inline(__always)
    private func next(_ i: Int) -> EventRecord? {
        if heads[i] < counts[i] { return bases[i].unsafelyUnwrapped[heads[i]] }
        return queues[i].unread
    }

    /// Refreshes the key of source `i`; false when it has no next record.
    @inline(__always)
    private func updateKey(_ i: Int) -> Bool {
        if heads[i] < counts[i] {
            keys[i] = bases[i].unsafelyUnwrapped[heads[i]].timestamp
            return true
        }
        guard let r = queues[i].unread else { return false }
        keys[i] = r.timestamp
        return true
    }

    /// Runs `body` with the merge order of sources (their next records' times, then the
    /// tie-break). The comparison reads the keys through their pointer and reaches `self` only
    /// to break a tie: calling a method of `self` (even captured unowned) retained and released
    /// it on every merged record.
    @inline(__always)
    private func withOrder<T>(_ body: ((Int, Int) -> Bool) -> T) -> T {
        let keys = self.keys
        let builder = Unmanaged.passUnretained(self)
        return body { a, b in
            let ka = keys[a], kb = keys[b]
            if ka != kb { return ka < kb }
            return builder._withUnsafeGuaranteedRef { $0.tiePrecedes(a, b) }
        }
    }

    /// Equal timestamps: the merge's tie-break on the records, then the source order.
    private func tiePrecedes(_ a: Int, _ b: Int) -> Bool {
        guard let ra = next(a) else { return false }
        guard let rb = next(b) else { return true }
        if let tieBreak {
            if tieBreak(ra, rb) { return true }
            if tieBreak(rb, ra) { return false }
        }
        return a < b
    }

    private func rebuildHeap() {
        heapCount = 0
        for i in queues.indices where updateKey(i) {
            heap[heapCount] = i
            heapCount += 1
            withOrder { IndexHeap.siftUp(heap, from: heapCount - 1, by: $0) }
        }
    }

    /// Takes the heap's first source out of the heap.
    private func removeFirst() {
        heapCount -= 1
        if heapCount > 0 {
            heap[0] = heap[heapCount]
            siftDownFirst()
        }
    }

    /// Moves the heap's first source down to its place.
    @inline(__always)
    private func siftDownFirst() {
        withOrder { IndexHeap.siftDown(heap, count: heapCount, from: 0, by: $0) }
    }

    // MARK: - Reading

    /// Gives source `i`, whose chunk is merged, its next chunk: the feed's (waiting for one when
    /// `wait`) or, without a feed, one read now. A stream that failed with nothing left to merge
    /// leaves the merge here, its error noted.
    private func refill(_ i: Int, wait: Bool) {
        let queue = queues[i]
        if let feed {
            let old = queue.chunk
            queue.chunk = nil
            if let chunk = feed.take(i, wait: wait, returning: old) {
                use(chunk, for: i)
            } else {
                counts[i] = 0
                heads[i] = 0
                bases[i] = nil
                // Waiting ends without a chunk only once the feed is closed: the stream stops.
                if wait { queue.unread = nil }
            }
        } else if queue.unread != nil {
            let chunk = queue.chunk ?? RecordChunk(capacity: chunkLimit)
            queue.fill(chunk, count: queue.fillSize)
            queue.fillSize = min(chunkLimit, queue.fillSize * 2)
            use(chunk, for: i)
        }
        if heads[i] >= counts[i], queue.unread == nil, let failure = queue.failure {
            data.errors.append(failure)
            queue.failure = nil
            queue.ended = true
        }
    }

    private func use(_ chunk: RecordChunk, for i: Int) {
        let queue = queues[i]
        queue.begin(chunk)
        queue.unread = chunk.unread
        if let failure = chunk.failure { queue.failure = failure }
        bases[i] = chunk.records
        counts[i] = chunk.count
        heads[i] = 0
    }

    /// Streams read to their end are looked at again (a trace still being written).
    private func reopenEnded() {
        if let feed {
            for (i, r) in feed.reopenEnded() {
                queues[i].unread = r
            }
            return
        }
        for (i, queue) in queues.enumerated()
        where queue.unread == nil && queue.failure == nil && !queue.ended && heads[i] >= counts[i] {
            guard var r = queue.stream.current else { continue }
            r.trace = queue.trace
            queue.unread = r
        }
    }

    // MARK: - Merging

    /// The workers' feed; streams of traces that can be read in parts are read in parts.
    private func makeFeed() -> IndexFeed {
        let queues = self.queues
        let set = self.set
        let switchClasses = set.traces.map(SwitchFieldReader.switchClasses(of:))
        return IndexFeed(queues: queues, workers: IndexFeed.cores) { i in
            let queue = queues[i]
            guard partsEnabled, let first = queue.unread, let trace = set.traces[Int(queue.trace)] as? PartitionedStreams
            else { return nil }
            let stream = Int(first.stream)
            let ranges = trace.partRanges(ofStream: stream)
            guard ranges.count > 1 else { return nil }
            let classes = switchClasses[Int(queue.trace)]
            return (ranges, { range in
                IndexSourceQueue(EventMerger.Source(trace: queue.trace, stream: try trace.openStream(stream, part: range)),
                                 switchClasses: classes)
            })
        }
    }

    /// Whether streams may be read in parts (tests compare with reading them whole).
    var partsEnabled = true

    /// Indexes up to `maxRecords` more records; returns true once the end of every stream is reached.
    @discardableResult
    func step(maxRecords: Int) -> Bool {
        var merged = 0
        if usesFeed && feed == nil { feed = makeFeed() }
        if feed == nil { reopenEnded() }
        rebuildHeap()
        while merged < maxRecords {
            guard heapCount > 0 else {
                data.isComplete = true
                break
            }
            let top = heap[0]
            var h = heads[top]
            if h >= counts[top] {
                // The earliest record is not read yet: read it (or wait for a worker to). Its key
                // stays, so the heap does too, unless the stream failed before it.
                refill(top, wait: true)
                if heads[top] >= counts[top] { removeFirst() }
                continue
            }
            let record = bases[top].unsafelyUnwrapped[h]
            append(record)
            unowned(unsafe) let queue = queues[top]
            if h == queue.nextSwitchIndex {
                if let tasks = queue.takeSwitch() {
                    data.activity.addSwitch(record, previous: tasks.previous, next: tasks.next)
                }
            } else if !queue.readsSwitches, !record.isLostEvents,
                      let tasks = switches.switchTasks(of: record, in: set) {
                // The stream cannot read its switches itself: decoded through the trace.
                data.activity.addSwitch(record, previous: tasks.previous, next: tasks.next)
            }
            h += 1
            heads[top] = h
            if h >= counts[top] { refill(top, wait: false) }
            if updateKey(top) {
                siftDownFirst()
            } else {
                removeFirst()
            }
            merged += 1
        }
        return data.isComplete
    }

    /// Records one merged record (still the next record of its source).
    @inline(__always)
    private func append(_ record: EventRecord) {
        if untilCheckpoint == 0 {
            data.checkpointTimes.append(record.timestamp)
            for i in queues.indices {
                data.checkpointPositions.append(next(i)?.position ?? TraceIndex.exhausted)
            }
            data.thinIfNeeded()
            // Thinning may have dropped this checkpoint: the next is at a multiple of the interval.
            untilCheckpoint = data.checkpointInterval - data.recordCount % data.checkpointInterval
        }
        untilCheckpoint -= 1
        if data.firstTimestamp == nil { data.firstTimestamp = record.timestamp }
        data.lastTimestamp = max(data.lastTimestamp ?? record.timestamp, record.timestamp)
        data.recordCount += 1
        if case .lostEvents(let count, let since) = record.kind {
            data.activity.addLost(record, LostRange(cpu: record.cpu, since: since, until: record.timestamp, count: count))
        } else {
            data.activity.addEvent(record)
        }
        tally.add(record)
    }

    /// Runs `body` while no worker reads the streams (it may then use the traces' readers).
    func whileStreamsIdle<T>(_ body: () throws -> T) rethrows -> T {
        guard let feed else { return try body() }
        return try feed.whileIdle(body)
    }

    /// The index as it is now, its lanes' running tasks counted up to the latest record.
    func snapshot() -> IndexData {
        // Settled on the copy: the builder's own counting never depends on when copies were taken.
        var copy = data
        copy.totals = tally.statistics
        copy.activity.settle()
        return copy
    }

    /// Looks again for records after the end (a live trace that grew); indexing continues from there.
    func refresh() {
        reopenEnded()
        if queues.indices.contains(where: { next($0) != nil }) {
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

    /// - Parameter parallel: read streams ahead on worker threads, one per core, which keep reading
    ///   between steps: the set's readers must not be used by another thread until the index is
    ///   complete or the indexer is gone.
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
