import Dispatch
import Glibc

/// Reads the streams of an `IndexBuilder` ahead on worker threads, in chunks of up to 1024
/// records, while the builder merges what was read: reading (the costly part: every field walked)
/// and merging overlap, and streams are read on all cores.
///
/// Streams of traces that can be read in parts (`PartitionedStreams`) are read in parts, each by a
/// reader of its own, so that several workers read the stream that holds most of the records for
/// a while (with one reader per stream, the other cores waited). A worker always reads the part
/// whose next unread record is earliest among those with room for another chunk, so the merge
/// rarely waits; each part holds at most `maxReady` chunks and only the first few unfinished
/// parts of a stream are read, so memory stays bounded. A part is read by one thread at a time;
/// the merging thread sees only the chunks (and the unread record each ends before: at the end
/// of a part, the first record of the next).
final class IndexFeed: @unchecked Sendable {
    /// Opens the reader of a part of a stream, on its first record.
    typealias PartOpener = (PartRange) throws -> IndexSourceQueue

    private final class Part {
        /// Its place among its stream's parts.
        let index: Int
        let range: PartRange
        /// The part's reader, once opened (the stream's own queue for a stream read whole).
        var reader: IndexSourceQueue?
        /// The part's first record, once opened (nil: the part is empty or failed to open).
        var first: EventRecord?
        var opened: Bool { reader != nil || openFailure != nil }
        var openFailure: String?
        /// Chunks read and not yet taken, oldest first.
        var ready: [RecordChunk] = []
        /// A worker is reading (or opening) the part.
        var busy = false
        /// The part has nothing more after its ready chunks (its end, or a read error).
        var done = false
        /// Time of the part's next unread record.
        var nextTime: Int64

        init(index: Int, range: PartRange) {
            self.index = index
            self.range = range
            nextTime = range.time
        }

        init(whole queue: IndexSourceQueue) {
            index = 0
            range = PartRange(first: 0, end: .max, time: queue.unread?.timestamp ?? .max)
            reader = queue
            first = queue.unread
            done = queue.unread == nil
            nextTime = queue.unread?.timestamp ?? .max
        }
    }

    private final class Slot {
        let parts: [Part]
        /// The part the merge takes chunks from.
        var current = 0
        /// Chunks handed back by the merge, for reuse.
        var spare: [RecordChunk] = []
        let open: PartOpener?
        /// The last part merged: the stream ended in it (on an error).
        var lastPart = Int.max

        init(parts: [Part], open: PartOpener?) {
            self.parts = parts
            self.open = open
        }
    }

    private let queues: [IndexSourceQueue]
    private let slots: [Slot]
    private let lock = ConditionLock()
    private var cancelled = false
    private var paused = false
    private var workersRunning = 0
    private let workersStopped = DispatchSemaphore(value: 0)
    /// Records per chunk: the read-ahead of all streams together stays near `budget` records.
    let chunkSize: Int
    /// Chunks read ahead per part at most (`chunkSize` counts them with the one being merged).
    private let maxReady = 16
    /// Unfinished parts of a stream read at once, at most.
    private let partsAhead = 3
    private let budget: Int
    /// Records in ready chunks, all streams together: past `budget`, only parts with no ready
    /// chunk are read (the merge may be waiting for one of them).
    private var readyRecords = 0

    /// - Parameters:
    ///   - workers: reading threads.
    ///   - budget: records read ahead, all streams together, at most (about).
    ///   - parts: for a stream read in parts, its parts and how to open one (nil: read whole by
    ///     its queue). Called here, on the calling thread.
    init(queues: [IndexSourceQueue], workers: Int, budget: Int = 262_144,
         parts: (Int) -> (ranges: [PartRange], open: PartOpener)? = { _ in nil }) {
        self.queues = queues
        var slots: [Slot] = []
        for (i, queue) in queues.enumerated() {
            if queue.unread != nil, let (ranges, open) = parts(i), !ranges.isEmpty {
                slots.append(Slot(parts: ranges.enumerated().map { Part(index: $0, range: $1) }, open: open))
            } else {
                queue.readAhead()
                slots.append(Slot(parts: [Part(whole: queue)], open: nil))
            }
        }
        self.slots = slots
        self.budget = budget
        chunkSize = Self.chunkSize(streams: queues.count, budget: budget)
        let count = max(1, min(workers, slots.reduce(0) { $0 + $1.parts.count }))
        workersRunning = count
        for _ in 0..<count {
            // Threads of their own: the indexing thread waits for them. Without one, the
            // indexing thread reads the streams itself (see `take`).
            if !WorkerThread.detach(background: true, { [self] in work() }) {
                lock.locked { workersRunning -= 1 }
            }
        }
    }

