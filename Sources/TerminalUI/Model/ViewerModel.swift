#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TraceKit

/// The data behind the viewer: the index of the merged records, the active filter's matches, the
/// rows shown, and the background jobs (indexing, filtering, searching, statistics) that run in small
/// slices between keystrokes so the screen never waits for them.
public final class ViewerModel {
    public let set: TraceSet
    /// Indexes in slices between keystrokes (no background thread: live traces, tests).
    private let inlineIndexer: TraceIndexer?
    /// Indexes on a thread of its own with its own readers (files).
    private let backgroundIndexer: BackgroundIndexer?
    public let index: TraceIndex
    public var activity: ActivityIndex { index.activity }

    /// Reads rows for the list and details.
    private let listCursor: MergedCursor
    /// Reads records for background jobs (search, statistics), so the list's reads stay sequential.
    private let workCursor: MergedCursor
    private let formatter = EventRowFormatter()
    private var rowCache: [Int: EventRow] = [:]

    public private(set) var filter: EventFilter?
    private var filterScanner: FilterScanner?
    /// Incremented whenever the rows change meaning (new filter), so views drop what they derived.
    public private(set) var rowsGeneration = 0

    public private(set) var search: SearchJob?
    public private(set) var statisticsJob: StatisticsCollector?
    /// The time range the statistics cover (nil: the whole trace).
    public private(set) var statisticsRange: ClosedRange<Int64>?
    /// Records per background step, adapted to keep steps short.
    private var stepSize = 1024
    /// The time range the readers know before indexing (packet and page headers), when they do.
    /// With files, it is found on a thread of its own (every packet header may have to be read)
    /// and known a little after the first screen.
    public private(set) var knownTimeRange: ClosedRange<Int64>?
    /// Looks for `knownTimeRange` (nil once found).
    private var timeRangeProbe: TimeRangeProbe?
    /// Indexing speed, for the progress bar.
    private var indexStart = MonotonicClock.now()
    private var indexEnd: UInt64?

    /// - Parameters:
    ///   - set: the traces to browse.
    ///   - reopen: opens the same traces again; when given, indexing runs on a thread of its own
    ///     with those readers (and reads streams on all cores) instead of in slices between keys.
    ///   - savedIndex: an index of the same traces kept from an earlier run; used after checking that
    ///     its checkpoints land on their records, else the traces are indexed again.
    public init(set: TraceSet, reopen: (() throws -> TraceSet)? = nil, savedIndex: IndexData? = nil) throws {
        self.set = set
        let sources = set.traces.reduce(0) { $0 + $1.streams.count }
        let useSaved = savedIndex.map {
            $0.sourceCount == sources && $0.isComplete && ViewerModel.checkpointsHold($0, set: set)
        } ?? false
        // The first screen's records, read here with the viewer's own readers before the indexing
        // thread starts (it would compete for the cores while opening the traces again): its
        // index is the same sequence and replaces this one once it holds as many records.
        let head = !useSaved && reopen != nil ? try? TraceIndexer.head(of: set, records: 1_024) : nil
        if useSaved, let saved = savedIndex {
            index = TraceIndex(data: saved)
            inlineIndexer = nil
            backgroundIndexer = nil
            indexEnd = indexStart
            usedSavedIndex = true
        } else if let reopen {
            let background = try BackgroundIndexer(open: reopen)
            backgroundIndexer = background
            inlineIndexer = nil
            index = TraceIndex(sourceCount: sources)
            if let head { index.update(head) }
        } else {
            let indexer = try TraceIndexer(set: set)
            inlineIndexer = indexer
            backgroundIndexer = nil
            index = indexer.index
        }
        listCursor = try MergedCursor(set: set, index: index)
        workCursor = try MergedCursor(set: set, index: index)
        index.activity.windowReader = try MergedWindowReader(set: set, index: index)
        if backgroundIndexer != nil {
            // Found by the indexing thread.
        } else if let reopen {
            timeRangeProbe = TimeRangeProbe(open: reopen)
        } else {
            knownTimeRange = TimeRangeProbe.range(of: set)
            timeRangeKnown = true
        }
    }

