/// Reads merged records by ordinal (their position in the merged, time-ordered sequence) through the
/// checkpoints of a `TraceIndex`. Sequential reads cost one merge step each; jumps cost one checkpoint
/// restore plus at most `checkpointInterval` steps.
public final class MergedCursor {
    public let set: TraceSet
    public let index: TraceIndex
    private let merger: EventMerger
    /// Ordinal of `merger.current`.
    private var ordinal = 0

    public init(set: TraceSet, index: TraceIndex) throws {
        self.set = set
        self.index = index
        merger = try set.makeMerger()
    }

    private func step() {
        do {
            try merger.advance()
        } catch {
            // The failing stream left the merge; the indexer recorded the same error.
        }
        ordinal += 1
    }

    /// Places the cursor on `target` (an indexed ordinal); false when it is out of range.
    @discardableResult
    public func move(to target: Int) -> Bool {
        guard target >= 0, target < index.recordCount else { return false }
        let k = index.checkpointInterval
        if target < ordinal || target - ordinal > k || merger.current == nil {
            guard let base = try? index.restore(checkpoint: target / k, into: merger) else { return false }
            ordinal = base
        }
        while ordinal < target, merger.current != nil { step() }
        return ordinal == target && merger.current != nil
    }

    /// The record at `ordinal`.
    public func record(at target: Int) -> EventRecord? {
        move(to: target) ? merger.current : nil
    }

    /// Calls `body` with consecutive records from `start` until it returns false or `count` records
    /// were visited (or the indexed records end).
    public func forEach(from start: Int, count: Int, _ body: (Int, EventRecord) -> Bool) {
        guard count > 0, move(to: start) else { return }
        let end = min(index.recordCount, start + count)
        while ordinal < end, let record = merger.current {
            if !body(ordinal, record) { return }
            step()
        }
    }

    /// The first ordinal whose record is at or after `time` (`index.recordCount` when none is).
    public func ordinal(atOrAfter time: Int64) -> Int {
        guard index.recordCount > 0 else { return 0 }
        if let last = index.lastTimestamp, time > last { return index.recordCount }
        let c = index.checkpoint(before: time)
        var found = index.recordCount
        forEach(from: c * index.checkpointInterval, count: index.recordCount) { o, record in
            if record.timestamp >= time { found = o; return false }
            return true
        }
        return found
    }

    /// The ordinal whose record is closest in time to `time`.
    public func ordinal(nearest time: Int64) -> Int {
        let after = ordinal(atOrAfter: time)
        guard after > 0 else { return 0 }
        guard after < index.recordCount, let a = record(at: after) else { return index.recordCount - 1 }
        guard let b = record(at: after - 1) else { return after }
        return time - b.timestamp <= a.timestamp - time ? after - 1 : after
    }
}
