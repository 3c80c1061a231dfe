import XCTest
@testable import CTF

/// `LTTngHeader` (straight-line reading of LTTng's compact and large event headers) has exactly
/// the effects of the general flat-header walk, in both byte orders, on both forms of each header,
/// and leaves headers cut by the end of the content to the general path.
final class LTTngHeaderTests: XCTestCase {
    private var traces: TemporaryTraces!

    override func setUpWithError() throws {
        traces = try TemporaryTraces()
    }

    override func tearDown() {
        traces = nil
    }

    /// LTTng's header declarations (as lttng-ust and lttng-modules write them).
    private func metadata(large: Bool, bigEndian: Bool) -> String {
        let order = bigEndian ? "be" : "le"
        let header = large ? """
            struct event_header_large {
                enum : uint16_t { compact = 0 ... 65534, extended = 65535 } id;
                variant <id> {
                    struct { uint32_clock_monotonic_t timestamp; } compact;
                    struct { uint32_t id; uint64_clock_monotonic_t timestamp; } extended;
                } v;
            } align(8);
            """ : """
            struct event_header_compact {
                enum : uint5_t { compact = 0 ... 30, extended = 31 } id;
                variant <id> {
                    struct { uint27_clock_monotonic_t timestamp; } compact;
                    struct { uint32_t id; uint64_clock_monotonic_t timestamp; } extended;
                } v;
            } align(8);
            """
        return "/* CTF 1.8 */\n" + integerAliases + """
            typealias integer { size = 5; align = 1; signed = false; } := uint5_t;
            trace { major = 1; minor = 8; byte_order = \(order); };
            clock { name = "monotonic"; freq = 1000000000; offset = 0; };
            typealias integer { size = 27; align = 1; signed = false; map = clock.monotonic.value; } := uint27_clock_monotonic_t;
            typealias integer { size = 32; align = 8; signed = false; map = clock.monotonic.value; } := uint32_clock_monotonic_t;
            typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;
            \(header)
            stream { event.header := struct \(large ? "event_header_large" : "event_header_compact"); };
            event { name = "e"; id = 0; fields := struct { uint8_t x; }; };
            """
    }

    /// Headers of random ids (compact and extended forms) and clock values (wrapping the short
    /// timestamp field now and then), each followed by 0...7 filler bytes, and where each starts.
    private func headers(large: Bool, bigEndian: Bool, count: Int,
                         generator: inout SystemRandomNumberGenerator) -> ([UInt8], [Int]) {
        var w = BitWriter()
        var starts: [Int] = []
        let extendedTag: UInt64 = large ? 65_535 : 31
        var clock: UInt64 = 1 << 40
        for _ in 0..<count {
            w.align(8)
            starts.append(w.position)
            clock &+= UInt64.random(in: 0...(1 << 29), using: &generator)
            let extended = Int.random(in: 0..<5, using: &generator) == 0
            let tag = extended ? extendedTag : UInt64.random(in: 0..<extendedTag, using: &generator)
            w.uint(tag, size: large ? 16 : 5, align: 8, bigEndian: bigEndian)
            if extended {
                w.uint(UInt64.random(in: 0...UInt64(UInt32.max), using: &generator), size: 32, align: 8, bigEndian: bigEndian)
                w.uint(clock, size: 64, align: 8, bigEndian: bigEndian)
            } else {
                let bits = large ? 32 : 27
                w.uint(clock & ((1 << UInt64(bits)) - 1), size: bits, align: large ? 8 : 1, bigEndian: bigEndian)
            }
            for _ in 0..<Int.random(in: 0...7, using: &generator) { w.uint(0xA5, size: 8) }
        }
        w.align(8)
        return (w.bytes, starts)
    }

    private struct State: Equatable {
        var position: Int
        var clock: UInt64
        var eventID: UInt64
        var hasEventID: Bool
        var slots: [UInt64]
    }

    private func state(_ d: FieldDecoder) -> State {
        State(position: d.position, clock: d.clock, eventID: d.eventID, hasEventID: d.hasEventID,
              slots: Array(UnsafeBufferPointer(start: d.slots, count: d.slotCount)))
    }

