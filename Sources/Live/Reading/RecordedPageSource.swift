/// Replays pages recorded from `trace_pipe_raw` (a file of whole pages) as a `PageSource`, for
/// deterministic tests and demos of the live path. `pagesPerBurst` makes it answer "no data yet"
/// after that many pages, as the kernel does when the reader has caught up; the next read goes on.
public final class RecordedPageSource: PageSource {
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

    /// Pages not yet handed out.
    public var remainingPages: Int { max(0, (pages.count - next + pageSize - 1) / pageSize) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> PageReadStatus {
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

    public func close() { closed = true }
}
