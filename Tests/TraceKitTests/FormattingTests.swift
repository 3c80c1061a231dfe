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

    func testDecimalsAtEveryPowerOfTen() {
        var values: [UInt64] = [0, 1, 9, UInt64.max, UInt64.max - 1, UInt64(Int64.max), UInt64(Int64.max) + 1]
        var p: UInt64 = 1
        for _ in 0..<20 {
            values += [p &- 1, p, p &+ 1, p &* 3 / 2]
            p = p &* 10
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2000 { values.append(random.next() >> (random.next() % 64)) }
        for v in values {
            XCTAssertEqual(capture { $0.writeDecimal(v) }, String(v))
            let s = Int64(bitPattern: v)
            XCTAssertEqual(capture { $0.writeDecimal(s) }, String(s))
            XCTAssertEqual(DecimalDigits.count(v), String(v).count, "\(v)")
        }
        XCTAssertEqual(capture { $0.writeDecimal(UInt64(0), width: 9, pad: 48) }, "000000000")
        XCTAssertEqual(capture { $0.writeDecimal(Int64.min, width: 22, pad: 48) }, "-009223372036854775808")
    }

    /// A record whose context arrives before its payload (the order CTF stores them) is written in the
    /// documented key order, the same as when the payload comes first.
    private func writeSample<W: RecordVisitor>(_ writer: inout W, contextFirst: Bool) {
        func context(_ w: inout W) {
            w.beginPart(.context)
            w.visitInteger("vtid", .signed(9), base: .decimal)
            w.visitString("procname", UnsafeRawBufferPointer(start: nil, count: 0))
        }
        func payload(_ w: inout W) {
            w.beginPart(.payload)
            w.visitInteger("a", .unsigned(1), base: .hexadecimal)
            w.beginArray("list", count: 2, isText: false)
            w.visitFloat("", 0.5)
            w.beginStructure("")
            w.visitInteger("x", .signed(-2), base: .decimal)
            w.endStructure()
            w.endArray()
            w.beginVariant("v", option: "opt")
            w.visitEnumeration("opt", .signed(3), labels: ["L", "M"])
            w.endVariant()
        }
        if contextFirst { context(&writer) }
        Array("bash".utf8).withUnsafeBytes { writer.visitTask(pid: 42, comm: $0) }
        payload(&writer)
        if !contextFirst { context(&writer) }
    }

    func testRecordWritersPutTheContextAfterThePayload() {
        for contextFirst in [false, true] {
            var json = JSONRecordWriter(line: ByteBuffer())
            json.beginRecord(timestamp: 7, cpu: 1)
            json.line.append("\"e\"")
            writeSample(&json, contextFirst: contextFirst)
            json.endRecord()
            XCTAssertEqual(String(decoding: json.line.bytes, as: UTF8.self),
                           #"{"time":7,"cpu":1,"event":"e","pid":42,"comm":"bash","fields":{"a":1,"list":[0.5,{"x":-2}],"v":{"opt":{"value":3,"labels":["L","M"]}}},"context":{"vtid":9,"procname":""}}"# + "\n")
            json.line.deallocate()
            json.deallocateScratch()

            var text = TextRecordWriter(line: ByteBuffer())
            "e".utf8CString.withUnsafeBytes { name in
                text.beginRecord(timestamp: 1_500_000_001, cpu: 0, domain: .monotonic,
                                 name: UnsafeRawBufferPointer(rebasing: name.dropLast()))
                writeSample(&text, contextFirst: contextFirst)
                text.endRecord()
            }
            XCTAssertEqual(String(decoding: text.line.bytes, as: UTF8.self),
                           #"1.500000001 [0] bash-42 e: a=0x1 list=[0.5, {x=-2}] v=opt:L|M(3) | vtid=9 procname="""# + "\n")
            text.line.deallocate()
            text.deallocateScratch()
        }
    }

    func testAbandonedRecordLeavesNothing() {
        var json = JSONRecordWriter(line: ByteBuffer())
        json.line.append("kept\n")
        let mark = json.line.count
        json.beginRecord(timestamp: 1, cpu: 0)
        json.line.append("\"e\"")
        json.beginPart(.context)
        json.visitInteger("vtid", .signed(1), base: .decimal)
        json.abandonRecord(at: mark)
        XCTAssertEqual(String(decoding: json.line.bytes, as: UTF8.self), "kept\n")
        json.writeLostEvents(timestamp: 5, cpu: 1, count: nil, since: 2)
        XCTAssertEqual(String(decoding: json.line.bytes, as: UTF8.self),
                       "kept\n" + #"{"time":5,"cpu":1,"lost_events":null,"since":2}"# + "\n")
        json.line.deallocate()
        json.deallocateScratch()
    }

    func testDeepNestingStaysBalanced() {
        var json = JSONRecordWriter(line: ByteBuffer())
        json.beginRecord(timestamp: 0, cpu: 0)
        json.line.append("\"e\"")
        json.beginPart(.payload)
        for _ in 0..<100 { json.beginArray("a", count: 2, isText: false) }
        json.visitInteger("", .signed(1), base: .decimal)
        json.visitInteger("", .signed(2), base: .decimal)
        for _ in 0..<100 {
            json.endArray()
            json.visitInteger("", .signed(3), base: .decimal)
        }
        json.endRecord()
        let line = String(decoding: json.line.bytes, as: UTF8.self)
        let expected = #"{"time":0,"cpu":0,"event":"e","fields":{"a":"# + String(repeating: "[", count: 100) + "1,2"
            + String(repeating: "],3", count: 99) + "]" + #","":3},"context":{}}"# + "\n"
        XCTAssertEqual(line, expected)
        json.line.deallocate()
    }
}
