import Foundation
import XCTest
@testable import Ftrace
import TraceIO
import TraceKit

/// JSON and text dumps of trace.dat files through the cursors' one-pass decoding on worker threads
/// must write exactly what the per-record formatters write through `Trace`.
final class DumpPipelineTests: XCTestCase {
    private func fixtures() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Fixtures.directory.path).filter { $0.hasSuffix(".dat") }.sorted()
    }

    private func generic(_ set: TraceSet, json: Bool) throws -> String {
        var bytes: [UInt8] = []
        let out = OutputBuffer { bytes += $0 }
        let merger = try set.makeMerger()
        while let record = merger.current {
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

    private func pipeline(_ set: TraceSet, json: Bool, parallel: Bool) throws -> String {
        var bytes: [UInt8] = []
        let out = OutputBuffer(flushThreshold: 1 << 12) { bytes += $0 }
        let writer = ParallelRecordWriter(set: set) { t -> StreamRecordFormatter in
            json ? JSONStreamFormatter(set: set, trace: t) : TextStreamFormatter(set: set, trace: t)
        }
        writer.parallel = parallel
        try writer.write(to: out)
        try out.flush()
        return String(decoding: bytes, as: UTF8.self)
    }

    func testJSONAndTextMatchTheGenericFormatters() throws {
        for name in try fixtures() {
            let trace = try TraceDatTrace(path: Fixtures.path(name))
            let set = TraceSet(traces: [trace])
            for json in [true, false] {
                let expected = try generic(set, json: json)
                XCTAssertFalse(expected.isEmpty, name)
                XCTAssertEqual(try pipeline(set, json: json, parallel: false), expected, "\(name) json=\(json)")
                XCTAssertEqual(try pipeline(set, json: json, parallel: true), expected, "\(name) json=\(json)")
            }
        }
    }

    func testSeveralFilesMergeWithTraceKeys() throws {
        let a = try TraceDatTrace(path: Fixtures.path("lossy-v7.dat"))
        let b = try TraceDatTrace(path: Fixtures.path("uprobes-v7.dat"))
        let set = TraceSet(traces: [a, b])
        XCTAssertEqual(try pipeline(set, json: true, parallel: true), try generic(set, json: true))
    }
}

/// `dump --format trace-cmd --filter`: the lines of `trace-cmd report -N -t -F EVENT`, including
/// its rule for `EVENTS DROPPED` lines (printed only with the event that follows the drop).
final class FilteredReportTests: XCTestCase {
    private func report(_ name: String, filter text: String, parallel: Bool, inParts: Bool = false) throws -> String {
        let trace = try TraceDatTrace(path: Fixtures.path(name))
        let set = TraceSet(traces: [trace])
        let context = FilterContext(set: set, traceStart: try set.makeMerger().current?.timestamp ?? 0)
        var report = TraceCmdReport(traces: [trace], raw: false, parallel: parallel)
        if inParts {
            report.partPages = 1
            report.workerCount = 3
        }
        report.makeFilter = { _ in
            let filter = try EventFilter(text)
            return { filter.matches($0, in: context) }
        }
        var errors: [TraceError] = []
        let out = try capture { errors = try report.write(to: $0) }
        XCTAssertEqual(errors, [])
        return out
    }

    func testFilteredReportsMatchTraceCmd() throws {
        for (file, event, golden) in [("lossy-v7.dat", "sys_enter", "lossy.sys_enter.tc.txt"),
                                      ("lossy-v6.dat", "sys_enter", "lossy.sys_enter.tc.txt"),
                                      ("instances-v7.dat", "sched_switch", "instances.sched_switch.tc.txt")] {
            let expected = try String(contentsOfFile: Fixtures.path(golden), encoding: .utf8)
            XCTAssertTrue(expected.contains(event))
            for (parallel, inParts) in [(false, false), (true, false), (true, true)] {
                XCTAssertEqual(try report(file, filter: "event == \"\(event)\"", parallel: parallel, inParts: inParts), expected,
                               "\(file) \(event) parallel=\(parallel) parts=\(inParts)")
            }
        }
    }

    func testRejectingEverythingLeavesTheHeader() throws {
        XCTAssertEqual(try report("lossy-v7.dat", filter: "event == \"none\"", parallel: true), "cpus=2\n")
    }
}
