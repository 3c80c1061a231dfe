#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Ftrace

/// Records events of a tracing session into a trace.dat file: pages are captured into per-CPU
/// files while tracing runs, then assembled by `TraceDatWriter` with the metadata trace-cmd needs.
public final class TraceRecorder: @unchecked Sendable {
    /// What was recorded.
    public struct Summary: Sendable {
        public var output: String
        public var pages: [Int: UInt64]
        public var bytes: [Int: UInt64]
        /// Events the kernel lost per CPU (overruns, drops), from `per_cpu/cpuN/stats`.
        public var kernelLost: [Int: UInt64]
        /// Events the kernel handed to the reader per CPU.
        public var eventsRead: [Int: UInt64]
    }

    public let session: TracingSession
    public let output: String
    public let format: TraceDatWriter.Format
    private let cpus: [Int]
    private let files: PageFileSink
    private let capture: PageCapture
    private let fanOut: PageSinkFanOut
    private var stopped = false

    /// Prepares recording in `session` (whose events are already chosen) to `output`, with
    /// `extraSinks` also receiving every page (the live view). `pollInterval` bounds how long pages
    /// wait in the kernel when the buffer is not `buffer_percent` full: short for a live view,
    /// longer when only recording (fewer partly filled pages in the file).
    public init(session: TracingSession, output: String, format: TraceDatWriter.Format = .version7(.zstd),
                extraSinks: [PageSink] = [], pollInterval: Duration = .milliseconds(250),
                clockProvider: (() -> Int64?)? = nil) throws {
        self.session = session
        self.output = output
        self.format = format
        let instance = session.instance
        cpus = instance.cpus()
        guard !cpus.isEmpty else { throw LiveError("\(instance.path): no per-CPU buffers") }
        files = try PageFileSink(basePath: output, cpus: cpus)
        fanOut = PageSinkFanOut([files] + extraSinks)
        var readers: [RawPageReader] = []
        do {
            for cpu in cpus { readers.append(try RawPageReader(instance: instance, cpu: cpu)) }
        } catch {
            readers.forEach { $0.close() }
            files.removeFiles()
            throw error
        }
        capture = PageCapture(sources: readers, sink: fanOut, pollInterval: pollInterval, statsProvider: {
            var stats: [Int: CPUBufferStats] = [:]
            for cpu in instance.cpus() { stats[cpu] = try? instance.stats(cpu: cpu) }
            return stats
        }, clockProvider: clockProvider)
        session.onClose { [capture, readers] in
            capture.stop()
            readers.forEach { $0.close() }
        }
    }

    /// Starts reading pages.
    public func start() {
        capture.start()
    }

    /// Counters so far (for progress displays).
    public var counters: PageCapture.Counters { capture.snapshot }

    /// Stops tracing in the instance, reads what is left, and writes the trace.dat file.
    public func finish() throws -> Summary {
        guard !stopped else { throw LiveError("the recording has already stopped") }
        stopped = true
        // Freeze the buffer so the final drain ends; the instance is ringside's, or the change is
        // journaled and put back for the top level.
        try? session.setSetting("tracing_on", "0")
        capture.stop()
        if let error = capture.error {
            files.removeFiles()
            throw error
        }
        do {
            try files.finish()
            let metadata = try TraceDatMetadataCollector.collect(instance: session.instance, cpus: cpus)
            let temporary = output + ".ringside-tmp"
            let writer = try TraceDatWriter(path: temporary, metadata: metadata, format: format)
            do {
                try writer.finish(cpuData: files.paths.map { TraceDatWriter.CPUData(cpu: $0.key, path: $0.value) })
            } catch {
                writer.discard()
                throw error
            }
            guard rename(temporary, output) == 0 else {
                let code = errno
                unlink(temporary)
                throw LiveError("cannot move the trace to \(output): \(String(cString: strerror(code)))")
            }
            files.removeFiles()
            let snapshot = capture.snapshot
            var lost: [Int: UInt64] = [:]
            var read: [Int: UInt64] = [:]
            for cpu in cpus {
                let stats = (try? session.instance.stats(cpu: cpu)) ?? CPUBufferStats()
                lost[cpu] = stats.lost
                read[cpu] = stats.read
            }
            return Summary(output: output, pages: snapshot.pages, bytes: snapshot.bytes, kernelLost: lost, eventsRead: read)
        } catch {
            files.removeFiles()
            throw error
        }
    }

    /// Stops without writing a file (on failure), removing the page files.
    public func abandon() {
        stopped = true
        capture.stop()
        try? files.finish()
        files.removeFiles()
    }
}

/// Hands every page to several sinks in turn.
public final class PageSinkFanOut: PageSink {
    private let sinks: [PageSink]

    public init(_ sinks: [PageSink]) {
        self.sinks = sinks
    }

    public func consume(cpu: Int, page: UnsafeRawBufferPointer) {
        for sink in sinks { sink.consume(cpu: cpu, page: page) }
    }

    public func statsSampled(_ stats: [Int: CPUBufferStats]) {
        for sink in sinks { sink.statsSampled(stats) }
    }

    public func sweepFinished(completeUntil: Int64?) {
        for sink in sinks { sink.sweepFinished(completeUntil: completeUntil) }
    }
}
