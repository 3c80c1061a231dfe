#if canImport(Glibc)
import Glibc
#endif
import TraceIO

/// Appends each CPU's pages to its own file (`BASE.cpuN`), as trace-cmd's recorder does, so a
/// recording of any length needs no memory; the trace.dat writer assembles the files at the end.
public final class PageFileSink: PageSink {
    private struct CPUFile {
        var fd: Int32
        var buffer: [UInt8]
        var path: String
    }

    public let basePath: String
    private var files: [Int: CPUFile] = [:]
    private var failure: LiveError?
    private static let flushThreshold = 1 << 20

    /// Creates (truncating) one file per CPU in `cpus`.
    public init(basePath: String, cpus: [Int]) throws {
        self.basePath = basePath
        for cpu in cpus {
            let path = Self.path(base: basePath, cpu: cpu)
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                let code = errno
                removeFiles()
                throw LiveError("\(path): cannot create: \(SystemError.message(code))")
            }
            var buffer: [UInt8] = []
            buffer.reserveCapacity(Self.flushThreshold + 65536)
            files[cpu] = CPUFile(fd: fd, buffer: buffer, path: path)
        }
    }

    public static func path(base: String, cpu: Int) -> String { "\(base).cpu\(cpu)" }

    /// The file of every CPU.
    public var paths: [Int: String] { files.mapValues(\.path) }

    public func consume(cpu: Int, page: UnsafeRawBufferPointer) {
        guard failure == nil, files[cpu] != nil else { return }
        files[cpu]!.buffer.append(contentsOf: page)
        if files[cpu]!.buffer.count >= Self.flushThreshold { flush(cpu) }
    }

    private func flush(_ cpu: Int) {
        guard var file = files[cpu], !file.buffer.isEmpty else { return }
        let ok = file.buffer.withUnsafeBytes { raw -> Bool in
            var done = 0
            while done < raw.count {
                let n = write(file.fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                done += n
            }
            return true
        }
        if !ok { failure = LiveError("\(file.path): write failed: \(SystemError.message(errno))") }
        file.buffer.removeAll(keepingCapacity: true)
        files[cpu] = file
    }

    /// Writes what is buffered and closes the files; throws the first write error.
    public func finish() throws {
        for cpu in files.keys { flush(cpu) }
        for (cpu, file) in files where file.fd >= 0 {
            close(file.fd)
            files[cpu]?.fd = -1
        }
        if let failure { throw failure }
    }

    /// Deletes the page files.
    public func removeFiles() {
        for file in files.values {
            if file.fd >= 0 { close(file.fd) }
            unlink(file.path)
        }
        files.removeAll()
    }
}
