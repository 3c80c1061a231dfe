import XCTest
import CTF
@testable import TraceKit

/// The viewer's index on a real reader: switches read by the cursors themselves on several threads
/// give the same index as switches decoded through the trace, one at a time.
final class IndexOnCTFTests: XCTestCase {
    private var fixture: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/scale/kernel-like").path
    }

    func testParallelIndexWithCursorDecodingMatchesSerialDecoding() throws {
        let trace = try CTFTrace(directory: fixture)
        let set = TraceSet(traces: [trace], tieBreak: CTFTieBreak.make(for: [trace]))
        let reference = TraceSet(traces: [OpaqueTrace(try CTFTrace(directory: fixture))],
                                 tieBreak: CTFTieBreak.make(for: [trace]))
        let (parallel, serial) = try completeIndexes(parallel: set, serial: reference)
        let a = parallel.index.data, b = serial.index.data
        XCTAssertEqual(a.recordCount, 3000)
        XCTAssertEqual(a.recordCount, b.recordCount)
        XCTAssertEqual(a.checkpointPositions, b.checkpointPositions)
        XCTAssertTrue(a.activity.hasScheduler)
        XCTAssertEqual(a.activity.buckets, b.activity.buckets)
        XCTAssertEqual(a.activity.tasks.tasks, b.activity.tasks.tasks)
        XCTAssertGreaterThan(a.activity.tasks.tasks.count, 5)
        // Records read back through the checkpoints are the merge's.
        let merger = try set.makeMerger()
        var expected: [EventRecord] = []
        while let r = try merger.next() { expected.append(r) }
        let cursor = try MergedCursor(set: set, index: parallel.index)
        for o in [0, 63, 64, 1_500, 2_999, 100] { XCTAssertEqual(cursor.record(at: o), expected[o]) }
    }
}

/// The index read in parts of streams (parts of one packet, several read at once) is the index
/// read one record at a time, on sound and damaged traces.
final class IndexInPartsTests: XCTestCase {
    private var traces: TemporaryTraces!

    override func setUpWithError() throws { traces = try TemporaryTraces() }
    override func tearDown() { traces = nil }

    private func assertSameIndex(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let open = { try CTFTraceDiscovery.open(path: path, isDirectory: true) }
        let inParts = try open()
        for trace in inParts { trace.streamPartBytes = 1 }
        let set = TraceSet(traces: inParts, tieBreak: CTFTieBreak.make(for: inParts))
        let plain = TraceSet(traces: try open().map(OpaqueTrace.init), tieBreak: CTFTieBreak.make(for: try open()))
        let (parallel, serial) = try completeIndexes(parallel: set, serial: plain)
        let a = parallel.index.data, b = serial.index.data
        XCTAssertEqual(a.recordCount, b.recordCount, path, file: file, line: line)
        XCTAssertEqual(a.checkpointPositions, b.checkpointPositions, path, file: file, line: line)
        XCTAssertEqual(a.activity.buckets, b.activity.buckets, path, file: file, line: line)
        XCTAssertEqual(a.errors, b.errors, path, file: file, line: line)
    }

    func testIndexInPartsMatchesOneByOne() throws {
        var parts = 0
        for name in ["ust-discard", "ust-overwrite", "ust-libc", "tsdl-le"] {
            let path = FixturePaths.path("traces/" + name)
            try assertSameIndex(path)
            for trace in try CTFTraceDiscovery.open(path: path, isDirectory: true) {
                trace.streamPartBytes = 1
                parts += trace.streams.indices.map { trace.partRanges(ofStream: $0).count - 1 }.reduce(0, +)
            }
        }
        let kernelLike = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/scale/kernel-like").path
        try assertSameIndex(kernelLike)
        XCTAssertGreaterThan(parts, 10, "streams were cut")
    }

    func testDamagedIndexInPartsMatchesOneByOne() throws {
        var rng = SplitMix64(state: 0x1DE7)
        for round in 0..<16 {
            let (dir, _) = try traces.randomlyDamagedCopy(round: round, truncated: round % 4 == 3, using: &rng)
            try assertSameIndex(dir)
        }
    }
}

/// Complete indexes of `set`, read on worker threads, and of `reference`, read one record at a
/// time on this thread (checkpoints every 64 records, so both have many to compare).
func completeIndexes(parallel set: TraceSet, serial reference: TraceSet) throws -> (TraceIndexer, TraceIndexer) {
    let parallel = try TraceIndexer(set: set, checkpointInterval: 64, parallel: true)
    while !parallel.step(maxRecords: 700) {}
    let serial = try TraceIndexer(set: reference, checkpointInterval: 64, parallel: false)
    while !serial.step(maxRecords: 1_000) {}
    return (parallel, serial)
}

/// Hides the reader's cursor decoding (the index then decodes switches through the trace).
final class OpaqueTrace: Trace {
    let inner: Trace
    init(_ inner: Trace) { self.inner = inner }
    var name: String { inner.name }
    var path: String { inner.path }
    var timeDomain: TimeDomain { inner.timeDomain }
    var eventClasses: [EventClass] { inner.eventClasses }
    var streams: [StreamInfo] { inner.streams }
    var cpuCount: Int { inner.cpuCount }
    var environment: [(String, String)] { inner.environment }
    func openStream(_ index: Int) throws -> EventStream { OpaqueStream(try inner.openStream(index)) }
    func decodeFields<V: FieldVisitor>(of record: EventRecord, scope: FieldScope, into visitor: inout V) throws {
        try inner.decodeFields(of: record, scope: scope, into: &visitor)
    }
    func task(of record: EventRecord) -> TaskRef? { inner.task(of: record) }
}

final class OpaqueStream: EventStream {
    let inner: EventStream
    init(_ inner: EventStream) { self.inner = inner }
    var current: EventRecord? { inner.current }
    func advance() throws { try inner.advance() }
    func seek(to position: StreamPosition) throws { try inner.seek(to: position) }
    func seek(toTimestamp timestamp: Int64) throws { try inner.seek(toTimestamp: timestamp) }
}
