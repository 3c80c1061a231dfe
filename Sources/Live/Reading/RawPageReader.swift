#if canImport(Glibc)
import Glibc
#endif
import TraceIO

/// What a read from a page source produced.
public enum PageReadStatus: Sendable, Equatable {
    /// A page of `byteCount` bytes was read into the buffer.
    case page(byteCount: Int)
    /// Nothing to read right now; more may come later (a normal state, not an error).
    case noData
    /// The source has ended for good (a replay that ran out, a closed reader).
    case ended
}

/// Something that hands out ring-buffer pages of one CPU: the live `trace_pipe_raw` reader, or a
/// replay of recorded pages in tests.
public protocol PageSource: AnyObject {
    var cpu: Int { get }
    /// Bytes in one page (sub-buffer); buffers passed to `read` have at least this many.
    var pageSize: Int { get }
    /// A file descriptor to `poll` for readability, if the source has one.
    var pollDescriptor: Int32? { get }
    /// Reads the next page without blocking.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> PageReadStatus
    func close()
}

/// Reads one CPU's pages from `per_cpu/cpuN/trace_pipe_raw` without blocking. Every read hands
/// out one whole page (the kernel copies a partly filled page too, with its commit saying how
/// much is used), and consumes it from the ring buffer.
public final class RawPageReader: PageSource {
    public let cpu: Int
    public let pageSize: Int
    public let path: String
    private var fd: Int32

    public init(instance: TracingInstance, cpu: Int, pageSize: Int? = nil) throws {
        self.cpu = cpu
        self.pageSize = pageSize ?? instance.subBufferSize()
        path = instance.path("per_cpu/cpu\(cpu)/trace_pipe_raw")
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw LiveError("\(path): cannot open: \(SystemError.message(errno))")
        }
    }

    public var pollDescriptor: Int32? { fd >= 0 ? fd : nil }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> PageReadStatus {
        guard fd >= 0 else { return .ended }
        guard buffer.count >= pageSize else {
            throw LiveError("\(path): read buffer of \(buffer.count) bytes is smaller than a page (\(pageSize))")
        }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, pageSize)
            if n > 0 { return .page(byteCount: n) }
            if n == 0 { return .noData }
            switch errno {
            case EINTR: continue
            case EAGAIN: return .noData
            default:
                throw LiveError("\(path): read failed: \(SystemError.message(errno))")
            }
        }
    }

    public func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    deinit { close() }
}
