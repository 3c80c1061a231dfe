/// One stream as `IndexBuilder`'s merge sees it: the chunk of records being merged, and what
/// follows it. Chunks are read by `fill(_:count:)`, on the merging thread or on a worker of an
/// `IndexFeed` (never both at once: a stream is read by one thread at a time).
final class IndexSourceQueue {
    let stream: EventStream
    let trace: Int32
    /// The stream, when it decodes its current record by itself: switches are then read with the
    /// records, on the reading thread, while their bytes are at hand.
    let decoding: CurrentRecordDecoding?
    /// Whether `decoding` is set (a plain flag: testing the existential on every merged record
    /// retained and released it).
    let readsSwitches: Bool
    /// Whether each class of the stream's trace is a scheduler switch.
    let switchClasses: [Bool]
    /// The stream, when it reads records in batches.
    private let batch: BatchRecordReading?
    /// The classes a batch stops before: the switches, when the stream reads them itself.
    private let stopClasses: ContiguousArray<Bool>
    /// Used by the reading thread only.
    @exclusivity(unchecked)
    private var fields = SwitchFieldReader()

    // The merging thread's state.

    /// The chunk being merged.
    @exclusivity(unchecked)
    var chunk: RecordChunk?
    /// Next entry of `chunk.switchIndices` to use.
    @exclusivity(unchecked)
    var switchCursor = 0
    /// The read error that ended the stream (reported once its records are merged).
    @exclusivity(unchecked)
    var failure: String?
    /// True once the stream left the merge after a failure (it is not looked at again).
    @exclusivity(unchecked)
    var ended = false
    /// The stream's first record after the chunks taken (nil: none known), as the thread that
    /// read the last of them left it.
    @exclusivity(unchecked)
    var unread: EventRecord?
    /// Records the next chunk read on the merging thread may hold (grows: a stream needed once
    /// is read a little, a stream needed all along in big chunks).
    @exclusivity(unchecked)
    var fillSize = 64

    init(_ source: EventMerger.Source, switchClasses: [Bool]) {
        stream = source.stream
        trace = source.trace
        decoding = source.stream as? CurrentRecordDecoding
        readsSwitches = decoding != nil
        self.switchClasses = switchClasses
        batch = source.stream as? BatchRecordReading
        stopClasses = decoding != nil ? ContiguousArray(switchClasses) : []
        if var r = source.stream.current {
            r.trace = trace
            unread = r
        }
    }

    /// Tells the stream it is read through to its end (by a feed's workers).
    func readAhead() {
        batch?.readsAhead = true
    }

    /// Reads up to `count` records into `chunk` (emptied first).
    func fill(_ chunk: RecordChunk, count: Int) {
        chunk.reset()
        let limit = min(count, chunk.capacity)
        while chunk.count < limit {
            if let batch {
                do {
                    // Stops before switches when they are read here (one by one, just below).
                    try stopClasses.withUnsafeBufferPointer {
                        try chunk.read(from: batch, limit: limit, trace: trace, stopClasses: $0)
                    }
                } catch {
                    chunk.failure = String(describing: error)
                    break
                }
                guard chunk.count < limit else { break }
            }
            guard appendOne(to: chunk) else { break }
        }
        if chunk.failure == nil, var r = stream.current {
            r.trace = trace
            chunk.unread = r
        }
    }

    /// Appends the current record to `chunk` (with its switch tasks) and moves on; false at the
    /// end of the stream or after a read error (noted in the chunk).
    private func appendOne(to chunk: RecordChunk) -> Bool {
        guard var r = stream.current else { return false }
        r.trace = trace
        do {
            chunk.append(r)
            if let decoding {
                let k = Int(r.classIndex)
                if case .event = r.kind, k >= 0, k < switchClasses.count, switchClasses[k],
                   let tasks = try fields.read({ try decoding.decodeCurrentPayload(into: &$0) }) {
                    chunk.appendSwitch(tasks)
                }
            }
            try stream.advance()
            return true
        } catch {
            chunk.failure = String(describing: error)
            return false
        }
    }

    /// Index in the chunk being merged of the next record whose switch tasks were read with it
    /// (`Int.max`: none).
    @exclusivity(unchecked)
    var nextSwitchIndex = Int.max

    /// Starts merging `chunk`.
    func begin(_ chunk: RecordChunk) {
        self.chunk = chunk
        switchCursor = 0
        nextSwitchIndex = chunk.switchIndices.first ?? .max
    }

    /// The switch tasks of the record at `nextSwitchIndex`; moves on to the next.
    func takeSwitch() -> SwitchTasks? {
        guard let chunk, switchCursor < chunk.switchTasks.count else { return nil }
        let tasks = chunk.switchTasks[switchCursor]
        switchCursor += 1
        nextSwitchIndex = switchCursor < chunk.switchIndices.count ? chunk.switchIndices[switchCursor] : .max
        return tasks
    }
}
