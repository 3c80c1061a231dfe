import TraceKit

/// The ring-buffer pages of one CPU of one buffer in a trace.dat file: slices of the mapped file,
/// or, in compressed v7 files, pages of chunks inflated on demand (a few recent chunks cached).
final class CPUPageSource {
    let file: TraceDatFile
    let cpu: TraceDatCPUData
    let pageSize: Int
    /// Name of the buffer/CPU for messages (`cpu1`, `instance "foo" cpu1`).
    let label: String

    private enum Storage {
        /// Pages stored as-is from `start`, `available` bytes present in the file.
        case plain(start: Int, available: Int)
        case compressed
    }

    private struct Chunk {
        var dataOffset: Int
        var compressedSize: Int
        var size: Int
        var firstPage: Int
        var pageCount: Int
    }

    private let storage: Storage
    private var chunks: [Chunk] = []
    /// Number of pages that can be read (complete or partial).
    private(set) var pageCount: Int = 0
    /// Set when the data stops before its declared end (file truncated, chunk list damaged).
    private(set) var damage: TraceError?

    // Inflated chunk cache: a few slots, least recently used replaced.
    private var slots: [(chunk: Int, buffer: UnsafeMutableRawBufferPointer)] = []
    private var slotUse: [Int] = []
    private var useClock = 0
    private static let slotCount = 3

    init(file: TraceDatFile, cpu: TraceDatCPUData, pageSize: Int, label: String) {
        self.file = file
        self.cpu = cpu
        self.pageSize = pageSize
        self.label = label
        let total = file.bytes.count
        let offset = cpu.offset > UInt64(Int.max) ? Int.max : Int(cpu.offset)
        let size = cpu.size > UInt64(Int.max) ? Int.max : Int(cpu.size)
        if file.compression == .none || size == 0 {
            let available = offset >= total ? 0 : min(size, total - offset)
            storage = .plain(start: offset, available: available)
            pageCount = (available + pageSize - 1) / pageSize
            if available < size {
                damage = TraceError(file: file.path, offset: min(offset, total),
                                    "\(label): the file ends before the CPU data: \(size) bytes declared at offset \(offset), \(available) present (truncated file)")
            }
        } else {
            storage = .compressed
            readChunkTable(offset: offset, total: total)
            // The walk through the chunk headers brought the whole CPU data in; chunks are read
            // again one at a time.
            let end = min(total, offset &+ size)
            if end > offset { file.mapped.release(offset..<end) }
        }
    }

    deinit {
        for s in slots { s.buffer.deallocate() }
    }

    private func readChunkTable(offset: Int, total: Int) {
        var c = ByteCursor(bytes: file.bytes, file: file.path, order: file.byteOrder)
        guard offset < total else {
            damage = TraceError(file: file.path, offset: offset, "\(label): compressed data lies beyond the end of the file (\(total) bytes)")
            return
        }
        c.position = offset
        do {
            let count = try c.u32("\(label) chunk count")
            var firstPage = 0
            var released = offset
            for index in 0..<Int(count) {
                if c.position - released >= 8 << 20 {
                    // Headers walked past give their pages back as the walk goes (in 2 MiB
                    // blocks: the kernel maps large folios whole).
                    let end = c.position / (2 << 20) * (2 << 20)
                    if end > released { file.mapped.release(released..<end) }
                    released = max(released, end)
                }
                let headerAt = c.position
                let compressedSize = Int(try c.u32("\(label) chunk \(index) compressed size"))
                let size = Int(try c.u32("\(label) chunk \(index) size"))
                guard compressedSize <= c.remaining else {
                    throw c.error("\(label): chunk \(index) of \(compressedSize) compressed bytes runs past the end of the file (truncated file)", at: headerAt)
                }
                let pages = (size + pageSize - 1) / pageSize
                chunks.append(Chunk(dataOffset: c.position, compressedSize: compressedSize, size: size,
                                    firstPage: firstPage, pageCount: pages))
                firstPage += pages
                c.position += compressedSize
            }
            pageCount = firstPage
        } catch let e as TraceError {
            damage = e
            pageCount = chunks.last.map { $0.firstPage + $0.pageCount } ?? 0
        } catch {
            pageCount = chunks.last.map { $0.firstPage + $0.pageCount } ?? 0
        }
    }

