import Foundation
import TraceKit
import XCTest
@testable import Ftrace

/// Randomly damaged files (a fixed seed, so runs repeat): reading them reports errors but never
/// crashes.
final class RandomDamageTests: XCTestCase {
    /// A small deterministic generator (SplitMix64).
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    private func exercise(_ name: String, iterations: Int, seed: UInt64) throws {
        let original = [UInt8](FileManager.default.contents(atPath: Fixtures.path(name)) ?? Data())
        XCTAssertFalse(original.isEmpty)
        var rng = Generator(state: seed)
        let path = NSTemporaryDirectory() + "ringside-random-\(UUID().uuidString).dat"
        defer { try? FileManager.default.removeItem(atPath: path) }
        for _ in 0..<iterations {
            var bytes = original
            switch rng.next() % 4 {
            case 0:
                bytes.removeLast(Int(rng.next() % UInt64(bytes.count)))
            default:
                for _ in 0..<(1 + rng.next() % 8) {
                    let at = Int(rng.next() % UInt64(bytes.count))
                    bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            guard let trace = try? TraceDatTrace(path: path) else { continue }
            for raw in [false, true] {
                _ = try? capture { out in _ = try TraceCmdReport(traces: [trace], raw: raw, parallel: false).write(to: out) }
            }
            // Rendered in parts of a page by several threads, the report is the same, errors too.
            var serialErrors: [TraceError] = [], partErrors: [TraceError] = []
            let serial = try? capture { serialErrors = try TraceCmdReport(traces: [trace], raw: false, parallel: false).write(to: $0) }
            var inParts = TraceCmdReport(traces: [trace], raw: false, parallel: true)
            inParts.partPages = 1 + Int(rng.next() % 3)
            inParts.workerCount = 3
            let parts = try? capture { partErrors = try inParts.write(to: $0) }
            XCTAssertEqual(parts, serial, "report in parts")
            XCTAssertEqual(partErrors, serialErrors, "errors in parts")
            let set = TraceSet(traces: [trace])
            if let merger = try? set.makeMerger() {
                var n = 0
                while n < 200, let r = try? merger.next() {
                    _ = try? capture { try JSONLinesFormatter().write(r, of: set, to: $0) }
                    n += 1
                }
            }
        }
    }

    func testDamagedVersion6FilesNeverCrash() throws {
        try exercise("uprobes-v6.dat", iterations: 150, seed: 6)
    }

    func testDamagedVersion7FilesNeverCrash() throws {
        try exercise("uprobes-v7.dat", iterations: 100, seed: 7)
        try exercise("lossy-v7.dat", iterations: 25, seed: 77)
    }
}
