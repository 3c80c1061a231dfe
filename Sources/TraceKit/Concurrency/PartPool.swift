/// A chunk of records of one stream, formatted by a `PartPool` worker and taken by the merge.
public protocol PoolChunk: AnyObject {
    /// Nothing follows this chunk in its stream (its end, a time bound, or an error).
    var endsStream: Bool { get }
    /// The part being formatted ended after this chunk; the stream goes on in its next part.
    var endsPart: Bool { get }
    /// Whether the merge has nothing to take from it (no records and no error).
    var isEmpty: Bool { get }
    /// Time of its last record (the pool formats the earliest parts first); nil when it has none.
    var lastTime: Int64? { get }
    /// Makes it the empty last chunk of its stream, ended by `error`.
    func fail(_ error: Error)
}

/// A range of a stream's units (packets, pages) that can be read on its own.
public struct PartRange: Sendable, Equatable {
    public var first: Int
    /// Exclusive; `Int.max` for the stream's last part (read to the stream's end).
    public var end: Int
    /// Time of its first record, or a lower bound (the pool formats the earliest parts first).
    public var time: Int64

    public init(first: Int, end: Int, time: Int64) {
        self.first = first
        self.end = end
        self.time = time
    }
}

/// Formats the records of several streams in chunks on worker threads for a merging thread that
/// takes each stream's chunks in order.
///
/// Streams are cut into parts that can be read on their own, and the workers take the earliest
/// parts first (by the time of the next record each would format), so every core works wherever
/// the merge reads next, even while one stream holds most of the records (a worker per stream
/// left the others idle then). Chunks come from a bounded pool; when the chunk the merge needs has
/// no worker on it, the merge formats it itself, so it never waits for a chunk nobody will make.
public final class PartPool<Chunk: PoolChunk> {
    /// Fills a chunk with the next records of a part (from the start of the chunk); used by one
    /// thread at a time.
    public typealias Filler = (Chunk) -> Void
    /// Makes the filler of a part: the stream's index, the part's index in its stream, its range.
    /// Called on the thread that starts the part.
    public typealias FillerMaker = (_ stream: Int, _ part: Int, _ range: PartRange) throws -> Filler

    /// One part; fields other than `filler` are guarded by the lock, `filler` belongs to whoever
    /// claimed the part.
    private final class Part {
        let stream: Int
        let index: Int
        let order: Int
        let range: PartRange
        var filler: Filler?
        var ready: [Chunk] = []
        var claimed = false
        /// Formatted to its end, or given up because its stream ended before it.
        var done = false
        var queued = false
        /// Time of the next record to format.
        var nextTime: Int64

        init(stream: Int, index: Int, order: Int, range: PartRange) {
            self.stream = stream
            self.index = index
            self.order = order
            self.range = range
            nextTime = range.time
        }
    }

    /// The merge's side of a stream.
    private final class Feed {
        let parts: [Part]
        var partIndex = 0
        var current: Chunk
        var finished = false

        init(parts: [Part], current: Chunk) {
            self.parts = parts
            self.current = current
        }
    }

    private let feeds: [Feed]
    private let parts: [Part]
    private let makeFiller: FillerMaker
    private let makeChunk: () -> Chunk
    private let lock = ConditionLock()
    /// Parts to format by `nextTime` when queued (a min-heap; entries of parts claimed or done
    /// since are dropped when they come up).
    private var queue: [(time: Int64, order: Int)] = []
    private var free: [Chunk] = []
    private var chunksMade = 0
    private let chunkLimit: Int
    private var stopped = false
    private var threads: [WorkerThread] = []

    /// - Parameters:
    ///   - streams: each stream's parts, in order (at least one per stream).
    ///   - chunkLimit: chunks formatted ahead of the merge, over all streams (the merge holds one
    ///     more per stream).
    ///   - makeChunk: a new empty chunk.
    public init(streams: [[PartRange]], chunkLimit: Int, makeChunk: @escaping () -> Chunk,
                makeFiller: @escaping FillerMaker) {
        var all: [Part] = []
        var feeds: [Feed] = []
        for (s, ranges) in streams.enumerated() {
            var own: [Part] = []
            for (i, range) in ranges.enumerated() {
                let part = Part(stream: s, index: i, order: all.count, range: range)
                own.append(part)
                all.append(part)
            }
            feeds.append(Feed(parts: own, current: makeChunk()))
        }
        self.feeds = feeds
        parts = all
        self.chunkLimit = max(1, chunkLimit)
        self.makeChunk = makeChunk
        self.makeFiller = makeFiller
        for part in all { enqueue(part) }
    }

