/// Everything an index knows, as a value: `IndexBuilder` grows it, and hands copies to the viewer
/// (from a background thread too: arrays are copied on write, so a copy is cheap to take).
public struct IndexData {
    /// Number of merge sources (streams of all traces) each checkpoint holds a position for.
    public let sourceCount: Int
    /// Merged records between checkpoints (doubles when the checkpoints outgrow their budget).
    public internal(set) var checkpointInterval: Int
    /// Timestamp of the record at ordinal `i * checkpointInterval`.
    public internal(set) var checkpointTimes: [Int64] = []
    /// `sourceCount` positions per checkpoint; `TraceIndex.exhausted` for a stream with no record left.
    var checkpointPositions: [StreamPosition] = []
    /// Merged records indexed so far.
    public internal(set) var recordCount = 0
    public internal(set) var firstTimestamp: Int64?
    public internal(set) var lastTimestamp: Int64?
    /// True once every stream was read to its end.
    public internal(set) var isComplete = false
    /// Problems met while reading (a damaged stream leaves the merge; the rest stays readable).
    public internal(set) var errors: [String] = []
    /// Which task runs where, event density and lost events, per lane (bounded aggregates).
    public internal(set) var activity = ActivityData()
    /// Records per event class, per CPU and lost, over the indexed records (no tasks).
    public internal(set) var totals = TraceStatistics(countsTasks: false)

    /// Bytes the checkpoints may take before every other one is dropped.
    public var checkpointBudget = 16 << 20

    init(sourceCount: Int, checkpointInterval: Int) {
        self.sourceCount = sourceCount
        self.checkpointInterval = checkpointInterval
    }

    /// Bytes of memory the checkpoints take.
    public var checkpointBytes: Int {
        checkpointPositions.count * MemoryLayout<StreamPosition>.stride + checkpointTimes.count * 8
    }

    /// Drops every other checkpoint and doubles the interval, keeping the checkpoints within
    /// their budget whatever the trace size (jumps then read up to twice as many records).
    mutating func thinIfNeeded() {
        while checkpointBytes > checkpointBudget && checkpointTimes.count > 2 {
            var times: [Int64] = []
            var positions: [StreamPosition] = []
            times.reserveCapacity(checkpointTimes.count / 2 + 1)
            positions.reserveCapacity(checkpointPositions.count / 2 + sourceCount)
            for c in stride(from: 0, to: checkpointTimes.count, by: 2) {
                times.append(checkpointTimes[c])
                positions.append(contentsOf: checkpointPositions[(c * sourceCount)..<((c + 1) * sourceCount)])
            }
            checkpointTimes = times
            checkpointPositions = positions
            checkpointInterval *= 2
        }
    }
}

/// Random access over the merged records of a trace set: checkpoints of every stream's position every
/// `checkpointInterval` merged records, so "record N", "first record at time T" and scrolling cost at
/// most one checkpoint restore plus `checkpointInterval` merge steps, whatever the trace size.
///
/// Restoring all streams' positions restores the merge state exactly (the merge order depends only on
/// each stream's current record), so record N read through a checkpoint is the N-th record of a full
/// merge. The index is built by `IndexBuilder` (in slices, or on a background thread that hands over
/// copies with `update(_:)`) and can keep growing (live traces).
public final class TraceIndex {
    public private(set) var data: IndexData
    /// Which task runs where, event density and lost events, per CPU.
    public let activity: ActivityIndex

    static let exhausted = StreamPosition(unit: Int.min, offset: 0, clock: 0)

    public init(data: IndexData) {
        self.data = data
        activity = ActivityIndex(data: data.activity)
    }

    /// - Parameter checkpointInterval: merged records between checkpoints; by default it grows with the
    ///   number of streams so checkpoints take a bounded share of memory.
    public convenience init(sourceCount: Int, checkpointInterval: Int? = nil) {
        self.init(data: IndexData(sourceCount: sourceCount,
                                  checkpointInterval: max(64, checkpointInterval ?? max(1024, sourceCount * 32))))
    }

    /// Takes a newer copy of the index (more records indexed).
    public func update(_ newer: IndexData) {
        let activityChanged = newer.activity.recordsNoted != data.activity.recordsNoted
            || newer.activity.hasScheduler != data.activity.hasScheduler
        data = newer
        if activityChanged { activity.update(newer.activity) }
    }

    public var sourceCount: Int { data.sourceCount }
    public var checkpointInterval: Int { data.checkpointInterval }
    public var checkpointTimes: [Int64] { data.checkpointTimes }
    public var recordCount: Int { data.recordCount }
    public var firstTimestamp: Int64? { data.firstTimestamp }
    public var lastTimestamp: Int64? { data.lastTimestamp }
    public var isComplete: Bool { data.isComplete }
    public var errors: [String] { data.errors }
    public var totals: TraceStatistics { data.totals }
    public var checkpointBytes: Int { data.checkpointBytes }

    /// Places every source of `merger` where it was at checkpoint `c`; returns the ordinal there.
    func restore(checkpoint c: Int, into merger: EventMerger) throws -> Int {
        let sourceCount = data.sourceCount
        let base = c * sourceCount
        guard c >= 0, base + sourceCount <= data.checkpointPositions.count,
              merger.sources.count == sourceCount else {
            throw TraceError(file: "", "checkpoint \(c) is not in the index")
        }
        for (i, source) in merger.sources.enumerated() {
            let position = data.checkpointPositions[base + i]
            if position == Self.exhausted {
                // Just after the checkpoint's record: a stream that had nothing left then may have
                // grown since (live traces); in a file it stays exhausted.
                try source.stream.seek(toTimestamp: data.checkpointTimes[c] &+ 1)
            } else {
                try source.stream.seek(to: position)
            }
        }
        merger.rebuild()
        return c * data.checkpointInterval
    }

    /// True when the index fits `set` (an index read from disk is never trusted blindly): its
    /// first, middle and last checkpoints restore onto records at the times it says.
    public func checkpointsHold(in set: TraceSet) -> Bool {
        guard let merger = try? set.makeMerger(), merger.sources.count == data.sourceCount else { return false }
        let count = data.checkpointTimes.count
        guard count > 0 || data.recordCount == 0 else { return false }
        for c in Set([0, count / 2, count - 1]) where c >= 0 && c < count {
            guard (try? restore(checkpoint: c, into: merger)) != nil,
                  merger.current?.timestamp == data.checkpointTimes[c] else { return false }
        }
        return true
    }

    /// The last checkpoint whose record is earlier than `time` (0 when none is).
    func checkpoint(before time: Int64) -> Int {
        let times = data.checkpointTimes
        var low = 0, high = times.count
        while low < high {
            let mid = (low + high) / 2
            if times[mid] < time { low = mid + 1 } else { high = mid }
        }
        return max(0, low - 1)
    }
}
