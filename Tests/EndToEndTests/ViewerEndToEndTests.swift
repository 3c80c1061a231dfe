import Foundation
import XCTest

/// The built binary in a real terminal (tmux): lanes, filter, help, quitting and signals leave the
/// terminal usable.
final class ViewerEndToEndTests: XCTestCase {
    private func start(_ arguments: String) throws -> TmuxSession {
        guard TmuxSession.tmuxPath != nil else { throw XCTSkip("tmux is not installed; skipping end-to-end tests") }
        guard let ringside = TmuxSession.ringsidePath else {
            throw XCTSkip("the ringside binary was not found next to the tests; run `swift build` first")
        }
        let session = try TmuxSession()
        try session.type("cd '\(TmuxSession.packageRoot)'; '\(ringside)' \(arguments); echo EXIT=$?", enter: true)
        return session
    }

    /// The shell answers after ringside exits, with echo and canonical mode back on.
    private func assertTerminalUsable(_ session: TmuxSession, file: StaticString = #filePath, line: UInt = #line) throws {
        try session.type("stty -a | tr ' ' '\\n' | grep -xE -- '-?(echo|icanon)' | tr '\\n' ' '; echo; echo USABLE-$((40+2))",
                         enter: true)
        let screen = try session.waitFor("USABLE-42", file: file, line: line)
        XCTAssertTrue(screen.contains("echo icanon") || screen.contains("icanon echo"),
                      "terminal modes not restored:\n\(screen)", file: file, line: line)
        XCTAssertFalse(screen.contains("\u{1B}"), file: file, line: line)
    }

    func testLanesFilterHelpAndQuit() throws {
        let session = try start("--synthetic 60000")
        var screen = try session.waitFor("CPU 3")
        for cpu in 0..<4 { XCTAssertTrue(screen.contains("CPU \(cpu)"), screen) }
        try session.waitFor("sched_switch")
        try session.waitFor("event 1 of 60000 ")

        try session.type("f")
        try session.waitFor("filter:")
        try session.type("cpu = 2")
        try session.waitFor("column 5: '=' is not an operator")
        try session.press("BSpace", "BSpace", "BSpace")
        try session.type("== 2 && event =~ \"sched*\"", enter: true)
        screen = try session.waitFor("filter: cpu == 2 && event =~ \"sched*\"")
        try session.waitFor("match 1 of ")
        screen = try session.screen()
        let rows = screen.split(separator: "\n").filter { $0.contains(" sched_switch ") }
        XCTAssertGreaterThan(rows.count, 5, screen)
        for row in rows {
            let columns = row.split(separator: " ")
            XCTAssertEqual(columns.count > 1 ? columns[1] : "", "2", "row not on CPU 2: \(row)")
        }

        try session.type("?")
        screen = try session.waitFor("Help")
        XCTAssertTrue(screen.contains("Quit ringside"), screen)
        XCTAssertTrue(screen.contains("Filter events"), screen)
        try session.press("Escape")

        try session.type("s")
        try session.waitFor("Statistics")
        try session.press("Escape")

        try session.type("q")
        try session.waitFor("EXIT=0")
        try assertTerminalUsable(session)
    }

    func testSignalsRestoreTheTerminal() throws {
        for (signal, status) in [(SIGTERM, 143), (SIGHUP, 129), (SIGSEGV, 139)] {
            let session = try start("--synthetic 20000")
            try session.waitFor("CPU 0")
            guard let pid = try session.childPID() else {
                XCTFail("ringside's pid not found")
                continue
            }
            kill(pid, signal)
            try session.waitFor("EXIT=\(status)")
            try assertTerminalUsable(session)
        }
        let session = try start("--synthetic 20000")
        try session.waitFor("CPU 0")
        try session.press("C-c")
        // bash abandons the rest of a command list after SIGINT, so ask for the status separately.
        try session.waitFor("bash-")
        try session.type("echo EXIT=$?", enter: true)
        try session.waitFor("EXIT=130")
        try assertTerminalUsable(session)
    }

    func testResizeRedraws() throws {
        let session = try start("--synthetic 20000")
        try session.waitFor("CPU 3")
        try session.run(["resize-window", "-t", session.name, "-x", "90", "-y", "20"])
        let screen = try session.waitFor("? help")
        for line in screen.split(separator: "\n") {
            XCTAssertLessThanOrEqual(line.count, 90, "line wider than the terminal: \(line)")
        }
        try session.type("q")
        try session.waitFor("EXIT=0")
    }

    func testNoColorAndASCII() throws {
        let session = try start("--synthetic 20000 --ascii --color never")
        let screen = try session.waitFor("CPU 0")
        XCTAssertFalse(screen.contains("│"), "ASCII mode drew box characters:\n\(screen)")
        try session.type("T")
        try session.waitFor("theme: ")
        try session.type("q")
        try session.waitFor("EXIT=0")
    }

    func testBundledSampleOpensWhenAReaderIsAvailable() throws {
        guard let ringside = TmuxSession.ringsidePath else { throw XCTSkip("ringside not built") }
        let probe = TmuxSession.spawn([ringside, "dump", TmuxSession.packageRoot + "/samples/ust-libc"], output: "/dev/null")
        guard probe == 0 else {
            throw XCTSkip("no reader for samples/ust-libc in this build yet")
        }
        let session = try start("samples/ust-libc")
        var screen = try session.waitFor("lttng_ust_statedump:start")
        // Lanes per CPU, or per channel stream when the records carry no CPU number.
        XCTAssertTrue(screen.contains("CPU 0") || screen.contains("ch0_0"), screen)
        try session.type("f")
        try session.type("event =~ \"*malloc*\"", enter: true)
        screen = try session.waitFor("filter: event =~ \"*malloc*\"")
        try session.type("q")
        try session.waitFor("EXIT=0")
        try assertTerminalUsable(session)
    }

