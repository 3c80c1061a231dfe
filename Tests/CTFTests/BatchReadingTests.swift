import Foundation
import XCTest
@testable import CTF
@testable import TraceKit

/// `CTFEventStream.readRecords` (the index's batch reading) hands over exactly the records, in
/// the same order and with the same errors, as `current` and `advance()` one by one.
final class BatchReadingTests: XCTestCase {
    private var traces: TemporaryTraces!

    override func setUpWithError() throws {
        traces = try TemporaryTraces()
    }

    override func tearDown() {
        traces = nil
    }

    /// Every record of `stream` through `current`/`advance()`, and the error that ended it.
    private func oneByOne(_ stream: EventStream, trace: Int32) -> ([EventRecord], String?) {
        var records: [EventRecord] = []
        while var r = stream.current {
            r.trace = trace
            records.append(r)
            do { try stream.advance() } catch { return (records, "\(error)") }
        }
        return (records, nil)
    }

    /// Every record of `stream` through batches of varying sizes, stopping before `stop` classes
    /// (taken one by one, as the index does), and the error that ended it.
    private func inBatches(_ stream: CTFEventStream, trace: Int32, stop: [Bool],
                           generator: inout SystemRandomNumberGenerator) -> ([EventRecord], String?) {
        var records: [EventRecord] = []
        let buffer = UnsafeMutablePointer<EventRecord>.allocate(capacity: 64)
        defer { buffer.deallocate() }
        while stream.current != nil {
            var count = 0
            let capacity = Int.random(in: 1...64, using: &generator)
            do {
                try stop.withUnsafeBufferPointer {
                    try stream.readRecords(into: buffer, count: &count, capacity: capacity, trace: trace, stopClasses: $0)
                }
            } catch {
                records += UnsafeBufferPointer(start: buffer, count: count)
                buffer.deinitialize(count: count)
                XCTAssertNil(stream.current)
                return (records, "\(error)")
            }
            records += UnsafeBufferPointer(start: buffer, count: count)
            buffer.deinitialize(count: count)
            if count < capacity, var r = stream.current {
                // Stopped before a flagged class: taken one by one.
                XCTAssertTrue(r.classIndex >= 0 && Int(r.classIndex) < stop.count && stop[Int(r.classIndex)])
                r.trace = trace
                records.append(r)
                do { try stream.advance() } catch { return (records, "\(error)") }
            }
        }
        return (records, nil)
    }

    private func assertBatchesMatch(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        var generator = SystemRandomNumberGenerator()
        let traces = try CTFTraceDiscovery.open(path: path, isDirectory: true)
        XCTAssertFalse(traces.isEmpty, file: file, line: line)
        for (t, trace) in traces.enumerated() {
            guard let ctf = trace as? CTFTrace else { continue }
            // Stop before no class, before every other class, and before all of them.
            let classes = ctf.eventClasses.count
            for stop in [[], (0..<classes).map { $0 % 2 == 1 }, Array(repeating: true, count: classes)] {
                for s in ctf.streams.indices {
                    let reference = oneByOne(try ctf.openStream(s), trace: Int32(t))
                    guard let batched = try ctf.openStream(s) as? CTFEventStream else {
                        return XCTFail("not a CTF stream", file: file, line: line)
                    }
                    let result = inBatches(batched, trace: Int32(t), stop: stop, generator: &generator)
                    XCTAssertEqual(result.0, reference.0, "stream \(s), stops \(stop)", file: file, line: line)
                    XCTAssertEqual(result.1, reference.1, "stream \(s), stops \(stop)", file: file, line: line)
                }
            }
        }
    }

    func testBatchesMatchOneByOneOnRealTraces() throws {
        for name in ["ust-all-uid", "ust-discard", "tsdl-be", "tsdl-scopes"] {
            try assertBatchesMatch(FixturePaths.path("traces/" + name))
        }
        let kernelLike = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/scale/kernel-like").path
        try assertBatchesMatch(kernelLike)
    }

    func testBatchesStopAtTheSameErrorAsOneByOne() throws {
        let metadata = "/* CTF 1.8 */\n" + integerAliases + """
            trace { major = 1; minor = 8; byte_order = le; };
            event { name = "e"; fields := struct { uint32_t n; uint64_t values[n]; }; };
            """
        var w = BitWriter()
        for i in 0..<40 {
            w.uint(1, size: 32)
            w.uint(UInt64(i), size: 64)
        }
        w.uint(0xFFFF_FFFF, size: 32)  // 4 billion elements
        w.uint(1, size: 64)
        let dir = try traces.make("sequence", metadata: metadata, streams: ["s": w.bytes])
        try assertBatchesMatch(dir)
        let trace = try CTFTrace(directory: dir)
        let (records, error) = oneByOne(try trace.openStream(0), trace: 0)
        XCTAssertEqual(records.count, 41)
        XCTAssertTrue(error?.contains("past the end of the packet content") == true, error ?? "no error")
    }

    /// A damaged stream among sound ones: the index read in batches on worker threads has the
    /// records and error of the index read one by one on one thread.
    func testIndexOfADamagedTraceReadInBatchesMatchesOneByOne() throws {
        let dir = try traces.copyFixture("traces/ust-all-uid", as: "damaged")
        let file = dir + "/ust/uid/0/64-bit/ch0_1"
        var data = try Data(contentsOf: URL(fileURLWithPath: file))
        // Garbage in the middle of the first packet's events: a bad event id or size there.
        let middle = min(data.count - 64, 2_000)
        data.replaceSubrange(middle..<(middle + 64), with: [UInt8](repeating: 0xFF, count: 64))
        try data.write(to: URL(fileURLWithPath: file))

        let open = { try CTFTraceDiscovery.open(path: dir, isDirectory: true) }
        let batched = TraceSet(traces: try open(), tieBreak: CTFTieBreak.make(for: try open()))
        let plain = TraceSet(traces: try open().map(OpaqueTrace.init), tieBreak: CTFTieBreak.make(for: try open()))
        let (parallel, serial) = try completeIndexes(parallel: batched, serial: plain)
        let a = parallel.index.data, b = serial.index.data
        XCTAssertGreaterThan(a.recordCount, 10)
        XCTAssertEqual(a.recordCount, b.recordCount)
        XCTAssertEqual(a.checkpointPositions, b.checkpointPositions)
        XCTAssertEqual(a.errors, b.errors)
        XCTAssertEqual(a.errors.count, 1)
        XCTAssertTrue(a.errors.first?.hasPrefix(file) == true, a.errors.first ?? "no error")
    }
}
