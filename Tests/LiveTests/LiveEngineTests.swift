import Foundation
import XCTest
import TraceKit
@testable import Live

/// The whole live path on the real kernel: session, capture thread, queue, live trace, printer.
final class LiveEngineTests: TracefsTestCase {
    /// Pumps the engine until `done` holds for the printed text or `timeout` passes.
    private func pump(_ engine: LiveEngine, _ printer: LiveTextPrinter, timeout: Duration = .seconds(3),
                      until done: (String) -> Bool) throws -> (String, Duration) {
        var text: [UInt8] = []
        let out = OutputBuffer(flushThreshold: 1 << 20) { text += $0 }
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            engine.pump()
            try printer.writeAvailable(to: out)
            try out.flush()
            if done(String(decoding: text, as: UTF8.self)) { break }
            usleep(10_000)
        }
        return (String(decoding: text, as: UTF8.self), ContinuousClock.now - start)
    }

    func testUprobeArgumentsAndMarkersAreDecodedLive() throws {
        guard tracefs.capabilities.uprobes else { throw XCTSkip("kernel without uprobes") }
        let directory = try LiveTestSupport.temporaryDirectory("engine")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let binary = try LiveTestSupport.compile("probe-target.c", into: directory, output: "probe-target")
        let session = try TracingSession(tracefs: tracefs, choice: .named(instanceName()), journal: try sessionJournal())
        defer { session.close() }
        let entry = try ProbeRequest(target: binary + ":probe_target", name: probeName("live_entry"),
                                     arguments: ["value=$arg1:s64", "text=+0($arg2):string"])
            .resolve(capabilities: tracefs.capabilities)
        try session.addProbe(entry)
        var options = LiveEngine.Options()
        options.events = [entry.event, EventName(system: "sched", name: "sched_process_exec")]
        let engine = try LiveEngine(session: session, options: options)
        let printer = try LiveTextPrinter(trace: engine.trace)
        engine.start()
        let marker = "engine marker ✓ \(getpid())"
        try session.writeMarker(marker)
        XCTAssertEqual(try LiveTestSupport.run(binary, ["3"]).status, 0)
        let (text, latency) = try pump(engine, printer) { $0.contains("value=42 text=\"hello\"") && $0.contains(marker) }
        XCTAssertTrue(text.contains("\(entry.name):"), text)
        XCTAssertTrue(text.contains("value=40 text=\"hello\""), text)
        XCTAssertTrue(text.contains("value=42 text=\"hello\""), text)
        XCTAssertTrue(text.contains("tracing_mark_write: \(marker)"), text)
        XCTAssertTrue(text.contains("sched_process_exec:") && text.contains("probe-target"), text)
        // Decoded fields through the Trace API.
        let trace = engine.trace
        let merger = try TraceSet(traces: [trace]).makeMerger()
        var values: [Int64] = []
        while let record = merger.current {
            if trace.eventClass(of: record)?.name == entry.name,
               case .integer(let v, _)? = try trace.fields(of: record).lookup("value") {
                values.append(v.int64)
            }
            try merger.advance()
        }
        XCTAssertEqual(values, [40, 41, 42])
        try engine.stop()
        assertNothingLeft([session.instance.name!])
    }

    func testEventsReachTheReaderAndNoneAreLostOnOurSide() throws {
        let session = try TracingSession(tracefs: tracefs, choice: .named(instanceName()), journal: try sessionJournal())
        defer { session.close() }
        var options = LiveEngine.Options()
        options.events = [EventName(system: "sched", name: "sched_switch")]
        let engine = try LiveEngine(session: session, options: options)
        let printer = try LiveTextPrinter(trace: engine.trace)
        engine.start()
        // Markers arrive while tracing goes on (the latency is measured in bench/live-latency.sh).
        for i in 0..<5 {
            let marker = "arrives \(i) \(getpid())"
            try session.writeMarker(marker)
            let (text, _) = try pump(engine, printer) { $0.contains(marker) }
            XCTAssertTrue(text.contains(marker))
            if ProcessInfo.processInfo.environment["RINGSIDE_TEST_VERBOSE"] != nil {
                print("marker \(i) shown after \(try pump(engine, printer) { _ in true }.1)")
            }
        }
        try engine.stop()
        let trace = engine.trace
        for stream in trace.streams {
            let cpu = Int(stream.cpu)
            XCTAssertEqual(UInt64(trace.eventsReceived(cpu: cpu)), trace.kernelStats[cpu]?.read,
                           "cpu\(cpu): every event the kernel handed over was decoded")
        }
    }

    func testRecordWhileWatching() throws {
        let directory = try LiveTestSupport.temporaryDirectory("engine-record")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let session = try TracingSession(tracefs: tracefs, choice: .named(instanceName()), journal: try sessionJournal())
        defer { session.close() }
        var options = LiveEngine.Options()
        options.events = [EventName(system: "sched", name: "sched_switch")]
        options.recordPath = directory + "/live.dat"
        let engine = try LiveEngine(session: session, options: options)
        let printer = try LiveTextPrinter(trace: engine.trace)
        engine.start()
        try session.writeMarker("recorded while watching")
        let (shown, _) = try pump(engine, printer) { $0.contains("recorded while watching") }
        XCTAssertTrue(shown.contains("recorded while watching"))
        let summary = try XCTUnwrap(try engine.stop())
        XCTAssertEqual(summary.output, directory + "/live.dat")
        // ringside reads back what it recorded, and so does trace-cmd.
        let reread = try LiveTestSupport.run(try LiveTestSupport.ringsideBinary(), ["dump", "--format", "trace-cmd", directory + "/live.dat"])
        XCTAssertEqual(reread.status, 0, reread.output)
        XCTAssertTrue(reread.output.contains("tracing_mark_write: recorded while watching"), reread.output)
        if let traceCmd = try? LiveTestSupport.traceCmd() {
            let report = try LiveTestSupport.run(traceCmd, ["report", "-N", "-t", directory + "/live.dat"])
            XCTAssertEqual(report.output, reread.output, "ringside dump equals trace-cmd report on the recording")
        }
    }
}

