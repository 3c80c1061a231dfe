import Foundation
import XCTest
@testable import CTF
import TraceKit

/// Writes CTF bit-fields the way the specification lays them out (bit by bit, independently of
/// `BitReader`): little-endian fields fill each byte from its least significant bit, big-endian
/// fields from its most significant bit.
struct BitWriter {
    var bytes: [UInt8] = []
    var position = 0  // in bits

    mutating func align(_ alignment: Int) {
        position = (position + alignment - 1) / alignment * alignment
        ensure(position)
    }

    private mutating func ensure(_ bits: Int) {
        let need = (bits + 7) / 8
        if bytes.count < need { bytes += [UInt8](repeating: 0, count: need - bytes.count) }
    }

    /// Writes the low `size` bits of `value` at `bitOffset`.
    mutating func put(_ value: UInt64, size: Int, at bitOffset: Int, bigEndian: Bool = false) {
        ensure(bitOffset + size)
        for i in 0..<size {
            let p = bitOffset + i
            let bit = bigEndian ? (value >> UInt64(size - 1 - i)) & 1 : (value >> UInt64(i)) & 1
            let mask: UInt8 = bigEndian ? 1 << UInt8(7 - p % 8) : 1 << UInt8(p % 8)
            if bit == 1 { bytes[p / 8] |= mask } else { bytes[p / 8] &= ~mask }
        }
    }

    /// Aligns, then writes; returns the field's bit offset.
    @discardableResult
    mutating func int(_ value: Int64, size: Int, align: Int? = nil, bigEndian: Bool = false) -> Int {
        self.align(align ?? (size % 8 == 0 ? 8 : 1))
        let start = position
        put(UInt64(bitPattern: value), size: size, at: position, bigEndian: bigEndian)
        position += size
        return start
    }

    @discardableResult
    mutating func uint(_ value: UInt64, size: Int, align: Int? = nil, bigEndian: Bool = false) -> Int {
        int(Int64(bitPattern: value), size: size, align: align, bigEndian: bigEndian)
    }

    mutating func string(_ text: String) {
        align(8)
        for b in Array(text.utf8) + [0] { uint(UInt64(b), size: 8) }
    }

    mutating func raw(_ data: [UInt8]) {
        align(8)
        for b in data { uint(UInt64(b), size: 8) }
    }
}

/// Traces written to a temporary directory for one test.
final class TemporaryTraces {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "ringside-ctf-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Writes a trace directory `name` with `metadata` and the given stream files; returns its path.
    @discardableResult
    func make(_ name: String, metadata: String? = nil, metadataBytes: [UInt8]? = nil,
              streams: [String: [UInt8]]) throws -> String {
        let dir = root + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let meta = metadataBytes ?? Array((metadata ?? "").utf8)
        try Data(meta).write(to: URL(fileURLWithPath: dir + "/metadata"))
        for (file, bytes) in streams {
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + file))
        }
        return dir
    }

    /// Copies a fixture trace to `name` so a test can damage it.
    func copyFixture(_ relative: String, as name: String) throws -> String {
        let dir = root + "/" + name
        try FileManager.default.copyItem(atPath: FixturePaths.path(relative), toPath: dir)
        return dir
    }
}

/// A small deterministic random generator (SplitMix64): damage tests repeat from run to run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension TemporaryTraces {
    /// A copy of a two-stream LTTng fixture (`ust-discard` or `ust-overwrite`, by round) with
    /// random damage in one stream file: a few bytes changed, or (when `truncated`) its end cut.
    func randomlyDamagedCopy(round: Int, truncated: Bool, using rng: inout SplitMix64) throws -> (dir: String, file: String) {
        let name = round % 2 == 0 ? "ust-discard" : "ust-overwrite"
        let dir = try copyFixture("traces/" + name, as: "damaged-\(round)")
        let file = dir + "/ust/uid/0/64-bit/ch0_\(round / 2 % 2)"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        if truncated {
            bytes.removeLast(Int(rng.next() % UInt64(bytes.count / 2)))
        } else {
            for _ in 0..<(1 + rng.next() % 4) {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return (dir, file)
    }
}

/// Reading helpers.
enum TraceReading {
    /// Every record of every stream of `trace`, in stream order then time order.
    static func records(of trace: CTFTrace) throws -> [[EventRecord]] {
        try (0..<trace.streams.count).map { index in
            let stream = try trace.openStream(index)
            var records: [EventRecord] = []
            while let record = stream.current {
                records.append(record)
                try stream.advance()
            }
            return records
        }
    }

    /// The babeltrace2-style dump of the traces under `path`; the error thrown, if any, is
    /// returned with what was printed before it.
    static func babeltrace(_ path: String) -> (out: String, err: String, error: Error?) {
        let whole = babeltrace(path, inParts: false)
        // Streams cut at every packet and formatted by several threads print the same, and stop
        // on the same error.
        let parts = babeltrace(path, inParts: true)
        XCTAssertEqual(parts.out, whole.out, "\(path): output in parts")
        XCTAssertEqual(parts.err, whole.err, "\(path): warnings in parts")
        XCTAssertEqual(parts.error.map { "\($0)" }, whole.error.map { "\($0)" }, "\(path): error in parts")
        return whole
    }

    private static func babeltrace(_ path: String, inParts: Bool) -> (out: String, err: String, error: Error?) {
        do {
            let traces = try CTFTraceDiscovery.open(path: path, isDirectory: true)
            let set = TraceSet(traces: traces, tieBreak: CTFTieBreak.make(for: traces))
            let dumper = try BabeltraceDumper(set: set)
            if inParts {
                dumper.partBytes = 1
                dumper.workerCount = 3
            }
            var out: [UInt8] = []
            var err: [UInt8] = []
            let errors = OutputBuffer { err += $0 }
            var thrown: Error?
            do {
                try dumper.dump(sink: { out += $0 }, errors: errors, begin: nil, end: nil)
            } catch {
                thrown = error
            }
            try? errors.flush()
            return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self), thrown)
        } catch {
            return ("", "", error)
        }
    }
}

/// A little-endian metadata prelude with the usual integer aliases.
let integerAliases = """
    typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
    typealias integer { size = 16; align = 8; signed = false; } := uint16_t;
    typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
    typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
    typealias integer { size = 32; align = 8; signed = true; } := int32_t;

    """
