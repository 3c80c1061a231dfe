import Dispatch
import Glibc

/// Reads the streams of an `IndexBuilder` ahead on worker threads, in chunks of up to 1024
/// records, while the builder merges what was read: reading (the costly part: every field walked)
/// and merging overlap, and streams are read on all cores.
///
/// A worker always reads the stream whose next unread record is earliest among those with room
/// for another chunk, so the merge rarely waits; each stream holds at most `maxReady` chunks, so
/// memory stays bounded. A stream is read by one worker at a time, and by no other thread: the
/// merging thread sees only the chunks (and the unread record each ends before).
final class IndexFeed: @unchecked Sendable {
    private final class Slot {
        /// Chunks read and not yet taken, oldest first.
        var ready: [RecordChunk] = []
        /// Chunks handed back by the merge, for reuse.
        var spare: [RecordChunk] = []
        /// A worker is reading the stream.
        var busy = false
        /// The stream has nothing more after its ready chunks (its end, or a read error).
        var done: Bool
        /// Time of the stream's next unread record.
        var nextTime: Int64

        init(unread: EventRecord?) {
            done = unread == nil
            nextTime = unread?.timestamp ?? .max
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
    /// Chunks read ahead per stream at most (`chunkSize` counts them with the one being merged).
    private let maxReady = 6
    private let budget: Int
    /// Records in ready chunks, all streams together: past `budget`, only streams with no ready
    /// chunk are read (the merge may be waiting for one of them).
    private var readyRecords = 0

    /// - Parameters:
    ///   - workers: reading threads.
    ///   - budget: records read ahead, all streams together, at most (about).
    init(queues: [IndexSourceQueue], workers: Int, budget: Int = 262_144) {
        self.queues = queues
        for queue in queues { queue.readAhead() }
        slots = queues.map { Slot(unread: $0.unread) }
        self.budget = budget
        chunkSize = Self.chunkSize(streams: queues.count, budget: budget)
        let count = max(1, min(workers, queues.count))
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
            var best = -1
            var bestTime = Int64.max
            let full = readyRecords >= budget
            for i in slots.indices {
                let s = slots[i]
                if !s.busy && !s.done && s.ready.count < (full ? 1 : maxReady) && (best < 0 || s.nextTime < bestTime) {
                    best = i
                    bestTime = s.nextTime
                }
            }
            guard best >= 0 else {
                lock.wait()
                continue
            }
            let slot = slots[best]
            let chunk = read(best, slot)
            slot.ready.append(chunk)
            readyRecords += chunk.count
            lock.broadcast()
        }
    }

    /// Reads stream `i`'s next chunk, the lock released meanwhile (held before and after).
    private func read(_ i: Int, _ slot: Slot) -> RecordChunk {
        slot.busy = true
        let chunk = slot.spare.popLast() ?? RecordChunk(capacity: chunkSize)
        lock.unlock()
        queues[i].fill(chunk, count: chunkSize)
        lock.lock()
        slot.busy = false
        slot.nextTime = chunk.unread?.timestamp ?? .max
        if chunk.unread == nil { slot.done = true }
        return chunk
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
        while slot.ready.isEmpty {
            guard wait, !slot.done, !cancelled else { return nil }
            if !slot.busy && !paused {
                // No worker is on it: reading it here beats waiting for one to come.
                return read(i, slot)
            }
            lock.wait()
        }
        let chunk = slot.ready.removeFirst()
        readyRecords -= chunk.count
        lock.broadcast()
        return chunk
    }

    /// Streams read to their end are looked at again (a trace still being written): those with a
    /// record now are read on. Returns their next records, by stream.
    func reopenEnded() -> [Int: EventRecord] {
        lock.lock()
        defer { lock.unlock() }
        var found: [Int: EventRecord] = [:]
        for (i, slot) in slots.enumerated() where slot.done && slot.ready.isEmpty && !slot.busy {
            let queue = queues[i]
            guard queue.failure == nil, !queue.ended, var r = queue.stream.current else { continue }
            r.trace = queue.trace
            slot.done = false
            slot.nextTime = r.timestamp
            found[i] = r
        }
        if !found.isEmpty { lock.broadcast() }
        return found
    }

    /// Runs `body` while no worker reads (it may then use the streams' readers itself).
    func whileIdle<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        paused = true
        while slots.contains(where: { $0.busy }) { lock.wait() }
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