    /// Starts `count` worker threads (none: the merging thread formats everything itself); call
    /// `stop()` when done with the pool.
    public func start(workers count: Int) {
        for _ in 0..<count {
            threads.append(WorkerThread { [self] in work() })
        }
    }

    /// Stops the workers once they finish the chunk in hand, and waits for them.
    public func stop() {
        lock.locked {
            stopped = true
            lock.broadcast()
        }
        for thread in threads { thread.join() }
        threads = []
    }

    /// The chunk of `stream` being merged.
    @inline(__always)
    public func current(_ stream: Int) -> Chunk { feeds[stream].current }

    /// Makes the next chunk of `stream` current, one that is not empty (formatting it on this
    /// thread when no worker is on it). False when the stream has nothing more.
    public func advance(_ stream: Int) -> Bool {
        let feed = feeds[stream]
        while true {
            if feed.finished { return false }
            if feed.current.endsStream {
                feed.finished = true
                return false
            }
            var helping: Part?
            lock.lock()
            while feed.partIndex < feed.parts.count {
                let part = feed.parts[feed.partIndex]
                if !part.ready.isEmpty {
                    free.append(feed.current)
                    feed.current = part.ready.removeFirst()
                    lock.broadcast()
                    break
                }
                if part.done {
                    feed.partIndex += 1
                    continue
                }
                if part.claimed {
                    lock.wait()
                    continue
                }
                part.claimed = true
                helping = part
                break
            }
            let exhausted = feed.partIndex >= feed.parts.count
            lock.unlock()
            if exhausted {
                feed.finished = true
                return false
            }
            if let part = helping {
                fill(part, into: feed.current)
                lock.locked { finishFilling(part, chunk: feed.current, handedToMerge: true) }
            }
            if !feed.current.isEmpty { return true }
        }
    }

    private func fill(_ part: Part, into chunk: Chunk) {
        do {
            if part.filler == nil { part.filler = try makeFiller(part.stream, part.index, part.range) }
            part.filler?(chunk)
        } catch {
            chunk.fail(error)
        }
    }

    /// Files a chunk of `part` just filled (with the lock held).
    private func finishFilling(_ part: Part, chunk: Chunk, handedToMerge: Bool) {
        part.claimed = false
        let cancelled = part.done
        if chunk.endsStream || chunk.endsPart || cancelled {
            part.done = true
            part.filler = nil
        } else {
            if let time = chunk.lastTime { part.nextTime = time }
            enqueue(part)
        }
        if chunk.endsStream && !cancelled {
            // The stream ends here: what its later parts formatted will not be merged.
            for later in feeds[part.stream].parts[(part.index + 1)...] {
                later.done = true
                if !later.claimed { later.filler = nil }
                free.append(contentsOf: later.ready)
                later.ready.removeAll()
            }
        }
        if !handedToMerge {
            if cancelled {
                free.append(chunk)
            } else {
                part.ready.append(chunk)
            }
        }
        lock.broadcast()
    }

    private func work() {
        lock.lock()
        defer { lock.unlock() }
        while !stopped {
            guard !free.isEmpty || chunksMade < chunkLimit, let part = dequeue() else {
                lock.wait()
                continue
            }
            let chunk: Chunk
            if let reused = free.popLast() {
                chunk = reused
            } else {
                chunksMade += 1
                chunk = makeChunk()
            }
            part.claimed = true
            lock.unlock()
            fill(part, into: chunk)
            lock.lock()
            finishFilling(part, chunk: chunk, handedToMerge: false)
        }
    }

    // MARK: The queue of parts, earliest first

    @inline(__always)
    private static func precedes(_ a: (time: Int64, order: Int), _ b: (time: Int64, order: Int)) -> Bool {
        a.time != b.time ? a.time < b.time : a.order < b.order
    }

    private func enqueue(_ part: Part) {
        guard !part.queued, !part.done else { return }
        part.queued = true
        queue.append((part.nextTime, part.order))
        var child = queue.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(queue[child], queue[parent]) else { break }
            queue.swapAt(child, parent)
            child = parent
        }
    }

    /// The earliest part nobody is formatting, taken off the queue.
    private func dequeue() -> Part? {
        while let top = queue.first {
            let last = queue.removeLast()
            if !queue.isEmpty {
                queue[0] = last
                var parent = 0
                while true {
                    let left = 2 * parent + 1
                    guard left < queue.count else { break }
                    var best = left
                    if left + 1 < queue.count && Self.precedes(queue[left + 1], queue[left]) { best = left + 1 }
                    guard Self.precedes(queue[best], queue[parent]) else { break }
                    queue.swapAt(best, parent)
                    parent = best
                }
            }
            let part = parts[top.order]
            part.queued = false
            if !part.claimed && !part.done { return part }
        }
        return nil
    }
}
