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
    /// Set when the part of the stream being rendered ended after these lines (the stream goes
    /// on in its next part).
    @exclusivity(unchecked)
    var endsPart = false

    init() { entries.reserveCapacity(8192) }

    deinit { text.deallocate() }

    func reset() {
        text.removeAll()
        entries.removeAll(keepingCapacity: true)
        error = nil
        isLast = false
        endsPart = false
    }
}

extension RenderedChunk: PoolChunk {
    var endsStream: Bool { isLast }
    var isEmpty: Bool { entries.isEmpty && error == nil }
    var lastTime: Int64? { entries.last.map { Int64(bitPattern: $0.timestamp) } }

    func fail(_ error: Error) {
        reset()
        self.error = error as? TraceError ?? TraceError(file: "", "\(error)")
        isLast = true
    }
}

/// Line writers of one trace for the threads that render parts: each fill takes one and gives it
/// back (a writer compiles print formats as it meets events, so they are kept, not made per part).
final class LineWriterPool {
    private let make: () -> TraceCmdLineWriter
    private var idle: [TraceCmdLineWriter] = []
    private var all: [TraceCmdLineWriter] = []
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init(make: @escaping () -> TraceCmdLineWriter) {
        self.make = make
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        for w in all { w.deallocate() }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func take() -> TraceCmdLineWriter {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if let w = idle.popLast() { return w }
        let w = make()
        all.append(w)
        return w
    }

    func giveBack(_ writer: TraceCmdLineWriter) {
        pthread_mutex_lock(mutex)
        idle.append(writer)
        pthread_mutex_unlock(mutex)
    }
}

/// Renders one part of a CPU stream (a range of its pages, read through a page source of its own)
/// into chunks; used by one thread at a time.
final class ReportPart {
    private let source: CPUPageSource
    private let stream: FtraceCPUStream
    private let writers: LineWriterPool
    private let cpu: Int
    private let nanoseconds: Bool
    private let trace: Int32
    private let filter: ((EventRecord) -> Bool)?
    private var drop = PendingDrop()

    /// - Parameter traceIndex: the trace's index in the report (what the filter sees).
    init(trace: TraceDatTrace, traceIndex: Int, stream index: Int, range: PartRange, writers: LineWriterPool, cpu: Int,
         nanoseconds: Bool, filter: ((EventRecord) -> Bool)?) throws {
        source = trace.sources[index].independentCopy(from: range.first)
        stream = try FtraceCPUStream(trace: trace, stream: index, source: source, firstPage: range.first)
        stream.endPage = range.end
        self.writers = writers
        self.cpu = cpu
        self.nanoseconds = nanoseconds
        self.trace = Int32(traceIndex)
        self.filter = filter
    }

    /// The parts of stream `index` of `trace`: `pagesPerPart` pages each, each with the time of its
    /// first record (the previous part's time when it cannot be read; the damage is reported when
    /// the part is rendered).
    static func ranges(of trace: TraceDatTrace, stream index: Int, pagesPerPart: Int) -> [PartRange] {
        let pageCount = trace.sources[index].pageCount
        // Read through a source of its own: cursors of the trace's source keep pointers into its
        // inflated chunks, which reading other pages through it would replace.
        let probe = trace.sources[index].independentCopy(from: 0)
        // Reading a page of each part maps most of the file (the kernel maps large folios whole):
        // give it back; the parts read their pages again as they go.
        defer { probe.releasePages(before: pageCount) }
        var ranges: [PartRange] = []
        var first = 0
        var time = Int64.min
        while true {
            let end = first + pagesPerPart < pageCount ? first + pagesPerPart : Int.max
            if first > 0,
               let start = try? FtraceCPUStream(trace: trace, stream: index, source: probe, firstPage: first).current?.timestamp {
                time = start
            }
            ranges.append(PartRange(first: first, end: end, time: time))
            if end == .max { return ranges }
            first = end
        }
    }

    func fill(_ c: RenderedChunk) {
        c.reset()
        let writer = writers.take()
        defer { writers.giveBack(writer) }
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
        if stream.current == nil {
            // Done with the part's pages (the cursor gives them back only every few hundred).
            source.releasePages(before: stream.endPage == .max ? source.pageCount : stream.endPage)
            if stream.stoppedAtEndPage && c.error == nil {
                c.endsPart = true
            } else {
                c.isLast = true
            }
        }
    }
}