    /// Records per chunk for `streams` streams sharing `budget` records of read-ahead.
    static func chunkSize(streams: Int, budget: Int = 262_144) -> Int {
        // Small enough that what is read ahead is still in the caches when the merge reads it
        // (with 8192-record chunks the merge's first load of each record missed them).
        max(64, min(1_024, budget / max(1, streams * 7)))
    }

    /// Cores to read on.
    static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    private func work() {
        lock.lock()
        defer {
            workersRunning -= 1
            if workersRunning == 0 { workersStopped.signal() }
            lock.unlock()
        }
        while !cancelled {
            if paused {
                lock.wait()
                continue
            }
            var best: (slot: Slot, part: Part)?
            var bestTime = Int64.max
            let full = readyRecords >= budget
            for slot in slots {
                for p in slot.current..<min(slot.parts.count, slot.current + partsAhead) {
                    let part = slot.parts[p]
                    if !part.busy && !part.done && part.ready.count < (full ? 1 : maxReady)
                        && (best == nil || part.nextTime < bestTime) {
                        best = (slot, part)
                        bestTime = part.nextTime
                    }
                }
            }
            guard let (slot, part) = best else {
                lock.wait()
                continue
            }
            let chunk = read(part, of: slot)
            file(chunk, of: part, in: slot)
            lock.broadcast()
        }
    }

    /// Queues a chunk just read for the merge, unless its stream ended before its part. Lock held.
    private func file(_ chunk: RecordChunk, of part: Part, in slot: Slot) {
        if part.index > slot.lastPart {
            slot.spare.append(chunk)
            return
        }
        part.ready.append(chunk)
        readyRecords += chunk.count
    }

    /// Opens `part` if needed and reads its next chunk, the lock released meanwhile (held before
    /// and after).
    private func read(_ part: Part, of slot: Slot) -> RecordChunk {
        part.busy = true
        if !part.opened { open(part, of: slot) }
        let chunk = slot.spare.popLast() ?? RecordChunk(capacity: chunkSize)
        lock.unlock()
        if let reader = part.reader {
            reader.fill(chunk, count: chunkSize)
        } else {
            // `open` leaves a reason whenever it leaves no reader.
            chunk.reset()
            chunk.failure = part.openFailure
        }
        lock.lock()
        part.busy = false
        part.nextTime = chunk.unread?.timestamp ?? .max
        if chunk.unread == nil { part.done = true }
        return chunk
    }

    /// Opens the reader of `part` (marked busy by the caller), the lock released meanwhile (held
    /// before and after); the merge may be waiting for the part's first record.
    private func open(_ part: Part, of slot: Slot) {
        lock.unlock()
        var reader: IndexSourceQueue?
        var failure: String?
        do {
            reader = try slot.open?(part.range)
            reader?.readAhead()
        } catch {
            failure = String(describing: error)
        }
        lock.lock()
        part.reader = reader
        part.first = reader?.unread
        part.openFailure = failure ?? (reader == nil ? "no reader for this part" : nil)
        lock.broadcast()
    }

