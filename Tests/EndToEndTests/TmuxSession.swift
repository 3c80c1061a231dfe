import Foundation
import XCTest

/// A tmux server of its own (private socket) running a shell in a 160x45 terminal, for driving the
/// built `ringside` binary like a user: send keys, read the screen.
final class TmuxSession {
    let socket: String
    let name = "e2e"

    /// The `tmux` executable, or nil when it is not installed.
    static let tmuxPath: String? = {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = String(dir) + "/tmux"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }()

    /// The built `ringside` binary: next to the test bundle, else in the package's `.build`.
    static let ringsidePath: String? = {
        var candidates: [URL] = []
        let runner = URL(fileURLWithPath: CommandLine.arguments.first ?? "")
        candidates.append(runner.deletingLastPathComponent().appendingPathComponent("ringside"))
        candidates.append(runner.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("ringside"))
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/ringside"))
        candidates.append(root.appendingPathComponent(".build/release/ringside"))
        return candidates.map(\.path).first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    init(width: Int = 160, height: Int = 45) throws {
        socket = "ringside-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try run(["new-session", "-d", "-s", name, "-x", String(width), "-y", String(height),
                 "env", "-i", "PATH=/usr/bin:/bin", "TERM=xterm-256color", "LANG=C.UTF-8", "HOME=/tmp",
                 "bash", "--norc", "--noprofile"])
        // Keep the pane after the shell exits, so a crash still shows what happened.
        try run(["set-option", "-t", name, "remain-on-exit", "on"])
    }

    deinit {
        _ = try? run(["kill-server"])
    }

    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        guard let tmux = Self.tmuxPath else { throw XCTSkip("tmux is not installed") }
        // Output goes through a file, not a pipe: a server started by `new-session` inherits the
        // descriptors and would keep a pipe open forever.
        let outputPath = NSTemporaryDirectory() + "/\(socket)-\(UInt32.random(in: 0...UInt32.max)).out"
        defer { unlink(outputPath) }
        let status = Self.spawn([tmux, "-L", socket] + arguments, output: outputPath)
        let data = FileManager.default.contents(atPath: outputPath) ?? Data()
        if status != 0 && arguments.first != "kill-server" {
            throw NSError(domain: "tmux", code: Int(status),
                          userInfo: [NSLocalizedDescriptionKey: "tmux \(arguments) failed: " + String(decoding: data, as: UTF8.self)])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs a program with stdin from /dev/null and stdout and stderr to `output`; returns its exit
    /// status (posix_spawn and waitpid, which never wait for descriptors a daemon keeps open).
    static func spawn(_ argv: [String], output: String) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Types `text` literally, then presses Enter when asked.
    func type(_ text: String, enter: Bool = false) throws {
        try run(["send-keys", "-t", name, "-l", text])
        if enter { try run(["send-keys", "-t", name, "Enter"]) }
    }

    /// Presses tmux key names (`Escape`, `Enter`, `C-c`, `Down`).
    func press(_ keys: String...) throws {
        try run(["send-keys", "-t", name] + keys)
    }

    func screen() throws -> String {
        try run(["capture-pane", "-p", "-t", name])
    }

    /// Waits until the screen contains `text` (or `timeout` passes) and returns the screen.
    @discardableResult
    func waitFor(_ text: String, timeout: TimeInterval = 15, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if last.contains(text) { return last }
            usleep(50_000)
        }
        XCTFail("timed out waiting for \"\(text)\"; screen:\n\(last)", file: file, line: line)
        return last
    }

    /// The pid of the program the shell is running (ringside), if any.
    func childPID() throws -> Int32? {
        let shell = try run(["list-panes", "-t", name, "-F", "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let shellPID = Int32(shell) else { return nil }
        let children = (try? String(contentsOfFile: "/proc/\(shellPID)/task/\(shellPID)/children", encoding: .utf8)) ?? ""
        return children.split(separator: " ").compactMap { Int32($0) }.first
    }
}
