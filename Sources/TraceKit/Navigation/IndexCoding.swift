/// Bytes of a finished index, so a viewer can keep it on disk and open a big trace again without
/// reading it all (`IndexData.encoded()`, `IndexData(decoding:)`).
///
/// Little-endian: magic, format version, payload length, a 64-bit FNV-1a checksum of the payload,
/// then the payload. Decoding never trusts the bytes: lengths are bounds-checked, counts are
/// limited by what is left, the checksum must match and the structure must be consistent; any
/// problem is an error and the caller indexes the trace again.
public enum IndexCoding {
    static let magic: [UInt8] = Array("RINGSIDEIDX".utf8)
    static let version: UInt32 = 1

    /// FNV-1a over `bytes`.
    public static func checksum<C: Collection>(_ bytes: C, seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 where C.Element == UInt8 {
        var h = seed
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}

/// Appends little-endian values to a byte array.
struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func int(_ v: Int) { i64(Int64(v)) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    mutating func optional(_ v: Int64?) {
        bool(v != nil)
        i64(v ?? 0)
    }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        int(utf8.count)
        bytes += utf8
    }
}

/// Reads what `ByteWriter` wrote, failing on anything out of bounds.
struct ByteReader {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let bytes: [UInt8]
    var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw Failure(description: "index file truncated at byte \(offset)") }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    mutating func u64() throws -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(8).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }
    mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }
    mutating func u32() throws -> UInt32 {
        var v: UInt32 = 0
        for (i, b) in try take(4).enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return v
    }
    mutating func i32() throws -> Int32 { Int32(bitPattern: try u32()) }
    mutating func f32() throws -> Float { Float(bitPattern: try u32()) }
    mutating func bool() throws -> Bool { try take(1).first == 1 }
    mutating func optional() throws -> Int64? {
        let present = try bool()
        let v = try i64()
        return present ? v : nil
    }
    /// A count of items of at least `itemSize` bytes each: never more than the bytes left allow.
    mutating func count(itemSize: Int) throws -> Int {
        let n = try i64()
        guard n >= 0, n <= Int64(remaining / max(1, itemSize)) else {
            throw Failure(description: "index file has an impossible count \(n) at byte \(offset - 8)")
        }
        return Int(n)
    }
    mutating func int() throws -> Int {
        let v = try i64()
        guard v >= Int64(Int.min), v <= Int64(Int.max) else { throw Failure(description: "value out of range") }
        return Int(v)
    }
    mutating func string() throws -> String {
        let n = try count(itemSize: 1)
        return String(decoding: try take(n), as: UTF8.self)
    }
}

extension IndexData {
    /// The index as bytes (see `IndexCoding`), stamped with `fingerprint` (what the files were).
    public func encoded(fingerprint: UInt64) -> [UInt8] {
        var w = ByteWriter()
        w.u64(fingerprint)
        w.int(sourceCount)
        w.int(checkpointInterval)
        w.int(recordCount)
        w.optional(firstTimestamp)
        w.optional(lastTimestamp)
        w.int(checkpointTimes.count)
        for t in checkpointTimes { w.i64(t) }
        w.int(checkpointPositions.count)
        for p in checkpointPositions {
            w.int(p.unit)
            w.int(p.offset)
            w.u64(p.clock)
        }
        w.int(errors.count)
        for e in errors { w.string(e) }
        totals.encode(into: &w)
        activity.encode(into: &w)
        var out = IndexCoding.magic
        var header = ByteWriter()
        header.u32(IndexCoding.version)
        header.int(w.bytes.count)
        header.u64(IndexCoding.checksum(w.bytes))
        out += header.bytes
        out += w.bytes
        return out
    }

    /// Reads an index written by `encoded(fingerprint:)`; throws unless the bytes are whole,
    /// consistent and stamped with `fingerprint`.
    public init(decoding bytes: [UInt8], fingerprint: UInt64) throws {
        var r = ByteReader(bytes)
        guard Array(try r.take(IndexCoding.magic.count)) == IndexCoding.magic else {
            throw ByteReader.Failure(description: "not a ringside index file")
        }
        guard try r.u32() == IndexCoding.version else { throw ByteReader.Failure(description: "index file of another version") }
        let length = try r.count(itemSize: 1)
        let checksum = try r.u64()
        guard length == r.remaining else { throw ByteReader.Failure(description: "index file length does not match") }
        guard IndexCoding.checksum(bytes[r.offset...]) == checksum else {
            throw ByteReader.Failure(description: "index file checksum does not match (damaged)")
        }
        guard try r.u64() == fingerprint else { throw ByteReader.Failure(description: "index of other files (the trace changed)") }
        let sources = try r.int()
        let interval = try r.int()
        guard sources >= 0, interval >= 1 else { throw ByteReader.Failure(description: "index file header is inconsistent") }
        self.init(sourceCount: sources, checkpointInterval: interval)
        recordCount = try r.int()
        firstTimestamp = try r.optional()
        lastTimestamp = try r.optional()
        let times = try r.count(itemSize: 8)
        checkpointTimes.reserveCapacity(times)
        for _ in 0..<times { checkpointTimes.append(try r.i64()) }
        let positions = try r.count(itemSize: 24)
        guard positions == times * sources, recordCount >= 0,
              times == (recordCount + interval - 1) / interval else {
            throw ByteReader.Failure(description: "index file checkpoints are inconsistent")
        }
        checkpointPositions.reserveCapacity(positions)
        for _ in 0..<positions {
            checkpointPositions.append(StreamPosition(unit: try r.int(), offset: try r.int(), clock: try r.u64()))
        }
        for i in checkpointTimes.indices.dropFirst() where checkpointTimes[i] < checkpointTimes[i - 1] {
            // Merge order is time order unless streams go backwards; the index is still usable.
            _ = i
        }
        let errorCount = try r.count(itemSize: 8)
        for _ in 0..<errorCount { errors.append(try r.string()) }
        totals = try TraceStatistics(decoding: &r)
        activity = try ActivityData(decoding: &r)
        guard r.remaining == 0 else { throw ByteReader.Failure(description: "index file has trailing bytes") }
        isComplete = true
    }
}

