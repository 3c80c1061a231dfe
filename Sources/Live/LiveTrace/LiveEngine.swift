import Foundation
import Ftrace
import TraceKit

/// Everything `ringside live` runs: a tracing session (instance, events, probes, journal), the
/// capture thread reading every CPU's pages, optionally the recording to a trace.dat file, and the
/// growing `LiveTrace` the viewer or the text printer reads. The owner thread calls `pump()`
/// regularly to move captured pages into the trace.
public final class LiveEngine: @unchecked Sendable {
    public struct Options: Sendable {
        public var events: [EventName] = []
        public var memoryCap = 256 << 20
        /// Record every page to this trace.dat file too.
        public var recordPath: String?
        public var recordFormat: TraceDatWriter.Format = .version7(.zstd)
        /// Longest time pages wait in the kernel before being read.
        public var pollInterval: Duration = .milliseconds(20)

        public init() {}
    }

    /// The tracing session (nil when replaying recorded pages).
    public let session: TracingSession?
    public let trace: LiveTrace
    public let options: Options
    private let queue: LivePageQueue
    private let capture: PageCapture?
    private let recorder: TraceRecorder?
    private let readers: [RawPageReader]
    private let replaySources: [RecordedPageSource]
    private let catalogSource: LiveCatalogSource
    private var rates = RateMeter()
    private var lastTaskRefresh = ContinuousClock.now
    private var stopped = false

    /// Loads the event formats, enables `options.events` in `session` and prepares the readers
    /// (call `start()` to begin). On failure, what was done is left for the caller's `session.close()`.
    public init(session: TracingSession, options: Options) throws {
        self.session = session
        self.options = options
        let instance = session.instance
        catalogSource = .tracefs(session.tracefs)
        let (layout, catalog) = try catalogSource.load()
        let cpus = instance.cpus()
        guard !cpus.isEmpty else { throw LiveError("\(instance.path): no per-CPU buffers") }
        queue = LivePageQueue(layout: layout)
        trace = LiveTrace(name: "live: \(instance.displayName)", path: instance.path, cpus: cpus, layout: layout,
                          catalog: catalog, clock: try? instance.clocks().current, memoryCap: options.memoryCap)
        if !options.events.isEmpty { try session.setEnabled(options.events, true) }
        let clock: () -> Int64? = {
            (try? instance.stats(cpu: cpus[0]))?.now
        }
        if let path = options.recordPath {
            recorder = try TraceRecorder(session: session, output: path, format: options.recordFormat,
                                         extraSinks: [queue], pollInterval: options.pollInterval, clockProvider: clock)
            capture = nil
            readers = []
        } else {
            recorder = nil
            readers = try cpus.map { try RawPageReader(instance: instance, cpu: $0) }
            let capture = PageCapture(sources: readers, sink: queue, pollInterval: options.pollInterval, statsProvider: {
                var stats: [Int: CPUBufferStats] = [:]
                for cpu in cpus { stats[cpu] = try? instance.stats(cpu: cpu) }
                return stats
            }, clockProvider: clock)
            self.capture = capture
            let readers = self.readers
            session.onClose {
                capture.stop()
                readers.forEach { $0.close() }
            }
        }
        replaySources = []
    }

    /// Replays pages recorded from `trace_pipe_raw` (a directory as `Tests/Fixtures/live` holds:
    /// `header_page`, `formats/`, `cpuN.pages`, ...) through the same path, `pagesPerSweep` pages
    /// per CPU every poll interval: the live view without root, for demos, tests and benchmarks.
    public init(replaying directory: String, options: Options, pagesPerSweep: Int = .max) throws {
        session = nil
        self.options = options
        catalogSource = .recorded(directory)
        let (layout, catalog) = try catalogSource.load()
        let cpus = ControlFile.list(directory).compactMap { name -> Int? in
            guard name.hasPrefix("cpu"), name.hasSuffix(".pages") else { return nil }
            return Int(name.dropFirst(3).dropLast(6))
        }.sorted()
        guard !cpus.isEmpty else { throw LiveError("\(directory): no cpuN.pages files to replay") }
        queue = LivePageQueue(layout: layout)
        trace = LiveTrace(name: "replay: \(directory.split(separator: "/").last.map(String.init) ?? directory)",
                          path: directory, cpus: cpus, layout: layout, catalog: catalog, clock: "local",
                          memoryCap: options.memoryCap)
        replaySources = try cpus.map {
            try RecordedPageSource(cpu: $0, path: "\(directory)/cpu\($0).pages", pageSize: layout.pageSize,
                                   pagesPerBurst: pagesPerSweep)
        }
        recorder = nil
        readers = []
        let sources = replaySources
        capture = PageCapture(sources: replaySources, sink: queue, pollInterval: options.pollInterval, clockProvider: {
            // Like the kernel's clock for live reading: everything before the earliest page not yet
            // handed out has been read on every CPU.
            sources.compactMap(\.nextPageTimestamp).min().map { $0 - 1 } ?? Int64.max / 2
        })
    }