    /// Takes the time range once the probe found it; true when it changed.
    private func pullTimeRange() -> Bool {
        guard !timeRangeKnown else { return false }
        let found: ClosedRange<Int64>??
        if let probe = timeRangeProbe {
            found = probe.take()
        } else if let backgroundIndexer {
            found = backgroundIndexer.takeTimeRange()
        } else {
            found = .some(knownTimeRange)
        }
        guard let found else { return false }
        timeRangeProbe = nil
        timeRangeKnown = true
        knownTimeRange = found
        return found != nil
    }
    /// True once `knownTimeRange` was looked for.
    private var timeRangeKnown = false

    /// True when the index came from disk (no indexing was needed).
    public private(set) var usedSavedIndex = false
    /// Called once when the index is complete (to keep it on disk); at once if it already is.
    public var onIndexComplete: ((IndexData) -> Void)? {
        didSet { reportCompletion() }
    }
    private var completionReported = false

    private func reportCompletion() {
        guard !completionReported, index.isComplete, backgroundIndexer != nil, let onIndexComplete else { return }
        completionReported = true
        if index.errors.isEmpty { onIndexComplete(index.data) }
    }

    static func checkpointsHold(_ data: IndexData, set: TraceSet) -> Bool {
        TraceIndex(data: data).checkpointsHold(in: set)
    }

    /// Takes what the indexing thread indexed since the last call; true when the index grew.
    private func pullIndex() -> Bool {
        if let inlineIndexer {
            let before = index.recordCount
            _ = inlineIndexer.index
            return index.recordCount != before
        }
        guard let data = backgroundIndexer?.take() else { return false }
        // Not behind the first screen's records (read before the thread had any).
        if data.recordCount < index.recordCount && !data.isComplete && data.errors.isEmpty { return false }
        let grew = data.recordCount != index.recordCount || data.isComplete != index.isComplete
        index.update(data)
        return grew
    }

    /// Indexing progress for the status bar: share of the trace's time range indexed, records per
    /// second, and seconds left (nil when unknown).
    public var indexProgress: (fraction: Double?, recordsPerSecond: Double, secondsLeft: Double?) {
        let elapsed = Double((indexEnd ?? MonotonicClock.now()) - indexStart) / 1e9
        let rate = elapsed > 0 ? Double(index.recordCount) / elapsed : 0
        var fraction: Double?
        if let range = knownTimeRange, range.upperBound > range.lowerBound, let last = index.lastTimestamp {
            fraction = min(1, max(0, Double(SaturatingTime.difference(last, range.lowerBound))
                / Double(SaturatingTime.difference(range.upperBound, range.lowerBound))))
        }
        var left: Double?
        if let fraction, fraction > 0.001, elapsed > 0 { left = elapsed * (1 - fraction) / fraction }
        return (fraction, rate, left)
    }

    /// Stops indexing and waits for its thread (before the process exits).
    public func stopBackgroundWork() {
        backgroundIndexer?.stop()
    }

    /// True while indexing runs on its thread (the viewer only needs to look for its results).
    public var isIndexingInBackground: Bool { backgroundIndexer != nil && !index.isComplete }

    // MARK: - Time

    /// First and last times of the trace, brought into the range the viewer computes in (damaged
    /// traces can hold any timestamp).
    public var traceStart: Int64 {
        let indexed = index.firstTimestamp ?? knownTimeRange?.lowerBound ?? 0
        return SaturatingTime.clampForView(min(indexed, knownTimeRange?.lowerBound ?? indexed))
    }
    public var traceEnd: Int64 {
        let indexed = index.lastTimestamp ?? knownTimeRange?.upperBound ?? 0
        let end = max(indexed, knownTimeRange?.upperBound ?? indexed)
        return max(SaturatingTime.clampForView(end), traceStart + 1)
    }

