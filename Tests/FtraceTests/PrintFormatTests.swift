import XCTest
@testable import Ftrace

/// Print-format evaluation: expressions, helpers and printf conversions, rendered as libtraceevent
/// renders them.
final class PrintFormatTests: XCTestCase {
    /// Renders `print` for an event with `fields` over `record`.
    private func render(fields: String, print: String, record: [UInt8], symbols: String = "",
                        printk: String = "", system: String = "test", name: String = "test_event") throws -> String {
        let catalog = EventCatalog(symbols: SymbolTables(symbols: KernelSymbols(kallsyms: symbols),
                                                         printkFormats: PrintkFormats(text: printk)))
        let event = try catalog.addFormat(Array(formatText(name: name, id: 100, fields: fields, print: print).utf8), system: system)
        return captureLine { out in record.withUnsafeBytes { catalog.writeInfo(of: event, record: $0, raw: false, to: &out) } }
    }

    /// A record of the common header followed by `body`.
    private func record(_ body: (inout RecordBuilder) -> Void) -> [UInt8] {
        var r = RecordBuilder()
        r.u16(100); r.u8(0); r.u8(0); r.u32(1234)
        body(&r)
        return r.bytes
    }

    private let intFields = """
    	field:int a;	offset:8;	size:4;	signed:1;
    	field:unsigned int b;	offset:12;	size:4;	signed:0;
    	field:unsigned long c;	offset:16;	size:8;	signed:0;

    """

    private func ints(_ a: Int32, _ b: UInt32, _ c: UInt64) -> [UInt8] {
        record { r in r.u32(UInt32(bitPattern: a)); r.u32(b); r.u64(c) }
    }

    func testIntegerConversionsWidthsFlagsAndLengths() throws {
        let rec = ints(-42, 255, 0xDEAD_BEEF_1234)
        func check(_ fmt: String, _ args: String, _ expected: String, line: UInt = #line) throws {
            XCTAssertEqual(try render(fields: intFields, print: "\"\(fmt)\", \(args)", record: rec), expected, line: line)
        }
        try check("%d", "REC->a", "-42")
        try check("%u", "REC->a", "4294967254")
        try check("%5d|%-5d|%05d", "REC->a, REC->a, REC->a", "  -42|-42  |-0042")
        try check("%+d %x %X %o %#x %#o", "REC->b, REC->b, REC->b, REC->b, REC->b, REC->b", "+255 ff FF 377 0xff 0377")
        try check("%08lx %lu %llx", "REC->c, REC->c, REC->c", "deadbeef1234 244837814047284 deadbeef1234")
        try check("%hhd %hd %hx", "REC->b, REC->a, REC->a", "-1 -42 ffd6")
        try check("%.3d|%8.3x|%c", "REC->b, REC->b, REC->b", "255|     0ff|\u{FF}".replacingOccurrences(of: "\u{FF}", with: String(decoding: [0xFF], as: UTF8.self)))
        try check("%*d|%-*d|", "6, REC->b, 4, REC->b", "   255|255 |")
        try check("%zu %Lu", "REC->b, REC->c", "255 244837814047284")
    }

    func testExpressionsCastsTernariesAndSizeof() throws {
        let rec = ints(6, 3, 0xF0)
        func check(_ args: String, _ expected: String, line: UInt = #line) throws {
            XCTAssertEqual(try render(fields: intFields, print: "\"%lu\", \(args)", record: rec), expected, line: line)
        }
        try check("REC->a * REC->b + 1", "19")
        try check("(REC->a + REC->b) << 2", "36")
        try check("REC->c & 0x30 ? 1 : 2", "1")
        try check("REC->c >> 4", "15")
        try check("!REC->a", "0")
        try check("~REC->b & 0xff", "252")
        try check("(u8)(REC->c + 0x20)", "16")
        try check("REC->a == 6 && REC->b != 3", "0")
        try check("REC->a % 4 + REC->a / 4", "3")
        try check("sizeof(long) + sizeof(REC->b) + sizeof(u16)", "14")
        try check("REC->a - 2 - 1", "5")  // libtraceevent groups equal priorities to the right: 6 - (2 - 1)
        try check("REC->b ^ 1", "0")      // '^' is not evaluated by libtraceevent
        try check("-REC->b + 10", "7")
    }

