import XCTest
@testable import TraceKit

final class FormattingTests: XCTestCase {
    private func capture(_ body: (OutputBuffer) throws -> Void) rethrows -> String {
        var bytes: [UInt8] = []
        let out = OutputBuffer(flushThreshold: 16) { bytes += $0 }
        try body(out)
        try? out.flush()
        return String(decoding: bytes, as: UTF8.self)
    }

    func testDecimalAndHexDigits() {
        XCTAssertEqual(capture { $0.writeDecimal(UInt64.max) }, "18446744073709551615")
        XCTAssertEqual(capture { $0.writeDecimal(Int64.min) }, "-9223372036854775808")
        XCTAssertEqual(capture { $0.writeDecimal(Int64(42), width: 5) }, "   42")
        XCTAssertEqual(capture { $0.writeDecimal(Int64(-42), width: 5, pad: 48) }, "-0042")
        XCTAssertEqual(capture { $0.writeHex(0xBEEF, width: 8) }, "0000beef")
        XCTAssertEqual(capture { $0.writeHex(0xBEEF, uppercase: true) }, "BEEF")
    }

    private func sampleSet() -> (TraceSet, EventRecord) {
        let trace = MemoryTrace(name: "t")
        trace.addStream(StreamInfo(name: "cpu0", cpu: 0, file: ""))
        let cls = trace.classIndex(named: "sched_switch", system: "sched")
        trace.append(stream: 0, timestamp: 1_500_000_001, classIndex: cls, payload: [
            Field("prev_comm", .string("ba\"sh\n")),
            Field("big", .integer(.unsigned(UInt64.max), base: .decimal)),
            Field("mask", .integer(.unsigned(255), base: .hexadecimal)),
            Field("state", .enumeration(.signed(1), labels: ["S"])),
            Field("list", .array([.integer(.signed(-1), base: .decimal), .float(0.5)])),
            Field("inner", .structure([Field("a", .integer(.signed(1), base: .decimal))])),
            Field("choice", .variant(option: "x", value: .integer(.signed(7), base: .decimal))),
        ], context: [Field("vtid", .integer(.signed(9), base: .decimal))],
        task: TaskRef(pid: 42, comm: "bash"))
        trace.append(stream: 0, timestamp: 1_600_000_000, classIndex: 0,
                     kind: .lostEvents(count: 12, since: 1_550_000_000))
        let set = TraceSet(traces: [trace])
        let merger = try! set.makeMerger()
        return (set, merger.current!)
    }

    func testJSONLines() throws {
        let (set, record) = sampleSet()
        let line = try capture { try JSONLinesFormatter().write(record, of: set, to: $0) }
        XCTAssertEqual(line, #"{"time":1500000001,"cpu":0,"event":"sched_switch","pid":42,"comm":"bash","fields":{"prev_comm":"ba\"sh\n","big":18446744073709551615,"mask":255,"state":{"value":1,"labels":["S"]},"list":[-1,0.5],"inner":{"a":1},"choice":{"x":7}},"context":{"vtid":9}}"# + "\n")
    }

    func testJSONReplacesInvalidUTF8() {
        let text = capture { out in
            [UInt8]([0x61, 0xFF, 0xC3, 0xA9, 0x01]).withUnsafeBytes { JSONWriter.writeString($0, to: out) }
        }
        XCTAssertEqual(text, "\"a\u{FFFD}é\\u0001\"")
    }

    func testTextFormat() throws {
        let (set, record) = sampleSet()
        let line = try capture { try TextFormatter().write(record, of: set, to: $0) }
        XCTAssertEqual(line, #"1.500000001 [0] bash-42 sched:sched_switch: prev_comm="ba\"sh\n" big=18446744073709551615 mask=0xff state=S(1) list=[-1, 0.5] inner={a=1} choice=x:7 | vtid=9"# + "\n")
        var lost = record
        lost.kind = .lostEvents(count: 12, since: 1_550_000_000)
        lost.timestamp = 1_600_000_000
        XCTAssertEqual(try capture { try TextFormatter().write(lost, of: set, to: $0) },
                       "1.600000000 [0] LOST 12 events since 1.550000000\n")
    }

    func testTreeBuilderTextArrays() {
        var builder = FieldTreeBuilder()
        builder.beginArray("name", count: 4, isText: true)
        for b: UInt8 in [0x68, 0x69, 0, 0x7A] { builder.visitInteger("", .unsigned(UInt64(b)), base: .decimal) }
        builder.endArray()
        XCTAssertEqual(builder.fields, [Field("name", .string("hi"))])
    }
}
