import Foundation
import TraceKit
@testable import Ftrace

/// Paths and small helpers shared by the ftrace tests.
enum Fixtures {
    /// `Tests/Fixtures/ftrace`.
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/ftrace")
    }

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The project's shared reference traces (`../shared/fixtures` beside the repository), when present.
    static var sharedDirectory: URL? {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for candidate in [repo.deletingLastPathComponent().appendingPathComponent("shared/fixtures"),
                          URL(fileURLWithPath: "/work/shared/fixtures")] {
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("ftrace").path) { return candidate }
        }
        return nil
    }
}

/// Runs `body` with an `OutputBuffer` and returns what it wrote.
func capture(_ body: (OutputBuffer) throws -> Void) rethrows -> String {
    var bytes: [UInt8] = []
    let out = OutputBuffer(flushThreshold: 1 << 16) { bytes += $0 }
    try body(out)
    try? out.flush()
    return String(decoding: bytes, as: UTF8.self)
}

/// Runs `body` with a `LineBuffer` and returns what it wrote.
func captureLine(_ body: (inout LineBuffer) throws -> Void) rethrows -> String {
    var line = LineBuffer(capacity: 64)
    defer { line.deallocate() }
    try body(&line)
    return String(decoding: line.bytes, as: UTF8.self)
}

/// Builds little-endian record bytes field by field.
struct RecordBuilder {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func text(_ s: String, size: Int) {
        var b = Array(s.utf8)
        b += Array(repeating: 0, count: max(0, size - b.count))
        bytes += b.prefix(size)
    }
    mutating func pad(to n: Int) { while bytes.count < n { bytes.append(0) } }
    mutating func raw(_ b: [UInt8]) { bytes += b }
}

/// The common fields every test event format starts with.
let commonFields = """
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

"""

/// A format file with `fields` (tab-indented field lines) and `print`.
func formatText(name: String = "test_event", id: Int = 100, fields: String, print: String) -> String {
    "name: \(name)\nID: \(id)\nformat:\n" + commonFields + "\n" + fields + "\nprint fmt: " + print + "\n"
}
