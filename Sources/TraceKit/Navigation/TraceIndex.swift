/// Random access over the merged records of a trace set: checkpoints of every stream's position every
/// `checkpointInterval` merged records, so "record N", "first record at time T" and scrolling cost at
/// most one checkpoint restore plus `checkpointInterval` merge steps, whatever the trace size.
///
/// Restoring all streams' positions restores the merge state exactly (the merge order depends only on
/// each stream's current record), so record N read through a checkpoint is the N-th record of a full
/// merge. The index is built incrementally by `TraceIndexer` and can keep growing (live traces).
public final class TraceIndex {
    /// Number of merge sources (streams of all traces) each checkpoint holds a position for.
    public let sourceCount: Int
    /// Merged records between checkpoints.
    public let checkpointInterval: Int
    /// Timestamp of the record at ordinal `i * checkpointInterval`.
    public private(set) var checkpointTimes: [Int64] = []
    /// `sourceCount` positions per checkpoint; `Self.exhausted` for a stream with no record left.
    private var checkpointPositions: [StreamPosition] = []
    /// Merged records indexed so far.
    public private(set) var recordCount = 0
    public private(set) var firstTimestamp: Int64?
    public private(set) var lastTimestamp: Int64?
    /// True once every stream was read to its end.
    public internal(set) var isComplete = false
    /// Problems met while reading (a damaged stream leaves the merge; the rest stays readable).
    public internal(set) var errors: [String] = []
    /// Which task runs where, event density and lost events, per CPU.
    public let activity: ActivityIndex

    static let exhausted = StreamPosition(unit: Int.min, offset: 0, clock: 0)

    /// - Parameter checkpointInterval: merged records between checkpoints; by default it grows with the
    ///   number of streams so checkpoints take a bounded share of memory.
    public init(sourceCount: Int, checkpointInterval: Int? = nil) {
        self.sourceCount = sourceCount
        self.checkpointInterval = max(64, checkpointInterval ?? max(1024, sourceCount * 32))
        self.activity = ActivityIndex()
    }

    /// Records one merged record (called in merge order by the indexer).
    func append(_ record: EventRecord, sources: [EventMerger.Source]) {
        if recordCount % checkpointInterval == 0 {
            checkpointTimes.append(record.timestamp)
            for source in sources {
                checkpointPositions.append(source.stream.current?.position ?? Self.exhausted)
            }
        }
        if firstTimestamp == nil { firstTimestamp = record.timestamp }
        lastTimestamp = max(lastTimestamp ?? record.timestamp, record.timestamp)
        recordCount += 1
    }

    /// Places every source of `merger` where it was at checkpoint `c`; returns the ordinal there.
    func restore(checkpoint c: Int, into merger: EventMerger) throws -> Int {
        let base = c * sourceCount
        guard c >= 0, base + sourceCount <= checkpointPositions.count,
              merger.sources.count == sourceCount else {
            throw TraceError(file: "", "checkpoint \(c) is not in the index")
        }
        for (i, source) in merger.sources.enumerated() {
            let position = checkpointPositions[base + i]
            if position == Self.exhausted {
                try source.stream.seek(toTimestamp: Int64.max)
            } else {
                try source.stream.seek(to: position)
            }
        }
        merger.rebuild()
        return c * checkpointInterval
    }

    /// The last checkpoint whose record is earlier than `time` (0 when none is).
    func checkpoint(before time: Int64) -> Int {
        var low = 0, high = checkpointTimes.count
        while low < high {
            let mid = (low + high) / 2
            if checkpointTimes[mid] < time { low = mid + 1 } else { high = mid }
        }
        return max(0, low - 1)
    }

    /// Bytes of memory the checkpoints take, for the status line and tests.
    public var checkpointBytes: Int {
        checkpointPositions.count * MemoryLayout<StreamPosition>.stride + checkpointTimes.count * 8
    }
}
