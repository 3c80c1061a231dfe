import XCTest
@testable import CTF
import TraceKit

/// `CTFTrace` through the TraceKit protocols: records, timestamps, fields, tasks, lost events, seeking.
final class TraceTests: XCTestCase {
    private func open(_ relative: String) throws -> CTFTrace {
        try CTFTrace(directory: FixturePaths.path(relative))
    }

    // MARK: Timestamps

    /// A trace with LTTng's compact event header: 5-bit id, 27-bit timestamp, or id 31 followed by
    /// a 32-bit id and a 64-bit timestamp.
    private func compactHeaderTrace(_ traces: TemporaryTraces, clock: String = "freq = 1000000000;",
                                    events: [(compact: Bool, value: UInt64)], begin: UInt64) throws -> String {
        let metadata = "/* CTF 1.8 */\n" + integerAliases + """
            trace { major = 1; minor = 8; byte_order = le; };
            clock { name = c; \(clock) };
            typealias integer { size = 27; align = 1; signed = false; map = clock.c.value; } := ts27;
            typealias integer { size = 64; align = 8; signed = false; map = clock.c.value; } := ts64;
            stream {
                packet.context := struct { ts64 timestamp_begin; ts64 timestamp_end; uint32_t content_size; uint32_t packet_size; };
                event.header := struct {
                    enum : integer { size = 5; align = 1; signed = false; } { compact = 0 ... 30, extended = 31 } id;
                    variant <id> {
                        struct { ts27 timestamp; } compact;
                        struct { uint32_t id; ts64 timestamp; } extended;
                    } v;
                } align(8);
            };
            event { name = "e"; id = 0; fields := struct { uint8_t n; }; };
            """
        var w = BitWriter()
        w.uint(begin, size: 64)
        w.uint(UInt64.max, size: 64)
        let contentAt = w.uint(0, size: 32)
        let packetAt = w.uint(0, size: 32)
        for (n, event) in events.enumerated() {
            w.align(8)
            if event.compact {
                w.uint(0, size: 5)
                w.uint(event.value, size: 27)
            } else {
                w.uint(31, size: 5)
                w.uint(0, size: 32)
                w.uint(event.value, size: 64)
            }
            w.uint(UInt64(n), size: 8)
        }
        w.put(UInt64(w.position), size: 32, at: contentAt)
        w.put(UInt64(w.position), size: 32, at: packetAt)
        return try traces.make("compact", metadata: metadata, streams: ["stream": w.bytes])
    }

    func testCompact27BitTimestampsWrap() throws {
        let traces = try TemporaryTraces()
        let mask: UInt64 = (1 << 27) - 1
        let begin: UInt64 = 5 << 27 | 0x7FF_FFF0
        let path = try compactHeaderTrace(traces, events: [
            (true, 0x7FF_FFF5),          // same 2^27 period as the packet beginning
            (true, 0x000_0005),          // smaller: the clock wrapped once
            (true, 0x000_0005),          // equal: no wrap
            (true, 0x000_0004),          // smaller again: wraps again
            (false, 0x1_2345_6789),      // extended header: the whole 64-bit value
            (true, 0x345_6789),          // equal low bits: no wrap
            (true, 0x000_0001),          // wraps from the extended value
        ], begin: begin)
        let trace = try CTFTrace(directory: path)
        XCTAssertEqual(trace.timeDomain, .monotonic)
        let times = try TraceReading.records(of: trace)[0].map { UInt64($0.timestamp) }
        let base = begin & ~mask
        XCTAssertEqual(times, [
            base | 0x7FF_FFF5,
            (base + (1 << 27)) | 5,
            (base + (1 << 27)) | 5,
            (base + (2 << 27)) | 4,
            0x1_2345_6789,
            0x1_2345_6789,
            (0x1_2345_6789 & ~mask) + (1 << 27) | 1,
        ])
    }

    func testClockConversionWithFrequencyAndOffset() throws {
        let traces = try TemporaryTraces()
        // 1 MHz: one cycle is 1000 ns; the origin is 10 s + 250000 cycles (0.25 s) after the epoch.
        let path = try compactHeaderTrace(traces, clock: "freq = 1000000; offset_s = 10; offset = 250000; absolute = true;",
                                          events: [(true, 3), (false, 1 << 40)], begin: 1)
        let trace = try CTFTrace(directory: path)
        XCTAssertEqual(trace.timeDomain, .unixEpoch)
        let times = try TraceReading.records(of: trace)[0].map(\.timestamp)
        XCTAssertEqual(times, [10_250_000_000 + 3_000, 10_250_000_000 + (1 << 40) * 1_000])
    }