    public var filterContext: FilterContext {
        FilterContext(set: set, traceStart: traceStart, taskResolver: { [weak self] in self?.runningTask(for: $0) })
    }

    /// The task that ran a record, from the trace or, failing that, from the scheduler lanes.
    public func task(of record: EventRecord) -> TaskRef? {
        if record.isLostEvents { return nil }
        return set.trace(of: record).task(of: record) ?? runningTask(for: record)
    }

    func runningTask(for record: EventRecord) -> TaskRef? {
        guard activity.hasScheduler, let lane = activity.lane(of: record),
              let id = activity.runningTask(lane: lane, at: record.timestamp - 1) else { return nil }
        return activity.tasks.task(id)
    }

    // MARK: - Rows (all records, or the filter's matches)

    /// Rows in the list now.
    public var rowCount: Int {
        if let filterScanner { return filterScanner.matches.matchCount }
        return index.recordCount
    }

    /// The merged-record ordinal shown on `row`.
    public func ordinal(ofRow row: Int) -> Int? {
        guard row >= 0, row < rowCount else { return nil }
        if let filterScanner { return filterScanner.matches.select(row) }
        return row
    }

    /// The row showing `ordinal`, or the nearest following row (the last row past the end).
    public func row(nearestOrdinal ordinal: Int) -> Int {
        guard rowCount > 0 else { return 0 }
        if let filterScanner { return min(filterScanner.matches.rank(max(0, ordinal)), rowCount - 1) }
        return max(0, min(ordinal, rowCount - 1))
    }

    /// True when the list shows `ordinal` (it matches the filter).
    public func isShown(_ ordinal: Int) -> Bool {
        guard let filterScanner else { return ordinal >= 0 && ordinal < index.recordCount }
        return filterScanner.matches.contains(ordinal)
    }

    public func record(atOrdinal ordinal: Int) -> EventRecord? { listCursor.record(at: ordinal) }

    /// Formatted rows `start..<start+count` (fewer at the end).
    public func rows(from start: Int, count: Int) -> [EventRow] {
        var out: [EventRow] = []
        out.reserveCapacity(max(0, count))
        if rowCache.count > 4096 { rowCache.removeAll(keepingCapacity: true) }
        var row = max(0, start)
        while out.count < count, let ordinal = ordinal(ofRow: row) {
            if let cached = rowCache[ordinal] {
                out.append(cached)
            } else if let record = listCursor.record(at: ordinal) {
                let formatted = formatter.row(ordinal: ordinal, record: record, set: set, task: task(of: record))
                rowCache[ordinal] = formatted
                out.append(formatted)
            } else {
                break
            }
            row += 1
        }
        return out
    }

    /// The details of the record at `ordinal`.
    public func details(ofOrdinal ordinal: Int) -> [DetailLine] {
        guard let record = listCursor.record(at: ordinal) else { return [] }
        return DetailsFormatter.lines(for: record, ordinal: ordinal, set: set, task: task(of: record),
                                      traceStart: traceStart)
    }

    /// The row whose record is nearest in time to `time`.
    public func row(nearestTime time: Int64) -> Int {
        guard index.recordCount > 0 else { return 0 }
        let ordinal = listCursor.ordinal(nearest: time)
        guard let filterScanner else { return ordinal }
        // With a filter: the nearer of the matches around that time.
        let matches = filterScanner.matches
        let after = matches.nextMatch(atOrAfter: ordinal)
        let before = matches.previousMatch(before: ordinal)
        switch (before, after) {
        case (nil, nil): return 0
        case (let b?, nil): return matches.rank(b)
        case (nil, let a?): return matches.rank(a)
        case (let b?, let a?):
            let tb = listCursor.record(at: b)?.timestamp ?? Int64.min
            let ta = listCursor.record(at: a)?.timestamp ?? Int64.max
            return time - tb <= ta - time ? matches.rank(b) : matches.rank(a)
        }
    }

    /// The ordinal of the first record at or after `time`.
    public func ordinal(atOrAfterTime time: Int64) -> Int { listCursor.ordinal(atOrAfter: time) }