    /// Absolute file offset of page `index` (for messages; the chunk's offset when compressed).
    func fileOffset(ofPage index: Int) -> Int {
        switch storage {
        case .plain(let start, _): return start + index * pageSize
        case .compressed:
            guard let c = chunkIndex(forPage: index) else { return Int(clamping: cpu.offset) }
            return chunks[c].dataOffset - 8
        }
    }

    /// Describes where page `index` is, for messages.
    func describePage(_ index: Int) -> String {
        switch storage {
        case .plain: return "\(label) page \(index)"
        case .compressed:
            let c = chunkIndex(forPage: index) ?? 0
            return "\(label) page \(index) (in compressed chunk \(c))"
        }
    }

    private func chunkIndex(forPage index: Int) -> Int? {
        var low = 0, high = chunks.count
        while low < high {
            let mid = (low + high) / 2
            if chunks[mid].firstPage + chunks[mid].pageCount <= index { low = mid + 1 } else { high = mid }
        }
        return low < chunks.count && chunks[low].firstPage <= index ? low : nil
    }

    /// The bytes of page `index` (shorter than a page when the file ends inside it).
    func page(_ index: Int) throws -> UnsafeRawBufferPointer {
        switch storage {
        case .plain(let start, let available):
            let from = index * pageSize
            guard index >= 0, from < available else {
                throw TraceError(file: file.path, offset: start + from, "\(label): page \(index) is beyond the CPU data")
            }
            let to = min(available, from + pageSize)
            return UnsafeRawBufferPointer(rebasing: file.bytes[(start + from)..<(start + to)])
        case .compressed:
            guard let c = chunkIndex(forPage: index) else {
                throw TraceError(file: file.path, offset: Int(clamping: cpu.offset), "\(label): page \(index) is beyond the CPU data")
            }
            let buffer = try inflated(c)
            let from = (index - chunks[c].firstPage) * pageSize
            let to = min(buffer.count, from + pageSize)
            return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[from..<to])
        }
    }

    private func inflated(_ c: Int) throws -> UnsafeMutableRawBufferPointer {
        useClock += 1
        if let s = slots.firstIndex(where: { $0.chunk == c }) {
            slotUse[s] = useClock
            return slots[s].buffer
        }
        let chunk = chunks[c]
        var slot: Int
        if slots.count < CPUPageSource.slotCount {
            slots.append((c, .allocate(byteCount: max(chunk.size, 1), alignment: 16)))
            slotUse.append(useClock)
            slot = slots.count - 1
        } else {
            slot = slotUse.indices.min { slotUse[$0] < slotUse[$1] } ?? 0
            if slots[slot].buffer.count < chunk.size {
                slots[slot].buffer.deallocate()
                slots[slot].buffer = .allocate(byteCount: chunk.size, alignment: 16)
            }
            slots[slot].chunk = c
            slotUse[slot] = useClock
        }
        let destination = UnsafeMutableRawBufferPointer(rebasing: slots[slot].buffer[0..<chunk.size])
        let source = UnsafeRawBufferPointer(rebasing: file.bytes[chunk.dataOffset..<(chunk.dataOffset + chunk.compressedSize)])
        do {
            try file.compression.decompress(source, into: destination)
        } catch let e as DecompressionError {
            slots[slot].chunk = -1
            throw TraceError(file: file.path, offset: chunk.dataOffset - 8,
                             "\(label): compressed chunk \(c) does not inflate: \(e.message)")
        }
        return destination
    }

    /// Lets the kernel drop mapped file pages before `page` (keeps resident memory flat while
    /// streaming through big files): the pages themselves, or the compressed chunks before
    /// `page`'s chunk (inflated already).
    func releasePages(before page: Int) {
        switch storage {
        case .plain(let start, let available):
            let end = min(available, page * pageSize)
            if end > 0 { file.mapped.release(start..<(start + end)) }
        case .compressed:
            guard let first = chunks.first, let c = chunkIndex(forPage: page), c > 0,
                  chunks[c].dataOffset - 8 > first.dataOffset else { return }
            file.mapped.release(first.dataOffset..<(chunks[c].dataOffset - 8))
        }
    }
}
