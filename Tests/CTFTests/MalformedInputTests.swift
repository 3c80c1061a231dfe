import Foundation
import XCTest
@testable import CTF
import TraceKit
import TraceIO

/// Damaged traces: a clear error naming the file and byte offset, the events before the damage
/// still printed, never a crash.
final class MalformedInputTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        setenv("TZ", "UTC", 1)
        tzset()
    }

    private var traces: TemporaryTraces!

    override func setUpWithError() throws {
        traces = try TemporaryTraces()
    }

    override func tearDown() {
        traces = nil
    }

    // MARK: Helpers

    private func patch(_ file: String, at offset: Int, _ bytes: [UInt8]) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: file))
        data.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        try data.write(to: URL(fileURLWithPath: file))
    }

    private func truncate(_ file: String, to size: Int) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        try data.prefix(size).write(to: URL(fileURLWithPath: file))
    }

    private func le64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    private func readLE64(_ file: String, at offset: Int) throws -> UInt64 {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        return data[offset..<(offset + 8)].reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Byte offset of packet 1 in a tsdl-le stream file (packet_size is at byte 56 of each packet).
    private func secondPacketOffset(_ file: String) throws -> Int {
        Int(try readLE64(file, at: 56) / 8)
    }

    private func golden(_ name: String) throws -> String {
        String(decoding: try FixturePaths.contents("golden/\(name).babeltrace.txt"), as: UTF8.self)
    }

    /// Dumps `path`, expecting an error whose description starts with `prefix` (a file and byte
    /// offset); returns what was printed.
    @discardableResult
    private func expectFailure(_ path: String, _ prefix: String, contains message: String,
                               file: StaticString = #filePath, line: UInt = #line) -> String {
        let (out, _, error) = TraceReading.babeltrace(path)
        guard let error else {
            XCTFail("no error", file: file, line: line)
            return out
        }
        let text = "\(error)"
        XCTAssertTrue(text.hasPrefix(prefix), "\(text) does not start with \(prefix)", file: file, line: line)
        XCTAssertTrue(text.contains(message), "\(text) does not contain \(message)", file: file, line: line)
        return out
    }

    // MARK: Packets

    func testTruncatedPacket() throws {
        let dir = try traces.copyFixture("traces/ust-all-uid", as: "truncated")
        let file = dir + "/ust/uid/0/64-bit/ch0_0"
        try truncate(file, to: 10_000)
        let out = expectFailure(dir, file + ": at byte offset ", contains: "truncated packet (20480 bytes expected, 10000 present)")
        XCTAssertGreaterThan(out.split(separator: "\n").count, 50, "events before the damage are printed")
        XCTAssertTrue(try golden("ust-all-uid").hasPrefix(out), "what is printed is what babeltrace2 prints up to there")
    }

    func testWrongMagic() throws {
        let dir = try traces.copyFixture("traces/tsdl-le", as: "magic")
        let file = dir + "/stream0_0"
        let second = try secondPacketOffset(file)
        try patch(file, at: second, [0xEF, 0xBE, 0xAD, 0xDE])
        let out = expectFailure(dir, "\(file): at byte offset \(second): ", contains: "bad packet magic 0xdeadbeef (expecting 0xc1fc1fc1)")
        // Everything before the second packet's first event (base + 0x8000300 cycles) is printed.
        XCTAssertTrue(try golden("tsdl-le").hasPrefix(out))
        XCTAssertTrue(out.contains("variants"), out)
    }

    func testAStreamFileDamagedAtItsFirstPacketLeavesTheOtherStreamsToTheViewer() throws {
        let dir = try traces.copyFixture("traces/ust-all-uid", as: "first-packet")
        let file = dir + "/ust/uid/0/64-bit/ch0_1"
        try patch(file, at: 0, [0, 0, 0, 0])
        // babeltrace2 prints nothing: its muxer needs every stream's first message.
        let out = expectFailure(dir, file + ": at byte offset 0: ", contains: "bad packet magic 0x00000000")
        XCTAssertEqual(out, "")
        // Merged for browsing, the other stream is read and the damaged one reports its error.
        let set = TraceSet(traces: try CTFTraceDiscovery.open(path: dir, isDirectory: true))
        let merger = try set.makeMerger()
        XCTAssertEqual(merger.openingErrors.count, 1)
        XCTAssertTrue("\(merger.openingErrors)".contains("bad packet magic"))
        var records = 0
        while try merger.next() != nil { records += 1 }
        XCTAssertGreaterThan(records, 50)
    }

    func testWrongUUID() throws {
        let dir = try traces.copyFixture("traces/tsdl-le", as: "uuid")
        let file = dir + "/stream0_0"
        let second = try secondPacketOffset(file)
        try patch(file, at: second + 4, [0x00])
        expectFailure(dir, "\(file): at byte offset \(second + 4): ", contains: "UUID")
    }

    func testContentSizeLargerThanPacketSize() throws {
        let dir = try traces.copyFixture("traces/tsdl-le", as: "content")
        let file = dir + "/stream0_0"
        let second = try secondPacketOffset(file)
        let packetBits = try readLE64(file, at: second + 56)
        try patch(file, at: second + 48, le64(packetBits + 8))
        expectFailure(dir, "\(file): at byte offset \(second): ",
                      contains: "content size \(packetBits + 8) bits is larger than the packet size \(packetBits) bits")
    }

    func testPacketSizePastTheEndOfTheFile() throws {
        let dir = try traces.copyFixture("traces/tsdl-le", as: "size")
        let file = dir + "/stream0_1"
        try patch(file, at: 56, le64(1 << 40))
        try patch(file, at: 48, le64(1 << 39))
        let out = expectFailure(dir, "\(file): at byte offset ", contains: "truncated packet")
        XCTAssertFalse(out.isEmpty)
    }

    func testUnknownStreamClass() throws {
        let dir = try traces.copyFixture("traces/tsdl-le", as: "streamclass")
        let file = dir + "/stream0_0"
        let second = try secondPacketOffset(file)
        try patch(file, at: second + 20, [9])
        expectFailure(dir, "\(file): at byte offset \(second): ", contains: "packet refers to stream class 9, which the metadata does not declare")
    }

    func testUnknownEventClass() throws {
        let dir = try traces.copyFixture("traces/tsdl-be", as: "eventclass")
        let file = dir + "/stream"
        // Packet header (20 bytes) and context (24 bytes), then the first event's 32-bit id.
        try patch(file, at: 44, [0, 0, 0, 7])
        expectFailure(dir, "\(file): at byte offset 44: ", contains: "event class id 7 is not declared in stream class 0")
    }

    func testUnterminatedStringAtTheEndOfTheContent() throws {
        let dir = try traces.copyFixture("traces/tsdl-noclock", as: "string")
        let file = dir + "/data"
        let size = try Data(contentsOf: URL(fileURLWithPath: file)).count
        try patch(file, at: size - 1, [0x41])  // the last string's NUL
        let out = expectFailure(dir, "\(file): at byte offset ", contains: "string")
        XCTAssertEqual(out, """
            only: { value = -1, label = "first" }
            only: { value = 300, label = "second" }

            """)
    }

    func testSequenceLongerThanThePacket() throws {
        let metadata = "/* CTF 1.8 */\n" + integerAliases + """
            trace { major = 1; minor = 8; byte_order = le; };
            event { name = "e"; fields := struct { uint32_t n; uint64_t values[n]; }; };
            """
        var w = BitWriter()
        w.uint(1, size: 32)
        w.uint(42, size: 64)
        w.uint(0xFFFF_FFFF, size: 32)  // 4 billion elements
        w.uint(1, size: 64)
        let dir = try traces.make("sequence", metadata: metadata, streams: ["s": w.bytes])
        let out = expectFailure(dir, "\(dir)/s: at byte offset 24: ", contains: "past the end of the packet content")
        XCTAssertEqual(out, "e: { n = 1, values = [ [0] = 42 ] }\n")
    }

    func testUnknownVariantTagValue() throws {
        let metadata = "/* CTF 1.8 */\n" + integerAliases + """
            trace { major = 1; minor = 8; byte_order = le; };
            event { name = "e"; fields := struct { enum : uint8_t { A, B } tag; variant <tag> { uint8_t A; uint16_t B; } v; }; };
            """
        let dir = try traces.make("variant", metadata: metadata, streams: ["s": [0, 5, 1, 0, 1, 9, 9, 9]])
        let out = expectFailure(dir, "\(dir)/s: at byte offset 6: ", contains: "no variant option for tag value 9")
        XCTAssertEqual(out, "e: { tag = ( \"A\" : container = 0 ), v = { 5 } }\ne: { tag = ( \"B\" : container = 1 ), v = { 256 } }\n")
    }

    // MARK: Metadata and files

    func testMetadataSyntaxError() throws {
        let dir = try traces.copyFixture("traces/tsdl-negative", as: "syntax")
        var text = try String(contentsOfFile: dir + "/metadata", encoding: .utf8)
        text = text.replacingOccurrences(of: "event { name = \"e\"; id = 0;", with: "event { name = \"e\" id = 0;")
        try text.write(toFile: dir + "/metadata", atomically: true, encoding: .utf8)
        expectFailure(dir, "\(dir)/metadata: metadata line 10, column 20: ", contains: "syntax error: unexpected 'id', expecting ';'")
    }

    func testEmptyMetadata() throws {
        let dir = try traces.copyFixture("traces/tsdl-negative", as: "emptymeta")
        try Data().write(to: URL(fileURLWithPath: dir + "/metadata"))
        expectFailure(dir, "\(dir)/metadata: at byte offset 0: ", contains: "empty metadata file")
    }

    func testEmptyStreamFilesAreSkipped() throws {
        let dir = try traces.copyFixture("traces/tsdl-negative", as: "emptystream")
        try Data().write(to: URL(fileURLWithPath: dir + "/empty"))
        let (out, _, error) = TraceReading.babeltrace(dir)
        XCTAssertNil(error)
        XCTAssertEqual(out, try golden("tsdl-negative"))
    }

    func testTraceWithoutStreamFiles() throws {
        let dir = try traces.make("nostreams", metadata: String(decoding: try FixturePaths.contents("traces/tsdl-negative/metadata"), as: UTF8.self),
                                  streams: ["empty": []])
        expectFailure(dir, "\(dir): ", contains: "the trace has no stream files with data")
    }

    func testMissingPath() {
        XCTAssertEqual(try CTFTraceDiscovery.open(path: traces.root + "/nothing", isDirectory: true).count, 0)
    }

    // MARK: Random damage

    /// Random bytes of small fixtures overwritten, many times: errors are fine, crashes are not.
    func testRandomDamageNeverCrashes() throws {
        var state: UInt64 = 0x1234_5678
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let sources: [(String, String)] = [("traces/tsdl-le", "stream0_0"), ("traces/tsdl-be", "stream"),
                                           ("traces/tsdl-noclock", "data"), ("traces/ust-all-pid", "")]
        var failures = 0
        let rounds = Int(ProcessInfo.processInfo.environment["RINGSIDE_FUZZ_ROUNDS"] ?? "") ?? 120
        for round in 0..<rounds {
            let (fixture, streamName) = sources[round % sources.count]
            let dir = try traces.copyFixture(fixture, as: "fuzz\(round)")
            var file = dir + "/" + streamName
            if streamName.isEmpty {
                let found = FileManager.default.enumerator(atPath: dir)?.compactMap { $0 as? String }
                    .filter { $0.contains("ch0_") && !$0.contains("index") }.sorted() ?? []
                file = dir + "/" + found[round % found.count]
            }
            var data = try Data(contentsOf: URL(fileURLWithPath: file))
            guard !data.isEmpty else { continue }
            for _ in 0..<(1 + next() % 4) {
                data[next() % data.count] = UInt8(truncatingIfNeeded: next())
            }
            if round % 7 == 0 { data = data.prefix(next() % data.count) }
            try data.write(to: URL(fileURLWithPath: file))
            if round % 11 == 5 {
                // The metadata text too.
                let metadataFile = URL(fileURLWithPath: (file as NSString).deletingLastPathComponent + "/metadata")
                var metadata = try Data(contentsOf: metadataFile)
                metadata[next() % metadata.count] = UInt8(truncatingIfNeeded: next())
                try metadata.write(to: metadataFile)
            }
            let (_, _, error) = TraceReading.babeltrace(dir)
            if error != nil { failures += 1 }
            // The other paths through the reader: TraceKit records and every field scope.
            if let trace = try? CTFTrace(directory: CTFTraceDiscovery.traceDirectories(for: dir, isDirectory: true).first ?? dir) {
                for index in trace.streams.indices {
                    guard let cursor = try? trace.openStream(index) else { continue }
                    var n = 0
                    while let record = cursor.current, n < 2000 {
                        for scope in FieldScope.allCases { _ = try? trace.fields(of: record, scope: scope) }
                        _ = trace.task(of: record)
                        n += 1
                        do { try cursor.advance() } catch { break }
                    }
                }
            }
        }
        XCTAssertGreaterThan(failures, 10, "the damage was noticed")
    }

    /// JSON Lines of the trace at `path`, streams read whole on this thread and in parts of one
    /// packet on three workers: the same lines, and the same error after them.
    private func assertJSONInPartsMatchesWhole(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        func dump(inParts: Bool) throws -> (String, String?) {
            let traces = try CTFTraceDiscovery.open(path: path, isDirectory: true)
            let set = TraceSet(traces: traces, tieBreak: CTFTieBreak.make(for: traces))
            let writer = ParallelRecordWriter(set: set) { CTFJSONStreamFormatter(set: set, trace: $0) }
            writer.parallel = inParts
            if inParts {
                writer.workerCount = 3
                for trace in traces { trace.streamPartBytes = 1 }
            }
            var bytes: [UInt8] = []
            let out = OutputBuffer(flushThreshold: 64) { bytes += $0 }
            var failure: String?
            do { try writer.write(to: out) } catch { failure = "\(error)" }
            try out.flush()
            return (String(decoding: bytes, as: UTF8.self), failure)
        }
        let (whole, wholeError) = try dump(inParts: false)
        let (parts, partsError) = try dump(inParts: true)
        XCTAssertEqual(parts, whole, "\(path): JSON in parts", file: file, line: line)
        XCTAssertEqual(partsError, wholeError, "\(path): error in parts", file: file, line: line)
    }

    /// Random damage in streams of many packets: cut into parts of one packet and formatted by
    /// several threads, the dump prints the same and stops on the same error as read in one piece
    /// (`TraceReading.babeltrace` compares the two).
    func testRandomDamagePrintsTheSameInParts() throws {
        var rng = SplitMix64(state: 0x6C0FFEE)
        var failures = 0, printed = 0
        for round in 0..<24 {
            let (dir, _) = try traces.randomlyDamagedCopy(round: round, truncated: round % 3 == 2, using: &rng)
            let (out, _, error) = TraceReading.babeltrace(dir)
            try assertJSONInPartsMatchesWhole(dir)
            if let error {
                failures += 1
                XCTAssertTrue("\(error)".contains(dir), "the error names a file of the trace: \(error)")
            }
            printed += out.count
        }
        XCTAssertGreaterThan(failures, 4, "the damage was noticed")
        XCTAssertGreaterThan(printed, 100_000, "events before the damage were printed")
    }
}
