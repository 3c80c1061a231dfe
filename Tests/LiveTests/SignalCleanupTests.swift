import Foundation
import XCTest
@testable import Live

/// The built ringside binary leaves tracefs as it found it when stopped by signals, and after
/// `kill -9` the next start reports the leftovers and `ringside live --cleanup` removes them.
final class SignalCleanupTests: TracefsTestCase {
    private func environment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["RINGSIDE_STATE_DIR"] = stateDirectory
        return env
    }

    /// Starts `ringside record` and waits until its instance exists.
    private func startRecording(output: String) throws -> (Process, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try LiveTestSupport.ringsideBinary())
        process.arguments = ["record", "-e", "sched:sched_switch", "-o", output]
        process.environment = environment()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let name = "ringside-\(process.processIdentifier)"
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if tracefs.instance(named: name).exists,
               (try? tracefs.instance(named: name).isEnabled(EventName(system: "sched", name: "sched_switch"))) == true {
                // Let the capture thread start reading.
                usleep(200_000)
                return (process, name)
            }
            usleep(20_000)
        }
        process.terminate()
        process.waitUntilExit()
        XCTFail("ringside record did not set up \(name)")
        throw XCTSkip("no recording")
    }

    private func waitForExit(_ process: Process, seconds: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    func testSignalsStopRecordingWriteTheFileAndCleanUp() throws {
        let directory = try LiveTestSupport.temporaryDirectory("signals")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            let output = directory + "/sig\(signal).dat"
            let (process, instance) = try startRecording(output: output)
            kill(process.processIdentifier, signal)
            XCTAssertTrue(waitForExit(process), "ringside did not stop on signal \(signal)")
            if signal == SIGINT {
                XCTAssertEqual(process.terminationReason, .exit)
                XCTAssertEqual(process.terminationStatus, 0)
            } else {
                XCTAssertEqual(process.terminationReason, .uncaughtSignal, "signal \(signal)")
                XCTAssertEqual(process.terminationStatus, signal)
            }
            XCTAssertFalse(tracefs.instance(named: instance).exists, "\(instance) left after signal \(signal)")
            XCTAssertTrue(FileManager.default.fileExists(atPath: output), "no trace written on signal \(signal)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output + ".cpu0"), "page files left")
            XCTAssertTrue(OwnershipJournal.all(in: stateDirectory).isEmpty, "journal left after signal \(signal)")
            if let traceCmd = try? LiveTestSupport.traceCmd() {
                let report = try LiveTestSupport.run(traceCmd, ["report", output])
                XCTAssertEqual(report.status, 0, report.output)
                XCTAssertTrue(report.output.contains("sched_switch"), report.output)
            }
        }
    }

    func testKillNineLeavesLeftoversThatCleanupRemoves() throws {
        let directory = try LiveTestSupport.temporaryDirectory("kill9")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (process, instance) = try startRecording(output: directory + "/killed.dat")
        kill(process.processIdentifier, SIGKILL)
        XCTAssertTrue(waitForExit(process))
        XCTAssertTrue(tracefs.instance(named: instance).exists, "kill -9 cannot clean up")
        let leftovers = Leftovers.scan(tracefs: tracefs, stateDirectory: stateDirectory)
        XCTAssertTrue(leftovers.hasDeadSessions)
        XCTAssertTrue(leftovers.report()?.contains("instance \(instance)") ?? false, leftovers.report() ?? "")

        // The next start reports them.
        let binary = try LiveTestSupport.ringsideBinary()
        let next = try LiveTestSupport.run(binary, ["record", "-e", "sched:sched_switch", "-o", directory + "/next.dat",
                                                    "--duration", "100ms"], environment: environment())
        XCTAssertEqual(next.status, 0, next.output)
        XCTAssertTrue(next.output.contains("no longer running") && next.output.contains(instance), next.output)
        XCTAssertTrue(next.output.contains("ringside live --cleanup"), next.output)

        let cleanup = try LiveTestSupport.run(binary, ["live", "--cleanup"], environment: environment())
        XCTAssertEqual(cleanup.status, 0, cleanup.output)
        XCTAssertTrue(cleanup.output.contains("removed instance \(instance)"), cleanup.output)
        XCTAssertFalse(tracefs.instance(named: instance).exists)
        XCTAssertTrue(OwnershipJournal.all(in: stateDirectory).filter { journal in
            if case .session = journal.owner { return true } else { return false }
        }.isEmpty)
        let again = try LiveTestSupport.run(binary, ["live", "--cleanup"], environment: environment())
        XCTAssertTrue(again.output.contains("nothing to clean up"), again.output)
    }

    func testDeadSessionProbesAndTopLevelChangesAreUndone() throws {
        guard tracefs.capabilities.uprobes else { throw XCTSkip("kernel without uprobes") }
        let directory = try LiveTestSupport.temporaryDirectory("dead")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let binary = try LiveTestSupport.compile("probe-target.c", into: directory, output: "probe-target")
        // A journal owned by a process that has exited stands for a killed session.
        let gone = try LiveTestSupport.run("/bin/sh", ["-c", "echo $$"]).output
        let deadPid = Int32(gone.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 999_999
        let journal = OwnershipJournal(path: stateDirectory + "/session-\(deadPid).journal",
                                       owner: .session(ProcessIdentity(pid: deadPid, startTicks: 1), command: "live"))
        try journal.createIfNeeded()
        let name = instanceName()
        let probe = try ProbeRequest(target: binary + ":probe_target", name: probeName("dead"), arguments: ["v=$arg1:s64"])
            .resolve(capabilities: tracefs.capabilities)
        // What the killed session had done, recorded as it would have.
        try tracefs.instance(named: name).create()
        try journal.record(.instance(name: name))
        try DynamicEvents(tracefs: tracefs).add(probe)
        try journal.record(.probe(group: ProbeDefinition.group, name: probe.name, definition: probe.definitionLine))
        try tracefs.instance(named: name).setEnabled(probe.event, true)
        try journal.record(.eventState(instance: name, event: probe.event, previouslyEnabled: false))

        let leftovers = Leftovers.scan(tracefs: tracefs, stateDirectory: stateDirectory)
        XCTAssertEqual(leftovers.deadSessions.first?.pid, deadPid)
        XCTAssertEqual(Set(leftovers.deadSessions.first?.resources ?? []).count, 3)
        let outcomes = leftovers.cleanUp(tracefs: tracefs, stateDirectory: stateDirectory, includePersistent: false)
        XCTAssertTrue(outcomes.allSatisfy { !$0.isFailure }, "\(outcomes)")
        assertNothingLeft([name], probes: [probe.event])
        XCTAssertFalse(FileManager.default.fileExists(atPath: journal.path))
    }

    func testTopLevelEventStateIsRestored() throws {
        // Only an event nobody uses in the top-level buffer, put back to what it was.
        let event = EventName(system: "sched", name: "sched_kthread_stop_ret")
        let top = tracefs.topLevel
        guard ControlFile.exists(top.path("events/\(event.directory)/enable")) else { throw XCTSkip("no \(event)") }
        let before = try top.isEnabled(event)
        let session = try TracingSession(tracefs: tracefs, choice: .top, journal: try sessionJournal())
        try session.setEnabled([event], !before)
        XCTAssertEqual(try top.isEnabled(event), !before)
        session.close()
        XCTAssertEqual(try top.isEnabled(event), before, "top-level state restored")
    }
}
