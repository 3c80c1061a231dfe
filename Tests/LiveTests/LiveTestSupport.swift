import Foundation
import XCTest
@testable import Live

/// Shared helpers: the real tracefs (or a skip), private state directories, unique instance and
/// probe names, and small C programs compiled for the test.
enum LiveTestSupport {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/live")

    nonisolated(unsafe) private static var counter = 0
    private static let counterLock = NSLock()

    /// A name unique in this test run: `PREFIX-<pid>-<n>`.
    static func uniqueName(_ prefix: String) -> String {
        counterLock.lock()
        defer { counterLock.unlock() }
        counter += 1
        return "\(prefix)-\(getpid())-\(counter)"
    }

    /// The real tracefs, or a skip explaining why it cannot be used.
    static func tracefs() throws -> Tracefs {
        guard geteuid() == 0 else { throw XCTSkip("live tests need root to use tracefs") }
        do {
            return try Tracefs.locate(mountIfNeeded: true, environment: [:])
        } catch {
            throw XCTSkip("tracefs cannot be used here: \(error)")
        }
    }

    /// A fresh state directory for journals, removed by the caller's teardown.
    static func temporaryDirectory(_ label: String) throws -> String {
        let path = NSTemporaryDirectory() + "ringside-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Compiles `source` (a file in Fixtures/live) with the system C compiler into `directory`.
    static func compile(_ source: String, into directory: String, output: String, flags: [String] = []) throws -> String {
        let compiler = ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let compiler else { throw XCTSkip("no C compiler to build \(source)") }
        let out = directory + "/" + output
        let result = try run(compiler, ["-O1", "-g", "-o", out, fixtures.appendingPathComponent(source).path] + flags)
        guard result.status == 0 else {
            throw XCTSkip("cannot compile \(source) with \(flags): \(result.output)")
        }
        return out
    }

    /// The built `ringside` executable next to the test bundle.
    static func ringsideBinary() throws -> String {
        // The test bundle sits in the build products directory (the bundle URL is the .xctest
        // directory or the products directory itself, depending on the platform).
        let bundle = Bundle(for: TracefsTestCase.self).bundleURL
        let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("ringside").path }
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("the ringside executable is not built (looked at \(candidates))")
        }
        return path
    }

    /// `trace-cmd`, or a skip.
    static func traceCmd() throws -> String {
        for path in ["/usr/bin/trace-cmd", "/usr/local/bin/trace-cmd"] where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        throw XCTSkip("trace-cmd is not installed")
    }

    /// Runs a program to completion, returning its exit status and combined output.
    @discardableResult
    static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// A test case that works on the real tracefs: each test gets its own state directory and a list
/// of instances and probes to remove in tearDown, whatever happened.
class TracefsTestCase: XCTestCase {
    var tracefs: Tracefs!
    var stateDirectory: String!
    private var instancesToRemove: [String] = []
    private var probesToRemove: [EventName] = []

    override func setUpWithError() throws {
        tracefs = try LiveTestSupport.tracefs()
        stateDirectory = try LiveTestSupport.temporaryDirectory("state")
    }

    override func tearDown() {
        if let tracefs {
            // Clean up anything journals in this test's state directory still list, then the
            // names the test registered itself.
            let leftovers = Leftovers.scan(tracefs: tracefs, stateDirectory: stateDirectory)
            for journal in OwnershipJournal.all(in: stateDirectory) {
                _ = Cleanup.undo((try? journal.resources()) ?? [], tracefs: tracefs)
            }
            _ = leftovers
            for name in instancesToRemove.reversed() {
                try? tracefs.instance(named: name).remove()
            }
            for event in probesToRemove {
                try? DynamicEvents(tracefs: tracefs).remove(event)
            }
        }
        if let stateDirectory { try? FileManager.default.removeItem(atPath: stateDirectory) }
        super.tearDown()
    }

    /// A unique ringside instance name, removed in tearDown if the test leaves it.
    func instanceName() -> String {
        let name = LiveTestSupport.uniqueName("ringside-test")
        instancesToRemove.append(name)
        return name
    }

    /// A unique probe name, removed in tearDown if the test leaves it.
    func probeName(_ stem: String) -> String {
        let name = "\(stem)_\(getpid())_\(LiveTestSupport.uniqueName("p").split(separator: "-").last!)"
        probesToRemove.append(EventName(system: ProbeDefinition.group, name: name))
        return name
    }

    func sessionJournal() throws -> OwnershipJournal {
        try OwnershipJournal.session(command: "test", directory: stateDirectory)
    }

    /// Asserts the instance and every probe the test made are gone.
    func assertNothingLeft(_ names: [String], probes: [EventName] = [], file: StaticString = #filePath, line: UInt = #line) {
        for name in names {
            XCTAssertFalse(tracefs.instance(named: name).exists, "instance \(name) left behind", file: file, line: line)
        }
        let defined = Set(DynamicEvents(tracefs: tracefs).list().map(\.event))
        for probe in probes {
            XCTAssertFalse(defined.contains(probe), "probe \(probe) left behind", file: file, line: line)
        }
    }
}