    func testClockClassConversion() {
        var clock = ClockClass(name: "c")
        XCTAssertEqual(clock.nanoseconds(ofCycles: 123_456_789_012), 123_456_789_012)
        XCTAssertEqual(clock.nanoseconds(ofCycles: UInt64.max), UInt64.max)
        clock.frequency = 1_000_000
        XCTAssertEqual(clock.nanoseconds(ofCycles: 7), 7_000)
        // 2^60 cycles at 1 MHz do not fit in 64-bit nanoseconds: saturates instead of wrapping.
        XCTAssertEqual(clock.nanoseconds(ofCycles: 1 << 60), UInt64.max)
        // Cycles * 1e9 overflows 64 bits, the result does not: computed through a double.
        XCTAssertEqual(clock.nanoseconds(ofCycles: 1 << 50), 1_125_899_906_842_624_000)
        clock.frequency = 3_000_000_000
        XCTAssertEqual(clock.nanoseconds(ofCycles: 10), 3)  // 3.33 ns, truncated
        XCTAssertEqual(clock.nanoseconds(ofCycles: UInt64.max), 6_148_914_691_236_516_864)  // double rounding, as babeltrace2
        clock.frequency = 1_000_000_000
        clock.offsetSeconds = -10
        clock.offsetCycles = 250_000_000
        XCTAssertEqual(clock.offsetNanoseconds, -9_750_000_000)
        XCTAssertEqual(clock.nanosecondsFromOrigin(cycles: 0), -9_750_000_000)
        XCTAssertEqual(clock.nanosecondsFromOrigin(cycles: 10_000_000_000), 250_000_000)
        // Past Int64: no value rather than a wrapped one.
        clock.offsetSeconds = 9_000_000_000
        XCTAssertEqual(clock.offsetNanoseconds, 9_000_000_000_250_000_000)
        XCTAssertNil(clock.nanosecondsFromOrigin(cycles: 1 << 62))
        XCTAssertNil(clock.nanosecondsFromOrigin(cycles: UInt64.max))
        clock.offsetSeconds = Int64.max / 1_000_000_000
        XCTAssertNil(clock.offsetNanoseconds)
        XCTAssertNil(clock.nanosecondsFromOrigin(cycles: 0))
        // babeltrace2's bounds, which keep room for the sub-second part.
        clock.offsetSeconds = Int64.max / 1_000_000_000 - 2
        XCTAssertNotNil(clock.offsetNanoseconds)
        clock.offsetSeconds = Int64.min / 1_000_000_000
        XCTAssertNotNil(clock.offsetNanoseconds)
        clock.offsetSeconds = Int64.min / 1_000_000_000 - 1
        XCTAssertNil(clock.offsetNanoseconds)
    }

    // MARK: Trace description

    func testTraceDescription() throws {
        let trace = try open("traces/tsdl-le")
        XCTAssertEqual(trace.timeDomain, .unixEpoch)
        XCTAssertEqual(trace.streams.map(\.name), ["stream0_0", "stream0_1", "stream1_7"])
        XCTAssertEqual(trace.streams.map(\.cpu), [0, 1, 1])
        XCTAssertEqual(trace.cpuCount, 2)
        XCTAssertEqual(Set(trace.eventClasses.map(\.name)),
                       ["bits", "floats", "enums", "variants", "compound", "nofields", "ext_id", "s1_event", "s1_other"])
        XCTAssertEqual(trace.eventClasses.first { $0.name == "variants" }?.logLevel, 13)
        XCTAssertTrue(trace.environment.contains { $0 == ("hostname", "handmade") })
        XCTAssertTrue(trace.environment.contains { $0 == ("answer", "42") })
        XCTAssertEqual(trace.uuid, UUIDText.parse("2a6422d0-6cee-11e0-8c08-cb07d7b3a564"))
    }

    // MARK: Fields

    private func firstRecord(_ trace: CTFTrace, named name: String) throws -> EventRecord {
        for records in try TraceReading.records(of: trace) {
            if let r = records.first(where: { !$0.isLostEvents && trace.eventClass(of: $0)?.name == name }) { return r }
        }
        throw XCTSkip("no \(name) event")
    }

