/// Events the kernel dropped before a page, as its header says.
public enum MissedEvents: Sendable, Hashable {
    case none
    /// Events were lost but the kernel did not store how many.
    case unknown
    case count(UInt64)
}

/// A page that cannot be decoded: what is wrong and at which byte of the page.
public struct SubBufferError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Byte offset in the page.
    public var offset: Int
    public var message: String
    public var description: String { "at byte \(offset) of the page: \(message)" }
}

/// One record of a page: an event's payload and its absolute timestamp.
public struct SubBufferRecord {
    /// The record's timestamp in trace clock units (page timestamp plus the deltas before it).
    public var timestamp: UInt64
    /// Offset of the record header in the page.
    public var offset: Int
    /// The running timestamp before this record's header (to resume decoding at `offset`).
    public var timestampBefore: UInt64
    /// The event payload (starts with `common_type`).
    public var data: UnsafeRawBufferPointer
    /// The record is the first item of the page's data (libtraceevent reports a page's missed
    /// events only on such a record).
    public var isAtDataStart: Bool
}

/// The ring buffer's event header `type_len` values.
public enum RingBufferTypeLength {
    /// 1...28: the payload is `type_len * 4` bytes; 0: a length word follows the header.
    public static let maxData: UInt32 = 28
    public static let padding: UInt32 = 29
    public static let timeExtend: UInt32 = 30
    public static let timeStamp: UInt32 = 31
}

/// A ring-buffer page (sub-buffer) as found in trace.dat files and read from
/// `per_cpu/cpuN/trace_pipe_raw`, decoded like the kernel writes it (and libtraceevent's kbuffer
/// reads it): page timestamp, commit, missed-events flags, then events with 27-bit time deltas,
/// time extends, absolute time stamps, padding and discarded events.
public struct SubBuffer {
    public let bytes: UnsafeRawBufferPointer
    public let layout: RingBufferLayout
    public let byteOrder: ByteOrder
    /// The page's timestamp (before any clock conversion).
    public let timestamp: UInt64
    /// Bytes of event data in the page.
    public let commit: Int
    public let missedEvents: MissedEvents

    static let missingEventsFlag: UInt64 = 1 << 31
    static let missingStoredFlag: UInt64 = 1 << 30
    static let commitMask: UInt64 = (1 << 27) - 1

    /// Reads the page header. Throws when the page is shorter than its header or its commit
    /// runs past the end of the page.
    public init(_ bytes: UnsafeRawBufferPointer, layout: RingBufferLayout, byteOrder: ByteOrder) throws {
        self.bytes = bytes
        self.layout = layout
        self.byteOrder = byteOrder
        guard bytes.count >= layout.dataOffset else {
            throw SubBufferError(offset: 0, message: "page of \(bytes.count) bytes is shorter than its \(layout.dataOffset)-byte header")
        }
        timestamp = ByteReader.u64(bytes, at: layout.timestampOffset, order: byteOrder)
        let flags = ByteReader.unsigned(bytes, at: layout.commitOffset, size: layout.commitSize, order: byteOrder)
        let size = Int(flags & SubBuffer.commitMask)
        let available = min(bytes.count, layout.pageSize) - layout.dataOffset
        guard size <= available else {
            throw SubBufferError(offset: layout.commitOffset,
                                 message: "commit of \(size) bytes is larger than the page's \(available) bytes of data")
        }
        commit = size
        if flags & SubBuffer.missingEventsFlag != 0 {
            if flags & SubBuffer.missingStoredFlag != 0 {
                let at = layout.dataOffset + size
                if at + layout.commitSize <= bytes.count {
                    missedEvents = .count(ByteReader.unsigned(bytes, at: at, size: layout.commitSize, order: byteOrder))
                } else {
                    missedEvents = .unknown
                }
            } else {
                missedEvents = .unknown
            }
        } else {
            missedEvents = .none
        }
    }

    /// Offset in the page where event data ends.
    public var dataEnd: Int { layout.dataOffset + commit }

    /// Iterates the page's records from the first.
    public func makeReader() -> SubBufferReader {
        SubBufferReader(page: self, offset: layout.dataOffset, timestamp: timestamp)
    }

