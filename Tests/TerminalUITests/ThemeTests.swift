import XCTest
@testable import TerminalUI

final class ThemeTests: XCTestCase {
    static let themesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("themes").path

    func testCompiledDefaultMatchesTheFile() throws {
        let file = try String(contentsOfFile: Self.themesDirectory + "/default.theme", encoding: .utf8)
        XCTAssertEqual(file, BuiltinThemes.defaultText, "themes/default.theme and the compiled-in copy differ")
    }

    func testEveryThemeFileParsesAndCoversEveryRole() throws {
        let catalog = ThemeCatalog(directories: [Self.themesDirectory])
        XCTAssertEqual(catalog.warnings, [])
        XCTAssertEqual(Set(catalog.themes.map(\.name)),
                       ["default", "light", "monochrome", "high-contrast", "colorblind"])
        for name in ["default", "light", "monochrome", "high-contrast", "colorblind"] {
            let text = try String(contentsOfFile: Self.themesDirectory + "/\(name).theme", encoding: .utf8)
            for role in StyleRole.allCases {
                XCTAssertTrue(text.contains("\n" + role.themeKey + " ="), "\(name) does not set \(role.themeKey)")
            }
        }
    }

    func testParsing() throws {
        let theme = try ThemeParser.parse("""
            # comment
            name = mine
            selected = black on 153 bold reverse
            lost = #ff0000
            task.2 = bright-blue on 4   # trailing comment
            """, file: "mine.theme")
        XCTAssertEqual(theme.name, "mine")
        XCTAssertEqual(theme[.selectedRow], TextStyle(.indexed(0), on: .indexed(153), [.bold, .reverse]))
        XCTAssertEqual(theme[.lostBand].foreground, .rgb(255, 0, 0))
        XCTAssertEqual(theme[.task2], TextStyle(.indexed(12), on: .indexed(4)))
        // Roles left out keep the default.
        XCTAssertEqual(theme[.eventName], BuiltinThemes.default[.eventName])
    }

    func testParseErrorsNameTheLine() {
        XCTAssertThrowsError(try ThemeParser.parse("name = x\nbogus.role = red", file: "t.theme")) { error in
            XCTAssertEqual(String(describing: error), "t.theme:2: unknown role 'bogus.role'")
        }
        XCTAssertThrowsError(try ThemeParser.parse("cursor = reddish", file: "t.theme")) { error in
            XCTAssertEqual(String(describing: error), "t.theme:1: unknown colour or attribute 'reddish'")
        }
        XCTAssertThrowsError(try ThemeParser.parse("cursor red", file: "t.theme"))
    }

    func testColourDegradation() {
        XCTAssertEqual(Color.indexed(196).index(for: .indexed256), 196)
        XCTAssertEqual(Color.indexed(196).index(for: .basic16), 9)
        XCTAssertEqual(Color.indexed(12).index(for: .basic8), 4)
        XCTAssertEqual(Color.rgb(0, 0, 0).index(for: .indexed256), 16)
        XCTAssertEqual(Color.rgb(255, 255, 255).index(for: .basic16), 15)
        XCTAssertNil(Color.indexed(3).index(for: .none))
        XCTAssertNil(Color.terminalDefault.index(for: .indexed256))
    }

    func testNoColorAndDetection() {
        XCTAssertEqual(ColorMode.detect(colors: 256, environment: [:]), .indexed256)
        XCTAssertEqual(ColorMode.detect(colors: 256, environment: ["NO_COLOR": "1"]), .none)
        XCTAssertEqual(ColorMode.detect(colors: 256, environment: ["NO_COLOR": ""]), .indexed256)
        XCTAssertEqual(ColorMode.detect(colors: 16, environment: [:]), .basic16)
        XCTAssertEqual(ColorMode.detect(colors: 8, environment: [:]), .basic8)
        XCTAssertEqual(ColorMode.detect(colors: 2, environment: [:]), .none)
    }

    func testWithoutColoursHighlightsUseReverseVideo() {
        let theme = BuiltinThemes.default
        let selected = theme.resolve(Cell("x", role: .selectedRow), mode: .none)
        XCTAssertEqual(selected, ResolvedStyle(foreground: nil, background: nil, attributes: [.reverse]))
        let plain = theme.resolve(Cell("x", role: .fieldValue), mode: .none)
        XCTAssertEqual(plain.attributes, [])
        XCTAssertTrue(theme.hasTaskColors(in: .indexed256))
        XCTAssertFalse(theme.hasTaskColors(in: .none))
        let split = theme.resolve(Cell("▌", role: .task0, background: .task1), mode: .indexed256)
        XCTAssertEqual(split.foreground, 75)
        XCTAssertEqual(split.background, 114)
    }
}
