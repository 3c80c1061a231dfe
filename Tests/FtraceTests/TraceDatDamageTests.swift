import Foundation
import TraceIO
import TraceKit
import XCTest
@testable import Ftrace

/// Damaged trace.dat files: a clear error naming the file and where, the records before the damage
/// still reported, never a crash.
final class TraceDatDamageTests: XCTestCase {
    private var temporary: [String] = []

    override func tearDown() {
        for p in temporary { try? FileManager.default.removeItem(atPath: p) }
        temporary = []
    }

    /// A copy of fixture `name` changed by `edit`.
    private func damaged(_ name: String, _ edit: (inout [UInt8]) throws -> Void) rethrows -> String {
        var bytes = [UInt8](FileManager.default.contents(atPath: Fixtures.path(name)) ?? Data())
        try edit(&bytes)
        let path = NSTemporaryDirectory() + "ringside-damaged-\(UUID().uuidString)-\(name)"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        temporary.append(path)
        return path
    }

    private func report(_ path: String) throws -> (lines: [Substring], errors: [TraceError]) {
        let trace = try TraceDatTrace(path: path)
        var errors: [TraceError] = []
        let text = try capture { errors = try TraceCmdReport(traces: [trace], raw: false).write(to: $0) }
        return (text.split(separator: "\n"), errors)
    }

    private func goldenLines(_ base: String) throws -> [Substring] {
        try String(contentsOfFile: Fixtures.path("\(base).tc.txt"), encoding: .utf8).split(separator: "\n")
    }

    func testBadMagic() {
        let path = damaged("uprobes-v7.dat") { $0[1] = 0 }
        XCTAssertThrowsError(try TraceDatTrace(path: path)) { error in
            let e = error as? TraceError
            XCTAssertEqual(e?.offset, 0)
            XCTAssertTrue(e?.message.contains("bad magic") ?? false)
            XCTAssertEqual(e?.file, path)
        }
    }

    func testTruncatedInTheMetadata() {
        let path = damaged("uprobes-v6.dat") { $0.removeLast($0.count - 3000) }
        XCTAssertThrowsError(try TraceDatTrace(path: path)) { error in
            let e = error as? TraceError
            XCTAssertNotNil(e?.offset)
            XCTAssertTrue(e?.message.contains("truncated") ?? false || e?.message.contains("runs past") ?? false, "\(String(describing: e))")
        }
    }

    func testTruncatedVersion7FindsItsDataWithoutTheLastOptionsSection() throws {
        // Version 7 writes the options that locate the CPU data after the data: cut short, the
        // data sections are found by walking the file. Compressed and plain data, one buffer and
        // several; the records shown are trace-cmd's for the top buffer (instances lose their
        // names with the options that held them).
        for (name, base, instance) in [("instances-v7.dat", "instances", nil), ("wide-v7-none.dat", "wide", "ringside-fixture-wide-10727: "),
                                       ("wide-v7.dat", "wide", "ringside-fixture-wide-10727: "), ("lossy-v7.dat", "lossy", "ringside-fixture-lossy-10727: ")] {
            let golden = Set(try goldenLines(base).map { line -> Substring in
                guard let instance, line.hasPrefix(instance) else { return line }
                return line.dropFirst(instance.count)
            })
            let size = try report(Fixtures.path(name)).lines.count
            for keep in [80, 90] {
                let path = damaged(name) { $0.removeLast($0.count * (100 - keep) / 100) }
                let trace = try TraceDatTrace(path: path)
                XCTAssertTrue(trace.warnings.contains { $0.message.contains("found in 1 data section") || $0.message.contains("data section(s)") },
                              "\(name) \(keep)%: \(trace.warnings)")
                let cut = try report(path)
                XCTAssertGreaterThan(cut.lines.count, 100, "\(name) \(keep)%")
                XCTAssertLessThan(cut.lines.count, size, "\(name) \(keep)%")
                for line in cut.lines.dropFirst() where !line.contains("EVENTS DROPPED") {
                    XCTAssertTrue(golden.contains(line), "\(name) \(keep)%: \(line)")
                }
            }
        }
    }

    func testAStreamThatCannotBeOpenedLeavesTheOthersReadable() throws {
        // Cut inside the first chunk of the last CPU's data: that CPU has nothing readable.
        let full = try TraceDatTrace(path: Fixtures.path("instances-v7.dat"))
        let lastCPU = try XCTUnwrap(full.file.buffers.first { !$0.cpus.isEmpty }?.cpus.last)
        let path = damaged("instances-v7.dat") { $0.removeLast($0.count - Int(lastCPU.offset) - 20) }
        let set = TraceSet(traces: [try TraceDatTrace(path: path)])
        let merger = try set.makeMerger()
        XCTAssertEqual(merger.openingErrors.count, 1)
        XCTAssertTrue("\(merger.openingErrors)".contains("truncated"), "\(merger.openingErrors)")
        var records = 0
        while try merger.next() != nil { records += 1 }
        XCTAssertGreaterThan(records, 100)
        let indexer = try TraceIndexer(set: set)
        while !indexer.step(maxRecords: 10_000) {}
        XCTAssertEqual(indexer.index.recordCount, records)
        XCTAssertTrue(indexer.index.errors.contains { $0.contains("truncated") }, "\(indexer.index.errors)")
        // JSON Lines: the readable streams are written, then the error is reported.
        for parallel in [false, true] {
            var lines = 0
            let out = OutputBuffer(flushThreshold: 1 << 12) { lines += $0.filter { $0 == 0x0A }.count }
            let writer = ParallelRecordWriter(set: set) { JSONStreamFormatter(set: set, trace: $0) }
            writer.parallel = parallel
            XCTAssertThrowsError(try writer.write(to: out)) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
            XCTAssertEqual(lines, records)
        }
    }

