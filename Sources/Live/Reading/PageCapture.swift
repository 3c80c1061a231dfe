#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TraceIO

/// Receives the pages a capture reads. Called on the capture thread; the page memory is reused
/// after the call returns, so a sink copies what it keeps.
public protocol PageSink: AnyObject {
    func consume(cpu: Int, page: UnsafeRawBufferPointer)
    /// The kernel's counters for every CPU, sampled about once a second.
    func statsSampled(_ stats: [Int: CPUBufferStats])
    /// A sweep read every CPU up to the moment it started: events at or before `completeUntil`
    /// (trace clock) have all been handed over (nil when the clock is unknown).
    func sweepFinished(completeUntil: Int64?)
}

extension PageSink {
    public func statsSampled(_ stats: [Int: CPUBufferStats]) {}
    public func sweepFinished(completeUntil: Int64?) {}
}

/// Reads every CPU's pages on one thread: polls the sources (waking at least every
/// `pollInterval`, so events reach the consumer within that time even when the kernel's
/// `buffer_percent` has not woken the reader), then reads each source until it has no data. Pages
/// are handed to the sink as they come: nothing is dropped on this side; when the sink falls
/// behind, the kernel's buffer fills and the kernel counts what it loses (`per_cpu/cpuN/stats`).
public final class PageCapture: @unchecked Sendable {
    /// Counters of what was read, per CPU.
    public struct Counters: Sendable, Equatable {
        public var pages: [Int: UInt64] = [:]
        public var bytes: [Int: UInt64] = [:]
        public var sweeps: UInt64 = 0
        public var latestStats: [Int: CPUBufferStats] = [:]
    }

    public let sources: [PageSource]
    public let pollInterval: Duration
    public let statsInterval: Duration
    private let sink: PageSink
    private let statsProvider: (() -> [Int: CPUBufferStats])?
    private let clockProvider: (() -> Int64?)?
    private let lock = NSLock()
    private var counters = Counters()
    private var stopRequested = false
    private var failure: Error?
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    /// A pipe whose read end wakes `poll` when `stop()` writes to it.
    private var wakePipe: [Int32] = [-1, -1]
    private var pageBuffer: UnsafeMutableRawBufferPointer

    /// `statsProvider` reads the kernel counters (the instance's `per_cpu/cpuN/stats`);
    /// `clockProvider` reads the trace clock now (for `PageSink.sweepFinished`).
    public init(sources: [PageSource], sink: PageSink, pollInterval: Duration = .milliseconds(50),
                statsInterval: Duration = .seconds(1), statsProvider: (() -> [Int: CPUBufferStats])? = nil,
                clockProvider: (() -> Int64?)? = nil) {
        self.clockProvider = clockProvider
        self.sources = sources
        self.sink = sink
        self.pollInterval = pollInterval
        self.statsInterval = statsInterval
        self.statsProvider = statsProvider
        if pipe(&wakePipe) == 0 {
            for fd in wakePipe {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        let size = sources.map(\.pageSize).max() ?? 4096
        pageBuffer = .allocate(byteCount: max(size, 4096), alignment: 64)
    }

    deinit {
        for fd in wakePipe where fd >= 0 { close(fd) }
        pageBuffer.deallocate()
    }

    /// A copy of the counters.
    public var snapshot: Counters {
        lock.lock()
        defer { lock.unlock() }
        return counters
    }

    /// The error that stopped the capture thread, if any.
    public var error: Error? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    /// Starts the capture thread.
    public func start() {
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "ringside-capture"
        thread.qualityOfService = .userInitiated
        self.thread = thread
        thread.start()
    }

    /// Asks the thread to read what is left and stop, and waits for it. Safe to call twice.
    public func stop() {
        lock.lock()
        let wasRunning = thread != nil && !stopRequested
        stopRequested = true
        lock.unlock()
        guard wasRunning else { return }
        var one: UInt8 = 1
        _ = write(wakePipe[1], &one, 1)
        finished.wait()
    }

    private var shouldStop: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopRequested
    }

    private func run() {
        var descriptors = sources.compactMap { $0.pollDescriptor }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        descriptors.append(pollfd(fd: wakePipe[0], events: Int16(POLLIN), revents: 0))
        let timeout = Int32(pollInterval.components.seconds * 1000 + pollInterval.components.attoseconds / 1_000_000_000_000_000)
        let clock = ContinuousClock()
        var nextStats = clock.now
        do {
            while !shouldStop {
                _ = poll(&descriptors, nfds_t(descriptors.count), max(1, timeout))
                try sweep()
                if statsProvider != nil, clock.now >= nextStats {
                    sampleStats()
                    nextStats = clock.now + statsInterval
                }
            }
            // Drain: whatever the kernel still holds.
            try sweep()
            if statsProvider != nil { sampleStats() }
        } catch {
            lock.lock()
            failure = error
            lock.unlock()
        }
    }

    /// Reads every source until it has no more data. Returns the pages read.
    @discardableResult
    public func sweep() throws -> Int {
        let startedAt = clockProvider?()
        var total = 0
        var progressed = true
        // Round-robin so one busy CPU cannot starve the others.
        while progressed {
            progressed = false
            for source in sources {
                var pagesThisRound = 0
                while pagesThisRound < 64 {
                    let status = try source.read(into: pageBuffer)
                    guard case .page(let count) = status else { break }
                    sink.consume(cpu: source.cpu, page: UnsafeRawBufferPointer(rebasing: pageBuffer[0..<count]))
                    pagesThisRound += 1
                    lock.lock()
                    counters.pages[source.cpu, default: 0] += 1
                    counters.bytes[source.cpu, default: 0] += UInt64(count)
                    lock.unlock()
                }
                if pagesThisRound == 64 { progressed = true }
                total += pagesThisRound
            }
        }
        lock.lock()
        counters.sweeps += 1
        lock.unlock()
        sink.sweepFinished(completeUntil: startedAt)
        return total
    }

    private func sampleStats() {
        guard let statsProvider else { return }
        let stats = statsProvider()
        lock.lock()
        counters.latestStats = stats
        lock.unlock()
        sink.statsSampled(stats)
    }
}
