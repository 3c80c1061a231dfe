import Foundation
import XCTest
@testable import Ftrace
@testable import Live

/// The trace.dat writer against trace-cmd: pages captured live are written by ringside and by
/// `trace-cmd restore` (trace-cmd's own writer), and `trace-cmd report` must print the same for both.
final class TraceDatWriterTests: TracefsTestCase {
    /// Captures a short trace of scheduler events and markers into per-CPU page files.
    private func capturePages(into directory: String) throws -> (TraceDatMetadata, [TraceDatWriter.CPUData]) {
        let session = try TracingSession(tracefs: tracefs, choice: .named(instanceName()), journal: try sessionJournal())
        defer { session.close() }
        let catalogue = try AvailableEvents(tracefs: tracefs)
        try session.setEnabled(try catalogue.resolve("sched:*"), true)
        let cpus = session.instance.cpus()
        let sink = try PageFileSink(basePath: directory + "/pages", cpus: cpus)
        let readers = try cpus.map { try RawPageReader(instance: session.instance, cpu: $0) }
        defer { readers.forEach { $0.close() } }
        let capture = PageCapture(sources: readers, sink: sink)
        capture.start()
        for i in 0..<20 {
            try session.writeMarker("marker \(i) ✓")
            try LiveTestSupport.run("/bin/true", [])
        }
        try session.setSetting("tracing_on", "0")
        capture.stop()
        XCTAssertNil(capture.error)
        try sink.finish()
        let metadata = try TraceDatMetadataCollector.collect(instance: session.instance, cpus: cpus)
        return (metadata, sink.paths.map { TraceDatWriter.CPUData(cpu: $0.key, path: $0.value) })
    }

    private func report(_ traceCmd: String, _ file: String, raw: Bool = false) throws -> String {
        let result = try LiveTestSupport.run(traceCmd, ["report", raw ? "-R" : "-N", "-t", file])
        XCTAssertEqual(result.status, 0, result.output)
        return result.output
    }

    func testWrittenFilesReportLikeTraceCmdsOwn() throws {
        let traceCmd = try LiveTestSupport.traceCmd()
        let directory = try LiveTestSupport.temporaryDirectory("writer")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (metadata, cpuData) = try capturePages(into: directory)

        // trace-cmd's writer on the same pages.
        let head = directory + "/head.dat", theirs = directory + "/theirs.dat"
        XCTAssertEqual(try LiveTestSupport.run(traceCmd, ["restore", "-c", "-o", head]).status, 0)
        let restore = try LiveTestSupport.run(traceCmd, ["restore", "-i", head, "-o", theirs]
                                              + cpuData.sorted { $0.cpu < $1.cpu }.map(\.path))
        XCTAssertEqual(restore.status, 0, restore.output)
        let expected = try report(traceCmd, theirs)
        let expectedRaw = try report(traceCmd, theirs, raw: true)
        XCTAssertTrue(expected.contains("sched_switch"), expected)
        XCTAssertTrue(expected.contains("marker 19 ✓"), expected)

        var formats: [TraceDatWriter.Format] = [.version7(.zstd), .version7(.none), .version6]
        // Debian's trace-cmd 3.1.6 is built without zlib; check zlib files where it has it.
        if try LiveTestSupport.run(traceCmd, ["list", "-c"]).output.contains("zlib") { formats.append(.version7(.zlib)) }
        for format in formats {
            let mine = directory + "/mine-\(format).dat"
            let writer = try TraceDatWriter(path: mine, metadata: metadata, format: format)
            try writer.finish(cpuData: cpuData)
            XCTAssertEqual(try report(traceCmd, mine), expected, "trace-cmd report of \(format)")
            XCTAssertEqual(try report(traceCmd, mine, raw: true), expectedRaw, "trace-cmd report -R of \(format)")
            let dump = try LiveTestSupport.run(traceCmd, ["dump", "--summary", mine])
            XCTAssertEqual(dump.status, 0, dump.output)
        }
    }

