import Foundation
import XCTest
@testable import Live

final class OwnershipJournalTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = try LiveTestSupport.temporaryDirectory("journal")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testRecordsSurviveReopeningAndForgetRewrites() throws {
        let journal = try OwnershipJournal.session(command: "live", directory: directory)
        let event = EventName(system: "sched", name: "sched_switch")
        try journal.record(.instance(name: "ringside-1"))
        try journal.record(.eventState(instance: nil, event: event, previouslyEnabled: false))
        try journal.record(.filter(instance: "ringside-1", event: event, previous: "prev_pid == \"x\\n\""))
        try journal.record(.probe(group: "ringside", name: "p", definition: "p:ringside/p /bin/true:0x10"))
        try journal.record(.setting(instance: nil, file: "buffer_size_kb", previous: "1408"))
        let reopened = try OwnershipJournal(existingAt: journal.path)
        XCTAssertEqual(try reopened.resources(), try journal.resources())
        XCTAssertEqual(try reopened.resources().count, 5)
        guard case .session(let identity, let command) = reopened.owner else { return XCTFail("owner") }
        XCTAssertEqual(identity, ProcessIdentity.current)
        XCTAssertTrue(identity.isRunning)
        XCTAssertEqual(command, "live")
        try journal.forget { if case .probe = $0 { return true } else { return false } }
        XCTAssertEqual(try journal.resources().count, 4)
        XCTAssertEqual(OwnershipJournal.all(in: directory).count, 1)
        journal.delete()
        XCTAssertTrue(OwnershipJournal.all(in: directory).isEmpty)
    }

    func testALineCutShortByACrashIsSkipped() throws {
        let journal = try OwnershipJournal.persistent(directory: directory)
        try journal.record(.instance(name: "ringside"))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: journal.path))
        handle.seekToEndOfFile()
        handle.write(Data("{\"resource\":{\"inst".utf8))
        try handle.close()
        XCTAssertEqual(try journal.resources(), [.instance(name: "ringside")])
        try journal.record(.instance(name: "ringside-x"))
        XCTAssertEqual(try journal.resources().last, .instance(name: "ringside-x"))
    }

    func testConcurrentWritersLoseNothing() throws {
        let journal = try OwnershipJournal.persistent(directory: directory)
        DispatchQueue.concurrentPerform(iterations: 50) { i in
            try? journal.record(.instance(name: "ringside-\(i)"))
            if i % 5 == 0 { try? journal.forget { $0 == .instance(name: "never") } }
        }
        XCTAssertEqual(Set(try journal.resources()).count, 50)
    }

    func testProcessIdentityOfExitedProcess() throws {
        let output = try LiveTestSupport.run("/bin/sh", ["-c", "echo $$"]).output
        let pid = try XCTUnwrap(Int32(output.trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertNil(ProcessIdentity.startTicks(of: pid))
        XCTAssertFalse(ProcessIdentity(pid: pid, startTicks: 5).isRunning)
        // A recycled pid with another start time is not the owner.
        XCTAssertFalse(ProcessIdentity(pid: getpid(), startTicks: 1).isRunning)
    }

    func testOldestRecordWinsWhenUndoing() {
        // Two changes of the same filter: the first one's previous value is what gets restored.
        let event = EventName(system: "sched", name: "sched_switch")
        let a = OwnedResource.filter(instance: nil, event: event, previous: nil)
        let b = OwnedResource.filter(instance: nil, event: event, previous: "x > 1")
        XCTAssertTrue(a.isSameTarget(as: b))
        XCTAssertFalse(a.isSameTarget(as: .filter(instance: "ringside", event: event, previous: nil)))
        XCTAssertEqual(a.description, "filter of sched:sched_switch in top (was none)")
    }
}