    func testStringsArraysAndDynamicStrings() throws {
        let fields = """
        	field:char comm[16];	offset:8;	size:16;	signed:0;
        	field:__data_loc char[] name;	offset:24;	size:4;	signed:0;
        	field:__rel_loc char[] rel;	offset:28;	size:4;	signed:0;

        """
        let rec = record { r in
            r.text("bash", size: 16)
            r.u32(6 << 16 | 32)
            r.u32(4 << 16 | 6)     // relative: 6 bytes after the end of the word (32 + 6 = 38)
            r.text("hello", size: 6)
            r.text("rel", size: 4)
        }
        XCTAssertEqual(try render(fields: fields, print: "\"[%s] [%-6s] [%.2s] [%s] [%s]\", REC->comm, REC->comm, REC->comm, __get_str(name), __get_rel_str(rel)", record: rec),
                       "[bash] [bash  ] [ba] [hello] [rel]")
        let empty = record { r in r.text("", size: 16); r.u32(0); r.u32(0) }
        XCTAssertEqual(try render(fields: fields, print: "\"<%5s>\", __get_str(name)", record: empty), "<>")
    }

    func testFlagsAndSymbols() throws {
        let flags = "__print_flags(REC->b, \"|\", { 0x01, \"A\" }, { 0x02, \"B\" }, { 0x10, \"E\" })"
        let symbolic = "__print_symbolic(REC->a, { 0, \"zero\" }, { 1, \"one\" }, { TIMER_SOFTIRQ, \"timer\" })"
        func check(_ a: Int32, _ b: UInt32, _ print: String, _ expected: String, line: UInt = #line) throws {
            XCTAssertEqual(try render(fields: intFields, print: print, record: ints(a, b, 0)), expected, line: line)
        }
        try check(0, 0x13, "\"%s\", \(flags)", "A|B|E")
        try check(0, 0x25, "\"%s\", \(flags)", "A|0x24")
        try check(0, 0, "\"[%s]\", \(flags)", "[]")
        try check(1, 0, "\"%s\", \(symbolic)", "one")
        try check(7, 0, "\"%s\", \(symbolic)", "0x7")
        try check(0, 3, "\"%-4s|\", __print_flags(REC->b, \"\", { 1, \"a\" }, { 2, \"b\" })", "a   b   |")
    }

    func testHexArrayAndBitmaskHelpers() throws {
        let fields = """
        	field:u8 raw[4];	offset:8;	size:4;	signed:0;
        	field:__data_loc u8[] buf;	offset:12;	size:4;	signed:0;
        	field:__data_loc u32[] vals;	offset:16;	size:4;	signed:0;
        	field:__data_loc unsigned long[] mask;	offset:20;	size:4;	signed:0;

        """
        let rec = record { r in
            r.raw([0xDE, 0xAD, 0xBE, 0xEF])
            r.u32(3 << 16 | 24)
            r.u32(8 << 16 | 28)
            r.u32(8 << 16 | 36)
            r.raw([1, 2, 3, 0])
            r.u32(7); r.u32(0x10)
            r.u64(0x1_0000_000F)
        }
        func check(_ print: String, _ expected: String, line: UInt = #line) throws {
            XCTAssertEqual(try render(fields: fields, print: print, record: rec), expected, line: line)
        }
        try check("\"%s\", __print_hex(REC->raw, 4)", "de ad be ef")
        try check("\"%s\", __print_hex_str(__get_dynamic_array(buf), __get_dynamic_array_len(buf))", "010203")
        try check("\"%s\", __print_array(__get_dynamic_array(vals), __get_dynamic_array_len(vals) / 4, 4)", "{0x7,0x10}")
        try check("\"%s\", __get_bitmask(mask)", "00000001,0000000f")
        try check("\"%d\", __get_dynamic_array_len(buf)", "3")
        // After a bad element size libtraceevent goes on one byte at a time.
        try check("\"%s\", __print_array(REC->raw, 2, 3)", "{BAD SIZE:3 0xde,0xad}")
    }

