import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Ftrace
import Live
import TraceKit

/// `ringside record`: record kernel events to a trace.dat file.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record kernel events into a trace.dat file (version 7, zstd) that trace-cmd and ringside read.",
        discussion: """
            Records in a private instance ringside-<pid> (or --instance), until COMMAND ends, \
            --duration passes, or Ctrl-C. Ctrl-C, SIGTERM and SIGHUP stop the recording and the file \
            is still written; a second signal stops at once. Everything ringside set up is removed \
            afterwards. `ringside mark TEXT` from another terminal adds a marker to the recording.
            """)

    @Option(name: .shortAndLong, help: "Events to record (SYSTEM:EVENT, sched:*, sched). Repeatable.")
    var event: [String] = []

    @Option(name: .shortAndLong, help: "Output file.")
    var output: String = "trace.dat"

    @Option(name: .long, help: "Stop after this long (e.g. 5s, 250ms).")
    var duration: String?

    @OptionGroup var sessionOptions: SessionOptions

    @Option(name: .long, help: "trace.dat version: 7 (default) or 6.")
    var fileVersion: Int = 7

    @Option(name: .long, help: "Compression for version 7: zstd (default), zlib or none.")
    var compression: String = "zstd"

    @Argument(parsing: .postTerminator, help: "Command to run while recording (after --).")
    var command: [String] = []

    func validate() throws {
        guard !event.isEmpty else { throw ValidationError("name the events to record with -e (e.g. -e sched:sched_switch)") }
        guard fileVersion == 6 || fileVersion == 7 else { throw ValidationError("--file-version must be 6 or 7") }
        guard TraceDatWriter.Format.Compression(rawValue: compression) != nil else {
            throw ValidationError("--compression must be zstd, zlib or none")
        }
        if fileVersion == 6 && compression != "zstd" && compression != "none" {
            throw ValidationError("version 6 files are not compressed")
        }
        if let duration, DurationParser.nanoseconds(Substring(duration)) == nil {
            throw ValidationError("--duration \"\(duration)\" is not a duration (e.g. 5s, 250ms)")
        }
    }

    func run() throws {
        TerminationSignals.install()
        FileOutputSupport.ignoreBrokenPipe()
        let (tracefs, stateDirectory) = try SessionOptions.tracefsReportingLeftovers()
        let catalogue = try AvailableEvents(tracefs: tracefs)
        let events = try LiveSupport.resolve(event, in: catalogue)
        let format: TraceDatWriter.Format = fileVersion == 6
            ? .version6 : .version7(TraceDatWriter.Format.Compression(rawValue: compression) ?? .zstd)
        let limit = duration.flatMap { DurationParser.nanoseconds(Substring($0)) }

        let session = try sessionOptions.openSession(command: "record", tracefs: tracefs, stateDirectory: stateDirectory)
        // A signal that arrives while ringside cannot stop gracefully still undoes everything.
        let cleanupToken = TerminationSignals.add { _ in session.close() }
        defer { TerminationSignals.remove(cleanupToken) }
        let stop = DispatchSemaphore(value: 0)
        TerminationSignals.intercept { _ in stop.signal() }

        var recorder: TraceRecorder?
        var child: ChildProcess?
        do {
            try session.setSetting("tracing_on", "0")
            try session.setEnabled(events, true)
            let made = try TraceRecorder(session: session, output: output, format: format)
            recorder = made
            made.start()
            try session.setSetting("tracing_on", "1")
            LiveSupport.warn("recording \(events.count) event\(events.count == 1 ? "" : "s") in \(session.instance.displayName)" +
                             (command.isEmpty && limit == nil ? "; press Ctrl-C to stop" : ""))
            if !command.isEmpty { child = try ChildProcess(arguments: command) }
        } catch {
            recorder?.abandon()
            session.close()
            throw error
        }

        let deadline: DispatchTime = limit.map { .now() + .nanoseconds(Int($0)) } ?? .distantFuture
        if let child {
            // Wait for the command, a signal, or the deadline, whichever comes first.
            let done = DispatchSemaphore(value: 0)
            let waiter = DispatchQueue(label: "ringside-record-wait")
            waiter.async { _ = child.wait(); done.signal() }
            waiter.async { _ = stop.wait(timeout: deadline); done.signal() }
            _ = done.wait(timeout: deadline)
        } else {
            _ = stop.wait(timeout: deadline)
        }

        let summary: TraceRecorder.Summary
        do {
            summary = try recorder!.finish()
        } catch {
            session.close()
            throw error
        }
        let outcomes = session.close()
        for outcome in outcomes where outcome.isFailure { LiveSupport.warn(outcome.description) }
        report(summary)
        if let signal = TerminationSignals.receivedSignal, signal != SIGINT {
            TerminationSignals.finishTermination(by: signal)
        }
        if let code = child?.exitCode, code != 0 {
            LiveSupport.warn("the command exited with status \(code)")
        }
    }

    private func report(_ summary: TraceRecorder.Summary) {
        var lines: [String] = []
        for cpu in summary.pages.keys.sorted() {
            let pages = summary.pages[cpu] ?? 0
            let bytes = summary.bytes[cpu] ?? 0
            var line = "CPU\(cpu): \(pages) page\(pages == 1 ? "" : "s") (\(bytes / 1024) KiB), \(summary.eventsRead[cpu] ?? 0) events"
            if let lost = summary.kernelLost[cpu], lost > 0 { line += ", \(lost) lost by the kernel (buffer full)" }
            lines.append(line)
        }
        lines.append("wrote \(summary.output)")
        LiveSupport.warn(lines.joined(separator: "\n  "))
    }
}