    func testDumpFilterErrorsPointAtTheColumn() throws {
        guard let ringside = TmuxSession.ringsidePath else { throw XCTSkip("ringside not built") }
        let path = NSTemporaryDirectory() + "/ringside-dump-filter-\(getpid()).out"
        defer { unlink(path) }
        let status = TmuxSession.spawn([ringside, "dump", "--filter", "cpu == 1 && (pid > ",
                                        TmuxSession.packageRoot + "/samples/ust-libc"], output: path)
        let output = String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(output.contains("column 20: expected a value after '>'"), output)
        XCTAssertTrue(output.contains("cpu == 1 && (pid > \n" + String(repeating: " ", count: 21) + "^"), output)
    }

    /// ftrace rows show the event's print-format text as trace-cmd renders it (the golden report
    /// of the same file has it), and the status bar reaches the end of the indexed trace.
    func testFtraceRowsShowTraceCmdText() throws {
        let fixture = "Tests/Fixtures/ftrace/instances-v7.dat"
        let report = try String(contentsOfFile: TmuxSession.packageRoot + "/Tests/Fixtures/ftrace/instances.tc.txt", encoding: .utf8)
        // The first event line's text after "name: " and its padding.
        guard let line = report.split(separator: "\n").first(where: { $0.contains("softirq_raise:") }),
              let colon = line.range(of: "softirq_raise:") else { return XCTFail("no softirq_raise line in the report") }
        let info = line[colon.upperBound...].trimmingCharacters(in: .whitespaces)
        XCTAssertEqual(info, "vec=9 [action=RCU]")
        let session = try start(fixture)
        let screen = try session.waitFor(info)
        XCTAssertTrue(screen.contains("softirq_raise"), screen)
        try session.type("G")
        try session.waitFor(" of ")
        try session.type("q")
        try session.waitFor("EXIT=0")
        try assertTerminalUsable(session)
    }

    /// A trace still being written: packets appended to a stream file and a new stream file show up
    /// in the viewer by themselves (it looks at the files while idle), position kept.
    func testGrowingTraceIsPickedUp() throws {
        guard let ringside = TmuxSession.ringsidePath else { throw XCTSkip("ringside not built") }
        let source = TmuxSession.packageRoot + "/samples/ust-libc/ust/uid/0/64-bit"
        let directory = NSTemporaryDirectory() + "ringside-growing-\(getpid())"
        let manager = FileManager.default
        try? manager.removeItem(atPath: directory)
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? manager.removeItem(atPath: directory) }
        try manager.copyItem(atPath: source + "/metadata", toPath: directory + "/metadata")
        let stream = try Data(contentsOf: URL(fileURLWithPath: source + "/ch0_1"))
        let firstPart = min(stream.count, 4 * 4096)
        try stream.prefix(firstPart).write(to: URL(fileURLWithPath: directory + "/ch0_1"))
        // What the whole trace holds, from the dump.
        let listing = NSTemporaryDirectory() + "ringside-growing-\(getpid()).txt"
        defer { unlink(listing) }
        XCTAssertEqual(TmuxSession.spawn([ringside, "dump", source], output: listing), 0)
        let total = String(decoding: manager.contents(atPath: listing) ?? Data(), as: UTF8.self)
            .split(separator: "\n").count
        XCTAssertGreaterThan(total, 10)

        let session = try start("'\(directory)'")
        let screen = try session.waitFor("event 1 of ")
        XCTAssertFalse(screen.contains("of \(total) "), screen)
        // The session writes on: the rest of the stream, and a stream of the other CPU.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/ch0_1"))
        handle.seekToEndOfFile()
        handle.write(stream.suffix(from: firstPart))
        handle.closeFile()
        try manager.copyItem(atPath: source + "/ch0_0", toPath: directory + "/ch0_0")
        try session.waitFor("of \(total) ", timeout: 20)
        try session.type("q")
        try session.waitFor("EXIT=0")
        try assertTerminalUsable(session)
    }

    /// A finished index is kept in the cache directory and used the next time; a damaged one is
    /// refused and the trace indexed again.
    func testSavedIndexIsReusedAndDamageIsRefused() throws {
        guard let ringside = TmuxSession.ringsidePath else { throw XCTSkip("ringside not built") }
        let cache = NSTemporaryDirectory() + "ringside-cache-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let out = cache + ".out"
        defer { unlink(out) }
        let trace = TmuxSession.packageRoot + "/Tests/Fixtures/scale/kernel-like"
        func run() throws -> String {
            let status = TmuxSession.spawn(["/usr/bin/env", "XDG_CACHE_HOME=" + cache, ringside, "view", "--measure-index", trace],
                                           output: out)
            XCTAssertEqual(status, 0)
            return String(decoding: FileManager.default.contents(atPath: out) ?? Data(), as: UTF8.self)
        }
        let first = try run()
        XCTAssertTrue(first.contains("records 3000 "), first)
        XCTAssertFalse(first.contains("saved index"), first)
        let second = try run()
        XCTAssertTrue(second.contains("records 3000 ") && second.contains("(saved index)"), second)
        // Damage the saved file: it is refused, the trace is indexed again and saved anew.
        let files = try FileManager.default.subpathsOfDirectory(atPath: cache).filter { $0.hasSuffix(".idx") }
        XCTAssertEqual(files.count, 1)
        let path = cache + "/" + files[0]
        var bytes = Array(FileManager.default.contents(atPath: path) ?? Data())
        bytes[bytes.count / 2] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let third = try run()
        XCTAssertTrue(third.contains("records 3000 ") && !third.contains("saved index"), third)
        XCTAssertTrue(try run().contains("(saved index)"))
    }
}
