import XCTest
@testable import CTF

final class MetadataParserTests: XCTestCase {
    private func metadata(_ relative: String) throws -> TraceMetadata {
        let bytes = try FixturePaths.contents(relative)
        let text = try bytes.withUnsafeBytes { try MetadataFile.text(of: $0, path: relative) }
        return try MetadataBuilder.build(text: text)
    }

    func testParsesLTTngPacketizedMetadata() throws {
        let m = try metadata("traces/ust-libc/ust/uid/0/64-bit/metadata")
        XCTAssertEqual(m.byteOrder, .littleEndian)
        XCTAssertEqual(m.streamClasses.count, 1)
        XCTAssertEqual(m.clocks.first?.name, "monotonic")
        XCTAssertEqual(m.clocks.first?.offsetSeconds, 1795819385)
        XCTAssertEqual(m.clocks.first?.offsetCycles, 74243870)
        XCTAssertTrue(m.clocks.first?.isAbsolute ?? false)
        XCTAssertGreaterThan(m.eventClasses.count, 10)
        XCTAssertEqual(m.environmentValue("hostname"), .string("vm"))
    }

    func testParsesBabeltraceWrittenMetadata() throws {
        let m = try metadata("traces/ust-libc-bt2/vm/fx-20261127T225011+0000/ust/uid/0/64-bit/metadata")
        XCTAssertEqual(m.streamClasses.count, 1)
        XCTAssertEqual(m.clocks.first?.offsetSeconds, 1795819385)
    }
}
