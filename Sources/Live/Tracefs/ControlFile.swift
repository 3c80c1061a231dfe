#if canImport(Glibc)
import Glibc
#endif
import TraceIO

/// Reads and writes tracefs control files. Each write is one `write(2)` call, so one request reaches
/// the kernel as exactly one command.
public enum ControlFile {
    /// The failure of a control-file operation, with the errno the kernel answered.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var operation: String
        public var code: Int32

        public var description: String {
            "\(path): cannot \(operation): \(SystemError.message(code))"
        }
    }

    /// The whole content of a control file (these are small text files whose size stat reports as 0).
    public static func read(_ path: String) throws -> String {
        let bytes = try readBytes(path)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The whole content of a file read until end of file.
    public static func readBytes(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, operation: "open", code: errno) }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, operation: "read", code: errno)
            }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }

    /// Writes `text` in a single `write(2)`. `append` opens with `O_APPEND` (needed for
    /// `uprobe_events`/`dynamic_events`, where truncating would delete every definition).
    public static func write(_ path: String, _ text: String, append: Bool = false) throws {
        let flags = O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC)
        let fd = open(path, flags)
        guard fd >= 0 else { throw Failure(path: path, operation: "open for writing", code: errno) }
        defer { close(fd) }
        var bytes = Array(text.utf8)
        if bytes.isEmpty { bytes = [] }
        while true {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, operation: "write", code: errno)
            }
            if n != bytes.count {
                throw Failure(path: path, operation: "write all \(bytes.count) bytes (wrote \(n))", code: EIO)
            }
            return
        }
    }

    /// Whether `path` exists.
    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Whether `path` is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The names in directory `path`, sorted; empty when it cannot be read.
    public static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String in
                let bytes = raw.prefix(while: { $0 != 0 })
                return String(decoding: bytes, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
