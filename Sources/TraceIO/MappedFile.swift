#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TraceKit

/// A read-only memory mapping of a whole file. Pages load on demand, so opening a gigabyte trace
/// costs nothing until its bytes are read.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    /// The mapped bytes (empty for an empty file).
    public let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?

    /// Maps `path`. Throws a `TraceError` naming the file when it cannot be opened or mapped.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TraceError(file: path, "cannot open: \(SystemError.message(errno))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw TraceError(file: path, "cannot stat: \(SystemError.message(errno))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw TraceError(file: path, "not a regular file")
        }
        let size = Int(info.st_size)
        if size == 0 {
            mapping = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw TraceError(file: path, "cannot map \(size) bytes: \(SystemError.message(errno))")
        }
        mapping = address
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let mapping { munmap(mapping, bytes.count) }
    }

    public var count: Int { bytes.count }

    /// Tells the kernel the file will be read front to back (more read-ahead).
    public func adviseSequential() {
        if let mapping { _ = madvise(mapping, bytes.count, MADV_SEQUENTIAL) }
    }

    /// Maps the pages of `range` in one call, before they are read: faulting them in one by one
    /// (a few pages per fault) cost a sixth of the time of a walk through a trace in the page
    /// cache. Best effort: kernels before 5.14 leave the pages to load on demand.
    public func populate(_ range: Range<Int>) {
        guard let mapping else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = max(0, range.lowerBound) / page * page
        let end = min(bytes.count, range.upperBound)
        guard end > start else { return }
        _ = madvise(mapping + start, end - start, MappedFile.populateRead)
    }

    /// Linux's MADV_POPULATE_READ (not in every C library's headers).
    private static let populateRead: Int32 = 22

    /// Lets the kernel drop the pages of `range` from memory (they are re-read from the file if used
    /// again), keeping resident memory flat while streaming through big files.
    public func release(_ range: Range<Int>) {
        guard let mapping else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound / page) * page
        let end = min(bytes.count, range.upperBound) / page * page
        guard end > start else { return }
        _ = madvise(mapping + start, end - start, MADV_DONTNEED)
    }
}

/// Text for `errno` values.
public enum SystemError {
    public static func message(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