extension TraceStatistics {
    func encode(into w: inout ByteWriter) {
        w.optional(firstTime)
        w.optional(lastTime)
        w.int(eventTotal)
        w.int(lostRecords)
        w.u64(lostEvents)
        let classes = countsPerClass
        w.int(classes.count)
        for counts in classes {
            w.int(counts.count)
            for n in counts { w.int(n) }
        }
        let cpus = countsPerCPU
        w.int(cpus.all.count)
        for n in cpus.all { w.int(n) }
        w.int(cpus.unknown)
    }

    init(decoding r: inout ByteReader) throws {
        self.init(countsTasks: false)
        let first = try r.optional(), last = try r.optional()
        let events = try r.int(), lostRecords = try r.int()
        let lostEvents = try r.u64()
        var classes: [[Int]] = []
        for _ in 0..<(try r.count(itemSize: 8)) {
            var counts: [Int] = []
            for _ in 0..<(try r.count(itemSize: 8)) { counts.append(try r.int()) }
            classes.append(counts)
        }
        var cpus: [Int] = []
        for _ in 0..<(try r.count(itemSize: 8)) { cpus.append(try r.int()) }
        let unknown = try r.int()
        restore(firstTime: first, lastTime: last, eventTotal: events, lostRecords: lostRecords, lostEvents: lostEvents,
                perClass: classes, perCPU: cpus, unknownCPU: unknown)
    }
}

extension ActivityData {
    func encode(into w: inout ByteWriter) {
        w.int(keys.count)
        for k in keys {
            w.i32(k.cpu)
            w.i32(k.trace)
            w.i32(k.stream)
        }
        w.optional(origin)
        w.i64(width)
        w.int(capacity)
        for lane in keys.indices {
            w.int(buckets[lane].count)
            for b in buckets[lane] {
                w.u32(b.events)
                w.f32(b.busy)
                w.i32(b.task)
                w.f32(b.taskTime)
                w.i32(b.startTask)
            }
            w.int(laneEvents[lane])
            w.optional(firstEvent[lane])
        }
        w.int(lost.count)
        for l in lost {
            w.int(l.lane)
            w.i32(l.range.cpu)
            w.i64(l.range.since)
            w.i64(l.range.until)
            w.optional(l.range.count.map { Int64(bitPattern: $0) })
        }
        w.int(tasks.tasks.count)
        for t in tasks.tasks {
            w.i64(t.pid)
            w.string(t.comm)
        }
        w.bool(hasScheduler)
        w.int(recordsNoted)
        w.i64(lastTime)
    }

    init(decoding r: inout ByteReader) throws {
        self.init()
        var keys: [LaneKey] = []
        for _ in 0..<(try r.count(itemSize: 12)) {
            keys.append(LaneKey(cpu: try r.i32(), trace: try r.i32(), stream: try r.i32()))
        }
        let origin = try r.optional()
        let width = try r.i64()
        let capacity = try r.int()
        guard width >= 1, capacity >= 1, Set(keys).count == keys.count else {
            throw ByteReader.Failure(description: "index file lanes are inconsistent")
        }
        var buckets: [[ActivityBucket]] = []
        var events: [Int] = []
        var firsts: [Int64?] = []
        for _ in keys {
            let n = try r.count(itemSize: 20)
            guard n <= capacity else { throw ByteReader.Failure(description: "index file lane is over its capacity") }
            var lane: [ActivityBucket] = []
            lane.reserveCapacity(n)
            for _ in 0..<n {
                var b = ActivityBucket()
                b.events = try r.u32()
                b.busy = try r.f32()
                b.task = try r.i32()
                b.taskTime = try r.f32()
                b.startTask = try r.i32()
                lane.append(b)
            }
            buckets.append(lane)
            events.append(try r.int())
            firsts.append(try r.optional())
        }
        var lost: [(lane: Int, range: LostRange)] = []
        for _ in 0..<(try r.count(itemSize: 33)) {
            let lane = try r.int()
            let range = LostRange(cpu: try r.i32(), since: try r.i64(), until: try r.i64(),
                                  count: try r.optional().map { UInt64(bitPattern: $0) })
            guard keys.indices.contains(lane) else { throw ByteReader.Failure(description: "index file lost range on no lane") }
            lost.append((lane, range))
        }
        var tasks: [TaskRef] = []
        for _ in 0..<(try r.count(itemSize: 16)) { tasks.append(TaskRef(pid: try r.i64(), comm: try r.string())) }
        let hasScheduler = try r.bool()
        let noted = try r.int()
        let last = try r.i64()
        for lane in buckets {
            for b in lane where b.task >= Int32(tasks.count) || b.startTask >= Int32(tasks.count) {
                throw ByteReader.Failure(description: "index file names a task it does not list")
            }
        }
        try restore(keys: keys, origin: origin, width: width, capacity: capacity, buckets: buckets, laneEvents: events,
                    firstEvent: firsts, lost: lost, tasks: tasks, hasScheduler: hasScheduler, recordsNoted: noted,
                    lastTime: last)
    }
}
