import Foundation
import XCTest
@testable import Live

/// The live viewer in a real terminal (tmux): events shown as they come, Space pauses, the control
/// panel, quitting and signals leave tracefs clean.
final class LiveViewerTmuxTests: TracefsTestCase {
    private var sessionName = ""

    override func tearDown() {
        if !sessionName.isEmpty { _ = try? tmux(["kill-server"]) }
        super.tearDown()
    }

    /// Runs tmux on a socket of its own. Only `capture-pane` output is read: the server that
    /// `new-session` starts would otherwise hold the output pipe open.
    @discardableResult
    private func tmux(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tmux")
        process.arguments = ["-L", socketName] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard arguments.first == "capture-pane" else {
            // Foundation's Process notices the exit through a descriptor the tmux server would
            // inherit (and keep): spawn these directly.
            let child = try ChildProcess(arguments: ["/usr/bin/tmux", "-L", socketName] + arguments)
            _ = child.wait(timeout: .now() + 10)
            return ""
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    private let socketName = "ringside-live-tests-\(getpid())"

    private func start(_ command: String) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else { throw XCTSkip("tmux is not installed") }
        sessionName = LiveTestSupport.uniqueName("ringside-live-ui")
        let binary = try LiveTestSupport.ringsideBinary()
        let line = "RINGSIDE_STATE_DIR=\(stateDirectory!) LANG=C.UTF-8 \(binary) \(command); echo EXIT=$?; sleep 30"
        try tmux(["new-session", "-d", "-s", sessionName, "-x", "160", "-y", "45", line])
    }

    private func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", sessionName]) }

    private func waitFor(_ text: String, seconds: Double = 10) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if last.contains(text) { return last }
            usleep(100_000)
        }
        XCTFail("\"\(text)\" never showed; screen:\n\(last)")
        return last
    }

    private func keys(_ keys: String...) throws {
        for key in keys { try tmux(["send-keys", "-t", sessionName, key]) }
    }

    func testReplayInTheViewerFollowsPausesAndQuits() throws {
        let fixture = LiveTestSupport.fixtures.appendingPathComponent("sched-markers").path
        try start("live --replay \(fixture) --replay-pages 1")
        var shown = try waitFor("fixture end")
        XCTAssertTrue(shown.contains("LIVE"), shown)
        XCTAssertTrue(shown.contains("fx_entry"), shown)
        try keys("Space")
        shown = try waitFor("PAUSED")
        try keys("g")
        shown = try waitFor("event 1 of")
        try keys("Space")
        _ = try waitFor("LIVE")
        try keys("q")
        shown = try waitFor("EXIT=0")
    }

    func testLiveViewerControlPanelAndCleanupOnQuitAndSignal() throws {
        try start("live -e sched:sched_switch")
        var shown = try waitFor("sched_switch")
        XCTAssertTrue(shown.contains("ev/s"), shown)
        let instances = tracefs.instanceNames().filter { $0.hasPrefix("ringside-") && Int($0.dropFirst(9)) != nil }
        try keys("p")
        _ = try waitFor("events and probes in")
        try keys("/")
        _ = try tmux(["send-keys", "-t", sessionName, "-l", "sched_wakeup_new"])
        try keys("Enter", "j", "Space")
        shown = try waitFor("[x] sched:sched_wakeup_new")
        try keys("f")
        _ = try tmux(["send-keys", "-t", sessionName, "-l", "bogus == 1"])
        try keys("Enter")
        shown = try waitFor("Field not found")
        try keys("m")
        _ = try tmux(["send-keys", "-t", sessionName, "-l", "hello from the panel"])
        try keys("Enter", "Escape")
        // The viewer's own filter shows the marker among the scheduler events.
        try keys("f")
        try tmux(["send-keys", "-t", sessionName, "-l", "event == \"print\""])
        try keys("Enter")
        shown = try waitFor("hello from the panel")
        try keys("Escape")
        try keys("q")
        _ = try waitFor("EXIT=0")
        for name in instances { XCTAssertFalse(tracefs.instance(named: name).exists, "\(name) left after q") }

        // SIGTERM: the terminal comes back and tracefs is clean.
        try tmux(["kill-session", "-t", sessionName])
        try start("live -e sched:sched_switch")
        _ = try waitFor("sched_switch")
        let pid = try XCTUnwrap(tracefs.instanceNames().compactMap { $0.hasPrefix("ringside-") ? Int32($0.dropFirst(9)) : nil }
            .first { ProcessIdentity.startTicks(of: $0) != nil })
        kill(pid, SIGTERM)
        shown = try waitFor("EXIT=143")
        XCTAssertFalse(tracefs.instance(named: "ringside-\(pid)").exists)
    }
}