/// `ringside record` then read back by ringside and trace-cmd.
final class RecordCommandTests: TracefsTestCase {
    func testRecordCommandThenReadBack() throws {
        let directory = try LiveTestSupport.temporaryDirectory("record")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var env = ProcessInfo.processInfo.environment
        env["RINGSIDE_STATE_DIR"] = stateDirectory
        let binary = try LiveTestSupport.ringsideBinary()
        for (label, extra) in [("v7", [String]()), ("v6", ["--file-version", "6"]), ("none", ["--compression", "none"])] {
            let output = directory + "/\(label).dat"
            let result = try LiveTestSupport.run(binary, ["record", "-e", "sched:sched_switch", "-e", "sched:sched_process_exec",
                                                          "-o", output] + extra + ["--", "/bin/sh", "-c", "/bin/true; /bin/true"],
                                                 environment: env)
            XCTAssertEqual(result.status, 0, result.output)
            XCTAssertTrue(result.output.contains("wrote \(output)"), result.output)
            let dump = try LiveTestSupport.run(binary, ["dump", "--format", "trace-cmd", output])
            XCTAssertEqual(dump.status, 0, dump.output)
            XCTAssertTrue(dump.output.contains("sched_process_exec:") && dump.output.contains("filename=/bin/true"), dump.output)
            if let traceCmd = try? LiveTestSupport.traceCmd() {
                let report = try LiveTestSupport.run(traceCmd, ["report", "-N", "-t", output])
                XCTAssertEqual(report.status, 0)
                XCTAssertEqual(report.output, dump.output, "\(label): ringside and trace-cmd read the same")
            }
        }
        XCTAssertTrue(OwnershipJournal.all(in: stateDirectory).isEmpty)
        // Bad arguments fail before touching tracefs.
        XCTAssertNotEqual(try LiveTestSupport.run(binary, ["record", "-o", directory + "/x.dat"], environment: env).status, 0)
        XCTAssertNotEqual(try LiveTestSupport.run(binary, ["record", "-e", "nosuch:event", "-o", directory + "/x.dat"], environment: env).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/x.dat"))
        XCTAssertTrue(tracefs.instanceNames().filter { $0.hasPrefix("ringside-") && Int($0.dropFirst(9)) != nil }
            .allSatisfy { ProcessIdentity.startTicks(of: Int32($0.dropFirst(9))!) != nil })
    }
}
