import TraceKit

/// Finds the CPU data of a version 7 file whose BUFFER options are lost.
///
/// trace-cmd writes a v7 file as: metadata sections, an options section, the flyrecord data
/// sections (one per buffer), and last an options section whose BUFFER options say where each
/// CPU's data starts and how long it is. A file cut short in or after the data loses that last
/// section, and with it every record. The data itself is still there and self-delimiting enough to
/// read: each buffer's data is a section (id 3) of its own, each CPU's block starts on a page
/// boundary, in CPU order; compressed blocks carry a chunk count and per-chunk sizes. Plain blocks
/// are split where page timestamps go back in time (each CPU's pages are in time order).
///
/// CPU numbers are assumed to follow the file order (0, 1, ...), which holds unless CPUs without
/// data were left out; the caller says so in a warning.
struct FlyrecordSalvage {
    let bytes: UnsafeRawBufferPointer
    let path: String
    let order: ByteOrder
    let pageSize: Int
    let compressed: Bool
    /// The CPU count from the options, when known (caps the blocks read per buffer).
    let cpuCount: Int?

    /// The buffers found by walking the sections that follow `start` (the end of the last options
    /// section that could be read).
    func scan(from start: Int) -> [TraceDatBuffer] {
        var buffers: [TraceDatBuffer] = []
        var position = start
        let total = bytes.count
        while position + 16 <= total {
            var c = ByteCursor(bytes: bytes, file: path, order: order)
            c.position = position
            guard let id = try? c.u16("section id"), let _ = try? c.u16("section flags"),
                  let _ = try? c.u32("section description"), let size = try? c.u64("section size") else { break }
            // Only sections trace-cmd writes (ids up to BUFFER_TEXT) are walked; anything else is
            // not a section header.
            guard id <= 22 else { break }
            let dataStart = position + 16
            let dataEnd = size > UInt64(total - dataStart) ? total : dataStart + Int(size)
            if id == TraceDatOption.buffer.rawValue {
                let cpus = compressed ? compressedBlocks(dataStart, dataEnd) : plainBlocks(dataStart, dataEnd)
                buffers.append(TraceDatBuffer(name: "", clock: nil, isLatency: false, cpus: cpus,
                                              offset: UInt64(position)))
            }
            guard dataEnd < total else { break }
            position = dataEnd
        }
        return buffers
    }

    private func alignUp(_ offset: Int) -> Int {
        (offset + pageSize - 1) / pageSize * pageSize
    }

    /// Compressed blocks: a chunk count, then (compressed size, size, data) per chunk.
    private func compressedBlocks(_ start: Int, _ end: Int) -> [TraceDatCPUData] {
        var blocks: [TraceDatCPUData] = []
        var position = alignUp(start)
        while position + 4 <= end, blocks.count < (cpuCount ?? Int.max) {
            var c = ByteCursor(bytes: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), file: path, order: order)
            c.position = position
            guard let count = try? c.u32("chunk count") else { break }
            var complete = true
            for _ in 0..<count {
                guard let compressedSize = try? c.u32("chunk compressed size"), (try? c.u32("chunk size")) != nil,
                      Int(compressedSize) <= c.remaining else {
                    complete = false
                    break
                }
                c.position += Int(compressedSize)
            }
            // A block cut short keeps its declared extent open to the end: the page source
            // reads the whole chunks and reports the truncation.
            let blockEnd = complete ? c.position : end
            blocks.append(TraceDatCPUData(cpu: blocks.count, offset: UInt64(position), size: UInt64(blockEnd - position)))
            guard complete else { break }
            let next = alignUp(blockEnd)
            // Zero padding up to the next page: a chunk count of 0 there is padding, not an
            // empty CPU, when nothing follows.
            if next <= position { break }
            position = next
        }
        return blocks
    }

    /// Plain blocks: whole pages; a page whose timestamp is earlier than the previous page's
    /// starts the next CPU.
    private func plainBlocks(_ start: Int, _ end: Int) -> [TraceDatCPUData] {
        var blocks: [TraceDatCPUData] = []
        var blockStart = alignUp(start)
        var position = blockStart
        var previous: UInt64?
        while position + 8 <= end {
            let timestamp = ByteReader.unsigned(bytes, at: position, size: 8, order: order)
            if let previous, timestamp < previous, blocks.count + 1 < (cpuCount ?? Int.max) {
                blocks.append(TraceDatCPUData(cpu: blocks.count, offset: UInt64(blockStart), size: UInt64(position - blockStart)))
                blockStart = position
            }
            previous = timestamp
            position += pageSize
        }
        if end > blockStart {
            // The last block: whole pages only (a cut page would be read as garbage).
            let size = (end - blockStart) / pageSize * pageSize
            if size > 0 {
                blocks.append(TraceDatCPUData(cpu: blocks.count, offset: UInt64(blockStart), size: UInt64(size)))
            }
        }
        return blocks
    }
}