    func testPointerExtensions() throws {
        let fields = """
        	field:unsigned long ip;	offset:8;	size:8;	signed:0;
        	field:u8 mac[6];	offset:16;	size:6;	signed:0;
        	field:u8 v4[4];	offset:22;	size:4;	signed:0;
        	field:u8 v6[16];	offset:26;	size:16;	signed:0;
        	field:u8 uuid[16];	offset:42;	size:16;	signed:0;
        	field:__data_loc u8[] bytes;	offset:58;	size:4;	signed:0;

        """
        let rec = record { r in
            r.u64(0xffff_ffff_8100_0010)
            r.raw([0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc])
            r.raw([192, 168, 0, 7])
            r.raw([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
            r.raw(Array(0..<16))
            r.u32(3 << 16 | 62)
            r.raw([0xa, 0xb, 0xc])
        }
        let kallsyms = "ffffffff81000000 T start_kernel\nffffffff81000100 T next_function\n"
        func check(_ print: String, _ expected: String, line: UInt = #line) throws {
            XCTAssertEqual(try render(fields: fields, print: print, record: rec, symbols: kallsyms), expected, line: line)
        }
        try check("\"%pS %ps\", (void *)REC->ip, (void *)REC->ip", "start_kernel+0x10 start_kernel")
        try check("\"%pM %pm %pMF %pMR\", REC->mac, REC->mac, REC->mac, REC->mac",
                  "00:1b:21:aa:bb:cc 001b21aabbcc 00-1b-21-aa-bb-cc cc:bb:aa:21:1b:00")
        try check("\"%pI4 %pi4\", REC->v4, REC->v4", "192.168.0.7 192.168.000.007")
        try check("\"%pI6 %pi6 %pI6c\", REC->v6, REC->v6, REC->v6",
                  "2001:0db8:0000:0000:0000:0000:0000:0001 20010db8000000000000000000000001 2001:db8::1")
        try check("\"%pU\", REC->uuid", "00010203-0405-0607-0809-0a0b0c0d0e0f")
        try check("\"%pUl\", REC->uuid", "03020100-0504-0706-0809-0a0b0c0d0e0f")
        try check("\"%*ph|%ph|%*phC\", 3, __get_dynamic_array(bytes), __get_dynamic_array(bytes), 3, __get_dynamic_array(bytes)",
                  "0a 0b 0c|0a|0a:0b:0c")
        try check("\"%p\", REC->ip", "0xffffffff81000010")
        try check("\"%pS\", (void *)0xffffffff90000000", "0xffffffff90000000")
        try check("\"%pM\", REC->ip", "INVALIDMAC")
    }

    func testUnknownConversionsAndFailures() throws {
        let rec = ints(1, 2, 3)
        XCTAssertEqual(try render(fields: intFields, print: "\"a %f b\", REC->a", record: rec), "a >f< b")
        XCTAssertEqual(try render(fields: intFields, print: "\"%d %%\\t%s\\n\", REC->a, \"x\"", record: rec), "1 %\tx\n")
        // A helper libtraceevent does not know: the event prints as failed with its raw fields.
        XCTAssertEqual(try render(fields: intFields, print: "\"%d\", no_such_helper(REC->a)", record: rec),
                       "[FAILED TO PARSE] a=1 b=2 c=0x3")
        // More conversions than arguments.
        XCTAssertEqual(try render(fields: intFields, print: "\"%d %d\", REC->a", record: rec),
                       "[FAILED TO PARSE] a=1 b=2 c=0x3")
    }

    func testDeeplyNestedExpressionsAreRejectedNotOverflowed() throws {
        let nested = String(repeating: "(", count: 5000) + "REC->a" + String(repeating: ")", count: 5000)
        XCTAssertEqual(try render(fields: intFields, print: "\"%d\", \(nested)", record: ints(1, 2, 3)),
                       "[FAILED TO PARSE] a=1 b=2 c=0x3")
        let chain = (0..<5000).map { _ in "REC->a" }.joined(separator: " + ")
        XCTAssertEqual(try render(fields: intFields, print: "\"%d\", \(chain)", record: ints(1, 2, 3)),
                       "[FAILED TO PARSE] a=1 b=2 c=0x3")
    }

    func testBinaryPrintkUsesThePrintkFormats() throws {
        let fields = """
        	field:unsigned long ip;	offset:8;	size:8;	signed:0;
        	field:const char * fmt;	offset:16;	size:8;	signed:0;
        	field:u32 buf[];	offset:24;	size:0;	signed:0;

        """
        let rec = record { r in
            r.u64(0xffff_ffff_8100_0004)
            r.u64(0xffff_ffff_8200_0000)
            r.u32(5)
            r.text("hi", size: 4)  // "hi\0" then alignment to 4 bytes
            r.u64(7)
        }
        let printk = "0xffffffff82000000 : \"value %d name %s wide %llu\\n\"\n"
        let text = try render(fields: fields, print: "\"%ps: %s\", (void *)REC->ip, REC->fmt", record: rec,
                              symbols: "ffffffff81000000 t my_func\nffffffff81000100 t other\n", printk: printk, system: "ftrace", name: "bprint")
        XCTAssertEqual(text, "my_func: value 5 name hi wide 7")
    }
}
