import XCTest
@testable import TraceKit

final class FilterEvaluatorTests: XCTestCase {
    /// sched_switch events on two CPUs, an irq event with a hex field and an enum, a lost record.
    private func makeSet() -> (TraceSet, [EventRecord]) {
        let trace = MemoryTrace(name: "t")
        trace.addStream(StreamInfo(name: "cpu0", cpu: 0, file: ""))
        trace.addStream(StreamInfo(name: "cpu1", cpu: 1, file: ""))
        let sw = trace.classIndex(named: "sched_switch", system: "sched")
        let irq = trace.classIndex(named: "irq_handler_entry", system: "irq")
        func i(_ v: Int64) -> FieldValue { .integer(.signed(v), base: .decimal) }
        trace.append(stream: 0, timestamp: 1_000, classIndex: sw, payload: [
            Field("prev_comm", .string("bash")), Field("prev_pid", i(42)),
            Field("prev_state", .enumeration(.signed(1), labels: ["S"])),
            Field("next_comm", .string("swapper/0")), Field("next_pid", i(0)),
        ], task: TaskRef(pid: 42, comm: "bash"))
        trace.append(stream: 1, timestamp: 2_000, classIndex: irq, payload: [
            Field("irq", i(24)), Field("flags", .integer(.unsigned(0xff), base: .hexadecimal)),
            Field("name", .string("eth0")),
            Field("nested", .structure([Field("deep", i(7))])),
            Field("list", .array([i(1), i(2), i(3)])),
        ], context: [Field("vtid", i(99))], task: TaskRef(pid: 7, comm: "kworker/1:0"))
        trace.append(stream: 0, timestamp: 3_000_000, classIndex: sw, payload: [
            Field("prev_comm", .string("swapper/0")), Field("prev_pid", i(0)),
            Field("prev_state", .enumeration(.signed(0), labels: ["R"])),
            Field("next_comm", .string("make")), Field("next_pid", i(1234)),
        ], task: TaskRef(pid: 0, comm: "swapper/0"))
        trace.append(stream: 1, timestamp: 4_000_000, classIndex: 0, kind: .lostEvents(count: 5, since: 3_500_000))
        let set = TraceSet(traces: [trace])
        let merger = try! set.makeMerger()
        var records: [EventRecord] = []
        while let r = try! merger.next() { records.append(r) }
        return (set, records)
    }

    private func matching(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [Int64] {
        let (set, records) = makeSet()
        do {
            let filter = try EventFilter(text)
            let context = FilterContext(set: set, traceStart: 1_000)
            return records.filter { filter.matches($0, in: context) }.map(\.timestamp)
        } catch {
            XCTFail("\(text): \(error)", file: file, line: line)
            return []
        }
    }

    func testEventNames() {
        XCTAssertEqual(matching(#"event == "sched_switch""#), [1_000, 3_000_000])
        XCTAssertEqual(matching(#"event == "sched:sched_switch""#), [1_000, 3_000_000])
        XCTAssertEqual(matching(#"event =~ "sched_*""#), [1_000, 3_000_000])
        XCTAssertEqual(matching(#"event =~ /^irq/"#), [2_000])
        XCTAssertEqual(matching(#"event != "sched_switch""#), [2_000])
        XCTAssertEqual(matching(#"event !~ "*switch""#), [2_000])
    }

    func testBuiltins() {
        XCTAssertEqual(matching("cpu == 1"), [2_000, 4_000_000])
        XCTAssertEqual(matching("pid == 42"), [1_000])
        XCTAssertEqual(matching(#"comm == "bash""#), [1_000])
        XCTAssertEqual(matching(#"task =~ "kworker*""#), [2_000])
        XCTAssertEqual(matching("time >= 2us && time < 3.5ms"), [2_000, 3_000_000])
        XCTAssertEqual(matching("elapsed > 1ms"), [3_000_000, 4_000_000])
        XCTAssertEqual(matching(#"trace == "t" && cpu == 0"#), [1_000, 3_000_000])
    }

    func testFields() {
        XCTAssertEqual(matching("prev_pid == 42"), [1_000])
        XCTAssertEqual(matching("next_pid >= 1000"), [3_000_000])
        XCTAssertEqual(matching("prev_pid != 42"), [3_000_000], "events without the field do not match")
        XCTAssertEqual(matching("flags == 0xff"), [2_000])
        XCTAssertEqual(matching("flags == 255"), [2_000])
        XCTAssertEqual(matching(#"prev_state == "S""#), [1_000])
        XCTAssertEqual(matching("prev_state == 0"), [3_000_000])
        XCTAssertEqual(matching(#"name =~ "eth*""#), [2_000])
        XCTAssertEqual(matching("deep == 7"), [2_000], "nested fields are found by name")
        XCTAssertEqual(matching("list == 2"), [2_000], "arrays match when an element does")
        XCTAssertEqual(matching("vtid == 99"), [2_000], "context fields")
        XCTAssertEqual(matching("irq"), [2_000], "a bare field is true when present and non-zero")
        XCTAssertEqual(matching(#"$prev_comm == "bash""#), [1_000])
        XCTAssertEqual(matching(#"(prev_pid == 42 || irq == 24) && !(cpu == 1)"#), [1_000])
        XCTAssertEqual(matching("irq > 2.5"), [2_000])
    }

    func testUnsignedComparisonsAreExact() {
        let trace = MemoryTrace(name: "u")
        trace.addStream(StreamInfo(name: "s", cpu: 0, file: ""))
        let c = trace.classIndex(named: "e")
        trace.append(stream: 0, timestamp: 1, classIndex: c,
                     payload: [Field("v", .integer(.unsigned(.max), base: .decimal))])
        trace.append(stream: 0, timestamp: 2, classIndex: c,
                     payload: [Field("v", .integer(.signed(-1), base: .decimal))])
        let set = TraceSet(traces: [trace])
        let merger = try! set.makeMerger()
        let a = merger.current!
        try! merger.advance()
        let b = merger.current!
        let context = FilterContext(set: set)
        let f1 = try! EventFilter("v == 18446744073709551615")
        XCTAssertTrue(f1.matches(a, in: context))
        XCTAssertFalse(f1.matches(b, in: context))
        let f2 = try! EventFilter("v < 0")
        XCTAssertFalse(f2.matches(a, in: context))
        XCTAssertTrue(f2.matches(b, in: context))
    }

    func testSearchQueryText() {
        let (set, records) = makeSet()
        let context = FilterContext(set: set)
        func hits(_ q: String) -> [Int64] {
            let query = SearchQuery(q)
            return records.filter { query.matches($0, in: context) }.map(\.timestamp)
        }
        XCTAssertEqual(hits("ETH"), [2_000])
        XCTAssertEqual(hits("make"), [3_000_000])
        XCTAssertEqual(hits("1234"), [3_000_000])
        XCTAssertEqual(hits("irq_handler"), [2_000])
        XCTAssertEqual(hits("prev_pid == 0"), [3_000_000], "filter expressions search too")
        XCTAssertEqual(hits("lost"), [4_000_000])
    }
}
