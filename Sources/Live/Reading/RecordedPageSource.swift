import Foundation

/// Replays pages recorded from `trace_pipe_raw` (a file of whole pages) as a `PageSource`, for
/// deterministic tests and demos of the live path. `pagesPerBurst` makes it answer "no data yet"
/// after that many pages, as the kernel does when the reader has caught up; the next read goes on.
public final class RecordedPageSource: PageSource, @unchecked Sendable {
    private let lock = NSLock()
    public let cpu: Int
    public let pageSize: Int
    private let pages: [UInt8]
    private let pagesPerBurst: Int
    private var next = 0
    private var sinceBreak = 0
    private var closed = false

    public init(cpu: Int, pages: [UInt8], pageSize: Int, pagesPerBurst: Int = .max) {
        self.cpu = cpu
        self.pages = pages
        self.pageSize = pageSize
        self.pagesPerBurst = max(1, pagesPerBurst)
    }

    /// Reads the file `path` of pages.
    public convenience init(cpu: Int, path: String, pageSize: Int, pagesPerBurst: Int = .max) throws {
        let bytes: [UInt8]
        do {
            bytes = try ControlFile.readBytes(path)
        } catch let failure as ControlFile.Failure {
            throw LiveError(failure.description)
        }
        self.init(cpu: cpu, pages: bytes, pageSize: pageSize, pagesPerBurst: pagesPerBurst)
    }

    public var pollDescriptor: Int32? { nil }

    /// The timestamp in the header of the next page to hand out (nil once all were handed out):
    /// every record of this CPU before it has been handed out, which is what a replay uses as
    /// its completeness frontier.
    public var nextPageTimestamp: Int64? {
        lock.lock()
        defer { lock.unlock() }
        guard !closed, next + 8 <= pages.count else { return nil }
        var value: UInt64 = 0
        for k in 0..<8 { value |= UInt64(pages[next + k]) << (8 * k) }
        return Int64(bitPattern: value)
    }

    /// Pages not yet handed out.
    public var remainingPages: Int {
        lock.lock()
        defer { lock.unlock() }
        return max(0, (pages.count - next + pageSize - 1) / pageSize)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> PageReadStatus {
        lock.lock()
        defer { lock.unlock() }
        guard !closed, next < pages.count else { return .ended }
        if sinceBreak >= pagesPerBurst {
            sinceBreak = 0
            return .noData
        }
        let count = min(pageSize, pages.count - next, buffer.count)
        pages.withUnsafeBytes { raw in
            buffer.baseAddress!.copyMemory(from: raw.baseAddress! + next, byteCount: count)
        }
        next += count
        sinceBreak += 1
        return .page(byteCount: count)
    }

    public func close() {
        lock.lock()
        closed = true
        lock.unlock()
    }
}