    func testLayoutMatchesTraceCmdExtract() throws {
        // The sections, options and strings are where `trace-cmd extract` puts them: check against
        // the reference file recorded on this machine type.
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/fixtures/ftrace/sched-irq-v7.dat").path
        let directory = try LiveTestSupport.temporaryDirectory("layout")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (metadata, cpuData) = try capturePages(into: directory)
        let mine = directory + "/mine.dat", plain = directory + "/plain.dat"
        try TraceDatWriter(path: mine, metadata: metadata).finish(cpuData: cpuData)
        try TraceDatWriter(path: plain, metadata: metadata, format: .version7(.none)).finish(cpuData: cpuData)
        let layout = try TraceDatLayout(path: mine)
        let plainLayout = try TraceDatLayout(path: plain)
        XCTAssertEqual(layout.version, "7")
        XCTAssertEqual(layout.compression, "zstd")
        XCTAssertEqual(plainLayout.compression, "none")
        XCTAssertEqual(plainLayout.sectionOrder, layout.sectionOrder)
        XCTAssertEqual(layout.sectionOrder, [16, 17, 18, 19, 20, 21, 0, 3, 0, 15])
        XCTAssertEqual(layout.firstOptionIDs, [16, 17, 18, 19, 20, 4, 5, 9, 11] + Array(repeating: 2, count: metadata.cpuCount) + [21, 8, 0])
        XCTAssertEqual(plainLayout.strings, ["headers", "ftrace events", "events format", "kallsyms", "printk", "command lines",
                                        "options", "buffer flyrecord ", "options", "strings"])
        XCTAssertTrue(layout.cpuDataOffsets.allSatisfy { $0 % metadata.pageSize == 0 })
        if FileManager.default.fileExists(atPath: fixture) {
            let reference = try TraceDatLayout(path: fixture)
            XCTAssertEqual(layout.sectionOrder, reference.sectionOrder)
            // Same strings, compressed by the same zstd: the same bytes.
            XCTAssertEqual(layout.sectionBytes[15], reference.sectionBytes[15])
            XCTAssertEqual(layout.firstOptionIDs, reference.firstOptionIDs)
            // Same tracefs, same zstd: the format sections compress to the same bytes.
            XCTAssertEqual(layout.sectionBytes[18], reference.sectionBytes[18])
            XCTAssertEqual(layout.sectionBytes[16], reference.sectionBytes[16])
        }
    }
}

/// A minimal independent parse of a v7 file's framing, to check where things are.
struct TraceDatLayout {
    var version = ""
    var compression = ""
    var sectionOrder: [UInt16] = []
    var sectionBytes: [UInt16: [UInt8]] = [:]
    var firstOptionIDs: [UInt16] = []
    var strings: [String] = []
    var cpuDataOffsets: [Int] = []

    init(path: String) throws {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u16(_ at: Int) -> UInt16 { UInt16(data[at]) | UInt16(data[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(data[at + $1]) << (8 * $1) } }
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(data[at + $1]) << (8 * $1) } }
        func cString(_ at: inout Int) -> String {
            let end = data[at...].firstIndex(of: 0)!
            defer { at = end + 1 }
            return String(decoding: data[at..<end], as: UTF8.self)
        }
        var p = 10
        version = cString(&p)
        p += 6
        compression = cString(&p)
        _ = cString(&p)
        var firstDone = false
        // Walk the sections in file order from the first options section backwards is not
        // possible; walk from the first section after the header instead.
        p += 8
        var sectionStart = p
        var stringData: [UInt8] = []
        while sectionStart + 16 <= data.count {
            let id = u16(sectionStart)
            let flags = u16(sectionStart + 2)
            let size = Int(u64(sectionStart + 8))
            sectionOrder.append(id)
            let body = Array(data[(sectionStart + 16)..<(sectionStart + 16 + size)])
            sectionBytes[id] = body
            if id == 0 && !firstDone {
                firstDone = true
                var q = 0
                while q < body.count {
                    let optionID = UInt16(body[q]) | UInt16(body[q + 1]) << 8
                    let optionSize = Int((0..<4).reduce(UInt32(0)) { $0 | UInt32(body[q + 2 + $1]) << (8 * $1) })
                    firstOptionIDs.append(optionID)
                    q += 6 + optionSize
                    if optionID == 0 { break }
                }
            }
            if id == 0 && firstDone && body.count > 6, UInt16(body[0]) | UInt16(body[1]) << 8 == 3 {
                // The BUFFER option: offset, name, clock, page size, CPU count, then per CPU
                // id, data offset, size.
                var q = sectionStart + 16 + 6 + 8
                _ = cString(&q)
                _ = cString(&q)
                q += 4
                let count = Int(u32(q))
                q += 4
                for _ in 0..<count {
                    cpuDataOffsets.append(Int(u64(q + 4)))
                    q += 20
                }
            }
            if id == 15 && flags & 1 == 0 { stringData = body }
            sectionStart += 16 + size
        }
        strings = stringData.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
    }
}
