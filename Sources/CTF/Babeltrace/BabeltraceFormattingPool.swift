import Foundation
import TraceKit

/// A range of a stream's packets formatted on its own (by one thread at a time), and the chunks
/// formatted from it that the merge has not taken yet. Fields other than `formatter` are guarded
/// by the pool's lock; `formatter` belongs to whoever claimed the part.
final class StreamPart {
    /// The stream's feed (index in the pool's feeds) and the part's place among all parts.
    let feed: Int
    let order: Int
    let firstPacket: Int
    /// Exclusive; `Int.max` for the stream's last part.
    let endPacket: Int
    /// `--begin`, for the stream's first part (which seeks to it).
    let begin: Int64?
    var formatter: BabeltraceStreamFormatter?
    var ready: [FormattedChunk] = []
    var claimed = false
    /// Formatted to its end, or given up because the stream ended before it.
    var done = false
    /// In the pool's queue of parts to format.
    var queued = false
    /// Time of the next record to format (the pool formats the earliest parts first).
    var nextTime: Int64

    init(feed: Int, order: Int, firstPacket: Int, endPacket: Int, begin: Int64?, nextTime: Int64) {
        self.feed = feed
        self.order = order
        self.firstPacket = firstPacket
        self.endPacket = endPacket
        self.begin = begin
        self.nextTime = nextTime
    }
}

/// The merge's view of one stream: the chunk being merged, and the stream's parts in order.
final class BabeltraceStreamFeed {
    let traceIndex: Int
    let streamIndex: Int
    /// Whether the stream's events have times (babeltrace2 prints no time columns otherwise).
    let hasClock: Bool
    let parts: [StreamPart]
    /// The part the next chunk comes from.
    var partIndex = 0
    /// The chunk being merged.
    @exclusivity(unchecked)
    var current = FormattedChunk()
    /// Index of the next entry of `current` to merge.
    @exclusivity(unchecked)
    var position = 0
    @exclusivity(unchecked)
    private(set) var finished = false

    init(traceIndex: Int, streamIndex: Int, hasClock: Bool, parts: [StreamPart]) {
        self.traceIndex = traceIndex
        self.streamIndex = streamIndex
        self.hasClock = hasClock
        self.parts = parts
    }

    /// Whether `current` still has entries to merge.
    var hasEntry: Bool { position < current.entries.count }

    func finish() { finished = true }
}

/// Formats the parts of every stream on worker threads, earliest parts first, so that all cores
/// work wherever the merge will read next, even when one stream holds most of the events for a
/// while (each stream formatted by a thread of its own left the others idle then).
///
/// Chunks come from a bounded pool. The merge takes a stream's chunks in order; when the chunk
/// it needs has nobody on it, the merge formats it itself, so it never waits for a chunk that no
/// thread will make, whatever the pool holds.
final class BabeltraceFormattingPool {
    let feeds: [BabeltraceStreamFeed]
    private let parts: [StreamPart]
    private let makeFormatter: (StreamPart) throws -> BabeltraceStreamFormatter
    private let lock = NSCondition()
    /// Parts to format, by `nextTime` when queued (a min-heap; entries of parts claimed or done
    /// since they were queued are dropped when they come up).
    private var queue: [(time: Int64, order: Int)] = []
    private var free: [FormattedChunk] = []
    private var chunksMade = 0
    private let chunkLimit: Int
    private var stopped = false
    private var threads: [WorkerThread] = []

    /// - Parameters:
    ///   - feeds: the streams, each with its parts (their `feed` is the index here, their
    ///     `order` their index in the concatenation of the feeds' parts).
    ///   - chunkLimit: chunks formatted ahead of the merge, over all streams.
    ///   - makeFormatter: a formatter for a part, called on the thread that starts formatting it.
    init(feeds: [BabeltraceStreamFeed], chunkLimit: Int,
         makeFormatter: @escaping (StreamPart) throws -> BabeltraceStreamFormatter) {
        self.feeds = feeds
        parts = feeds.flatMap(\.parts)
        self.chunkLimit = max(1, chunkLimit)
        self.makeFormatter = makeFormatter
        for part in parts { enqueue(part) }
    }

    /// Starts `count` worker threads (none: the merge formats everything itself).
    func start(workers count: Int) {
        for _ in 0..<count {
            threads.append(WorkerThread { [self] in work() })
        }
    }

    /// Stops the workers once they finish the chunk in hand, and waits for them.
    func stop() {
        lock.lock()
        stopped = true
        lock.broadcast()
        lock.unlock()
        for thread in threads { thread.join() }
        threads = []
    }

    /// Makes the feed's next chunk current: one with entries, or the one that ended the stream on
    /// an error. False when the stream has nothing more.
    func advance(_ feed: BabeltraceStreamFeed) -> Bool {
        while true {
            if feed.finished { return false }
            if feed.current.isLast {
                feed.finish()
                return false
            }
            var helping: StreamPart?
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
                feed.finish()
                return false
            }
            if let part = helping {
                format(part, into: feed.current)
                lock.lock()
                finishFormatting(part, chunk: feed.current, handedToMerge: true)
                lock.unlock()
            }
            feed.position = 0
            if feed.hasEntry || feed.current.error != nil { return true }
        }
    }

    private func format(_ part: StreamPart, into chunk: FormattedChunk) {
        do {
            if part.formatter == nil { part.formatter = try makeFormatter(part) }
            part.formatter?.fill(chunk)
        } catch {
            chunk.reset()
            chunk.error = error
            chunk.isLast = true
        }
    }

    /// Files a chunk of `part` just formatted (with the lock held).
    private func finishFormatting(_ part: StreamPart, chunk: FormattedChunk, handedToMerge: Bool) {
        part.claimed = false
        let cancelled = part.done
        if chunk.isLast || chunk.endsPart || cancelled {
            part.done = true
            part.formatter = nil
        } else {
            if let last = chunk.entries.last { part.nextTime = last.timestamp }
            enqueue(part)
        }
        if chunk.isLast && !cancelled {
            // The stream ends here: what its later parts formatted will not be merged.
            let feed = feeds[part.feed]
            for later in feed.parts[(part.order - feed.parts[0].order + 1)...] {
                later.done = true
                if !later.claimed { later.formatter = nil }
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
            let chunk: FormattedChunk
            if let reused = free.popLast() {
                chunk = reused
            } else {
                chunksMade += 1
                chunk = FormattedChunk()
            }
            part.claimed = true
            lock.unlock()
            format(part, into: chunk)
            lock.lock()
            finishFormatting(part, chunk: chunk, handedToMerge: false)
        }
    }

    // MARK: The queue of parts, earliest first

    @inline(__always)
    private func precedes(_ a: (time: Int64, order: Int), _ b: (time: Int64, order: Int)) -> Bool {
        a.time != b.time ? a.time < b.time : a.order < b.order
    }

    private func enqueue(_ part: StreamPart) {
        guard !part.queued, !part.done else { return }
        part.queued = true
        queue.append((part.nextTime, part.order))
        var child = queue.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(queue[child], queue[parent]) else { break }
            queue.swapAt(child, parent)
            child = parent
        }
    }

    /// The earliest part nobody is formatting, taken off the queue.
    private func dequeue() -> StreamPart? {
        while let top = queue.first {
            let last = queue.removeLast()
            if !queue.isEmpty {
                queue[0] = last
                var parent = 0
                while true {
                    let left = 2 * parent + 1
                    guard left < queue.count else { break }
                    var best = left
                    if left + 1 < queue.count && precedes(queue[left + 1], queue[left]) { best = left + 1 }
                    guard precedes(queue[best], queue[parent]) else { break }
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
