/// Records read in one go from one stream for `IndexBuilder`, in storage of their own (the merge
/// reads them through a pointer, without reference counting), with the tasks of the scheduler
/// switches among them and where the stream stood after them. Reused from chunk to chunk.
final class RecordChunk: @unchecked Sendable {
    let capacity: Int
    let records: UnsafeMutablePointer<EventRecord>
    @exclusivity(unchecked)
    private(set) var count = 0
    /// Indices of the switch records whose tasks were read with them, ascending, and those tasks.
    @exclusivity(unchecked)
    private(set) var switchIndices: [Int] = []
    @exclusivity(unchecked)
    private(set) var switchTasks: [SwitchTasks] = []
    /// The stream's next record after these (nil at its end, or after a read error).
    @exclusivity(unchecked)
    var unread: EventRecord?
    /// The read error that stopped the chunk.
    @exclusivity(unchecked)
    var failure: String?

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        records = .allocate(capacity: self.capacity)
    }

    deinit {
        records.deinitialize(count: count)
        records.deallocate()
    }

    /// Empties the chunk for reuse.
    func reset() {
        records.deinitialize(count: count)
        count = 0
        switchIndices.removeAll(keepingCapacity: true)
        switchTasks.removeAll(keepingCapacity: true)
        unread = nil
        failure = nil
    }

    @inline(__always)
    func append(_ record: EventRecord) {
        (records + count).initialize(to: record)
        count += 1
    }

    /// Appends records read from `stream` in one batch, up to `limit` records in the chunk in all
    /// (see `BatchRecordReading.readRecords`).
    @inline(__always)
    func read(from stream: BatchRecordReading, limit: Int, trace: Int32, stopClasses: UnsafeBufferPointer<Bool>) throws {
        try stream.readRecords(into: records, count: &count, capacity: min(limit, capacity), trace: trace,
                               stopClasses: stopClasses)
    }

    /// Notes the tasks of the switch record just appended.
    func appendSwitch(_ tasks: SwitchTasks) {
        switchIndices.append(count - 1)
        switchTasks.append(tasks)
    }
}