    // MARK: - Filter

    /// Shows only the records matching `filter` (nil: all records). Matching runs in the background.
    public func apply(filter: EventFilter?) throws {
        self.filter = filter
        if let filter {
            filterScanner = try FilterScanner(set: set, filter: filter, context: filterContext)
        } else {
            filterScanner = nil
        }
        rowsGeneration += 1
    }

    /// Matches found so far, and whether the filter has seen every record.
    public var filterProgress: (matches: Int, scanned: Int, complete: Bool)? {
        filterScanner.map { ($0.matches.matchCount, $0.matches.count, $0.isComplete) }
    }

    // MARK: - Search

    /// Starts searching from the row after (or before) `row`, wrapping around once.
    public func startSearch(_ query: SearchQuery, fromRow row: Int, forward: Bool) {
        guard let start = ordinal(ofRow: row) else {
            search = nil
            return
        }
        search = SearchJob(query: query, origin: start, forward: forward, total: index.recordCount)
    }

    public func cancelSearch() { search = nil }

    // MARK: - Statistics

    /// Starts counting the records of `range` (nil: the whole trace), only the filter's matches when
    /// a filter is active.
    public func startStatistics(range: ClosedRange<Int64>?) {
        statisticsRange = range
        let lower = range.map { ordinal(atOrAfterTime: $0.lowerBound) } ?? 0
        let upper = range.map { ordinal(atOrAfterTime: $0.upperBound &+ 1) } ?? index.recordCount
        statisticsJob = StatisticsCollector(cursor: workCursor, range: lower..<max(lower, upper),
                                            matches: filterScanner?.matches,
                                            taskOf: { [weak self] in self?.task(of: $0) })
    }

    /// Whole-trace statistics grow with the index: they cover what is indexed so far, then all.
    private func extendStatistics() {
        guard statisticsRange == nil, let job = statisticsJob else { return }
        job.extend(to: index.recordCount)
    }

    /// True when the statistics shown cover only the part of the trace indexed so far.
    public var statisticsArePartial: Bool { statisticsRange == nil && !index.isComplete }

    /// Statistics to show: for the whole trace without a filter, the event and CPU counts come
    /// from the index (counted while indexing, on all cores) and only tasks from the job.
    public var statisticsToShow: TraceStatistics? {
        guard let job = statisticsJob else { return nil }
        guard statisticsRange == nil, filterScanner == nil else { return job.statistics }
        var combined = index.totals
        combined.takeTasks(from: job.statistics)
        return combined
    }

    // MARK: - Growing traces (live)

    /// Tells the model that the trace grew (records appended to its streams, e.g. a live window):
    /// indexing and filtering continue from where they stopped.
    public func traceGrew() {
        if let inlineIndexer {
            inlineIndexer.refresh()
            // Publish at once: the model's index must say it is incomplete for work to be scheduled.
            _ = inlineIndexer.index
        }
        backgroundIndexer?.refresh()
        indexEnd = nil
        filterScanner?.refresh()
    }

    // MARK: - Background work

    public var hasBackgroundWork: Bool {
        !index.isComplete || hasSliceWork || !timeRangeKnown
    }

    /// True when work must run in slices on this thread (not only waiting for the indexing thread).
    public var hasSliceWork: Bool {
        (inlineIndexer != nil && !index.isComplete) || !(filterScanner?.isComplete ?? true) || search?.isRunning == true
            || !(statisticsJob?.isComplete ?? true)
    }

