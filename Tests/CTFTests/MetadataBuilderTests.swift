import XCTest
@testable import CTF
import TraceKit

/// TSDL text to metadata model, and the errors for bad metadata.
final class MetadataBuilderTests: XCTestCase {
    private let trace = """
        /* CTF 1.8 */
        trace { major = 1; minor = 8; byte_order = le; };

        """

    private func build(_ text: String) throws -> TraceMetadata {
        try MetadataBuilder.build(text: Array(text.utf8))
    }

    /// The error description for `text`, or a failure when it builds.
    private func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try build(text)
            XCTFail("metadata built without error", file: file, line: line)
            return ""
        } catch {
            return "\(error)"
        }
    }

    private func payload(_ fields: String) throws -> StructType {
        let m = try build(trace + integerAliases + "event { name = \"e\"; fields := struct { \(fields) }; };")
        return try XCTUnwrap(m.eventClasses.first?.payload)
    }

    // MARK: Types

    func testIntegerAttributes() throws {
        let s = try payload("""
            integer { size = 3; align = 1; signed = true; base = 16; byte_order = be; } a;
            integer { size = 64; signed = false; base = o; } b;
            integer { size = 12; } c;
            integer { size = 8; align = 8; encoding = UTF8; } d;
            integer { size = 32; align = 32; byte_order = network; base = binary; } e;
            """)
        let a = try XCTUnwrap(s.member(named: "a")?.type as? IntegerType)
        XCTAssertEqual(a.size, 3)
        XCTAssertTrue(a.isSigned)
        XCTAssertEqual(a.base, .hexadecimal)
        XCTAssertEqual(a.byteOrder, .bigEndian)
        XCTAssertEqual(a.alignment, 1)
        let b = try XCTUnwrap(s.member(named: "b")?.type as? IntegerType)
        XCTAssertEqual(b.alignment, 8, "byte-sized integers default to byte alignment")
        XCTAssertEqual(b.base, .octal)
        XCTAssertEqual(b.byteOrder, .littleEndian, "native is the trace byte order")
        let c = try XCTUnwrap(s.member(named: "c")?.type as? IntegerType)
        XCTAssertEqual(c.alignment, 1, "other sizes default to bit alignment")
        XCTAssertFalse(c.isSigned)
        XCTAssertTrue(try XCTUnwrap(s.member(named: "d")?.type as? IntegerType).isText)
        let e = try XCTUnwrap(s.member(named: "e")?.type as? IntegerType)
        XCTAssertEqual(e.byteOrder, .bigEndian)
        XCTAssertEqual(e.base, .binary)
        XCTAssertEqual(s.alignment, 32, "a structure is aligned like its most aligned member")
    }

    func testFloatsOfBothSizes() throws {
        let s = try payload("""
            floating_point { exp_dig = 8; mant_dig = 24; align = 32; } f;
            floating_point { exp_dig = 11; mant_dig = 53; align = 64; byte_order = be; } d;
            """)
        let f = try XCTUnwrap(s.member(named: "f")?.type as? FloatType)
        XCTAssertEqual(f.size, 32)
        let d = try XCTUnwrap(s.member(named: "d")?.type as? FloatType)
        XCTAssertEqual(d.size, 64)
        XCTAssertEqual(d.byteOrder, .bigEndian)
        XCTAssertEqual(d.alignment, 64)
    }

    func testEnumerationWithImplicitValues() throws {
        let s = try payload("enum : uint8_t { A, B = 5, C, D = 10 ... 12, E, \"quoted label\" } e;")
        let e = try XCTUnwrap(s.member(named: "e")?.type as? EnumType)
        let mappings = e.mappings.map { ($0.label, $0.ranges.map { [$0.lower, $0.upper] }) }
        XCTAssertEqual(mappings.map(\.0), ["A", "B", "C", "D", "E", "quoted label"])
        XCTAssertEqual(mappings.map(\.1), [[[0, 0]], [[5, 5]], [[6, 6]], [[10, 12]], [[13, 13]], [[14, 14]]])
    }

    func testSignedEnumerationValues() throws {
        let s = try payload("enum : int32_t { NEG = -5 ... -1, ZERO, ONE } e;")
        let e = try XCTUnwrap(s.member(named: "e")?.type as? EnumType)
        XCTAssertEqual(e.mappings.map { Int64(bitPattern: $0.ranges[0].lower) }, [-5, 0, 1])
        XCTAssertEqual(e.mappings.map { Int64(bitPattern: $0.ranges[0].upper) }, [-1, 0, 1])
    }

    func testStructAlignment() throws {
        let s = try payload("struct { uint8_t x; } align(16) aligned; uint8_t y;")
        let aligned = try XCTUnwrap(s.member(named: "aligned")?.type as? StructType)
        XCTAssertEqual(aligned.alignment, 16)
        XCTAssertEqual(s.alignment, 16)
        XCTAssertTrue(error(trace + integerAliases + "event { name = \"e\"; fields := struct { struct { uint8_t x; } align(3) s; }; };")
            .contains("invalid structure alignment 3: expecting a power of two"))
    }

    func testArraysSequencesAndText() throws {
        let s = try payload("""
            uint8_t n;
            integer { size = 8; align = 8; signed = false; encoding = ASCII; } text[4];
            integer { size = 8; align = 8; signed = false; encoding = UTF8; } seq[n];
            uint16_t numbers[n];
            uint8_t matrix[2][3];
            """)
        XCTAssertTrue(try XCTUnwrap(s.member(named: "text")?.type as? ArrayType).isText)
        XCTAssertTrue(try XCTUnwrap(s.member(named: "seq")?.type as? SequenceType).isText)
        XCTAssertFalse(try XCTUnwrap(s.member(named: "numbers")?.type as? SequenceType).isText)
        let matrix = try XCTUnwrap(s.member(named: "matrix")?.type as? ArrayType)
        XCTAssertEqual(matrix.length, 2)
        XCTAssertEqual((matrix.element as? ArrayType)?.length, 3)
    }

    func testTypeScopesTypedefAndNamedTypes() throws {
        let m = try build(trace + """
            typedef integer { size = 16; align = 8; signed = false; } u16;
            struct pair { u16 a; u16 b; };
            enum color : u16 { RED, GREEN };
            event {
                name = "e";
                fields := struct {
                    typealias integer { size = 4; align = 1; signed = false; } := local4;
                    struct pair p;
                    enum color c;
                    local4 nibble;
                };
            };
            """)
        let s = try XCTUnwrap(m.eventClasses.first?.payload)
        XCTAssertEqual((s.member(named: "p")?.type as? StructType)?.members.map(\.name), ["a", "b"])
        XCTAssertEqual((s.member(named: "c")?.type as? EnumType)?.mappings.map(\.label), ["RED", "GREEN"])
        XCTAssertEqual((s.member(named: "nibble")?.type as? IntegerType)?.size, 4)
        // A type declared in a structure is not visible outside it.
        XCTAssertTrue(error(trace + """
            event { name = "e"; fields := struct { typealias integer { size = 4; } := local4; local4 x; }; };
            event { name = "f"; fields := struct { local4 y; }; };
            """).contains("unknown type `local4`"))
    }

    func testCallsiteAndUnknownBlocksAreSkipped() throws {
        let m = try build(trace + integerAliases + """
            callsite { name = "e"; func = "main"; ip = 0x4005d0; file = "main.c"; line = 12; };
            event { name = "e"; fields := struct { uint8_t x; }; };
            """)
        XCTAssertEqual(m.eventClasses.map(\.name), ["e"])
    }

    func testEnvironmentAndEventAttributes() throws {
        let m = try build(trace + """
            env { hostname = "h\\tst"; answer = 42; negative = -7; quote = "a \\"q\\" \\\\"; };
            event { name = "e"; loglevel = 13; model.emf.uri = "http://x"; };
            """)
        XCTAssertEqual(m.environmentValue("hostname"), .string("h\tst"))
        XCTAssertEqual(m.environmentValue("answer"), .integer(42))
        XCTAssertEqual(m.environmentValue("negative"), .integer(-7))
        XCTAssertEqual(m.environmentValue("quote"), .string("a \"q\" \\"))
        XCTAssertEqual(m.eventClasses.first?.logLevel, 13)
        XCTAssertEqual(m.eventClasses.first?.emfURI, "http://x")
    }

    // MARK: Clocks

    func testClockAttributesAndOffsetNormalization() throws {
        let m = try build(trace + """
            clock {
                name = "monotonic";
                uuid = "c0ffee00-0000-4000-8000-000000000001";
                description = "test clock";
                freq = 1000000;
                precision = 10;
                offset_s = 100;
                offset = 2500000;
                absolute = TRUE;
            };
            """)
        let clock = try XCTUnwrap(m.clock(named: "monotonic"))
        XCTAssertEqual(clock.frequency, 1_000_000)
        XCTAssertEqual(clock.precision, 10)
        XCTAssertEqual(clock.description, "test clock")
        XCTAssertTrue(clock.isAbsolute)
        // An offset of 2.5 s in cycles moves whole seconds to offset_s, as babeltrace2 does.
        XCTAssertEqual(clock.offsetSeconds, 102)
        XCTAssertEqual(clock.offsetCycles, 500_000)
        XCTAssertEqual(clock.offsetNanoseconds, 102_500_000_000)
        XCTAssertEqual(clock.uuid, UUIDText.parse("c0ffee00-0000-4000-8000-000000000001"))
    }

    func testTimestampFieldsMappedToTheClock() throws {
        let m = try build(trace + """
            clock { name = c; freq = 1000; };
            typealias integer { size = 27; align = 1; signed = false; map = clock.c.value; } := ts27;
            stream { event.header := struct { integer { size = 5; align = 1; } id; ts27 timestamp; }; };
            event { name = "e"; };
            """)
        let header = try XCTUnwrap(m.streamClasses.first?.eventHeader)
        let ts = try XCTUnwrap(header.member(named: "timestamp")?.type as? IntegerType)
        XCTAssertEqual(ts.mappedClock, "c")
        XCTAssertEqual(m.streamClasses.first?.defaultClock?.name, "c")
        XCTAssertTrue(error(trace + "typealias integer { size = 8; map = clock.nope.value; } := x;")
            .contains("no clock named `nope`"))
    }

    // MARK: Packetized metadata

    private func packetized(_ text: String, bigEndian: Bool, split: Int) -> [UInt8] {
        let bytes = Array(text.utf8)
        let parts = [Array(bytes[..<split]), Array(bytes[split...])]
        var out: [UInt8] = []
        func u32(_ v: UInt32) -> [UInt8] {
            let b = bigEndian ? v.bigEndian : v.littleEndian
            return withUnsafeBytes(of: b) { Array($0) }
        }
        for part in parts {
            let padding = 7
            out += u32(0x75D1_1D57) + [UInt8](repeating: 0xAB, count: 16) + u32(0)
            out += u32(UInt32((37 + part.count) * 8)) + u32(UInt32((37 + part.count + padding) * 8))
            out += [0, 0, 0, 1, 8] + part + [UInt8](repeating: 0, count: padding)
        }
        return out
    }

    func testPacketizedMetadataInBothByteOrders() throws {
        let text = trace + integerAliases + "event { name = \"packetized\"; fields := struct { uint8_t x; }; };"
        for bigEndian in [false, true] {
            let bytes = packetized(text, bigEndian: bigEndian, split: 50)
            let decoded = try bytes.withUnsafeBytes { try MetadataFile.text(of: $0, path: "m") }
            XCTAssertEqual(String(decoding: decoded, as: UTF8.self), text)
            XCTAssertEqual(try MetadataBuilder.build(text: decoded).eventClasses.first?.name, "packetized")
        }
    }

    func testDamagedPacketizedMetadata() {
        var bytes = packetized(trace, bigEndian: false, split: 10)
        let second = 37 + 10 + 7
        bytes[second] = 0  // second packet's magic
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try MetadataFile.text(of: $0, path: "meta") }) { error in
            XCTAssertEqual("\(error)", "meta: at byte offset \(second): bad metadata packet magic 0x75d11d00 (expecting 0x75d11d57)")
        }
        let truncated = Array(packetized(trace, bigEndian: true, split: 10).prefix(60))
        XCTAssertThrowsError(try truncated.withUnsafeBytes { try MetadataFile.text(of: $0, path: "meta") }) { error in
            XCTAssertTrue("\(error)".hasPrefix("meta: at byte offset 54: truncated metadata packet header"), "\(error)")
        }
    }

    // MARK: Errors

    func testSyntaxErrorsNameLineColumnAndToken() {
        XCTAssertEqual(error("trace { major = 1 minor = 8; byte_order = le; };"),
                       "line 1, column 19: syntax error: unexpected 'minor', expecting ';'")
        XCTAssertEqual(error("trace {\n  major = 1;\n  minor = 8;\n  byte_order = le;\n}"),
                       "line 5, column 2: syntax error: unexpected end of metadata, expecting ';'")
        XCTAssertEqual(error(trace + "event { name = \"e\"; fields := struct { uint8_t x[-1]; }; };"),
                       "line 3, column 50: syntax error: unexpected '-', expecting an array length")
        XCTAssertEqual(error("/* unterminated"), "line 1, column 1: unterminated comment")
        XCTAssertEqual(error(trace + "env { x = \"open; };"), "line 3, column 11: unterminated string literal")
        XCTAssertEqual(error(trace + "$"), "line 3, column 1: unexpected character '$'")
        XCTAssertEqual(error(trace + "enum : integer { size = 8; } { A = 0x } e;"),
                       "line 3, column 36: hexadecimal constant without digits")
    }

    func testSemanticErrors() {
        let base = trace + integerAliases
        func fields(_ text: String) -> String { base + "event { name = \"e\"; fields := struct { \(text) }; };" }
        XCTAssertTrue(error(fields("uint128_t x;")).hasSuffix("unknown type `uint128_t`"))
        XCTAssertTrue(error(fields("integer { size = 0; } x;")).hasSuffix("invalid integer size 0: expecting 1 to 64"))
        XCTAssertTrue(error(fields("integer { size = 65; } x;")).hasSuffix("integers over 64 bits are not supported"))
        XCTAssertTrue(error(fields("integer { size = 8; align = 3; } x;")).hasSuffix("invalid integer alignment 3: expecting a power of two"))
        XCTAssertTrue(error(fields("uint8_t x; uint8_t x;")).hasSuffix("duplicate field `x` in structure"))
        XCTAssertTrue(error(fields("floating_point { exp_dig = 8; mant_dig = 20; } f;"))
            .hasSuffix("unsupported floating point type (mant_dig = 20, exp_dig = 8): expecting 24/8 or 53/11"))
        XCTAssertEqual(error("trace { major = 1; minor = 8; };"), "line 1, column 1: missing `byte_order` attribute in trace block")
        XCTAssertEqual(error("trace { major = 2; minor = 0; byte_order = le; };"),
                       "line 1, column 17: unsupported CTF major version 2: expecting 1")
        XCTAssertTrue(error(base + "stream { id = 0; }; stream { id = 0; };").contains("stream class has an `id` but the packet header has no `stream_id` field"))
        XCTAssertTrue(error(base + "event { name = \"e\"; stream_id = 5; };").contains("refers to stream class 5, which is not declared"))
        XCTAssertTrue(error(base + "event { name = \"e\"; id = 1; }; event { name = \"f\"; id = 1; };").contains("duplicate event class id 1"))
        XCTAssertTrue(error(base + "clock { name = c; freq = 0; };").contains("invalid clock frequency 0"))
    }

    func testUnresolvedPathsNameTheScope() {
        let base = trace + integerAliases
        XCTAssertEqual(error(base + "event { name = \"e\";\n fields := struct { uint32_t s[len]; }; };"),
                       "line 9, column 2: in the fields of event `e`: cannot find sequence length `len`")
        XCTAssertEqual(error(base + "event { name = \"e\";\n fields := struct { variant <tag> { uint32_t a; } v; }; };"),
                       "line 9, column 2: in the fields of event `e`: cannot find variant tag `tag`")
        XCTAssertEqual(error(base + "event { name = \"e\";\n fields := struct { uint32_t tag; variant <tag> { uint32_t a; } v; }; };"),
                       "line 9, column 2: in the fields of event `e`: variant tag `tag` is not an enumeration")
        // The target must come first.
        XCTAssertTrue(error(base + "event { name = \"e\"; fields := struct { uint8_t s[n]; uint8_t n; }; };")
            .contains("cannot find sequence length `n`"), error(base + "event { name = \"e\"; fields := struct { uint8_t s[n]; uint8_t n; }; };"))
        XCTAssertTrue(error(base + "event { name = \"e\"; context := struct { uint8_t s[event.fields.n]; }; fields := struct { uint8_t n; }; };")
            .contains("in a scope decoded after this field"))
    }

    func testPathsAcrossScopes() throws {
        let m = try build(trace + integerAliases + """
            stream {
                packet.context := struct { uint32_t content_size; uint32_t packet_size; uint8_t plen; };
                event.context := struct { enum : uint8_t { A, B } stag; };
            };
            event {
                name = "e";
                fields := struct {
                    uint8_t from_packet[stream.packet.context.plen];
                    variant <stream.event.context.stag> { uint8_t A; uint16_t B; } v;
                    struct { uint8_t n; } inner;
                    uint8_t relative[inner.n];
                    struct { variant <v2tag> { uint8_t X; } v2; } nested_missing_tag_elsewhere;
                    enum : uint8_t { X } v2tag;
                };
            };
            """.replacingOccurrences(of: "struct { variant <v2tag> { uint8_t X; } v2; } nested_missing_tag_elsewhere;\n", with: ""))
        let s = try XCTUnwrap(m.eventClasses.first?.payload)
        XCTAssertEqual((s.member(named: "from_packet")?.type as? SequenceType)?.lengthPath,
                       FieldPath(root: .packetContext, indexes: [2]))
        XCTAssertEqual((s.member(named: "v")?.type as? VariantType)?.tagPath,
                       FieldPath(root: .eventCommonContext, indexes: [0]))
        XCTAssertEqual((s.member(named: "relative")?.type as? SequenceType)?.lengthPath,
                       FieldPath(root: .eventPayload, indexes: [2, 0]))
    }
}
