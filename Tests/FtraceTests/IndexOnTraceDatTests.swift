import XCTest
import Ftrace
@testable import TraceKit

/// The viewer's index on trace.dat: switches read by the CPU cursors on several threads give the
/// same index as switches decoded through the trace, and the list's text is trace-cmd's.
final class IndexOnTraceDatTests: XCTestCase {
    private var fixture: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/ftrace/instances-v7.dat").path
    }

    func testParallelIndexWithCursorDecodingMatchesSerialDecoding() throws {
        let set = TraceSet(traces: [try TraceDatTrace(path: fixture)])
        let parallel = try TraceIndexer(set: set, checkpointInterval: 64, parallel: true)
        while !parallel.step(maxRecords: 500) {}
        let serial = try TraceIndexer(set: TraceSet(traces: [Opaque(try TraceDatTrace(path: fixture))]),
                                      checkpointInterval: 64, parallel: false)
        while !serial.step(maxRecords: 10_000) {}
        let a = parallel.index.data, b = serial.index.data
        XCTAssertGreaterThan(a.recordCount, 1000)
        XCTAssertEqual(a.recordCount, b.recordCount)
        XCTAssertEqual(a.checkpointPositions, b.checkpointPositions)
        XCTAssertTrue(a.activity.hasScheduler)
        XCTAssertEqual(a.activity.buckets, b.activity.buckets)
        XCTAssertEqual(a.activity.tasks.tasks, b.activity.tasks.tasks)
    }

    func testSummaryIsTraceCmdText() throws {
        let trace = try TraceDatTrace(path: fixture)
        let stream = try trace.openStream(0)
        let out = OutputBuffer { _ in }
        var found = false
        while let r = stream.current {
            if trace.eventClass(of: r)?.name == "softirq_raise" {
                XCTAssertTrue(trace.writeSummary(of: r, to: out))
                XCTAssertTrue(String(decoding: out.pendingBytes, as: UTF8.self).hasPrefix("vec="))
                found = true
                break
            }
            try stream.advance()
        }
        XCTAssertTrue(found)
    }
}

/// Hides the reader's cursor decoding (the index then decodes switches through the trace).
private final class Opaque: Trace {
    let inner: Trace
    init(_ inner: Trace) { self.inner = inner }
    var name: String { inner.name }
    var path: String { inner.path }
    var timeDomain: TimeDomain { inner.timeDomain }
    var eventClasses: [EventClass] { inner.eventClasses }
    var streams: [StreamInfo] { inner.streams }
    var cpuCount: Int { inner.cpuCount }
    var environment: [(String, String)] { inner.environment }
    func openStream(_ index: Int) throws -> EventStream { Stream(try inner.openStream(index)) }
    func decodeFields<V: FieldVisitor>(of record: EventRecord, scope: FieldScope, into visitor: inout V) throws {
        try inner.decodeFields(of: record, scope: scope, into: &visitor)
    }
    func task(of record: EventRecord) -> TaskRef? { inner.task(of: record) }

    private final class Stream: EventStream {
        let inner: EventStream
        init(_ inner: EventStream) { self.inner = inner }
        var current: EventRecord? { inner.current }
        func advance() throws { try inner.advance() }
        func seek(to position: StreamPosition) throws { try inner.seek(to: position) }
        func seek(toTimestamp timestamp: Int64) throws { try inner.seek(toTimestamp: timestamp) }
    }
}
