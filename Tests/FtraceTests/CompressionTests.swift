import XCTest
@testable import Ftrace

/// v7 compression through the system zstd and zlib libraries, and v7 files whose sections are
/// compressed or not.
final class CompressionTests: XCTestCase {
    private let text = Array(("ringside zlib section: " + String(repeating: "abc", count: 20)).utf8)
    private let zlibData: [UInt8] = [
        0x78, 0x9c, 0x2b, 0xca, 0xcc, 0x4b, 0x2f, 0xce, 0x4c, 0x49, 0x55, 0xa8, 0xca, 0xc9, 0x4c, 0x52, 0x28, 0x4e,
        0x4d, 0x2e, 0xc9, 0xcc, 0xcf, 0xb3, 0x52, 0x48, 0x4c, 0x4a, 0x26, 0x1b, 0x01, 0x00, 0x2b, 0xd4, 0x1f, 0x8e,
    ]
    private let zstdText = Array(("ringside zstd section: " + String(repeating: "abc", count: 20)).utf8)
    private let zstdData: [UInt8] = [
        0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x53, 0x0d, 0x01, 0x00, 0xd0, 0x72, 0x69, 0x6e, 0x67, 0x73, 0x69, 0x64, 0x65,
        0x20, 0x7a, 0x73, 0x74, 0x64, 0x20, 0x73, 0x65, 0x63, 0x74, 0x69, 0x6f, 0x6e, 0x3a, 0x20, 0x61, 0x62, 0x63,
        0x01, 0x00, 0xda, 0xd3, 0x8d, 0x01, 0xfe, 0xf3, 0xbd, 0xdd,
    ]

    func testZlibInflates() throws {
        let out = try zlibData.withUnsafeBytes { try TraceCompression.zlib.decompress($0, size: text.count) }
        XCTAssertEqual(out, text)
    }

    func testZstdInflates() throws {
        let out = try zstdData.withUnsafeBytes { try TraceCompression.zstd.decompress($0, size: zstdText.count) }
        XCTAssertEqual(out, zstdText)
    }

    func testDataThatDoesNotInflateIsAnError() {
        var broken = zlibData
        broken[5] ^= 0xFF
        XCTAssertThrowsError(try broken.withUnsafeBytes { try TraceCompression.zlib.decompress($0, size: text.count) })
        XCTAssertThrowsError(try zstdData.withUnsafeBytes { try TraceCompression.zstd.decompress($0, size: 10) }) { error in
            XCTAssertTrue((error as? DecompressionError)?.message.contains("zstd") ?? false)
        }
        var brokenZstd = zstdData
        brokenZstd[0] = 0
        XCTAssertThrowsError(try brokenZstd.withUnsafeBytes { try TraceCompression.zstd.decompress($0, size: zstdText.count) })
        XCTAssertThrowsError(try zlibData.withUnsafeBytes { try TraceCompression.zlib.decompress($0, size: 200) })
    }

    func testCompressedAndPlainVersion7FilesReadTheSame() throws {
        let compressed = try TraceDatFile(path: Fixtures.path("wide-v7.dat"))
        let plain = try TraceDatFile(path: Fixtures.path("wide-v7-none.dat"))
        XCTAssertEqual(compressed.compression, .zstd)
        XCTAssertEqual(plain.compression, .none)
        XCTAssertEqual(compressed.version, 7)
        XCTAssertEqual(compressed.catalog.events.count, plain.catalog.events.count)
        XCTAssertEqual(compressed.catalog.taskNames.count, plain.catalog.taskNames.count)
        XCTAssertEqual(compressed.buffers.map(\.name), plain.buffers.map(\.name))
        XCTAssertEqual(compressed.cpuCount, plain.cpuCount)
        XCTAssertEqual(compressed.layout, plain.layout)
        XCTAssertEqual(compressed.cpuStats, plain.cpuStats)
        XCTAssertNotNil(compressed.uname)
        XCTAssertEqual(compressed.buffers.first { !$0.name.isEmpty }?.clock, "local")
        XCTAssertGreaterThan(compressed.catalog.symbols.kernelSymbols.count, 0)
        XCTAssertEqual(compressed.catalog.symbols.kernelSymbols.count, plain.catalog.symbols.kernelSymbols.count)
    }
}
