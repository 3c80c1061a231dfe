import ArgumentParser
import CursesBackend
import Dispatch
import Foundation
import Ftrace
import Live
import TraceIO
import TerminalUI
import TraceKit
#if canImport(Glibc)
import Glibc
#endif

/// `ringside live`: watch the running kernel.
struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Watch the running kernel through ftrace, switching events and probes on and off.",
        discussion: """
            Works in a private instance ringside-<pid> unless --instance is given; everything \
            ringside creates is removed on quit, SIGINT, SIGTERM and SIGHUP. After a kill -9, the \
            next start reports the leftovers and `ringside live --cleanup` removes them. \
            With --print, events are written to standard output as `trace-cmd report` prints them \
            (`trace-cmd stream`-like) instead of opening the viewer.

            In the viewer (all its keys work; ? lists them) the newest events are followed; Space \
            pauses the view while reading goes on (moving in the list pauses too; Space or G resume). \
            p opens the events & probes panel: Space switches an event or a subsystem, Enter opens a \
            subsystem, / searches, f sets the selected event's kernel filter (the kernel's error is \
            shown when it refuses), F pushes the viewer's filter down to kernel filters, a adds a \
            probe (PATH:SYMBOL ARGS, as `ringside probes add`), d removes the selected probe, m \
            writes a marker, Esc closes.
            """)

    @Option(name: .shortAndLong, help: "Events to enable at start (SYSTEM:EVENT, sched:*, sched). Repeatable.")
    var event: [String] = []

    @OptionGroup var sessionOptions: SessionOptions

    @Option(name: .long, help: "Also record everything read to this trace.dat file (v7, zstd).")
    var record: String?

    @Option(name: .long, help: "Memory for events kept in the view (e.g. 256M, 1G); the oldest are dropped and counted.")
    var memory: String = "256M"

    @Option(name: .long, help: "How full (percent) a kernel buffer gets before the reader is woken early (0-100).")
    var bufferPercent: Int?

    @Flag(name: .long, help: "Print events to standard output instead of opening the viewer.")
    var print = false

    @Flag(name: .long, help: "With --print: raw field values (trace-cmd report -R).")
    var raw = false

    @Flag(name: .long, help: "With --print: print only a summary of what was read at the end.")
    var summary = false

    @Option(name: .long, help: "Stop after this long (e.g. 10s).")
    var duration: String?

    @Option(name: .long, help: "Replay pages recorded from trace_pipe_raw (a directory with header_page, formats/, cpuN.pages) instead of reading the kernel.")
    var replay: String?

    @Option(name: .long, help: "With --replay: pages per CPU handed over every 20 ms (default: all at once).")
    var replayPages: Int?

    @Flag(name: .long, help: "Remove what earlier ringside processes left in tracefs, and the persistent instance and probes, then exit.")
    var cleanup = false

    func validate() throws {
        if LiveCommand.memoryBytes(memory) == nil {
            throw ValidationError("--memory \"\(memory)\" is not a size (e.g. 256M, 1G)")
        }
        if let duration, DurationParser.nanoseconds(Substring(duration)) == nil {
            throw ValidationError("--duration \"\(duration)\" is not a duration (e.g. 10s)")
        }
    }

    /// `256M`, `1G`, `512K`, or bytes.
    static func memoryBytes(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = Substring(text.uppercased())
        if digits.hasSuffix("B") { digits = digits.dropLast() }
        var scale = 1
        if let last = digits.last, let unit = units[last] {
            scale = unit
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value > 0 else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow || bytes < 1 << 20 ? nil : bytes
    }

    func run() throws {
        TerminationSignals.install()
        FileOutput.ignoreBrokenPipeSignal()
        if let replay { return try runReplay(directory: replay) }
        let tracefs = try LiveSupport.tracefs()
        let stateDirectory = LiveSupport.stateDirectory
        let leftovers = Leftovers.scan(tracefs: tracefs, stateDirectory: stateDirectory)
        if cleanup {
            let outcomes = leftovers.cleanUp(tracefs: tracefs, stateDirectory: stateDirectory, includePersistent: true)
            for outcome in outcomes where outcome.isReportable { Swift.print(outcome.description) }
            if !leftovers.unclaimedInstances.isEmpty || !leftovers.unclaimedProbes.isEmpty,
               let report = Leftovers.scan(tracefs: tracefs, stateDirectory: stateDirectory).report() {
                Swift.print(report)
            }
            if outcomes.filter(\.isReportable).isEmpty { Swift.print("nothing to clean up") }
            if outcomes.contains(where: \.isFailure) { throw ExitCode(1) }
            return
        }
        if leftovers.hasDeadSessions, let report = leftovers.report() {
            LiveSupport.warn(report + "\nrun `ringside live --cleanup` to remove them")
        }
        let events = try LiveSupport.resolve(event, in: AvailableEvents(tracefs: tracefs))
        var options = LiveEngine.Options()
        options.events = events
        options.memoryCap = LiveCommand.memoryBytes(memory) ?? 256 << 20
        options.recordPath = record
        let session = try sessionOptions.openSession(command: "live", tracefs: tracefs, stateDirectory: stateDirectory,
                                                     bufferPercent: bufferPercent)
        let cleanupToken = TerminationSignals.add { _ in session.close() }
        defer { TerminationSignals.remove(cleanupToken) }
        let stop = DispatchSemaphore(value: 0)
        TerminationSignals.intercept { _ in stop.signal() }
        let engine: LiveEngine
        do {
            engine = try LiveEngine(session: session, options: options)
        } catch {
            session.close()
            throw error
        }
        if !(print || summary) {
            let notice = leftovers.hasDeadSessions
                ? "a killed ringside left changes in tracefs: quit and run `ringside live --cleanup`" : nil
            try runViewer(engine: engine, stop: stop, notice: notice)
            return
        }
        let out = FileOutput.buffer()
        let printer = try LiveTextPrinter(trace: engine.trace, raw: raw)
        engine.start()
        if !summary { printer.writeHeader(to: out) }
        LiveSupport.warn("watching \(events.count) event\(events.count == 1 ? "" : "s") in \(session.instance.displayName); Ctrl-C stops")
        let deadline = duration.flatMap { DurationParser.nanoseconds(Substring($0)) }.map { DispatchTime.now() + .nanoseconds(Int($0)) }
        var failure: Error?
        do {
            while stop.wait(timeout: .now()) == .timedOut {
                if let deadline, DispatchTime.now() >= deadline { break }
                // Wake as soon as a sweep brought pages (or at least every 100 ms).
                engine.waitForPages(timeout: .now() + .milliseconds(100))
                engine.pump()
                if summary {
                    try printer.skipAvailable()
                } else {
                    try printer.writeAvailable(to: out)
                    try out.flush()
                }
            }
        } catch is OutputClosed {
        } catch {
            failure = error
        }
        let recording = try? engine.stop()
        if summary {
            _ = try? printer.skipAvailable()
        } else {
            try? printer.writeAvailable(to: out)
            try? out.flush()
        }
        if summary { writeSummary(engine: engine, printer: printer) }
        if let recording { LiveSupport.warn("wrote \(recording.output)") }
        if let failure { throw failure }
        if let signal = TerminationSignals.receivedSignal, signal != SIGINT {
            TerminationSignals.finishTermination(by: signal)
        }
    }

    /// The viewer on the engine; everything is undone when it ends (q, or a signal).
    private func runViewer(engine: LiveEngine, stop: DispatchSemaphore, notice: String? = nil) throws {
        let environment = ProcessInfo.processInfo.environment
        let terminal: CursesTerminal
        do {
            terminal = try CursesTerminal(environment: environment)
        } catch {
            try? engine.stop()
            throw ValidationFailure(String(describing: error))
        }
        // A second signal ends at once: put the terminal back before dying.
        let restore = TerminationSignals.add { _ in terminal.stop() }
        defer { TerminationSignals.remove(restore) }
        let stopFlag = StopFlag()
        TerminationSignals.intercept { _ in stopFlag.set() }
        _ = stop
        engine.start()
        let status: Int32
        do {
            let viewer = try LiveViewer(engine: engine, terminal: terminal,
                                        themes: ThemeCatalog(directories: ThemeDirectories.search), themeIndex: 0,
                                        notice: notice, shouldStop: { stopFlag.isSet })
            status = viewer.run()
        } catch {
            terminal.stop()
            try? engine.stop()
            throw error
        }
        terminal.stop()
        let recording = try engine.stop()
        if let recording { LiveSupport.warn("wrote \(recording.output)") }
        if let signal = TerminationSignals.receivedSignal, signal != SIGINT {
            TerminationSignals.finishTermination(by: signal)
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// `--replay`: recorded pages through the live path, no tracefs needed.
    private func runReplay(directory: String) throws {
        var options = LiveEngine.Options()
        options.memoryCap = LiveCommand.memoryBytes(memory) ?? 256 << 20
        let engine = try LiveEngine(replaying: directory, options: options, pagesPerSweep: replayPages ?? .max)
        if !(print || summary) {
            try runViewer(engine: engine, stop: DispatchSemaphore(value: 0))
            return
        }
        let out = FileOutput.buffer()
        let printer = try LiveTextPrinter(trace: engine.trace, raw: raw)
        engine.start()
        if !summary { printer.writeHeader(to: out) }
        do {
            while true {
                let finished = engine.replayFinished
                engine.waitForPages(timeout: .now() + .milliseconds(100))
                engine.pump()
                if summary { try printer.skipAvailable() } else { try printer.writeAvailable(to: out); try out.flush() }
                if finished && !engine.pump().changed { break }
            }
        } catch is OutputClosed {
        }
        try engine.stop()
        if summary {
            _ = try? printer.skipAvailable()
            writeSummary(engine: engine, printer: printer)
        } else {
            try? printer.writeAvailable(to: out)
            try? out.flush()
        }
    }

    private func writeSummary(engine: LiveEngine, printer: LiveTextPrinter) {
        let trace = engine.trace
        var lines: [String] = []
        var decoded = 0, kernelRead: UInt64 = 0, kernelLost: UInt64 = 0
        for stream in trace.streams {
            let cpu = Int(stream.cpu)
            let stats = trace.kernelStats[cpu] ?? CPUBufferStats()
            let received = trace.eventsReceived(cpu: cpu)
            decoded += received
            kernelRead += stats.read
            kernelLost += stats.lost
            lines.append("cpu\(cpu): decoded=\(received) kernel_read=\(stats.read) kernel_lost=\(stats.lost) window_dropped=\(trace.windowDropped[cpu]?.events ?? 0)")
        }
        lines.append("total: decoded=\(decoded) walked=\(printer.eventsPrinted) kernel_read=\(kernelRead) kernel_lost=\(kernelLost) lost_notes=\(printer.lostNotes)")
        Swift.print(lines.joined(separator: "\n"))
    }
}

/// A flag set from the signal thread and read by the viewer loop.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() {
        lock.lock()
        value = true
        lock.unlock()
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
