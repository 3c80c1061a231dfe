/// The index's counts per event class and CPU, kept in flat tables while merging (a few
/// instructions per record) and turned into `TraceStatistics` for each copy of the index.
final class IndexTally {
    /// Where each trace's classes start in `classCounts`, and how many it has.
    private let classStart: [Int]
    private let classCount: [Int]
    private let classCounts: UnsafeMutablePointer<Int>
    private static let cpuLimit = 4_096
    private let cpuCounts: UnsafeMutablePointer<Int>
    /// Records of CPU -1, and the highest CPU counted + 1.
    private var unknownCPU = 0
    private var cpuEnd = 0
    private var eventTotal = 0
    private var firstTime: Int64?
    private var lastTime: Int64?
    /// Everything the flat tables do not hold: lost-event records, classes or CPUs out of range.
    private var others = TraceStatistics(countsTasks: false)

    init(set: TraceSet) {
        var start: [Int] = []
        var total = 0
        for trace in set.traces {
            start.append(total)
            total += trace.eventClasses.count
        }
        classStart = start
        classCount = set.traces.map { $0.eventClasses.count }
        classCounts = .allocate(capacity: max(1, total))
        classCounts.initialize(repeating: 0, count: max(1, total))
        cpuCounts = .allocate(capacity: Self.cpuLimit)
        cpuCounts.initialize(repeating: 0, count: Self.cpuLimit)
    }

    deinit {
        classCounts.deallocate()
        cpuCounts.deallocate()
    }

    @inline(__always)
    func add(_ record: EventRecord) {
        let t = Int(record.trace), k = Int(record.classIndex), c = Int(record.cpu)
        guard case .event = record.kind, t >= 0, t < classStart.count, k >= 0, k < classCount[t],
              c >= -1, c < Self.cpuLimit else {
            others.add(record, task: nil)
            return
        }
        if firstTime == nil { firstTime = record.timestamp }
        lastTime = record.timestamp
        eventTotal += 1
        classCounts[classStart[t] + k] += 1
        if c < 0 {
            unknownCPU += 1
        } else {
            cpuCounts[c] += 1
            if c >= cpuEnd { cpuEnd = c + 1 }
        }
    }

    /// The counts as statistics (no tasks).
    var statistics: TraceStatistics {
        var perClass: [[Int]] = []
        for t in classStart.indices {
            var counts = Array(UnsafeBufferPointer(start: classCounts + classStart[t], count: classCount[t]))
            while counts.last == 0 { counts.removeLast() }
            perClass.append(counts)
        }
        while perClass.last?.isEmpty == true { perClass.removeLast() }
        var result = TraceStatistics(countsTasks: false)
        result.restore(firstTime: firstTime, lastTime: lastTime, eventTotal: eventTotal, lostRecords: 0, lostEvents: 0,
                       perClass: perClass, perCPU: Array(UnsafeBufferPointer(start: cpuCounts, count: cpuEnd)),
                       unknownCPU: unknownCPU)
        result.addCounts(of: others)
        return result
    }
}
