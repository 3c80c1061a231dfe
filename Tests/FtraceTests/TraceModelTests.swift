import TraceKit
import XCTest
@testable import Ftrace

/// trace.dat traces through the TraceKit model: streams, classes, fields, tasks, lost events,
/// seeking, and the shared JSON and text formatters.
final class TraceModelTests: XCTestCase {
    func testStreamsClassesAndLostEvents() throws {
        let trace = try TraceDatTrace(path: Fixtures.path("lossy-v7.dat"))
        XCTAssertEqual(trace.timeDomain, .monotonic)
        XCTAssertEqual(trace.cpuCount, 2)
        XCTAssertFalse(trace.eventClasses.isEmpty)
        let merger = try TraceSet(traces: [trace]).makeMerger()
        var lost = 0
        var events = 0
        var last = Int64.min
        while let r = try merger.next() {
            XCTAssertGreaterThanOrEqual(r.timestamp, last)
            last = r.timestamp
            if case .lostEvents(let count, _) = r.kind {
                lost += 1
                XCTAssertNotNil(count)
            } else {
                events += 1
            }
        }
        let golden = try String(contentsOfFile: Fixtures.path("lossy.tc.txt"), encoding: .utf8)
        XCTAssertEqual(lost, golden.components(separatedBy: "EVENTS DROPPED]").count - 1)
        XCTAssertEqual(events + lost, golden.split(separator: "\n").count - 1)
    }

    func testFieldsTaskAndAttributesInJSON() throws {
        let trace = try TraceDatTrace(path: Fixtures.path("uprobes-v7.dat"))
        let set = TraceSet(traces: [trace])
        let merger = try set.makeMerger()
        var found: String?
        while let r = try merger.next() {
            guard set.eventName(of: r) == "target" else { continue }
            found = try capture { try JSONLinesFormatter().write(r, of: set, to: $0) }
            let fields = try trace.fields(of: r)
            XCTAssertEqual(fields.map(\.name), ["__probe_ip", "number", "wide", "text", "hex"])
            XCTAssertEqual(fields.lookup("text")?.stringValue, "alpha")
            XCTAssertEqual(fields.lookup("number")?.integerValue, .signed(-1))
            XCTAssertEqual(trace.task(of: r)?.comm, "probe-target")
            XCTAssertTrue(try trace.fields(of: r, scope: .context).isEmpty)
            break
        }
        let line = try XCTUnwrap(found)
        XCTAssertTrue(line.hasPrefix("{\"time\":"))
        XCTAssertTrue(line.contains("\"event\":\"target\",\"pid\":"))
        XCTAssertTrue(line.contains("\"comm\":\"probe-target\",\"flags\":"))
        XCTAssertTrue(line.contains(",\"preempt\":"))
        XCTAssertTrue(line.contains("\"fields\":{\"__probe_ip\":"))
        XCTAssertFalse(line.contains("common_"))
    }

    func testUnknownTaskNames() throws {
        let names = TaskNames(savedCmdlines: "12 bash\n13 kworker/0:1\n")
        XCTAssertEqual(names.nameString(of: 12), "bash")
        XCTAssertEqual(names.nameString(of: 13), "kworker/0:1")
        XCTAssertEqual(names.nameString(of: 0), "<idle>")
        XCTAssertEqual(names.nameString(of: 99), "<...>")
        XCTAssertNil(names.knownName(of: 99))
    }

    func testSeekByTimestampAndPosition() throws {
        let trace = try TraceDatTrace(path: Fixtures.path("wide-v7.dat"))
        let stream = try trace.openStream(0)
        var records: [EventRecord] = []
        while let r = stream.current, records.count < 500 {
            records.append(r)
            try stream.advance()
        }
        let target = records[300]
        try stream.seek(to: target.position)
        XCTAssertEqual(stream.current?.timestamp, target.timestamp)
        XCTAssertEqual(stream.current?.position, target.position)
        try stream.seek(toTimestamp: records[200].timestamp)
        XCTAssertEqual(stream.current?.timestamp, records.first { $0.timestamp >= records[200].timestamp }?.timestamp)
    }

    func testKernelSymbolLookups() {
        let symbols = KernelSymbols(kallsyms: """
        ffffffff81000000 T _stext
        ffffffff81000000 T startup_64
        ffffffff81000100 t helper\t[mod]
        0000000000000000 A fixed_percpu_data
        ffffffff81000200 T last
        """)
        XCTAssertEqual(symbols.count, 4)
        XCTAssertEqual(symbols.lookup(0xffff_ffff_8100_0150)?.name, "helper")
        XCTAssertEqual(symbols.lookup(0xffff_ffff_8100_0200)?.name, "last")
        XCTAssertNil(symbols.lookup(0xffff_ffff_8100_0201), "beyond the last symbol nothing matches")
        XCTAssertNil(symbols.lookup(0x1000))
        XCTAssertEqual(symbols.address(named: "helper"), 0xffff_ffff_8100_0100)
    }

    func testPrintkFormats() {
        let formats = PrintkFormats(text: "0xffffffff82000000 : \"hello %d\\n\"\n0xffffffff82000010 : \"plain\"\n")
        XCTAssertEqual(formats.string(at: 0xffff_ffff_8200_0000).map { String(decoding: $0, as: UTF8.self) }, "hello %d")
        XCTAssertEqual(formats.string(at: 0xffff_ffff_8200_0010).map { String(decoding: $0, as: UTF8.self) }, "plain")
        XCTAssertNil(formats.string(at: 1))
    }
}
