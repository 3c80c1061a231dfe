/// Evaluates a filter over every merged record in slices and collects the matches in a `MatchSet`
/// (in ordinal order, so it lines up with a `TraceIndex` of the same set).
public final class FilterScanner {
    public let filter: EventFilter
    public private(set) var matches = MatchSet()
    public private(set) var isComplete = false
    private let merger: EventMerger
    private var context: FilterContext

    public init(set: TraceSet, filter: EventFilter, context: FilterContext) throws {
        self.filter = filter
        self.context = context
        merger = try set.makeMerger()
    }

    /// Scans up to `maxRecords` more records; returns true at the end of the trace.
    @discardableResult
    public func step(maxRecords: Int) -> Bool {
        var n = 0
        while n < maxRecords, let record = merger.current {
            matches.append(filter.matches(record, in: context))
            n += 1
            do { try merger.advance() } catch {}
        }
        if merger.current == nil { isComplete = true }
        return isComplete
    }

    /// Looks again for records after the end (a live trace that grew).
    public func refresh() {
        merger.rebuild()
        if merger.current != nil { isComplete = false }
    }
}
