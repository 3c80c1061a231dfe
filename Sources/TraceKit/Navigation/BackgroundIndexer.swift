import Dispatch

/// Builds the index of a trace set on a thread of its own, so opening a huge trace shows the first
/// screen at once and the viewer stays responsive while the rest is indexed.
///
/// The thread reads its own copy of the traces (`open` is called once more for it: readers are not
/// shared between threads), reads streams ahead on all cores, and hands a copy of the index to the
/// viewer every `publishInterval` (`take(after:)`). Checkpoint positions are reader positions in
/// the files, valid for every copy of the same traces.
public final class BackgroundIndexer {
    /// What the indexing thread and the viewer share, behind a lock.
    private final class Channel: @unchecked Sendable {
        let lock = DispatchQueue(label: "ringside.index.channel")
        let wake = DispatchSemaphore(value: 0)
        var latest: IndexData?
        var version = 0
        var cancelled = false
        var refreshRequested = false
        /// Signalled when the thread has stopped.
        let stopped = DispatchSemaphore(value: 0)
        /// Monotonic nanoseconds spent indexing (until complete) and records indexed then.
        var busyNanoseconds: UInt64 = 0
        /// The traces' known time range (`TimeRangeProviding`), once looked for.
        var timeRange: ClosedRange<Int64>?
        var timeRangeKnown = false
    }

    private let channel = Channel()
    /// Monotonic time the indexing started.
    public let startTime: UInt64
    private var taken = 0

    /// How often a copy of the index is handed over while indexing goes on.
    public static let publishInterval: UInt64 = 100_000_000

    /// - Parameters:
    ///   - open: opens the traces again, for the indexing thread's own readers.
    ///   - parallel: read streams on all cores.
    public init(open: @escaping () throws -> TraceSet, checkpointInterval: Int? = nil, parallel: Bool = true) throws {
        startTime = BackgroundIndexer.now()
        // The thread keeps only the channel: the indexer going away cancels it. It opens its own
        // readers itself, so the viewer does not wait for a second open of a big trace.
        let job = Job(open: open, channel: channel, checkpointInterval: checkpointInterval, parallel: parallel)
        // A thread of its own: it runs as long as indexing does, and waits for its readers; at a
        // lower priority than the screen's thread.
        if !WorkerThread.detach(background: true, { job.run() }) {
            DispatchQueue.global(qos: .userInitiated).async { job.run() }
        }
    }

    /// What the thread runs with.
    private final class Job: @unchecked Sendable {
        let open: () throws -> TraceSet
        let channel: Channel
        let checkpointInterval: Int?
        let parallel: Bool

        init(open: @escaping () throws -> TraceSet, channel: Channel, checkpointInterval: Int?, parallel: Bool) {
            self.open = open
            self.channel = channel
            self.checkpointInterval = checkpointInterval
            self.parallel = parallel
        }

        func run() {
            defer { channel.stopped.signal() }
            let builder: IndexBuilder
            do {
                builder = try IndexBuilder(set: try open(), checkpointInterval: checkpointInterval, parallel: parallel)
            } catch {
                var failed = IndexData(sourceCount: 0, checkpointInterval: 1024)
                failed.errors = ["cannot open the trace for indexing: \(error)"]
                failed.isComplete = true
                channel.lock.sync {
                    channel.latest = failed
                    channel.version += 1
                    channel.timeRangeKnown = true
                }
                return
            }
            BackgroundIndexer.run(builder, channel)
        }
    }

    deinit { cancel() }

    static func now() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds
    }

    private static func run(_ builder: IndexBuilder, _ channel: Channel) {
        var lastPublish: UInt64 = 0
        var first = true
        var busyStart = now()
        while true {
            if channel.lock.sync(execute: { channel.cancelled }) { return }
            // The first slice is small so the first screen has records at once.
            let done = builder.step(maxRecords: first ? 4_096 : 65_536)
            let t = now()
            let wasFirst = first
            if first || done || t - lastPublish >= publishInterval {
                let snapshot = builder.snapshot()
                let busy = t - busyStart
                channel.lock.sync {
                    channel.latest = snapshot
                    channel.version += 1
                    if done { channel.busyNanoseconds += busy }
                }
                lastPublish = t
                first = false
            }
            if wasFirst {
                // Once the first screen has its records: the time range, which may need every
                // packet header (readers indexing lazily), read here rather than by the viewer.
                let range = builder.whileStreamsIdle { TimeRangeProbe.range(of: builder.set) }
                channel.lock.sync {
                    channel.timeRange = range
                    channel.timeRangeKnown = true
                }
            }
            if done {
                // Wait until asked to look for more records (a growing trace) or to stop.
                channel.wake.wait()
                let refresh: Bool = channel.lock.sync {
                    defer { channel.refreshRequested = false }
                    return channel.refreshRequested && !channel.cancelled
                }
                if refresh { builder.refresh() }
                busyStart = now()
            }
        }
    }

    /// The newest copy of the index, if it changed since the last call.
    public func take() -> IndexData? {
        channel.lock.sync {
            guard channel.version != taken else { return nil }
            taken = channel.version
            return channel.latest
        }
    }

    /// The traces' time range from their packet or page headers: `.some` once looked for (nil
    /// inside when none is known), nil before.
    public func takeTimeRange() -> ClosedRange<Int64>?? {
        channel.lock.sync { channel.timeRangeKnown ? .some(channel.timeRange) : nil }
    }

    /// Nanoseconds the thread spent indexing (complete passes only).
    public var indexingNanoseconds: UInt64 { channel.lock.sync { channel.busyNanoseconds } }

    /// Asks the thread to look for records appended since it finished (a trace still being written).
    public func refresh() {
        channel.lock.sync { channel.refreshRequested = true }
        channel.wake.signal()
    }

    /// Stops the thread and waits until it has (a process must not exit while it reads).
    public func stop() {
        cancel()
        channel.stopped.wait()
        channel.stopped.signal()
    }

    /// Asks the thread to stop.
    public func cancel() {
        let wasCancelled: Bool = channel.lock.sync {
            defer { channel.cancelled = true }
            return channel.cancelled
        }
        if !wasCancelled { channel.wake.signal() }
    }
}

