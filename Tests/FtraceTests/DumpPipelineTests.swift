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