    func testStraightLineReadingHasTheEffectsOfTheGeneralWalk() throws {
        var generator = SystemRandomNumberGenerator()
        for large in [false, true] {
            for bigEndian in [false, true] {
                let name = "\(large ? "large" : "compact")-\(bigEndian ? "be" : "le")"
                let dir = try traces.make(name, metadata: metadata(large: large, bigEndian: bigEndian), streams: ["s": [0]])
                let trace = try CTFTrace(directory: dir)
                let streamClass = try XCTUnwrap(trace.dataStreams.first?.streamClass)
                let flat = try XCTUnwrap(streamClass.flatHeaderView, name)
                let lttng = try XCTUnwrap(streamClass.lttngHeader, "\(name) is not recognised")
                let (bytes, starts) = headers(large: large, bigEndian: bigEndian, count: 2_000, generator: &generator)
                let slotCount = max(1, trace.metadata.storageSlotCount)
                let slotsA = UnsafeMutablePointer<UInt64>.allocate(capacity: slotCount)
                let slotsB = UnsafeMutablePointer<UInt64>.allocate(capacity: slotCount)
                defer {
                    slotsA.deallocate()
                    slotsB.deallocate()
                }
                slotsA.initialize(repeating: 0, count: slotCount)
                slotsB.initialize(repeating: 0, count: slotCount)
                try bytes.withUnsafeBytes { buffer in
                    let base = try XCTUnwrap(buffer.baseAddress)
                    // Whole buffer, then cut inside the last headers: the straight path must
                    // decline exactly where the general walk fails.
                    for limit in [bytes.count * 8] + (starts.suffix(3).map { $0 + 3 } + starts.suffix(3).map { $0 + 40 }) {
                        var general = FieldDecoder(base: base, available: bytes.count, limit: limit, position: 0,
                                                   clock: 1 << 40, slots: slotsA, slotCount: slotCount)
                        var straight = FieldDecoder(base: base, available: bytes.count, limit: limit, position: 0,
                                                    clock: 1 << 40, slots: slotsB, slotCount: slotCount)
                        for start in starts {
                            general.position = start
                            straight.position = start
                            general.hasEventID = false
                            straight.hasEventID = false
                            let generalFailed = (try? general.skip(flat)) == nil
                            let straightRead = lttng.read(&straight)
                            if generalFailed {
                                XCTAssertFalse(straightRead, "\(name): header at bit \(start), limit \(limit)")
                                break
                            }
                            XCTAssertTrue(straightRead, "\(name): header at bit \(start), limit \(limit)")
                            XCTAssertEqual(state(straight), state(general), "\(name): header at bit \(start)")
                        }
                    }
                }
            }
        }
    }

    /// Headers of other shapes keep the general path.
    func testOtherHeadersAreNotTakenForLTTngs() throws {
        let shapes = [
            // id and timestamp, no variant.
            "struct { uint32_t id; uint64_clock_monotonic_t timestamp; }",
            // The large header's shape with a 16-bit timestamp.
            "struct { enum : uint16_t { compact = 0 ... 65534, extended = 65535 } id; variant <id> { struct { uint16_clock_monotonic_t timestamp; } compact; struct { uint32_t id; uint64_clock_monotonic_t timestamp; } extended; } v; } align(8)",
            // Its options' ranges swapped around the extended value.
            "struct { enum : uint16_t { compact = 1 ... 65535, extended = 0 } id; variant <id> { struct { uint32_clock_monotonic_t timestamp; } compact; struct { uint32_t id; uint64_clock_monotonic_t timestamp; } extended; } v; } align(8)",
        ]
        for (i, shape) in shapes.enumerated() {
            let metadata = "/* CTF 1.8 */\n" + integerAliases + """
                trace { major = 1; minor = 8; byte_order = le; };
                clock { name = "monotonic"; freq = 1000000000; offset = 0; };
                typealias integer { size = 16; align = 8; signed = false; map = clock.monotonic.value; } := uint16_clock_monotonic_t;
                typealias integer { size = 32; align = 8; signed = false; map = clock.monotonic.value; } := uint32_clock_monotonic_t;
                typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;
                stream { event.header := \(shape); };
                event { name = "e"; id = 0; fields := struct { uint8_t x; }; };
                """
            let dir = try traces.make("shape\(i)", metadata: metadata, streams: ["s": [0]])
            let trace = try CTFTrace(directory: dir)
            XCTAssertNil(trace.dataStreams.first?.streamClass.lttngHeader, shape)
        }
    }
}