    /// True once a replay handed over every page (never for the live kernel).
    public var replayFinished: Bool {
        !replaySources.isEmpty && replaySources.allSatisfy { $0.remainingPages == 0 }
    }

    /// Starts reading pages.
    public func start() {
        recorder?.start()
        capture?.start()
    }

    /// What one `pump()` changed.
    public struct PumpResult: Sendable, Equatable {
        /// Pages moved into the trace.
        public var pages: Int
        /// Records became visible because every CPU was read further (even without new pages).
        public var frontierAdvanced: Bool

        /// The trace shows more than before: readers should look again.
        public var changed: Bool { pages > 0 || frontierAdvanced }
    }

    /// Moves captured pages into the trace. Call from the thread that reads the trace.
    @discardableResult
    public func pump() -> PumpResult {
        let before = trace.visibleUntil
        let moved = queue.drain(into: trace)
        rates.sample(trace: trace)
        // Task names of new processes appear in saved_cmdlines as they run.
        if ContinuousClock.now - lastTaskRefresh > .seconds(1) {
            lastTaskRefresh = ContinuousClock.now
            trace.catalog.taskNames = catalogSource.loadTaskNames()
        }
        return PumpResult(pages: moved, frontierAdvanced: trace.visibleUntil != before)
    }

    /// Waits until new pages were read, or `timeout` passes (the owner's loop calls `pump()` next).
    @discardableResult
    public func waitForPages(timeout: DispatchTime) -> Bool {
        queue.waitForPages(timeout: timeout)
    }

    /// Events per second per CPU over the last second or so.
    public var eventsPerSecond: [Int: Double] { rates.perSecond }

    /// The capture's counters (pages and bytes read per CPU).
    public var captureCounters: PageCapture.Counters? { recorder?.counters ?? capture?.snapshot }

    /// Loads the formats of events that appeared since the start (probes added meanwhile), so their
    /// records decode.
    public func reloadFormats() {
        let known = Set(trace.catalog.events.map { "\($0.format.system)/\($0.format.name)" })
        for (system, path) in catalogSource.formatFiles() {
            let parts = path.split(separator: "/")
            guard parts.count >= 2 else { continue }
            let name = String(parts[parts.count - 2])
            guard !known.contains("\(system)/\(name)"), let text = try? ControlFile.readBytes(path) else { continue }
            _ = try? trace.catalog.addFormat(text, system: system, source: path)
        }
        trace.refreshEventClasses()
    }

    /// Stops reading, finishes the recording (if any) and undoes everything the session did.
    /// Returns the recording's summary.
    @discardableResult
    public func stop() throws -> TraceRecorder.Summary? {
        guard !stopped else { return nil }
        stopped = true
        var summary: TraceRecorder.Summary?
        var failure: Error?
        if let recorder {
            do { summary = try recorder.finish() } catch { failure = error }
        } else {
            capture?.stop()
        }
        _ = pump()
        // Everything was read: nothing is held back any more.
        trace.advanceVisibility(to: nil)
        session?.close()
        if let failure { throw failure }
        return summary
    }
}

/// Events per second per CPU, from the events received, over a sliding second.
struct RateMeter {
    private var lastTime = ContinuousClock.now
    private var lastCounts: [Int: Int] = [:]
    private(set) var perSecond: [Int: Double] = [:]

    mutating func sample(trace: LiveTrace) {
        let now = ContinuousClock.now
        let elapsed = now - lastTime
        guard elapsed >= .milliseconds(500) else { return }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        for stream in trace.streams {
            let cpu = Int(stream.cpu)
            let count = trace.eventsReceived(cpu: cpu)
            perSecond[cpu] = Double(count - (lastCounts[cpu] ?? 0)) / seconds
            lastCounts[cpu] = count
        }
        lastTime = now
    }
}