    /// Iterates from the record header at `offset` with the running timestamp `timestamp`
    /// (a `SubBufferRecord.offset` / `timestampBefore` pair).
    public func makeReader(resumingAt offset: Int, timestamp: UInt64) -> SubBufferReader {
        SubBufferReader(page: self, offset: max(offset, layout.dataOffset), timestamp: timestamp)
    }

    /// All records of the page (stops at the first damaged record, which is thrown).
    public func records() throws -> [SubBufferRecord] {
        var reader = makeReader()
        var result: [SubBufferRecord] = []
        while let r = try reader.next() { result.append(r) }
        return result
    }
}

/// A cursor over a page's records.
public struct SubBufferReader {
    public let page: SubBuffer
    /// Offset in the page of the next item header.
    public private(set) var offset: Int
    /// The running timestamp.
    public private(set) var timestamp: UInt64

    init(page: SubBuffer, offset: Int, timestamp: UInt64) {
        self.page = page
        self.offset = offset
        self.timestamp = timestamp
    }

    /// The next record, skipping padding and time items; nil at the end of the page's data.
    /// Throws on an item whose length is impossible (the records before it stay valid).
    @inline(__always)
    public mutating func next() throws -> SubBufferRecord? {
        let bytes = page.bytes
        let end = page.dataEnd
        let order = page.byteOrder
        let big = order == .big
        while offset < end {
            let start = offset
            guard start + 4 <= end else {
                throw SubBufferError(offset: start, message: "truncated event header")
            }
            let word = ByteReader.u32(bytes, at: start, order: order)
            let typeLength = big ? word >> 27 : word & 0x1F
            let delta = UInt64(big ? word & 0x07FF_FFFF : word >> 5)
            let before = timestamp
            switch typeLength {
            case RingBufferTypeLength.padding:
                timestamp &+= delta
                if delta == 0 && start + 8 > end {
                    // A null padding that fills the rest of the page.
                    offset = end
                    return nil
                }
                let length = Int(ByteReader.u32(bytes, at: start + 4, order: order))
                if delta == 0 && (length == 0 || start + 4 + length > end) {
                    offset = end
                    return nil
                }
                guard start + 4 + length <= end, length >= 0 else {
                    throw SubBufferError(offset: start, message: "padding of \(length) bytes runs past the data")
                }
                offset = start + 4 + length
                if offset == start { offset = end }
            case RingBufferTypeLength.timeExtend, RingBufferTypeLength.timeStamp:
                guard start + 8 <= end else {
                    throw SubBufferError(offset: start, message: "truncated time extend")
                }
                let extend = UInt64(ByteReader.u32(bytes, at: start + 4, order: order)) << 27 + delta
                if typeLength == RingBufferTypeLength.timeStamp {
                    // Absolute time stamps lack the top 5 bits; keep the current ones.
                    timestamp = extend | (timestamp & (0xF8 << 56))
                } else {
                    timestamp &+= extend
                }
                offset = start + 8
            default:
                var payloadStart = start + 4
                var length: Int
                if typeLength == 0 {
                    guard start + 8 <= end else {
                        throw SubBufferError(offset: start, message: "truncated event length word")
                    }
                    let stored = Int(ByteReader.u32(bytes, at: start + 4, order: order))
                    guard stored >= 4 else {
                        throw SubBufferError(offset: start, message: "event length \(stored) is too small")
                    }
                    length = (stored - 4 + 3) & ~3
                    payloadStart = start + 8
                } else {
                    length = Int(typeLength) * 4
                }
                guard payloadStart + length <= end else {
                    throw SubBufferError(offset: start, message: "event of \(length) bytes runs past the page's data (\(end) bytes)")
                }
                timestamp &+= delta
                offset = payloadStart + length
                return SubBufferRecord(
                    timestamp: timestamp, offset: start, timestampBefore: before,
                    data: UnsafeRawBufferPointer(rebasing: bytes[payloadStart..<(payloadStart + length)]),
                    isAtDataStart: start == page.layout.dataOffset)
            }
        }
        return nil
    }
}