    /// Works on the background jobs until `deadline` (monotonic nanoseconds). Returns what changed.
    @discardableResult
    public func doBackgroundWork(until deadline: UInt64) -> BackgroundProgress {
        var progress = BackgroundProgress()
        if pullTimeRange() { progress.indexed = true }
        if backgroundIndexer != nil, pullIndex() {
            progress.indexed = true
            if index.isComplete && indexEnd == nil { indexEnd = MonotonicClock.now() }
            reportCompletion()
            extendStatistics()
        }
        repeat {
            let slice = stepSize
            let stepStart = MonotonicClock.now()
            defer {
                // Keep each step near 2 ms so a key never waits long behind one.
                let took = MonotonicClock.now() - stepStart
                if took < 1_000_000 { stepSize = min(65_536, stepSize * 2) }
                if took > 4_000_000 { stepSize = max(64, stepSize / 2) }
            }
            // The filter runs right behind the indexer, so the scheduler lanes already tell each
            // record's task when the filter asks for it.
            if let scanner = filterScanner, !scanner.isComplete,
               index.isComplete || scanner.matches.count + slice <= index.recordCount {
                scanner.step(maxRecords: slice)
                progress.filtered = true
            } else if let indexer = inlineIndexer, !index.isComplete {
                indexer.step(maxRecords: slice)
                _ = pullIndex()
                if index.isComplete && indexEnd == nil { indexEnd = MonotonicClock.now() }
                extendStatistics()
                progress.indexed = true
            } else if let job = search, job.isRunning {
                job.step(maxRecords: slice, cursor: workCursor, model: self)
                progress.searched = true
            } else if let job = statisticsJob, !job.isComplete {
                job.step(maxRecords: slice)
                progress.counted = true
            } else {
                break
            }
        } while MonotonicClock.now() < deadline
        return progress
    }

    /// Runs every background job to its end (tests, benchmarks, `dump`).
    public func finishBackgroundWork() {
        while hasBackgroundWork {
            doBackgroundWork(until: 0)
            if !hasSliceWork { usleepSafe(1_000) }
        }
    }
}

func usleepSafe(_ microseconds: UInt32) { usleep(microseconds) }

/// What a slice of background work advanced.
public struct BackgroundProgress: Sendable, Equatable {
    public var indexed = false
    public var filtered = false
    public var searched = false
    public var counted = false

    public var any: Bool { indexed || filtered || searched || counted }
}

/// A search through the merged records, in slices, wrapping around the end once.
public final class SearchJob {
    public let query: SearchQuery
    public let forward: Bool
    /// The ordinal the search started from (excluded until the wrap comes back to it).
    let origin: Int
    /// Next ordinal to look at (forward) or the end of the next chunk (backward).
    var next: Int
    public private(set) var wrapped = false
    public private(set) var found: Int?
    public private(set) var isRunning = true
    /// Records looked at, for progress.
    public private(set) var scanned = 0

    init(query: SearchQuery, origin: Int, forward: Bool, total: Int) {
        self.query = query
        self.origin = origin
        self.forward = forward
        next = forward ? origin + 1 : origin
    }

    func step(maxRecords: Int, cursor: MergedCursor, model: ViewerModel) {
        guard isRunning else { return }
        let total = model.index.recordCount
        let context = model.filterContext
        if forward {
            if next >= total {
                guard model.index.isComplete else { return }
                if wrapped { isRunning = false; return }
                wrapped = true
                next = 0
            }
            let limit = wrapped ? min(total, origin + 1) : total
            var hit: Int?
            var visited = 0
            cursor.forEach(from: next, count: min(maxRecords, limit - next)) { o, record in
                visited += 1
                if model.isShown(o) && query.matches(record, in: context) { hit = o; return false }
                return true
            }
            scanned += visited
            if let hit { found = hit; isRunning = false; return }
            next += max(visited, 1)
            if wrapped && next >= limit { isRunning = false }
        } else {
            if next <= 0 {
                if wrapped { isRunning = false; return }
                wrapped = true
                next = total
            }
            let lower = wrapped ? max(0, origin) : 0
            let start = max(lower, next - maxRecords)
            var hit: Int?
            cursor.forEach(from: start, count: next - start) { o, record in
                if model.isShown(o) && query.matches(record, in: context) { hit = o }
                return true
            }
            scanned += next - start
            if let hit { found = hit; isRunning = false; return }
            next = start
            if wrapped && next <= lower { isRunning = false }
        }
    }
}
