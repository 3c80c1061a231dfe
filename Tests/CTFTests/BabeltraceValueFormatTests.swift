import Glibc
import XCTest
@testable import CTF
@testable import TraceKit

final class BabeltraceValueFormatTests: XCTestCase {
    private func render(_ body: (inout TextBuffer) -> Void) -> String {
        var buffer = TextBuffer(capacity: 16)
        defer { buffer.deallocate() }
        body(&buffer)
        return String(decoding: buffer.bytes, as: UTF8.self)
    }

    private typealias StrFromD = @convention(c) (UnsafeMutablePointer<CChar>?, Int, UnsafePointer<CChar>?, Double) -> Int32

    /// glibc's own `%g`, the reference.
    private func glibc(_ value: Double) -> String {
        let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "strfromd")!
        let strfromd = unsafeBitCast(symbol, to: StrFromD.self)
        var buffer = [CChar](repeating: 0, count: 64)
        _ = strfromd(&buffer, 64, "%g", value)
        return String(cString: buffer)
    }

    func testGeneralFloatMatchesGlibcOnSpecialValues() {
        let values: [Double] = [
            0, -0.0, 1, -1, 0.1, 0.5, 1.5, 2.5, 3.5, 9.5, 99999.5, 999999.5, 1e6, 1e-5, 1e-4, 0.0001234565,
            123456.5, 1234565, 1234575, 1.5e-7, 3.14159265358979, 1e300, 1e-300, 5e-324, 2.2250738585072014e-308,
            Double.greatestFiniteMagnitude, 1e16, 123456789, 0.000123456789, 100000, 999999, 9999995, 0.3,
            Double(Float(0.1)), Double(Float(3.14159265)), Double(Float.leastNonzeroMagnitude), 1e22, 1e23,
            .infinity, -.infinity, .nan, -.nan,
        ]
        for value in values {
            XCTAssertEqual(render { GeneralFloatFormat.append(value, to: &$0) }, glibc(value), "value \(value)")
        }
    }

    func testGeneralFloatMatchesGlibcOnRandomValues() {
        var generator = SystemRandomNumberGenerator()
        for i in 0..<200_000 {
            let value: Double
            switch i % 4 {
            case 0: value = Double(bitPattern: generator.next())
            case 1: value = Double.random(in: -1e7...1e7, using: &generator)
            case 2: value = Double(Int.random(in: -10_000_000...10_000_000, using: &generator)) / 2
            default:
                // Six-digit values ending in 5 at the seventh digit: the rounding ties.
                let d = Double(Int.random(in: 1_000_000...9_999_999, using: &generator) / 10 * 10 + 5)
                value = d * pow(10, Double(Int.random(in: -20...20, using: &generator)))
            }
            if value.isNaN { continue }
            let mine = render { GeneralFloatFormat.append(value, to: &$0) }
            let reference = glibc(value)
            if mine != reference {
                XCTFail("value \(value) (bits \(value.bitPattern)): \(mine) != \(reference)")
                return
            }
        }
    }

    func testIntegersInEveryBase() {
        func text(_ raw: UInt64, signed: Bool, size: Int, base: IntegerBase) -> String {
            render { BabeltraceValueFormat.appendInteger(raw, signed: signed, size: size, base: base, to: &$0) }
        }
        XCTAssertEqual(text(0xFF, signed: true, size: 8, base: .decimal), "-1")
        XCTAssertEqual(text(0xFF, signed: true, size: 8, base: .hexadecimal), "0xFF")
        XCTAssertEqual(text(0xFFFF_FFEC, signed: true, size: 32, base: .hexadecimal), "0xFFFFFFEC")
        // babeltrace2 masks negative values to the size rounded up to whole digits.
        XCTAssertEqual(text(0x1F, signed: true, size: 5, base: .hexadecimal), "0xFF")
        XCTAssertEqual(text(UInt64.max, signed: false, size: 64, base: .decimal), "18446744073709551615")
        XCTAssertEqual(text(1 << 63, signed: true, size: 64, base: .decimal), "-9223372036854775808")
        XCTAssertEqual(text(5, signed: false, size: 4, base: .binary), "0b0101")
        XCTAssertEqual(text(0xF, signed: true, size: 4, base: .octal), "077")
        XCTAssertEqual(text(8, signed: false, size: 16, base: .octal), "010")
        XCTAssertEqual(text(0, signed: false, size: 8, base: .hexadecimal), "0x0")
    }

    func testStringEscapesLikeBabeltrace() {
        let bytes: [UInt8] = Array("a\\b'c\"d?e".utf8) + [0x07, 0x08, 0x1B, 0x0C, 0x0A, 0x0D, 0x09, 0x0B, 0x01, 0x7F] + Array("é".utf8)
        let text = render { out in bytes.withUnsafeBytes { BabeltraceValueFormat.appendString($0, to: &out) } }
        XCTAssertEqual(text, "\"a\\\\b\\'c\\\"d\\?e\\a\\b\\e\\f\\n\\r\\t\\v\\x01\\x7fé\"")
    }

    func testDecimalPadding() {
        XCTAssertEqual(render { $0.appendZeroPadded(42, width: 9) }, "000000042")
        XCTAssertEqual(render { $0.appendZeroPadded(0, width: 9) }, "000000000")
        XCTAssertEqual(render { $0.appendDecimal(UInt64(1_000_000_000)) }, "1000000000")
        XCTAssertEqual(render { $0.appendDecimal(Int64.min) }, "-9223372036854775808")
    }
}
