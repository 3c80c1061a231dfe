import Foundation
import TraceKit
import XCTest
@testable import Ftrace

/// The chunk table of compressed trace.dat data is walked as pages are asked for: opening and
/// reading the first records read one chunk header per CPU, and reading on gives the records and
/// errors of a table walked through at once.
final class ChunkTableTests: XCTestCase {
    private func records(_ trace: TraceDatTrace, stream: Int) -> ([EventRecord], String?) {
        guard let cursor = try? trace.openStream(stream) else { return ([], "cannot open") }
        var out: [EventRecord] = []
        while let r = cursor.current {
            out.append(r)
            do { try cursor.advance() } catch { return (out, "\(error)") }
        }
        return (out, nil)
    }

    private func assertLazyWalkMatchesWholeWalk(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let lazy = try TraceDatTrace(path: path)
        let whole = try TraceDatTrace(path: path)
        // Walked through at once, as before.
        let pages = whole.sources.map(\.pageCount)
        for s in lazy.sources.indices {
            let (a, errorA) = records(lazy, stream: s)
            let (b, errorB) = records(whole, stream: s)
            XCTAssertEqual(a, b, "stream \(s)", file: file, line: line)
            XCTAssertEqual(errorA, errorB, "stream \(s)", file: file, line: line)
            XCTAssertEqual(lazy.sources[s].pageCount, pages[s], "stream \(s)", file: file, line: line)
        }
    }

    func testOpeningAndFirstRecordsWalkOneChunkPerCPU() throws {
        let trace = try TraceDatTrace(path: Fixtures.path("wide-v7.dat"))
        XCTAssertTrue(trace.sources.allSatisfy { $0.chunksWalked == 0 })
        let cursor = try trace.openStream(0)
        XCTAssertNotNil(cursor.current)
        XCTAssertEqual(trace.sources[0].chunksWalked, 1)
        let total = trace.sources[0].pageCount
        XCTAssertGreaterThan(trace.sources[0].chunksWalked, 1, "the fixture should have several chunks on CPU 0 (\(total) pages)")
    }

    func testReadingAsTheTableIsWalkedMatchesAWholeWalk() throws {
        for name in ["wide-v7.dat", "lossy-v7.dat", "instances-v7.dat", "tsc-v7.dat", "wide-v7-none.dat"] {
            try assertLazyWalkMatchesWholeWalk(Fixtures.path(name))
        }
    }

    func testDamageInTheTableIsReportedWhenReadingReachesIt() throws {
        // The second chunk header of the first CPU with several chunks claims more bytes than the
        // file has: the walk stops there, when reading reaches it.
        let file = try TraceDatFile(path: Fixtures.path("wide-v7.dat"))
        let whole = try TraceDatTrace(path: Fixtures.path("wide-v7.dat"))
        let s = try XCTUnwrap(whole.sources.indices.first { whole.sources[$0].pageCount > 0 && whole.sources[$0].chunksWalked > 1 })
        let cpu = whole.sources[s].cpu
        var bytes = [UInt8](FileManager.default.contents(atPath: Fixtures.path("wide-v7.dat")) ?? Data())
        let start = Int(cpu.offset)
        let firstSize = Int(bytes[start + 4]) | Int(bytes[start + 5]) << 8 | Int(bytes[start + 6]) << 16 | Int(bytes[start + 7]) << 24
        let second = start + 4 + 8 + firstSize
        XCTAssertEqual(file.byteOrder, .little)
        bytes.replaceSubrange(second..<(second + 4), with: [0xF0, 0xFF, 0xFF, 0x7F])
        let path = NSTemporaryDirectory() + "ringside-chunks-\(UUID().uuidString).dat"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }

        let trace = try TraceDatTrace(path: path)
        XCTAssertNil(trace.sources[s].damage, "not known at opening")
        try assertLazyWalkMatchesWholeWalk(path)
        let (read, error) = records(trace, stream: s)
        XCTAssertGreaterThan(read.count, 0, "the first chunk's records are read")
        XCTAssertTrue(error?.hasPrefix(path) == true && error?.contains("runs past the end of the file") == true, error ?? "no error")
    }
}
