import XCTest
@testable import CTF
import TraceKit

/// Opening many traces (on all cores) and opening a trace again (metadata from the cache) give
/// the same traces as opening them one by one from scratch.
final class OpeningTests: XCTestCase {
    private var traces: TemporaryTraces!

    override func setUpWithError() throws {
        traces = try TemporaryTraces()
    }

    override func tearDown() {
        traces = nil
    }

    func testReopenedTraceSharesItsMetadataUntilTheFileChanges() throws {
        let dir = try traces.copyFixture("traces/ust-libc", as: "again")
        let directory = try XCTUnwrap(CTFTraceDiscovery.traceDirectories(for: dir, isDirectory: true).first)
        let first = try CTFTrace(directory: directory)
        let second = try CTFTrace(directory: directory)
        XCTAssertTrue(first.compiled === second.compiled)
        XCTAssertEqual(first.eventClasses.map(\.name), second.eventClasses.map(\.name))
        // Same length, other bytes: parsed again (and the change shows).
        let path = directory + "/metadata"
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        guard let range = bytes.range(of: Data("libc_malloc".utf8)) ?? bytes.range(of: Data("malloc".utf8)) else {
            throw XCTSkip("fixture metadata names no malloc event")
        }
        bytes[range.lowerBound] = UInt8(ascii: "X")
        try bytes.write(to: URL(fileURLWithPath: path))
        let third = try CTFTrace(directory: directory)
        XCTAssertFalse(third.compiled === first.compiled)
        XCTAssertNotEqual(third.eventClasses.map(\.name), first.eventClasses.map(\.name))
    }

    func testManyTracesOpenInOrderAndTheFirstFailureIsReported() throws {
        let source = FixturePaths.path("traces/ust-libc")
        let inner = try XCTUnwrap(CTFTraceDiscovery.traceDirectories(for: source, isDirectory: true).first)
        let relative = String(inner.dropFirst(source.count))
        for i in 0..<12 {
            _ = try traces.copyFixture("traces/ust-libc", as: String(format: "session/p%02d", i))
        }
        let session = traces.root + "/session"
        let opened = try CTFTraceDiscovery.open(path: session, isDirectory: true)
        XCTAssertEqual(opened.map(\.path), (0..<12).map { session + String(format: "/p%02d", $0) + relative })
        XCTAssertEqual(Set(opened.map { $0.streams.count }).count, 1)
        // Two damaged metadata files: the first in directory order is the one reported.
        for i in [9, 4] {
            try Data("trace { garbage".utf8).write(to: URL(fileURLWithPath: session + String(format: "/p%02d", i) + relative + "/metadata"))
        }
        XCTAssertThrowsError(try CTFTraceDiscovery.open(path: session, isDirectory: true)) { error in
            XCTAssertTrue("\(error)".contains("p04"), "\(error)")
        }
    }
}
