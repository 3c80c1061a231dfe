import Foundation
import XCTest
import Ftrace
import TraceKit
@testable import Live

/// Pages recorded on a real kernel go through the live path (page source, capture, queue, live
/// trace, streams, merge) and must print exactly what `trace-cmd report` printed for them.
final class LiveReplayTests: XCTestCase {
    private func replay(_ name: String, raw: Bool, pagesPerBurst: Int = 1, memoryCap: Int = 64 << 20,
                        printEverySweep: Bool = true) throws -> (String, LiveTrace) {
        let directory = LiveTestSupport.fixtures.appendingPathComponent(name).path
        let (layout, catalog) = try LiveCatalogSource.recorded(directory).load()
        let cpus = ControlFile.list(directory).compactMap { name -> Int? in
            guard name.hasPrefix("cpu"), name.hasSuffix(".pages") else { return nil }
            return Int(name.dropFirst(3).dropLast(6))
        }.sorted()
        let trace = LiveTrace(name: name, path: directory, cpus: cpus, layout: layout, catalog: catalog,
                              clock: "local", memoryCap: memoryCap)
        let queue = LivePageQueue(layout: layout)
        let sources = try cpus.map {
            try RecordedPageSource(cpu: $0, path: "\(directory)/cpu\($0).pages", pageSize: layout.pageSize,
                                   pagesPerBurst: pagesPerBurst)
        }
        let capture = PageCapture(sources: sources, sink: queue)
        let printer = try LiveTextPrinter(trace: trace, raw: raw)
        var text: [UInt8] = []
        let out = OutputBuffer(flushThreshold: 1 << 20) { text += $0 }
        printer.writeHeader(to: out)
        while sources.contains(where: { $0.remainingPages > 0 }) {
            try capture.sweep()
            queue.drain(into: trace)
            if printEverySweep { try printer.writeAvailable(to: out) }
        }
        try printer.writeAvailable(to: out)
        try out.flush()
        if let dump = ProcessInfo.processInfo.environment["RINGSIDE_TEST_DUMP"] {
            try? Data(text).write(to: URL(fileURLWithPath: "\(dump)/\(name)\(raw ? ".raw" : "").txt"))
        }
        return (String(decoding: text, as: UTF8.self), trace)
    }

    private func expected(_ name: String, _ file: String) throws -> String {
        try String(contentsOf: LiveTestSupport.fixtures.appendingPathComponent("\(name)/\(file)"), encoding: .utf8)
    }

    func testSchedulerMarkersAndUprobesDecodeLikeTraceCmd() throws {
        let (text, trace) = try replay("sched-markers", raw: false, printEverySweep: false)
        XCTAssertEqual(text, try expected("sched-markers", "expected.tc.txt"))
        let (rawText, _) = try replay("sched-markers", raw: true, printEverySweep: false)
        XCTAssertEqual(rawText, try expected("sched-markers", "expected.tcraw.txt"))
        XCTAssertTrue(text.contains("non-ASCII: é ✓ 日本"))
        XCTAssertTrue(text.contains("value=42 text=\"hello\""))
        XCTAssertEqual(trace.eventsReceived(cpu: 0) + trace.eventsReceived(cpu: 1),
                       text.split(separator: "\n").count - 1)

        // The viewer's list text for each record is trace-cmd's text after the event name.
        let merger = try TraceSet(traces: [trace]).makeMerger()
        var summaries: [String] = []
        while let record = try merger.next() {
            var bytes: [UInt8] = []
            let out = OutputBuffer(flushThreshold: 1 << 16) { bytes += $0 }
            XCTAssertTrue(trace.writeSummary(of: record, to: out))
            try out.flush()
            // A marker's text keeps its newline; the report ends the line there.
            var summary = String(decoding: bytes, as: UTF8.self)
            while summary.last?.isNewline == true { summary.removeLast() }
            summaries.append(summary)
        }
        let lines = text.split(separator: "\n").dropFirst()
        XCTAssertEqual(summaries.count, lines.count)
        for (summary, line) in zip(summaries, lines) {
            XCTAssertTrue(line.hasSuffix(summary), "\(line) does not end with \(summary)")
        }
    }