    func testFieldScopes() throws {
        let trace = try open("traces/tsdl-le")
        let variants = try firstRecord(trace, named: "variants")
        let context = try trace.fields(of: variants, scope: .context)
        // Stream event context, then event context.
        XCTAssertEqual(context.map(\.name), ["vtid", "procname", "ctx_len", "ectag"])
        XCTAssertEqual(context.lookup("procname"), .string("variants"))
        XCTAssertEqual(context.lookup("ectag"), .enumeration(.signed(0), labels: ["EA"]).normalizedForTest(context.lookup("ectag")))
        let packet = try trace.fields(of: variants, scope: .packetContext)
        XCTAssertEqual(packet.map(\.name), ["timestamp_begin", "timestamp_end", "content_size", "packet_size",
                                            "packet_seq_num", "events_discarded", "cpu_id", "sel", "seq_len"])
        let payload = try trace.fields(of: variants, scope: .payload)
        XCTAssertEqual(payload.first?.name, "local_tag")
        XCTAssertEqual(payload.lookup("seq_rel"), .array([.integer(.unsigned(0), base: .decimal), .integer(.unsigned(7), base: .decimal)]))
        if case .variant(let option, let value)? = payload.lookup("by_sibling") {
            XCTAssertEqual(option, "X")
            XCTAssertEqual(value.integerValue?.int64, 65535)
        } else {
            XCTFail("by_sibling is not a variant: \(String(describing: payload.lookup("by_sibling")))")
        }

        let compound = try firstRecord(trace, named: "compound")
        let fields = try trace.fields(of: compound)
        XCTAssertEqual(fields.lookup("text_arr"), .string("text"), "text arrays are strings, up to the first NUL")
        XCTAssertEqual(fields.lookup("text_seq"), .string("ascii"))
        XCTAssertEqual(fields.lookup("utf8"), .string("héllo wörld ✓ 日本"))
        XCTAssertEqual(fields.lookup("matrix")?.arrayCount, 2)
        let bits = try trace.fields(of: try firstRecord(trace, named: "bits"))
        XCTAssertEqual(bits.lookup("s61")?.integerValue?.int64, -(1 << 60))
        XCTAssertEqual(bits.lookup("u64")?.integerValue, .unsigned(UInt64.max))
        XCTAssertEqual(bits.lookup("be13")?.integerValue?.int64, -1234)
        let floats = try trace.fields(of: try firstRecord(trace, named: "floats"))
        XCTAssertEqual(floats.lookup("f64_unaligned"), .float(1234.5678))
        XCTAssertEqual(floats.lookup("f32_unaligned"), .float(-0.375))
    }

    func testTasks() throws {
        let le = try open("traces/tsdl-le")
        XCTAssertEqual(le.task(of: try firstRecord(le, named: "bits")), TaskRef(pid: 1000, comm: "bits-thread"))
        XCTAssertNil(le.task(of: try firstRecord(le, named: "s1_event")), "stream class 1 has no context")
        // vpid, vtid and procname: the thread wins.
        let libc = try open("traces/ust-libc/ust/uid/0/64-bit")
        let record = try TraceReading.records(of: libc).flatMap { $0 }.first { !$0.isLostEvents }!
        let context = try libc.fields(of: record, scope: .context)
        let task = libc.task(of: record)
        XCTAssertEqual(task?.pid, context.lookup("vtid")?.integerValue?.int64)
        XCTAssertEqual(task?.comm, context.lookup("procname")?.stringValue)
        XCTAssertNotEqual(context.lookup("vtid"), context.lookup("vpid"))
    }

    // MARK: Lost events

    func testLostEventsAndPacketsRecords() throws {
        let trace = try open("traces/tsdl-le")
        let stream = try TraceReading.records(of: trace)[0]
        let lost = stream.filter(\.isLostEvents)
        // Packets end at begin + 0x8000100, then b2 + 0x20000000, then b3 + 0x1000 cycles (1 GHz)
        // from an origin 1600000002.5 s after the epoch.
        let origin: Int64 = 1_600_000_002_500_000_000
        let base: Int64 = 0x7FF_FF00
        let b2 = base + 0x800_0200, b3 = b2 + 0x3000_0000
        let kinds = lost.map { record -> [Int64?] in
            guard case .lostEvents(let count, let since) = record.kind else { return [] }
            return [count.map { Int64($0) }, since - origin, record.timestamp - origin]
        }
        XCTAssertEqual(kinds, [
            [3, base + 0x800_0100, b2 + 0x2000_0000],   // events_discarded 0 -> 3, at the second packet's end
            [nil, b2 + 0x2000_0000, b3],                // packet_seq_num 1 -> 4, at the third packet's beginning
            [7, b2 + 0x2000_0000, b3 + 0x1000],         // events_discarded 3 -> 10
        ])
        // Records stay in time order with the events.
        XCTAssertEqual(stream.map(\.timestamp), stream.map(\.timestamp).sorted())
    }