    func testVersion7WithEveryOptionSectionKeepsNamesAndAddsNoWarning() throws {
        let trace = try TraceDatTrace(path: Fixtures.path("instances-v7.dat"))
        XCTAssertTrue(trace.warnings.isEmpty, "\(trace.warnings)")
    }

    func testTruncatedCPUDataKeepsTheRecordsBefore() throws {
        for name in ["wide-v6.dat"] {
            let full = try report(Fixtures.path(name))
            let path = damaged(name) { $0.removeLast($0.count / 5) }
            let cut = try report(path)
            XCTAssertFalse(cut.errors.isEmpty, name)
            XCTAssertTrue(cut.errors.contains { "\($0)".contains("truncated") }, "\(cut.errors)")
            XCTAssertGreaterThan(cut.lines.count, 10, name)
            XCTAssertLessThan(cut.lines.count, full.lines.count, name)
            // What is shown is what trace-cmd shows for those records.
            let golden = Set(try goldenLines("wide"))
            XCTAssertTrue(cut.lines.allSatisfy { golden.contains($0) }, name)
        }
    }

    func testCompressedChunkThatDoesNotInflate() throws {
        let file = try TraceDatFile(path: Fixtures.path("wide-v7.dat"))
        let cpu = try XCTUnwrap(file.buffers.flatMap(\.cpus).first { $0.size > 64 })
        let path = damaged("wide-v7.dat") { bytes in
            let at = Int(cpu.offset) + 12 + 20
            for i in at..<(at + 16) { bytes[i] ^= 0x5A }
        }
        let r = try report(path)
        let message = r.errors.map { "\($0)" }.joined(separator: "\n")
        XCTAssertTrue(message.contains("does not inflate"), message)
        XCTAssertTrue(message.contains(path), message)
        XCTAssertGreaterThan(r.lines.count, 1, "the other CPU is still reported")
    }

    func testCompressedMetadataSectionThatDoesNotInflate() throws {
        // The event formats section of wide-v7.dat: corrupt its compressed data.
        let file = try TraceDatFile(path: Fixtures.path("wide-v7.dat"))
        XCTAssertTrue(file.warnings.isEmpty, "\(file.warnings)")
        let path = damaged("wide-v7.dat") { b in
            // Find the header of the EVENT FORMATS section (id 18, compressed) and break its data.
            for i in 0..<(b.count - 40) where b[i] == 18 && b[i + 1] == 0 && b[i + 2] == 1 && b[i + 3] == 0 {
                let size = Int(b[i + 8]) | Int(b[i + 9]) << 8 | Int(b[i + 10]) << 16
                if size > 100 && size < b.count {
                    for k in (i + 40)..<(i + 60) { b[k] ^= 0xFF }
                    break
                }
            }
        }
        let damagedFile = try TraceDatFile(path: path)
        XCTAssertTrue(damagedFile.warnings.contains { $0.message.contains("does not inflate") }, "\(damagedFile.warnings)")
    }

    func testFormatFileThatDoesNotParse() throws {
        let path = damaged("uprobes-v6.dat") { b in
            let needle = Array("name: target_ret".utf8)
            guard let at = (0..<(b.count - needle.count)).first(where: { b[$0..<($0 + needle.count)].elementsEqual(needle) }) else { return }
            let field = Array("field:".utf8)
            if let f = (at..<(at + 400)).first(where: { b[$0..<($0 + field.count)].elementsEqual(field) }) {
                b[f + 5] = UInt8(ascii: "?")
            }
        }
        let trace = try TraceDatTrace(path: path)
        let warning = try XCTUnwrap(trace.warnings.first { $0.message.contains("does not parse") })
        XCTAssertTrue(warning.message.contains("target_ret"), warning.message)
        XCTAssertNotNil(warning.offset)
        let r = try report(path)
        XCTAssertTrue(r.errors.isEmpty)
        XCTAssertTrue(r.lines.contains { $0.contains("target:") }, "other events still print")
    }

    func testPageCommitLargerThanThePage() throws {
        let file = try TraceDatFile(path: Fixtures.path("wide-v6.dat"))
        let cpu = try XCTUnwrap(file.buffers.flatMap(\.cpus).first { $0.size >= 3 * 4096 })
        let path = damaged("wide-v6.dat") { b in
            let commit = Int(cpu.offset) + 4096 + 8  // second page's commit word
            b[commit] = 0x00; b[commit + 1] = 0x40; b[commit + 2] = 0x00; b[commit + 3] = 0x00
        }
        let r = try report(path)
        let message = r.errors.map { "\($0)" }.joined(separator: "\n")
        XCTAssertTrue(message.contains("commit of 16384 bytes is larger than the page"), message)
        XCTAssertTrue(message.contains("page 1"), message)
        XCTAssertTrue(r.errors.contains { $0.offset == Int(cpu.offset) + 4096 + 8 }, "\(r.errors)")
        XCTAssertGreaterThan(r.lines.count, 10)
    }
}