    func testLostEventsAppearAsTraceCmdShowsThem() throws {
        let (text, trace) = try replay("lossy", raw: false, printEverySweep: false)
        XCTAssertEqual(text, try expected("lossy", "expected.tc.txt"))
        XCTAssertTrue(text.contains("CPU:0 [2897 EVENTS DROPPED]"), String(text.prefix(300)))
        // Lost-event records carry the count and the gap they cover.
        let stream = try trace.openStream(0)
        var lost: [EventRecord] = []
        while let record = stream.current {
            if record.isLostEvents { lost.append(record) }
            try stream.advance()
        }
        XCTAssertFalse(lost.isEmpty)
        if case .lostEvents(let count, let since) = lost[0].kind {
            XCTAssertEqual(count, 2897)
            XCTAssertLessThanOrEqual(since, lost[0].timestamp)
        } else {
            XCTFail("not a lost-events record")
        }
    }

    func testPacedReplayThroughTheEngineKeepsTimeOrder() throws {
        // One page per CPU per sweep: CPUs arrive out of step, the frontier keeps the order.
        for name in ["sched-markers", "lossy"] {
            let directory = LiveTestSupport.fixtures.appendingPathComponent(name).path
            var options = LiveEngine.Options()
            options.pollInterval = .milliseconds(1)
            let engine = try LiveEngine(replaying: directory, options: options, pagesPerSweep: 1)
            let printer = try LiveTextPrinter(trace: engine.trace)
            var text: [UInt8] = []
            let out = OutputBuffer(flushThreshold: 1 << 20) { text += $0 }
            printer.writeHeader(to: out)
            engine.start()
            let deadline = ContinuousClock.now + .seconds(10)
            while !engine.replayFinished && ContinuousClock.now < deadline {
                engine.waitForPages(timeout: .now() + .milliseconds(20))
                engine.pump()
                try printer.writeAvailable(to: out)
            }
            try engine.stop()
            try printer.writeAvailable(to: out)
            try out.flush()
            XCTAssertEqual(String(decoding: text, as: UTF8.self), try expected(name, "expected.tc.txt"), name)
        }
    }

    func testMemoryCapDropsOldestPagesAndCountsThem() throws {
        // Room for about two pages: the oldest go, and what is left still decodes.
        let (_, trace) = try replay("lossy", raw: false, memoryCap: 3 * 4200)
        let dropped = trace.windowDropped.values.reduce(0) { $0 + $1.events }
        XCTAssertGreaterThan(dropped, 0)
        XCTAssertLessThanOrEqual(trace.memoryInUse, 3 * 4200)
        let total = (0..<2).map { trace.eventsReceived(cpu: $0) }.reduce(0, +)
        let held = (0..<2).map { trace.eventCount(cpu: $0) }.reduce(0, +)
        XCTAssertEqual(total - held, dropped)
        // Streams opened now start at the oldest page still held.
        let printer = try LiveTextPrinter(trace: trace)
        var text: [UInt8] = []
        let out = OutputBuffer(flushThreshold: 1 << 20) { text += $0 }
        try printer.writeAvailable(to: out)
        try out.flush()
        XCTAssertEqual(printer.eventsPrinted, held)
    }

    func testStreamsResumeWhenPagesArriveAndHonourTheFrontier() throws {
        let directory = LiveTestSupport.fixtures.appendingPathComponent("sched-markers").path
        let (layout, catalog) = try LiveCatalogSource.recorded(directory).load()
        let trace = LiveTrace(name: "t", path: directory, cpus: [0], layout: layout, catalog: catalog)
        let stream = try trace.openStream(0)
        XCTAssertNil(stream.current, "nothing read yet")
        let pages = try ControlFile.readBytes(directory + "/cpu0.pages")
        let firstPage = Array(pages[0..<4096])
        // Only records up to the frontier show.
        trace.advanceVisibility(to: 0)
        firstPage.withUnsafeBytes { trace.append(page: $0, cpu: 0) }
        XCTAssertNil(stream.current)
        trace.advanceVisibility(to: .max)
        var count = 0
        while stream.current != nil { count += 1; try stream.advance() }
        XCTAssertEqual(count, trace.eventCount(cpu: 0))
        XCTAssertNil(stream.current)
        // A second copy of the page arrives: the stream goes on with it.
        firstPage.withUnsafeBytes { trace.append(page: $0, cpu: 0) }
        var more = 0
        while stream.current != nil { more += 1; try stream.advance() }
        XCTAssertEqual(more, count)
        // Seeking by position and time.
        try stream.seek(toTimestamp: 0)
        let first = try XCTUnwrap(stream.current)
        try stream.advance()
        try stream.advance()
        try stream.seek(to: first.position)
        XCTAssertEqual(stream.current, first)
        XCTAssertNotNil(try trace.fields(of: first).first)
    }
}