    /// The next chunk of stream `i`: nil when none is ready (without `wait`), or when the stream
    /// has nothing more (with `wait`, which otherwise reads the chunk on the calling thread, or
    /// waits for the worker reading it).
    /// - Parameter old: storage the merge is done with, kept for later chunks.
    func take(_ i: Int, wait: Bool, returning old: RecordChunk?) -> RecordChunk? {
        lock.lock()
        defer { lock.unlock() }
        let slot = slots[i]
        if let old { slot.spare.append(old) }
        while slot.current < slot.parts.count && slot.current <= slot.lastPart {
            let part = slot.parts[slot.current]
            if !part.ready.isEmpty {
                let chunk = part.ready.removeFirst()
                readyRecords -= chunk.count
                if chunk.failure != nil {
                    // The stream ends on its first error, as when read through.
                    endStream(slot, after: slot.current)
                } else if chunk.unread == nil, part.ready.isEmpty, part.done {
                    // The part's last chunk: the stream goes on with the next part's first record.
                    let next = nextFirstRecord(slot)
                    chunk.unread = next.record
                    if let failure = next.failure {
                        chunk.failure = failure
                        endStream(slot, after: slot.current - 1)
                    }
                }
                lock.broadcast()
                return chunk
            }
            if part.done {
                slot.current += 1
                continue
            }
            guard wait, !cancelled else { return nil }
            if !part.busy && !paused {
                // No worker is on it: reading it here beats waiting for one to come.
                let chunk = read(part, of: slot)
                file(chunk, of: part, in: slot)
                continue
            }
            lock.wait()
        }
        return nil
    }

    /// Moves the merge of `slot` past its current (finished) part to the next part with a record,
    /// opening it here if no worker has; returns that record, or the error that ends the stream
    /// there (neither: the stream ends). Lock held.
    private func nextFirstRecord(_ slot: Slot) -> (record: EventRecord?, failure: String?) {
        while slot.current + 1 < slot.parts.count {
            slot.current += 1
            let part = slot.parts[slot.current]
            while !part.opened {
                if part.busy {
                    lock.wait()
                    continue
                }
                // Opening reads no more than the part's first record.
                part.busy = true
                open(part, of: slot)
                part.busy = false
            }
            if let failure = part.openFailure { return (nil, failure) }
            if let first = part.first { return (first, nil) }
            // An empty part: nothing to merge from it.
        }
        return (nil, nil)
    }

    /// Gives up the parts of `slot` after part `index` (the stream ended in it). Lock held.
    private func endStream(_ slot: Slot, after index: Int) {
        slot.lastPart = min(slot.lastPart, index)
        guard index + 1 < slot.parts.count else { return }
        for part in slot.parts[(index + 1)...] {
            part.done = true
            for chunk in part.ready { readyRecords -= chunk.count }
            slot.spare.append(contentsOf: part.ready)
            part.ready.removeAll()
        }
    }

    /// Streams read to their end are looked at again (a trace still being written): those with a
    /// record now are read on. Returns their next records, by stream.
    func reopenEnded() -> [Int: EventRecord] {
        lock.lock()
        defer { lock.unlock() }
        var found: [Int: EventRecord] = [:]
        for (i, slot) in slots.enumerated() {
            // Only the last part goes on past where the stream ended.
            guard let last = slot.parts.last, slot.current >= slot.parts.count - 1,
                  slot.lastPart >= slot.parts.count - 1 else { continue }
            guard last.done, last.ready.isEmpty, !last.busy, let reader = last.reader else { continue }
            let queue = queues[i]
            guard queue.failure == nil, !queue.ended, reader.failure == nil, var r = reader.stream.current else { continue }
            r.trace = queue.trace
            slot.current = slot.parts.count - 1
            last.done = false
            last.nextTime = r.timestamp
            found[i] = r
        }
        if !found.isEmpty { lock.broadcast() }
        return found
    }

    /// Runs `body` while no worker reads (it may then use the streams' readers itself).
    func whileIdle<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        paused = true
        while slots.contains(where: { $0.parts.contains { $0.busy } }) { lock.wait() }
        lock.unlock()
        defer {
            lock.locked {
                paused = false
                lock.broadcast()
            }
        }
        return try body()
    }

    /// Stops the workers and waits until they have (none then touches a stream).
    func close() {
        let running: Bool = lock.locked {
            let wasRunning = !cancelled && workersRunning > 0
            cancelled = true
            lock.broadcast()
            return wasRunning
        }
        if running { workersStopped.wait() }
    }
}
