import XCTest
@testable import CTF
import TraceKit

/// Traces opened with a lazy packet index (packets indexed as cursors reach them) read exactly
/// like traces indexed at open: same records, same errors at the same place, same packets, same
/// time range, and seeks far ahead of what is indexed land on the same records.
final class LazyPacketIndexTests: XCTestCase {
    private var traces: TemporaryTraces!

    override func setUpWithError() throws {
        traces = try TemporaryTraces()
    }

    override func tearDown() {
        traces = nil
    }

    /// Every record of every stream, then the error that ended it (nil: none).
    private func read(_ trace: CTFTrace) -> [([EventRecord], String?)] {
        (0..<trace.streams.count).map { index in
            var records: [EventRecord] = []
            do {
                let stream = try trace.openStream(index)
                while let record = stream.current {
                    records.append(record)
                    try stream.advance()
                }
                return (records, nil)
            } catch {
                return (records, String(describing: error))
            }
        }
    }

    private func open(_ directory: String, lazy: Bool) throws -> [CTFTrace] {
        try CTFTraceDiscovery.open(path: directory, isDirectory: true, lazyPacketIndex: lazy)
    }

    private func packets(_ trace: CTFTrace) -> [[String]] {
        trace.dataStreams.map { $0.packets.map { "\($0.file):\($0.offset):\($0.size):\($0.available):\($0.contentBits)" } }
    }

    /// Compares both ways of opening `directory`; returns the number of records read.
    @discardableResult
    private func compare(_ directory: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let eager = try open(directory, lazy: false)
        let lazy = try open(directory, lazy: true)
        XCTAssertEqual(eager.count, lazy.count, file: file, line: line)
        var total = 0
        for (e, l) in zip(eager, lazy) {
            XCTAssertEqual(e.streams.map(\.name), l.streams.map(\.name), file: file, line: line)
            let a = read(e), b = read(l)
            XCTAssertEqual(a.count, b.count, file: file, line: line)
            for (x, y) in zip(a, b) {
                XCTAssertEqual(x.0, y.0, file: file, line: line)
                XCTAssertEqual(x.1, y.1, file: file, line: line)
                total += x.0.count
            }
            XCTAssertEqual(packets(e), packets(l), file: file, line: line)
            // Far seeks on a fresh lazy trace, last record first.
            let fresh = try open(directory, lazy: true)
            guard let f = fresh.first(where: { $0.path == e.path }) else { continue }
            XCTAssertEqual(e.timeRange, try open(directory, lazy: true).first(where: { $0.path == e.path })?.timeRange,
                           file: file, line: line)
            for (index, (records, _)) in a.enumerated() where !records.isEmpty {
                let stream = try f.openStream(index)
                for r in [records[records.count - 1], records[records.count / 2], records[0]] {
                    try stream.seek(to: r.position)
                    XCTAssertEqual(stream.current, r, file: file, line: line)
                }
            }
        }
        return total
    }

    func testFixturesReadTheSame() throws {
        var total = 0
        for name in ["tsdl-le", "tsdl-be", "tsdl-noclock", "tsdl-scopes", "ust-all-uid", "ust-all-pid", "ust-discard",
                     "ust-overwrite", "ust-libc"] {
            total += try compare(FixturePaths.path("traces/" + name))
        }
        XCTAssertGreaterThan(total, 1000)
    }

    /// Damaged and truncated copies: the same records, then the same error.
    func testDamagedTracesReadTheSame() throws {
        var state: UInt64 = 0x9E37_79B9
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let sources = ["traces/tsdl-le", "traces/ust-all-uid", "traces/ust-discard", "traces/ust-all-pid"]
        for round in 0..<40 {
            let dir = try traces.copyFixture(sources[round % sources.count], as: "lazy\(round)")
            let files = (FileManager.default.enumerator(atPath: dir)?.compactMap { $0 as? String } ?? [])
                .filter { !$0.hasSuffix("metadata") && !$0.contains("index") && !$0.hasPrefix(".") }
                .filter { path in
                    var isDirectory: ObjCBool = false
                    return FileManager.default.fileExists(atPath: dir + "/" + path, isDirectory: &isDirectory)
                        && !isDirectory.boolValue
                }.sorted()
            guard !files.isEmpty else { continue }
            let file = dir + "/" + files[next() % files.count]
            var data = try Data(contentsOf: URL(fileURLWithPath: file))
            guard !data.isEmpty else { continue }
            if round % 2 == 0 {
                data = data.prefix(next() % data.count)
            } else {
                for _ in 0..<(1 + next() % 3) { data[next() % data.count] = UInt8(truncatingIfNeeded: next()) }
            }
            try data.write(to: URL(fileURLWithPath: file))
            let eager = Result { try open(dir, lazy: false) }
            let lazy = Result { try open(dir, lazy: true) }
            switch (eager, lazy) {
            case (.success, .success):
                try compare(dir)
            case (.failure(let a), .failure(let b)):
                XCTAssertEqual(String(describing: a), String(describing: b))
            default:
                XCTFail("round \(round): opening differs: \(eager) vs \(lazy)")
            }
        }
    }
}
