import XCTest
@testable import Ftrace

/// Parsing `events/<system>/<event>/format` files.
final class EventFormatTests: XCTestCase {
    func testFieldsOffsetsSizesSignednessAndArrays() throws {
        let text = formatText(name: "sched_switch", id: 372, fields: """
        	field:char prev_comm[16];	offset:8;	size:16;	signed:0;
        	field:pid_t prev_pid;	offset:24;	size:4;	signed:1;
        	field:long prev_state;	offset:32;	size:8;	signed:1;
        	field:const char * name;	offset:40;	size:8;	signed:0;
        	field:unsigned long args[6];	offset:48;	size:48;	signed:0;

        """, print: "\"prev_comm=%s\", REC->prev_comm")
        let f = try EventFormat.parse(text, system: "sched")
        XCTAssertEqual(f.id, 372)
        XCTAssertEqual(f.name, "sched_switch")
        XCTAssertEqual(f.commonFields.map(\.name), ["common_type", "common_flags", "common_preempt_count", "common_pid"])
        XCTAssertEqual(f.fields.map(\.name), ["prev_comm", "prev_pid", "prev_state", "name", "args"])
        let comm = f.fields[0]
        XCTAssertEqual(comm.type, "char[16]")
        XCTAssertTrue(comm.isArray && comm.isString)
        XCTAssertEqual(comm.arrayLength, 16)
        XCTAssertEqual(comm.elementSize, 1)
        XCTAssertTrue(f.fields[1].isSigned)
        XCTAssertTrue(f.fields[2].isLong)
        XCTAssertTrue(f.fields[3].isPointer)
        XCTAssertEqual(f.fields[4].elementSize, 8)
        XCTAssertEqual(f.printFormatText, " \"prev_comm=%s\", REC->prev_comm\n")
    }

    func testDynamicFields() throws {
        let text = formatText(fields: """
        	field:__data_loc char[] name;	offset:8;	size:4;	signed:0;
        	field:__rel_loc u32[] values;	offset:12;	size:4;	signed:0;
        	field:__data_loc unsigned long[] mask;	offset:16;	size:4;	signed:0;

        """, print: "\"%s\", __get_str(name)")
        let f = try EventFormat.parse(text, system: "test")
        let name = f.fields[0]
        XCTAssertEqual(name.type, "__data_loc char[]")
        XCTAssertTrue(name.isDynamic && name.isString && !name.isRelative)
        XCTAssertEqual(name.elementSize, 1)
        let values = f.fields[1]
        XCTAssertTrue(values.isDynamic && values.isRelative)
        XCTAssertEqual(values.elementSize, 4)
        // Location words: length << 16 | offset; __rel_loc counts from the end of the word.
        var r = RecordBuilder()
        r.u16(100); r.u8(0); r.u8(0); r.u32(1)
        r.u32(4 << 16 | 20)
        r.u32(8 << 16 | 8)
        r.u32(0)
        r.text("abc", size: 4)
        r.u32(7); r.u32(9)
        r.bytes.withUnsafeBytes { raw in
            XCTAssertTrue(name.dynamicLocation(in: raw, order: .little) == (20, 4))
            XCTAssertTrue(values.dynamicLocation(in: raw, order: .little) == (24, 8))
        }
    }

    func testFormatThatDoesNotParseNamesTheToken() {
        let broken = "name: broken\nID: 5\nformat:\n\tfield:int a;\toffset:8\tsize:4;\n"
        XCTAssertThrowsError(try EventFormat.parse(broken, system: "test")) { error in
            XCTAssertTrue("\(error)".contains("expected ';'") || "\(error)".contains("offset"), "\(error)")
        }
        XCTAssertThrowsError(try EventFormat.parse("name: x\nID: abc\n", system: "t")) { error in
            XCTAssertTrue("\(error)".contains("event id"), "\(error)")
        }
        XCTAssertThrowsError(try EventFormat.parse("", system: "t"))
    }

    func testCatalogKeepsGoodEventsAndReportsBadOnes() {
        let catalog = EventCatalog()
        XCTAssertNoThrow(try catalog.addFormat(Array(formatText(id: 7, fields: "", print: "\"x\"").utf8), system: "a"))
        XCTAssertThrowsError(try catalog.addFormat(Array("name: bad\nID: 9\nformat:\n\tfield:int".utf8), system: "a"))
        XCTAssertNotNil(catalog.event(id: 7))
        XCTAssertNil(catalog.event(id: 9))
        XCTAssertEqual(catalog.formatErrors.count, 1)
    }

    func testTokenizerGroupsOperatorsLikeLibtraceevent() {
        var t = FormatTokenizer("REC->a >>= 2 && !b != \"s\" \"t\" 'c'")
        var tokens: [String] = []
        while true {
            let token = t.nextItem()
            if token.kind == .none { break }
            tokens.append(token.text)
        }
        XCTAssertEqual(tokens, ["REC", "->", "a", ">>=", "2", "&&", "!", "b", "!=", "st", "c"])
    }
}
