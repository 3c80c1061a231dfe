import XCTest
@testable import TraceKit

final class FilterParserTests: XCTestCase {
    private func error(_ text: String) -> FilterError? {
        do {
            _ = try EventFilter(text)
            return nil
        } catch let e as FilterError {
            return e
        } catch {
            XCTFail("unexpected error \(error)")
            return nil
        }
    }

    func testParsesPrecedenceAndBuiltins() throws {
        let e = try FilterParser.parse(#"event == "sched_switch" || cpu == 1 && !(pid > 0x10)"#)
        guard case .or(.comparison(let a), .and(.comparison(let b), .not(.comparison(let c)))) = e else {
            return XCTFail("wrong tree: \(e)")
        }
        XCTAssertEqual(a.operand, .eventName)
        XCTAssertEqual(a.literal, .string("sched_switch"))
        XCTAssertEqual(b.operand, .cpu)
        XCTAssertEqual(c.op, .greater)
        XCTAssertEqual(c.literal, .integer(16))
    }

    func testLiterals() throws {
        func literal(_ text: String) throws -> FilterLiteral {
            guard case .comparison(let c) = try FilterParser.parse(text) else { throw FilterError(column: 0, "not a comparison") }
            return c.literal
        }
        XCTAssertEqual(try literal("time > 1.5ms"), .nanoseconds(1_500_000))
        XCTAssertEqual(try literal("time > 173.8"), .nanoseconds(173_800_000_000))
        XCTAssertEqual(try literal("x == -42"), .integer(-42))
        XCTAssertEqual(try literal("x == 18446744073709551615"), .unsignedInteger(.max))
        XCTAssertEqual(try literal("x == 0xffffffffffffffff"), .unsignedInteger(.max))
        XCTAssertEqual(try literal("x < 2.5"), .float(2.5))
        XCTAssertEqual(try literal("time >= 22:50:11.5"), .timeOfDay(82_211_500_000_000))
        XCTAssertEqual(try literal(#"event =~ /sched_.*/"#), .regex("sched_.*"))
        XCTAssertEqual(try literal("event == sched_switch"), .string("sched_switch"))
        XCTAssertEqual(try literal(#"comm == 'ba\'sh'"#), .string("ba'sh"))
    }

    func testWordOperatorsAndFieldEscape() throws {
        let e = try FilterParser.parse("not $comm == 1 and cpu == 0 or cpu == 2")
        guard case .or(.and(.not(.comparison(let a)), _), _) = e else { return XCTFail("\(e)") }
        XCTAssertEqual(a.operand, .field("comm"))
    }

    func testErrorsPointAtTheColumn() {
        XCTAssertEqual(error("cpu == "), FilterError(column: 8, "expected a value after '=='"))
        XCTAssertEqual(error("cpu = 1")?.column, 5)
        XCTAssertEqual(error("cpu == 1 & pid == 2")?.column, 10)
        XCTAssertEqual(error("(cpu == 1")?.column, 1)
        XCTAssertEqual(error("cpu == 1)")?.column, 9)
        XCTAssertEqual(error(#"comm == "bash"#)?.column, 9)
        XCTAssertEqual(error("event =~ /[a-/")?.column, 11)
        XCTAssertEqual(error("cpu == 12zz")?.column, 8)
        XCTAssertEqual(error("== 3")?.column, 1)
        XCTAssertEqual(error("")?.column, 1)
        XCTAssertEqual(error("cpu == 1 pid == 2")?.column, 10)
        XCTAssertEqual(error("cpu # 1")?.column, 5)
        XCTAssertEqual(error("event =~ 12")?.column, 10)
        XCTAssertEqual(error("()")?.column, 2)
    }

    func testPointingRendersACaret() {
        let e = FilterError(column: 5, "oops")
        XCTAssertEqual(e.pointing(into: "cpu = 1"), "cpu = 1\n    ^ oops")
    }

    func testGlob() {
        XCTAssertTrue(GlobPattern("sched_*").matches("sched_switch"))
        XCTAssertFalse(GlobPattern("sched_*").matches("irq_sched"))
        XCTAssertTrue(GlobPattern("*irq*").matches("softirq_entry"))
        XCTAssertTrue(GlobPattern("cpu?").matches("cpu7"))
        XCTAssertFalse(GlobPattern("cpu?").matches("cpu"))
        XCTAssertTrue(GlobPattern("[a-c]x[!0-9]").matches("bxy"))
        XCTAssertFalse(GlobPattern("[a-c]x[!0-9]").matches("bx5"))
        XCTAssertTrue(GlobPattern(#"a\*"#).matches("a*"))
        XCTAssertFalse(GlobPattern(#"a\*"#).matches("ab"))
        XCTAssertTrue(GlobPattern("*").matches(""))
        XCTAssertTrue(GlobPattern("a*b*c").matches("aXXbYYc"))
        XCTAssertFalse(GlobPattern("a*b*c").matches("aXXbYY"))
    }
}
