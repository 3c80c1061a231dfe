import Foundation
import XCTest
@testable import Live

/// Collects pages per CPU.
final class CollectingSink: PageSink {
    private let lock = NSLock()
    private var storage: [Int: [UInt8]] = [:]
    private var statsSeen = 0

    func consume(cpu: Int, page: UnsafeRawBufferPointer) {
        lock.lock()
        storage[cpu, default: []] += page
        lock.unlock()
    }

    func statsSampled(_ stats: [Int: CPUBufferStats]) {
        lock.lock()
        statsSeen += 1
        lock.unlock()
    }

    var pages: [Int: [UInt8]] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }

    var statsSamples: Int {
        lock.lock()
        defer { lock.unlock() }
        return statsSeen
    }
}

final class PageCaptureTests: XCTestCase {
    let fixture = LiveTestSupport.fixtures.appendingPathComponent("lossy").path

    func testReplayedPagesArriveCompleteAndInOrderDespiteNoDataPauses() throws {
        var sources: [RecordedPageSource] = []
        var expected: [Int: [UInt8]] = [:]
        for cpu in 0..<2 {
            let path = fixture + "/cpu\(cpu).pages"
            expected[cpu] = try ControlFile.readBytes(path)
            sources.append(try RecordedPageSource(cpu: cpu, path: path, pageSize: 4096, pagesPerBurst: 1))
        }
        let sink = CollectingSink()
        let capture = PageCapture(sources: sources, sink: sink, pollInterval: .milliseconds(1))
        // Each sweep reads one page per CPU, then the source says "no data yet".
        var sweeps = 0
        while sources.contains(where: { $0.remainingPages > 0 }) && sweeps < 100 {
            try capture.sweep()
            sweeps += 1
        }
        XCTAssertEqual(sweeps, 3, "three pages per CPU, one per sweep")
        XCTAssertEqual(sink.pages, expected)
        XCTAssertEqual(capture.snapshot.pages, [0: 3, 1: 3])
        XCTAssertEqual(capture.snapshot.bytes, [0: 12288, 1: 12288])
    }

    func testThreadedCaptureDrainsOnStop() throws {
        let sources = try (0..<2).map {
            try RecordedPageSource(cpu: $0, path: fixture + "/cpu\($0).pages", pageSize: 4096, pagesPerBurst: 2)
        }
        let sink = CollectingSink()
        var statsCalls = 0
        let capture = PageCapture(sources: sources, sink: sink, pollInterval: .milliseconds(5),
                                  statsInterval: .milliseconds(1), statsProvider: {
            statsCalls += 1
            return [0: CPUBufferStats(), 1: CPUBufferStats()]
        })
        capture.start()
        usleep(50_000)
        capture.stop()
        capture.stop()
        XCTAssertNil(capture.error)
        XCTAssertEqual(sink.pages[0]?.count, 12288)
        XCTAssertEqual(sink.pages[1]?.count, 12288)
        XCTAssertGreaterThan(sink.statsSamples, 0)
        XCTAssertGreaterThan(statsCalls, 0)
    }

    func testPageFileSinkWritesWholePages() throws {
        let directory = try LiveTestSupport.temporaryDirectory("pagefiles")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sink = try PageFileSink(basePath: directory + "/trace.dat", cpus: [0, 1])
        let capture = PageCapture(
            sources: try (0..<2).map { try RecordedPageSource(cpu: $0, path: fixture + "/cpu\($0).pages", pageSize: 4096) },
            sink: sink)
        try capture.sweep()
        try sink.finish()
        for cpu in 0..<2 {
            XCTAssertEqual(try ControlFile.readBytes(directory + "/trace.dat.cpu\(cpu)"),
                           try ControlFile.readBytes(fixture + "/cpu\(cpu).pages"))
        }
        sink.removeFiles()
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/trace.dat.cpu0"))
    }
}

/// Pages read from the real kernel.
final class LivePageReadingTests: TracefsTestCase {
    func testPagesAreReadLiveWithoutBlocking() throws {
        let session = try TracingSession(tracefs: tracefs, choice: .named(instanceName()), journal: try sessionJournal())
        defer { session.close() }
        let cpus = session.instance.cpus()
        let readers = try cpus.map { try RawPageReader(instance: session.instance, cpu: $0) }
        session.onClose { readers.forEach { $0.close() } }
        // Nothing enabled yet: every reader answers "no data" at once.
        var page = [UInt8](repeating: 0, count: 4096)
        for reader in readers {
            XCTAssertEqual(try page.withUnsafeMutableBytes { try reader.read(into: $0) }, .noData)
        }
        let sink = CollectingSink()
        let capture = PageCapture(sources: readers, sink: sink, pollInterval: .milliseconds(20), statsProvider: {
            var stats: [Int: CPUBufferStats] = [:]
            for cpu in cpus { stats[cpu] = try? session.instance.stats(cpu: cpu) }
            return stats
        })
        capture.start()
        let marker = "live page marker \(getpid())"
        let started = ContinuousClock.now
        try session.writeMarker(marker)
        // The page with the marker arrives without tracing stopping (a partly filled page).
        var found = false
        while !found && ContinuousClock.now - started < .seconds(2) {
            usleep(10_000)
            found = sink.pages.values.contains { bytes in
                bytes.withUnsafeBytes { raw in
                    raw.firstRange(of: Array(marker.utf8)) != nil
                }
            }
        }
        let latency = ContinuousClock.now - started
        capture.stop()
        XCTAssertTrue(found, "marker page not read")
        XCTAssertLessThan(latency, .milliseconds(500), "pages reach the reader quickly")
        // Page headers: timestamp, then the commit (bytes used) within the page.
        for (_, bytes) in sink.pages {
            XCTAssertEqual(bytes.count % 4096, 0)
            for start in stride(from: 0, to: bytes.count, by: 4096) {
                let commit = bytes[(start + 8)..<(start + 16)].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
                XCTAssertLessThanOrEqual(Int(commit & ((1 << 27) - 1)), 4096 - 16)
            }
        }
        XCTAssertGreaterThanOrEqual(capture.snapshot.latestStats.count, 1)
    }
}

extension UnsafeRawBufferPointer {
    func firstRange(of needle: [UInt8]) -> Range<Int>? {
        guard needle.count <= count, !needle.isEmpty else { return nil }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if (0..<needle.count).allSatisfy({ self[start + $0] == needle[$0] }) { return start..<(start + needle.count) }
        }
        return nil
    }
}
