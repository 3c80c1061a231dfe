#if canImport(Glibc)
import Glibc
#endif
import Ftrace
import TraceKit

/// Opens trace-cmd `trace.dat` files for `TraceReaders`.
enum FtraceReaderRegistration {
    /// The traces in `path` when it is a trace.dat file (a regular file starting with the trace.dat
    /// magic), nil when it is something else. Problems that do not stop reading are printed to
    /// standard error.
    static func open(path: String, isDirectory: Bool, reportWarnings: Bool = true) throws -> [Trace]? {
        guard !isDirectory, startsWithMagic(path) else { return nil }
        let trace = try TraceDatTrace(path: path)
        for warning in trace.warnings where reportWarnings {
            FileHandleOutput.standardError("ringside: warning: \(warning)\n")
        }
        return [trace]
    }

    private static func startsWithMagic(_ path: String) -> Bool {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        var head = [UInt8](repeating: 0, count: TraceDatFile.magic.count)
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n == head.count else { return false }
        return head.withUnsafeBytes { TraceDatFile.hasMagic($0) }
    }
}

enum FileHandleOutput {
    static func standardError(_ text: String) {
        var text = text
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}
