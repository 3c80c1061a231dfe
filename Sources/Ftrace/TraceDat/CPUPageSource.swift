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

    /// Where the walk through the chunk table stands: the next header, the chunks in the table,
    /// and how far the mapped headers were given back (the chunks and pages before it are
    /// `chunks` and `knownPages`).
    private struct ChunkWalk {
        var position: Int
        let count: Int
        var released: Int
        /// Where the CPU data ends in the file.
        let end: Int
    }

    private let storage: Storage
    /// The chunks walked so far (compressed data); the table is walked as pages are asked for,
    /// so opening reads one header per CPU, not one per chunk of the whole file.
    private var chunks: [Chunk] = []
    private var walk: ChunkWalk?
    /// Pages known so far (all of them once the chunk table is walked through).
    private var knownPages = 0
    /// Set when the data stops before its declared end (file truncated, chunk list damaged);
    /// for compressed data, known once the chunk table is walked that far.
    private(set) var damage: TraceError?

    /// Number of pages that can be read (complete or partial); walks the whole chunk table.
    var pageCount: Int {
        walkChunks(throughPage: .max)
        return knownPages
    }

    /// Chunks of the table walked so far (what opening and reading have needed).
    var chunksWalked: Int { chunks.count }

    /// Whether page `index` can be read, walking the chunk table only as far as it.
    func hasPage(_ index: Int) -> Bool {
        if index < knownPages { return index >= 0 }
        walkChunks(throughPage: index)
        return index >= 0 && index < knownPages
    }

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
            knownPages = (available + pageSize - 1) / pageSize
            if available < size {
                damage = TraceError(file: file.path, offset: min(offset, total),
                                    "\(label): the file ends before the CPU data: \(size) bytes declared at offset \(offset), \(available) present (truncated file)")
            }
        } else {
            storage = .compressed
            startChunkTable(offset: offset, end: min(total, offset &+ size), total: total)
        }
    }

    /// Pages before this one are never given back by this source (see `independentCopy`).
    private var releaseFloor = 0

    private init(copying other: CPUPageSource, releaseFloor: Int) {
        file = other.file
        cpu = other.cpu
        pageSize = other.pageSize
        label = other.label
        storage = other.storage
        chunks = other.chunks
        walk = other.walk
        knownPages = other.knownPages
        damage = other.damage
        self.releaseFloor = releaseFloor
    }

    /// A source over the same pages with an inflated-chunk cache of its own, for reading pages
    /// from `firstPage` on another thread than this source's readers. Walks the whole chunk table
    /// first (neither source changes it afterwards); the copy gives back no page before
    /// `firstPage`, which other readers may still be reading.
    func independentCopy(from firstPage: Int) -> CPUPageSource {
        walkChunks(throughPage: .max)
        return CPUPageSource(copying: self, releaseFloor: firstPage)
    }

    deinit {
        for s in slots { s.buffer.deallocate() }
    }

    /// Reads the chunk count; the chunks themselves are walked as pages are asked for.
    private func startChunkTable(offset: Int, end: Int, total: Int) {
        guard offset < total else {
            damage = TraceError(file: file.path, offset: offset, "\(label): compressed data lies beyond the end of the file (\(total) bytes)")
            return
        }
        var c = ByteCursor(bytes: file.bytes, file: file.path, order: file.byteOrder)
        c.position = offset
        do {
            let count = try c.u32("\(label) chunk count")
            walk = ChunkWalk(position: c.position, count: Int(count), released: offset, end: end)
        } catch let e as TraceError {
            damage = e
        } catch {}
    }

    /// Walks the chunk headers until page `page` is known or the table ends.
    private func walkChunks(throughPage page: Int) {
        guard var w = walk, knownPages <= page else { return }
        var c = ByteCursor(bytes: file.bytes, file: file.path, order: file.byteOrder)
        c.position = w.position
        var finished = false
        do {
            while chunks.count < w.count && knownPages <= page {
                if c.position - w.released >= 8 << 20 {
                    // Headers walked past give their pages back as the walk goes (in 2 MiB
                    // blocks: the kernel maps large folios whole).
                    let end = c.position / (2 << 20) * (2 << 20)
                    if end > w.released { file.mapped.release(w.released..<end) }
                    w.released = max(w.released, end)
                }
                let headerAt = c.position
                let compressedSize = Int(try c.u32("\(label) chunk \(chunks.count) compressed size"))
                let size = Int(try c.u32("\(label) chunk \(chunks.count) size"))
                guard compressedSize <= c.remaining else {
                    throw c.error("\(label): chunk \(chunks.count) of \(compressedSize) compressed bytes runs past the end of the file (truncated file)", at: headerAt)
                }
                let pages = (size + pageSize - 1) / pageSize
                chunks.append(Chunk(dataOffset: c.position, compressedSize: compressedSize, size: size,
                                    firstPage: knownPages, pageCount: pages))
                knownPages += pages
                c.position += compressedSize
            }
            finished = chunks.count >= w.count
        } catch let e as TraceError {
            damage = e
            finished = true
        } catch {
            finished = true
        }
        w.position = c.position
        if finished {
            walk = nil
            // The walk brought the CPU data's headers in; chunks are read again one at a time.
            if w.end > w.released { file.mapped.release(w.released..<w.end) }
        } else {
            walk = w
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
        walkChunks(throughPage: index)
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
    /// `page`'s chunk (inflated already); all of them for a page past the last.
    func releasePages(before page: Int) {
        switch storage {
        case .plain(let start, let available):
            let from = min(available, releaseFloor * pageSize)
            let end = min(available, page * pageSize)
            if end > from { file.mapped.release((start + from)..<(start + end)) }
        case .compressed:
            guard let first = chunkIndex(forPage: releaseFloor).map({ chunks[$0] }) ?? chunks.first else { return }
            let end: Int
            if let c = chunkIndex(forPage: page) {
                end = chunks[c].dataOffset - 8
            } else if page >= knownPages, let last = chunks.last {
                end = last.dataOffset + last.compressedSize
            } else {
                return
            }
            if end > first.dataOffset { file.mapped.release(first.dataOffset..<end) }
        }
    }
}
