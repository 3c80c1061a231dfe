import Foundation
import XCTest
@testable import CTF
import TraceIO
import TraceKit

/// The fast dump paths against the generic ones: the JSON plan printer and the one-pass cursor
/// decoding on worker threads must write exactly what the per-record formatters write through
/// `Trace.decodeFields`, and the stats tally must count what the `DecodeStatistics` visitor counts.
final class DumpPipelineTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        setenv("TZ", "UTC", 1)
        tzset()
    }

    /// Every trace directory under `Tests/Fixtures/ctf/traces`, opened as a set.
    private func fixtureSets() throws -> [(String, TraceSet)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: FixturePaths.path("traces")).sorted()
        return try names.map { name in
            let traces = try CTFTraceDiscovery.open(path: FixturePaths.path("traces/" + name), isDirectory: true)
            return (name, TraceSet(traces: traces, tieBreak: CTFTieBreak.make(for: traces)))
        }
    }

    /// The reference: each record of the merge formatted through the trace.
    private func generic(_ set: TraceSet, json: Bool, begin: Int64? = nil, end: Int64? = nil) throws -> String {
        var bytes: [UInt8] = []
        let out = OutputBuffer { bytes += $0 }
        let merger = try set.makeMerger()
        if let begin { try merger.seek(toTimestamp: begin) }
        while let record = merger.current, record.timestamp <= end ?? .max {
            if json {
                try JSONLinesFormatter().write(record, of: set, to: out)
            } else {
                try TextFormatter().write(record, of: set, to: out)
            }
            try merger.advance()
        }
        try out.flush()
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `inParts`: streams cut at every packet where reading can start afresh, on three workers.
    private func pipeline(_ set: TraceSet, json: Bool, parallel: Bool, inParts: Bool = false, begin: Int64? = nil,
                          end: Int64? = nil,
                          filter: ((Int) throws -> ParallelRecordWriter.RecordPredicate)? = nil) throws -> String {
        var bytes: [UInt8] = []
        let out = OutputBuffer(flushThreshold: 1 << 12) { bytes += $0 }
        let writer = ParallelRecordWriter(set: set) { t -> StreamRecordFormatter in
            json ? CTFJSONStreamFormatter(set: set, trace: t) : TextStreamFormatter(set: set, trace: t)
        }
        writer.parallel = parallel
        let ctf = set.traces.compactMap { $0 as? CTFTrace }
        if inParts {
            writer.workerCount = 3
            for trace in ctf { trace.streamPartBytes = 1 }
        }
        defer { for trace in ctf { trace.streamPartBytes = 2 << 20 } }
        writer.begin = begin
        writer.end = end
        writer.makeFilter = filter
        try writer.write(to: out)
        try out.flush()
        return String(decoding: bytes, as: UTF8.self)
    }

    func testJSONPrinterMatchesTheGenericFormatter() throws {
        for (name, set) in try fixtureSets() {
            let expected = try generic(set, json: true)
            XCTAssertFalse(expected.isEmpty, name)
            XCTAssertEqual(try pipeline(set, json: true, parallel: false), expected, name)
            XCTAssertEqual(try pipeline(set, json: true, parallel: true), expected, name)
            XCTAssertEqual(try pipeline(set, json: true, parallel: true, inParts: true), expected, name)
        }
    }

    func testTextThroughCursorsMatchesTheGenericFormatter() throws {
        for (name, set) in try fixtureSets() {
            let expected = try generic(set, json: false)
            XCTAssertEqual(try pipeline(set, json: false, parallel: true), expected, name)
            XCTAssertEqual(try pipeline(set, json: false, parallel: true, inParts: true), expected, name)
        }
    }

    func testTimeRangeMatchesTheMergeLoop() throws {
        for (name, set) in try fixtureSets() {
            let times = try TraceReading.records(of: set.traces[0] as! CTFTrace).flatMap { $0 }.map(\.timestamp).sorted()
            guard times.count > 4 else { continue }
            let begin = times[times.count / 4], end = times[times.count * 3 / 4]
            XCTAssertEqual(try pipeline(set, json: true, parallel: true, begin: begin, end: end),
                           try generic(set, json: true, begin: begin, end: end), name)
        }
    }

    func testFilterKeepsOnlyMatchingRecordsInOrder() throws {
        for (name, set) in try fixtureSets() {
            let context = FilterContext(set: set, traceStart: try set.makeMerger().current?.timestamp ?? 0)
            let text = "cpu == 1 || event =~ \"*free*\""
            let reference = try EventFilter(text)
            var bytes: [UInt8] = []
            let out = OutputBuffer { bytes += $0 }
            let merger = try set.makeMerger()
            while let record = merger.current {
                if reference.matches(record, in: context) { try JSONLinesFormatter().write(record, of: set, to: out) }
                try merger.advance()
            }
            try out.flush()
            for inParts in [false, true] {
                let filtered = try pipeline(set, json: true, parallel: true, inParts: inParts) { _ in
                    let own = try EventFilter(text)
                    return { own.matches($0, in: context) }
                }
                XCTAssertEqual(filtered, String(decoding: bytes, as: UTF8.self), "\(name) parts: \(inParts)")
            }
        }
    }

    func testStatsTallyCountsWhatTheVisitorCounts() throws {
        for (name, set) in try fixtureSets() {
            let traces = set.traces.compactMap { $0 as? CTFTrace }
            let fast = try? DecodeStatistics.collect(ctf: traces)
            var visited = DecodeStatistics()
            let merger = try set.makeMerger()
            var failed = false
            while let record = merger.current {
                visited.count(record, name: set.eventName(of: record))
                if !record.isLostEvents {
                    visited.eventsByClass[set.eventName(of: record), default: 0] += 1
                    let trace = set.trace(of: record)
                    try trace.decodeFields(of: record, scope: .context, into: &visited)
                    try trace.decodeFields(of: record, scope: .payload, into: &visited)
                }
                do { try merger.advance() } catch { failed = true; break }
            }
            guard let fast, !failed else { continue }
            XCTAssertEqual(fast.report(timeDomain: set.timeDomain), visited.report(timeDomain: set.timeDomain), name)
            // Streams cut into parts of one packet count the same.
            let parts = try DecodeStatistics.collect(ctf: traces, partBytes: 1)
            XCTAssertEqual(parts.report(timeDomain: set.timeDomain), fast.report(timeDomain: set.timeDomain), name)
            let whole = try DecodeStatistics.collect(ctf: traces, parallel: false)
            XCTAssertEqual(whole.report(timeDomain: set.timeDomain), fast.report(timeDomain: set.timeDomain), name)
            XCTAssertGreaterThan(fast.fields, 0, name)
        }
    }

    /// A damaged stream: everything before the damage is written, in order, then the error.
    func testDamagedStreamStopsWhereTheMergeStops() throws {
        let traces = try TemporaryTraces()
        let source = FixturePaths.path("traces/tsdl-le")
        let copy = traces.root + "/damaged"
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        let streams = try FileManager.default.contentsOfDirectory(atPath: copy).filter { $0 != "metadata" }.sorted()
        let file = copy + "/" + streams[0]
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        try data.prefix(data.count - 7).write(to: URL(fileURLWithPath: file))
        let trace = try CTFTrace(directory: copy)
        let set = TraceSet(traces: [trace], tieBreak: CTFTieBreak.make(for: [trace]))

        var expected: [UInt8] = []
        var expectedError: String?
        do {
            let out = OutputBuffer { expected += $0 }
            let merger = try set.makeMerger()
            do {
                while let record = merger.current {
                    try JSONLinesFormatter().write(record, of: set, to: out)
                    try merger.advance()
                }
            } catch {
                expectedError = "\(error)"
            }
            try out.flush()
        }
        XCTAssertNotNil(expectedError)
        for parallel in [false, true] {
            var bytes: [UInt8] = []
            let out = OutputBuffer(flushThreshold: 64) { bytes += $0 }
            let writer = ParallelRecordWriter(set: set) { CTFJSONStreamFormatter(set: set, trace: $0) }
            writer.parallel = parallel
            XCTAssertThrowsError(try writer.write(to: out)) { error in
                XCTAssertEqual("\(error)", expectedError)
            }
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), String(decoding: expected, as: UTF8.self))
        }
    }

    /// JSON Lines of real traces, as committed golden files (they pin the documented format).
    func testJSONGoldenFiles() throws {
        for name in ["tsdl-le", "tsdl-scopes", "ust-all-pid"] {
            let traces = try CTFTraceDiscovery.open(path: FixturePaths.path("traces/" + name), isDirectory: true)
            let set = TraceSet(traces: traces, tieBreak: CTFTieBreak.make(for: traces))
            let golden = String(decoding: try FixturePaths.contents("golden/\(name).jsonl"), as: UTF8.self)
            XCTAssertEqual(try pipeline(set, json: true, parallel: true), golden, name)
        }
    }

    /// `--format babeltrace --filter`: the lines babeltrace2 prints for the selected events (its
    /// golden output, grepped), deltas included.
    func testFilteredBabeltraceLinesAreTheToolsLines() throws {
        for (name, event) in [("ust-libc", "lttng_ust_libc:malloc"), ("ust-discard", "ringside:enums"),
                              ("ust-all-pid", "ringside:strings")] {
            let traces = try CTFTraceDiscovery.open(path: FixturePaths.path("traces/" + name), isDirectory: true)
            for trace in traces { trace.setDiscoveryRoot(FixturePaths.path("traces/" + name)) }
            let set = TraceSet(traces: traces, tieBreak: CTFTieBreak.make(for: traces))
            let context = FilterContext(set: set, traceStart: try set.makeMerger().current?.timestamp ?? 0)
            let golden = String(decoding: try FixturePaths.contents("golden/\(name).babeltrace.txt"), as: UTF8.self)
            let expected = golden.split(separator: "\n").filter { $0.contains(" \(event): ") }.map { $0 + "\n" }.joined()
            XCTAssertFalse(expected.isEmpty, name)
            for (parallel, inParts) in [(false, false), (true, false), (true, true)] {
                let dumper = try BabeltraceDumper(set: set)
                dumper.parallel = parallel
                if inParts {
                    dumper.partBytes = 1
                    dumper.workerCount = 3
                }
                dumper.makeFilter = { _ in
                    let filter = try EventFilter("event == \"\(event)\"")
                    return { filter.matches($0, in: context) }
                }
                var out: [UInt8] = []
                let errors = OutputBuffer { _ in }
                try dumper.dump(sink: { out += $0 }, errors: errors)
                XCTAssertEqual(String(decoding: out, as: UTF8.self), expected, "\(name) parallel=\(parallel) parts=\(inParts)")
            }
        }
    }
}
