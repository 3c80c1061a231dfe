/// Counts the records of an ordinal range in slices (so a viewer stays responsive), optionally only
/// those a `MatchSet` marks.
public final class StatisticsCollector {
    public private(set) var statistics = TraceStatistics()
    public private(set) var range: Range<Int>
    public private(set) var next: Int
    private let cursor: MergedCursor
    private let matches: MatchSet?
    private let taskOf: (EventRecord) -> TaskRef?

    /// - Parameters:
    ///   - range: ordinals to count.
    ///   - matches: when given, only records it contains are counted.
    ///   - taskOf: the task of a record (trace's own, or from scheduler lanes).
    public init(cursor: MergedCursor, range: Range<Int>, matches: MatchSet?,
                taskOf: @escaping (EventRecord) -> TaskRef?) {
        self.cursor = cursor
        self.range = range
        self.next = range.lowerBound
        self.matches = matches
        self.taskOf = taskOf
    }

    public var isComplete: Bool { next >= range.upperBound }

    /// Extends the range to `upper` (the whole trace, while the index grows).
    public func extend(to upper: Int) {
        if upper > range.upperBound { range = range.lowerBound..<upper }
    }

    /// Fraction done, 0...1.
    public var progress: Double {
        range.isEmpty ? 1 : Double(next - range.lowerBound) / Double(range.count)
    }

    /// Counts up to `maxRecords` more records; returns true when the range is done.
    @discardableResult
    public func step(maxRecords: Int) -> Bool {
        guard !isComplete else { return true }
        let count = min(maxRecords, range.upperBound - next)
        var visited = 0
        cursor.forEach(from: next, count: count) { ordinal, record in
            visited += 1
            if matches?.contains(ordinal) ?? true {
                statistics.add(record, task: record.isLostEvents ? nil : taskOf(record))
            }
            return true
        }
        // Stop rather than loop when the cursor cannot read further (a damaged stream).
        next = visited == 0 ? range.upperBound : next + visited
        return isComplete
    }
}
