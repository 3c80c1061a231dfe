import Glibc
import TraceKit

/// Lines of one CPU stream rendered ahead by a worker thread, in record order.
final class RenderedChunk {
    enum Kind: UInt8 {
        /// A rendered event line.
        case line
        /// A `CPU:N [..EVENTS DROPPED]` line (printed before the next record without a prefix).
        case dropped
        /// A record the merging thread renders itself (state-dependent output); its bytes are kept.
        case deferred
    }

    struct Entry {
        var timestamp: UInt64
        var kind: Kind
        var start: Int
        var length: Int
    }

    // Used by one thread at a time (the channel hands chunks over): no dynamic exclusivity checks.
    @exclusivity(unchecked)
    var text = LineBuffer(capacity: 1 << 20 + 4096)
    @exclusivity(unchecked)
    var entries: [Entry] = []
    /// Set on the last chunk of a stream: the error that ended it, if any.
    @exclusivity(unchecked)
    var error: TraceError?
    @exclusivity(unchecked)
    var isLast = false

    init() { entries.reserveCapacity(8192) }

    deinit { text.deallocate() }

    func reset() {
        text.removeAll()
        entries.removeAll(keepingCapacity: true)
        error = nil
        isLast = false
    }
}

/// A bounded queue of chunks between one worker and the merging thread, plus a free list so chunks
/// are reused (memory stays flat whatever the trace size).
final class ChunkChannel {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var ready: [RenderedChunk] = []
    private var free: [RenderedChunk] = []
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        for _ in 0..<capacity { free.append(RenderedChunk()) }
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// A chunk to fill (waits while all are in use); nil once cancelled.
    func takeFree() -> RenderedChunk? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while free.isEmpty && !cancelled { pthread_cond_wait(condition, mutex) }
        if cancelled { return nil }
        let c = free.removeLast()
        c.reset()
        return c
    }

    func publish(_ chunk: RenderedChunk) {
        pthread_mutex_lock(mutex)
        ready.append(chunk)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// The next filled chunk (waits for the worker).
    func takeReady() -> RenderedChunk {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while ready.isEmpty { pthread_cond_wait(condition, mutex) }
        return ready.removeFirst()
    }

    func recycle(_ chunk: RenderedChunk) {
        pthread_mutex_lock(mutex)
        free.append(chunk)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    func cancel() {
        pthread_mutex_lock(mutex)
        cancelled = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }
}

/// Renders one stream's records into chunks (the worker side of the parallel report).
struct StreamRenderer {
    unowned(unsafe) let stream: FtraceCPUStream
    let writer: TraceCmdLineWriter
    let cpu: Int
    let nanoseconds: Bool
    let channel: ChunkChannel
    /// The record's trace index (for the filter) and the filter (nil: every record).
    var trace: Int32 = 0
    var filter: ((EventRecord) -> Bool)?

    func run() {
        var drop = PendingDrop()
        var chunk = channel.takeFree()
        while let c = chunk {
            while let record = stream.current, c.entries.count < 8192 && c.text.count < 1 << 20 {
                let start = c.text.count
                let ts = UInt64(bitPattern: record.timestamp)
                switch record.kind {
                case .lostEvents(let count, _):
                    if record.position.offset == 0 {
                        if filter != nil {
                            drop.hold(count)
                        } else {
                            TraceCmdLine.writeDropped(cpu: cpu, count: count, to: &c.text)
                            c.entries.append(.init(timestamp: ts, kind: .dropped, start: start, length: c.text.count - start))
                        }
                    }
                case .event:
                    if let filter {
                        var tagged = record
                        tagged.trace = trace
                        let held = drop.take()
                        if !filter(tagged) { break }
                        if let held {
                            TraceCmdLine.writeDropped(cpu: cpu, count: held, to: &c.text)
                            c.entries.append(.init(timestamp: ts, kind: .dropped, start: start, length: c.text.count - start))
                        }
                    }
                    let start = c.text.count
                    let data = stream.currentData
                    if writer.canRenderAlone(data) {
                        writer.writeEvent(data, cpu: cpu, timestamp: ts, nanoseconds: nanoseconds, to: &c.text)
                        c.entries.append(.init(timestamp: ts, kind: .line, start: start, length: c.text.count - start))
                    } else {
                        c.text.write(data)
                        c.entries.append(.init(timestamp: ts, kind: .deferred, start: start, length: data.count))
                    }
                }
                do {
                    try stream.advance()
                } catch let e as TraceError {
                    c.error = e
                } catch {
                    c.error = TraceError(file: stream.path, "\(error)")
                }
            }
            if stream.current == nil { c.isLast = true }
            channel.publish(c)
            if c.isLast { return }
            chunk = channel.takeFree()
        }
    }
}