    func testLostEventCountsOfARecordedDiscardTrace() throws {
        let traces = try CTFTraceDiscovery.open(path: FixturePaths.path("traces/ust-discard"), isDirectory: true)
        var total: UInt64 = 0
        for trace in traces {
            for case .lostEvents(let count?, _) in try TraceReading.records(of: trace).flatMap({ $0 }).map(\.kind) {
                total += count
            }
        }
        // babeltrace2's warnings for the same trace.
        let warnings = try String(contentsOfFile: FixturePaths.path("golden/ust-discard.babeltrace.err"), encoding: .utf8)
        let expected = warnings.split(separator: "\n").compactMap { line -> UInt64? in
            guard line.hasPrefix("WARNING: Tracer discarded "), line.contains(" events ") else { return nil }
            return UInt64(line.split(separator: " ")[3])
        }.reduce(0, +)
        XCTAssertGreaterThan(expected, 0)
        XCTAssertEqual(total, expected)
    }

    // MARK: Seeking

    func testSeekToPositionResumesExactly() throws {
        let traces = try CTFTraceDiscovery.open(path: FixturePaths.path("traces/ust-all-uid"), isDirectory: true)
        for trace in traces {
            let all = try TraceReading.records(of: trace)
            for (index, records) in all.enumerated() where !records.isEmpty {
                let cursor = try trace.openStream(index)
                for i in Set([0, 1, records.count / 3, records.count / 2, records.count - 1]) {
                    try cursor.seek(to: records[i].position)
                    var resumed: [EventRecord] = []
                    while let r = cursor.current, resumed.count < 50 {
                        resumed.append(r)
                        try cursor.advance()
                    }
                    XCTAssertEqual(resumed, Array(records[i..<min(records.count, i + 50)]), "stream \(index) record \(i)")
                    // Fields decode the same from a record obtained after seeking.
                    if let first = resumed.first, !first.isLostEvents {
                        XCTAssertEqual(try trace.fields(of: first), try trace.fields(of: records[i]))
                    }
                }
            }
        }
    }

    func testSeekToTimestamp() throws {
        let trace = try open("traces/tsdl-le")
        let all = try TraceReading.records(of: trace)
        for (index, records) in all.enumerated() {
            let cursor = try trace.openStream(index)
            let times = Set(records.map(\.timestamp)).sorted()
            for t in [times.first! - 1] + times + [times.last! + 1] {
                try cursor.seek(toTimestamp: t)
                XCTAssertEqual(cursor.current, records.first { $0.timestamp >= t }, "stream \(index) time \(t)")
            }
        }
    }

    // MARK: TraceKit formatters

    func testJSONAndTextFormatters() throws {
        let trace = try open("traces/tsdl-le")
        let set = TraceSet(traces: [trace], tieBreak: CTFTieBreak.make(for: [trace]))
        let merger = try set.makeMerger()
        var json: [UInt8] = []
        var text: [UInt8] = []
        let jsonOut = OutputBuffer { json += $0 }
        let textOut = OutputBuffer { text += $0 }
        var count = 0
        while let record = merger.current, count < 4 {
            try JSONLinesFormatter().write(record, of: set, to: jsonOut)
            try TextFormatter().write(record, of: set, to: textOut)
            try merger.advance()
            count += 1
        }
        try jsonOut.flush()
        try textOut.flush()
        let jsonLines = String(decoding: json, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(jsonLines.count, 4)
        XCTAssertTrue(jsonLines[0].hasPrefix(#"{"time":1600000002634217488,"cpu":0,"event":"bits","pid":1000,"comm":"bits-thread","#), String(jsonLines[0]))
        XCTAssertTrue(jsonLines[0].contains(#""s13":-4096,"#))
        XCTAssertTrue(jsonLines[0].contains(#""context":{"vtid":1000,"procname":"bits-thread","ctx_len":2}"#))
        let textLines = String(decoding: text, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(textLines.count, 4)
        XCTAssertTrue(textLines.contains { $0.contains("s1_event: n=1") }, "\(textLines)")
    }
}

private extension FieldValue {
    var arrayCount: Int? {
        if case .array(let elements) = self { return elements.count }
        return nil
    }

    /// `self` with the integer signedness of `other` (enumeration containers may be either).
    func normalizedForTest(_ other: FieldValue?) -> FieldValue {
        if case .enumeration(let v, let labels) = self, case .enumeration(let o, _)? = other {
            switch o {
            case .signed: return .enumeration(.signed(v.int64), labels: labels)
            case .unsigned: return .enumeration(.unsigned(UInt64(bitPattern: v.int64)), labels: labels)
            }
        }
        return self
    }
}
