import XCTest
@testable import TerminalUI

final class CellBufferTests: XCTestCase {
    func testWriteClipsAndReadsBack() {
        var b = CellBuffer(width: 10, height: 2)
        let end = b.write("hello world", x: 2, y: 0, role: .normal)
        XCTAssertEqual(end, 10)
        XCTAssertEqual(b.line(0), "  hello wo")
        b.write("x", x: -1, y: 1, role: .normal)
        b.write("ab", x: 8, y: 1, role: .eventName, maxX: 9)
        XCTAssertEqual(b.line(1), "        a")
        XCTAssertEqual(b[8, 1].role, .eventName)
    }

    func testWideCharactersTakeTwoCells() {
        var b = CellBuffer(width: 6, height: 1)
        b.write("a漢b", x: 0, y: 0, role: .normal)
        XCTAssertEqual(b.line(0), "a漢b")
        XCTAssertTrue(b[2, 0].isContinuation)
        // A wide character that does not fit at the edge becomes a space.
        var c = CellBuffer(width: 3, height: 1)
        c.write("ab漢", x: 0, y: 0, role: .normal)
        XCTAssertEqual(c.line(0), "ab")
        XCTAssertEqual(CharacterWidth.of("e\u{301}"), 1)
    }

    func testControlCharactersAreReplaced() {
        var b = CellBuffer(width: 5, height: 1)
        b.write("a\u{1B}[b", x: 0, y: 0, role: .normal)
        XCTAssertEqual(b.line(0), "a?[b")
    }

    func testTextFit() {
        XCTAssertEqual(TextFit.truncate("abcdef", 4), "abc…")
        XCTAssertEqual(TextFit.truncate("abcdef", 4, ellipsis: "~"), "abc~")
        XCTAssertEqual(TextFit.pad("ab", 4), "ab  ")
        XCTAssertEqual(TextFit.pad("ab", 4, right: true), "  ab")
        XCTAssertEqual(TextFit.pad("abcdef", 3), "ab…")
    }

    func testBrailleDensityGlyphs() {
        XCTAssertEqual(Glyphs.unicode.density(left: 0, right: 0), "\u{2800}")
        XCTAssertEqual(Glyphs.unicode.density(left: 4, right: 4), "\u{28FF}")
        XCTAssertEqual(Glyphs.unicode.density(left: 1, right: 0), "\u{2840}")
        XCTAssertEqual(Glyphs.ascii.density(left: 1, right: 4), "#")
    }
}
