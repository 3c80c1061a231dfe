import Foundation
import TraceIO
import TraceKit

/// A CTF 1.8 trace directory: a `metadata` file and data stream files.
///
/// Opening reads the metadata and indexes every packet from its header and context; events are
/// decoded only when cursors reach them, and fields only when asked for.
public final class CTFTrace: Trace {
    public let name: String
    public let path: String
    public let timeDomain: TimeDomain
    public let eventClasses: [EventClass]
    public let streams: [StreamInfo]
    public let cpuCount: Int
    public let environment: [(String, String)]
    /// Packet bytes per part of a stream read on its own by the index's workers
    /// (`PartitionedStreams`); tests make parts of every packet.
    public var streamPartBytes = 2 << 20

    let metadata: TraceMetadata
    let compiled: CompiledTrace
    let dataStreams: [CTFDataStream]
    /// Whether sequences or variants of events depend on packet header or context fields (then
    /// re-decoding an event starts with its packet's header and context).
    let eventsUsePacketSlots: Bool
    /// Slot storage for `decodeFields` (cursors have their own).
    private let scratchSlots: UnsafeMutablePointer<UInt64>

    /// The name babeltrace2 gives the trace: the `hostname` environment value, then `/` and the
    /// trace directory relative to the path it was found from (see `setDiscoveryRoot(_:)`).
    public private(set) var babeltraceName: String = ""

    /// Names the trace as babeltrace2 does when it was found under `root` (a path given by the user).
    public func setDiscoveryRoot(_ root: String) {
        let base = BabeltraceWarnings.absolutePath(root)
        let full = BabeltraceWarnings.absolutePath(path)
        var suffix: String?
        if full.hasPrefix(base + "/") {
            suffix = String(full.dropFirst(base.count + 1))
        } else if base == "/" && full != "/" {
            suffix = String(full.dropFirst())
        }
        var name = ""
        if case .string(let host)? = environmentValue("hostname") {
            name = host
            if suffix != nil { name += "/" }
        }
        name += suffix ?? ""
        babeltraceName = name
    }

    /// The trace's UUID, when the metadata gives one.
    public var uuid: [UInt8]? { metadata.uuid }

    /// The value of an `env` entry.
    public func environmentValue(_ name: String) -> EnvironmentValue? { metadata.environmentValue(name) }

    /// Opens the trace in `directory`. `name` is the name to show (the directory's name by default).
    /// - Parameter lazyPacketIndex: read only the first packet header of each stream file now and
    ///   the others as cursors reach them (a viewer opening a huge trace); by default every packet
    ///   is indexed at once.
    public init(directory: String, name: String? = nil, lazyPacketIndex: Bool = false) throws {
        let directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        self.path = directory
        self.name = name ?? (directory as NSString).lastPathComponent
        let metadataPath = directory + "/metadata"
        let metadataFile = try MappedFile(path: metadataPath)
        (metadata, compiled) = try MetadataCache.shared.metadata(path: metadataPath, bytes: metadataFile.bytes) {
            let text = try MetadataFile.text(of: metadataFile.bytes, path: metadataPath)
            do {
                let metadata = try MetadataBuilder.build(text: text)
                return (metadata, CompiledTrace(metadata))
            } catch let error as TSDLError {
                throw TraceError(file: metadataPath, "metadata \(error.description)")
            }
        }
        eventsUsePacketSlots = CTFTrace.hasSlots(metadata.packetHeader)
            || metadata.streamClasses.contains { CTFTrace.hasSlots($0.packetContext) }
        let slotCount = max(1, metadata.storageSlotCount)
        scratchSlots = .allocate(capacity: slotCount)
        scratchSlots.initialize(repeating: 0, count: slotCount)

        dataStreams = try CTFTrace.openDataStreams(directory: directory, compiled: compiled, slots: scratchSlots,
                                                   slotCount: slotCount, lazy: lazyPacketIndex)
        streams = dataStreams.map {
            StreamInfo(name: ($0.name as NSString).lastPathComponent, cpu: $0.cpu, file: $0.name)
        }
        // Packets indexed so far (the first of each stream when indexed lazily: LTTng writes one
        // CPU per stream).
        cpuCount = Int((dataStreams.flatMap { $0.packets.lazy.map(\.cpu) }.max() ?? -1) + 1)
        let clock = metadata.streamClasses.lazy.compactMap(\.defaultClock).first
        timeDomain = (clock?.isAbsolute ?? false) ? .unixEpoch : .monotonic
        environment = metadata.environment.map { ($0.name, $0.value.text) }
        if case .string(let host)? = metadata.environmentValue("hostname") { babeltraceName = host }
        eventClasses = metadata.eventClasses.map { definition in
            let colon = definition.name.firstIndex(of: ":")
            return EventClass(index: definition.index, name: definition.name,
                              system: colon.map { String(definition.name[..<$0]) },
                              numericID: Int64(bitPattern: definition.id),
                              payloadFieldNames: definition.payload?.members.map(\.name) ?? [],
                              logLevel: definition.logLevel)
        }
    }

    deinit {
        scratchSlots.deallocate()
    }

    private static func hasSlots(_ type: FieldType?) -> Bool {
        switch type {
        case let integer as IntegerType: return integer.storageSlot != nil
        case let enumeration as EnumType: return enumeration.container.storageSlot != nil
        case let structure as StructType: return structure.members.contains { hasSlots($0.type) }
        case let variant as VariantType: return variant.options.contains { hasSlots($0.type) }
        case let array as ArrayType: return hasSlots(array.element)
        case let sequence as SequenceType: return hasSlots(sequence.element)
        default: return false
        }
    }

    /// Maps and indexes the data stream files of `directory`, grouped into streams like
    /// babeltrace2 does: files with the same stream class and instance id form one stream, in
    /// order of their first packet's time.
    private static func openDataStreams(directory: String, compiled: CompiledTrace,
                                        slots: UnsafeMutablePointer<UInt64>, slotCount: Int,
                                        lazy: Bool) throws -> [CTFDataStream] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw TraceError(file: directory, "cannot list the trace directory: \(error.localizedDescription)")
        }
        struct Candidate {
            var medium: ByteMedium
            var index: PacketIndex
            var beginNanoseconds: Int64?
            /// Lazily: the file's scanner, after its first packet.
            var scanner: PacketScanner?
        }
        var candidates: [Candidate] = []
        for name in names where name != "metadata" && !name.hasPrefix(".") {
            let filePath = directory + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: filePath, isDirectory: &isDirectory), !isDirectory.boolValue else {
                continue
            }
            let medium = try MappedFileMedium(path: filePath)
            // Empty stream files carry nothing (babeltrace2 skips them too).
            if medium.bytes.isEmpty { continue }
            var index: PacketIndex
            var scanner: PacketScanner?
            if lazy {
                // Only the first packet: it tells the stream, its instance and its first time.
                var s = PacketScanner(bytes: medium.bytes, path: filePath, fileIndex: 0, trace: compiled)
                index = PacketIndex()
                switch s.next(slots: slots, slotCount: slotCount) {
                case .packet(let entry): index.entries = [entry]
                case .truncated(let entry, let error): index.entries = [entry]; index.error = error
                case .failed(let error): index.error = error
                case .end: break
                }
                index.streamClassID = s.streamClassID
                index.streamInstanceID = s.streamInstanceID
                scanner = s
            } else {
                index = PacketIndex.build(bytes: medium.bytes, path: filePath, fileIndex: 0, trace: compiled,
                                          slots: slots, slotCount: slotCount) { range in
                    // Reading a header maps its neighbourhood too; let it go until the packet is read.
                    if range.count >= CTFEventStream.releaseThreshold { medium.release(range) }
                }
            }
            // A file whose first packet is unreadable stays as a stream without packets: opening
            // it reports the error, and the other streams are still read.
            candidates.append(Candidate(medium: medium, index: index, beginNanoseconds: index.entries.first?.beginNanoseconds,
                                        scanner: scanner))
        }
        // A trace without data (LTTng leaves empty files for buffers that saw no events) is valid.
        // Group files of the same stream instance, ordered by their first packet's time.
        var groups: [[Candidate]] = []
        for candidate in candidates {
            if let instance = candidate.index.streamInstanceID, candidate.beginNanoseconds != nil,
               let g = groups.firstIndex(where: {
                   $0[0].index.streamInstanceID == instance && $0[0].index.streamClassID == candidate.index.streamClassID
                       && $0[0].beginNanoseconds != nil
               }) {
                let position = groups[g].firstIndex { (candidate.beginNanoseconds ?? 0) < ($0.beginNanoseconds ?? 0) }
                    ?? groups[g].count
                groups[g].insert(candidate, at: position)
            } else {
                groups.append([candidate])
            }
        }
        var nextID: UInt64 = 0
        return groups.map { group in
            let first = group[0].index
            let streamClass = first.streamClassID.flatMap(compiled.streamClass(id:)) ?? compiled.streamClasses[0]
            let id: UInt64
            if let instance = first.streamInstanceID {
                id = instance
            } else {
                id = nextID
                nextID += 1
            }
            if lazy {
                // The first file goes on after its first packet; the next ones start again from
                // their beginning (their first packets were read only to order them).
                var scanners: [PacketScanner] = []
                if let s = group[0].scanner, !s.isFinished { scanners.append(s) }
                for candidate in group.dropFirst() {
                    scanners.append(PacketScanner(bytes: candidate.medium.bytes, path: candidate.medium.name,
                                                  fileIndex: 0, trace: compiled))
                }
                return CTFDataStream(files: group.map(\.medium), packets: first.entries, error: first.error,
                                     scanners: scanners, slotCount: slotCount, streamClass: streamClass,
                                     instanceID: first.streamInstanceID, babeltraceID: id)
            }
            var packets: [PacketEntry] = []
            var error: TraceError?
            for (fileIndex, candidate) in group.enumerated() {
                guard error == nil else { break }
                for var entry in candidate.index.entries {
                    entry.file = fileIndex
                    packets.append(entry)
                }
                error = candidate.index.error
            }
            return CTFDataStream(files: group.map(\.medium), packets: packets, error: error, streamClass: streamClass,
                                 instanceID: first.streamInstanceID, babeltraceID: id)
        }
    }

    /// What the packet index holds (read from packet headers and contexts only when the trace
    /// was opened): data streams, packets, bytes of stream data, and the packets' time range.
    public var packetIndexSummary: (streams: Int, packets: Int, bytes: Int, begin: Int64?, end: Int64?) {
        var packets = 0, bytes = 0
        var begin: Int64?, end: Int64?
        for stream in dataStreams {
            stream.indexAllPackets()
            packets += stream.packets.count
            for packet in stream.packets {
                bytes += packet.available
                if let b = packet.beginNanoseconds { begin = min(begin ?? b, b) }
                if let e = packet.endNanoseconds { end = max(end ?? e, e) }
            }
        }
        return (dataStreams.count, packets, bytes, begin, end)
    }

    // MARK: - Trace

    public func openStream(_ index: Int) throws -> EventStream {
        guard dataStreams.indices.contains(index) else {
            throw TraceError(file: path, "no stream \(index) in this trace")
        }
        let cursor = CTFEventStream(trace: self, streamIndex: index)
        try cursor.advance()
        return cursor
    }

    /// A decoder placed at the start of `record`'s event, with the packet's slots restored.
    func decoderAtEvent(_ record: EventRecord, slots: UnsafeMutablePointer<UInt64>) throws
        -> (FieldDecoder, CTFDataStream, PacketEntry)? {
        guard case .event = record.kind, dataStreams.indices.contains(Int(record.stream)) else { return nil }
        let stream = dataStreams[Int(record.stream)]
        guard stream.packets.indices.contains(record.position.unit) else { return nil }
        let packet = stream.packets[record.position.unit]
        var decoder = stream.decoder(for: packet, slots: slots, slotCount: max(1, metadata.storageSlotCount))
        if eventsUsePacketSlots {
            decoder.position = 0
            do {
                if let header = compiled.packetHeader { try decoder.skip(header.skip) }
                if let context = stream.streamClass.packetContext { try decoder.skip(context.skip) }
            } catch let failure as DecodeFailure {
                throw stream.error(failure.message, packet: packet, bit: failure.bitPosition)
            }
        }
        guard record.position.offset >= 0, record.position.offset <= packet.contentBits else { return nil }
        decoder.position = record.position.offset
        decoder.clock = record.position.clock
        return (decoder, stream, packet)
    }

    /// Decodes the event header; returns the event's class (unretained: the trace owns it).
    /// - Parameter lttng: the stream class's `lttngHeader`, when the caller keeps a copy at hand.
    ///
    /// The usual case (a header read by `lttng`, naming a known class) is kept small enough to
    /// inline into the readers' loops; everything else, errors included, is out of line.
    @inline(__always)
    static func decodeHeader(_ decoder: inout FieldDecoder, _ streamClass: CompiledStreamClass,
                             _ lttng: LTTngHeader? = nil) throws -> Unmanaged<CompiledEventClass> {
        let start = decoder.position
        decoder.hasEventID = false
        if let lttng, lttng.read(&decoder) {
            if decoder.hasEventID, let event = streamClass.event(id: decoder.eventID) { return event }
            return try headerClass(&decoder, streamClass, start: start)
        }
        return try decodeHeaderInGeneral(&decoder, streamClass)
    }

    /// `decodeHeader` through the flat or general skip plan.
    @inline(never)
    private static func decodeHeaderInGeneral(_ decoder: inout FieldDecoder,
                                              _ streamClass: CompiledStreamClass) throws -> Unmanaged<CompiledEventClass> {
        let start = decoder.position
        if let header = streamClass.flatHeaderView {
            try decoder.skip(header)
        } else if let header = streamClass.eventHeaderViews?.skip {
            try decoder.skip(header)
        }
        return try headerClass(&decoder, streamClass, start: start)
    }

    /// The class of the event whose header was just read (from `start`).
    @inline(never)
    private static func headerClass(_ decoder: inout FieldDecoder, _ streamClass: CompiledStreamClass,
                                    start: Int) throws -> Unmanaged<CompiledEventClass> {
        if decoder.hasEventID {
            guard let event = streamClass.event(id: decoder.eventID) else {
                throw DecodeFailure(bitPosition: start,
                                    message: "event class id \(decoder.eventID) is not declared in stream class \(streamClass.streamClass.id)")
            }
            return event
        }
        guard let event = streamClass.onlyEvent else {
            throw DecodeFailure(bitPosition: decoder.position,
                                message: "event header has no id and stream class \(streamClass.streamClass.id) has \(streamClass.streamClass.eventClasses.count) event classes")
        }
        return Unmanaged.passUnretained(event)
    }

    // Pre-specialized for TraceKit's formatters, which call through the `Trace` protocol.
    @_specialize(exported: false, where V == JSONRecordWriter)
    @_specialize(exported: false, where V == TextRecordWriter)
    @_specialize(exported: false, where V == FieldTreeBuilder)
    @_specialize(exported: false, where V == DecodeStatistics)
    public func decodeFields<V: FieldVisitor>(of record: EventRecord, scope: FieldScope, into visitor: inout V) throws {
        // Slots of its own for each call: cursors on other threads may decode at the same time.
        let count = max(1, metadata.storageSlotCount)
        try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: count) { buffer in
            guard let slots = buffer.baseAddress else { return }
            slots.initialize(repeating: 0, count: count)
            try decodeFields(of: record, scope: scope, slots: slots, into: &visitor)
        }
    }

    private func decodeFields<V: FieldVisitor>(of record: EventRecord, scope: FieldScope, slots: UnsafeMutablePointer<UInt64>,
                                               into visitor: inout V) throws {
        guard let (start, stream, packet) = try decoderAtEvent(record, slots: slots) else { return }
        var decoder = start
        do {
            switch scope {
            case .packetContext:
                decoder.position = 0
                if let header = compiled.packetHeader { try decoder.skip(header.skip) }
                if let context = stream.streamClass.packetContext { try decoder.visit(context.visitAll, into: &visitor) }
            case .context:
                let event = try CTFTrace.decodeHeader(&decoder, stream.streamClass, stream.streamClass.lttngHeader).takeUnretainedValue()
                if let context = stream.streamClass.commonContext { try decoder.visit(context.visitAll, into: &visitor) }
                if let context = event.specificContext { try decoder.visit(context.visitAll, into: &visitor) }
            case .payload:
                let event = try CTFTrace.decodeHeader(&decoder, stream.streamClass, stream.streamClass.lttngHeader).takeUnretainedValue()
                if let context = stream.streamClass.commonContext { try decoder.skip(context.skip) }
                if let context = event.specificContext { try decoder.skip(context.skip) }
                if let payload = event.payload { try decoder.visit(payload.visitAll, into: &visitor) }
            }
        } catch let failure as DecodeFailure {
            throw stream.error(failure.message, packet: packet, bit: failure.bitPosition)
        }
    }

    public func task(of record: EventRecord) -> TaskRef? {
        var collector = TaskCollector()
        guard (try? decodeFields(of: record, scope: .context, into: &collector)) != nil else { return nil }
        guard let pid = collector.vtid ?? collector.tid ?? collector.vpid ?? collector.pid else { return nil }
        return TaskRef(pid: pid, comm: collector.procname ?? "")
    }
}

/// Picks the task fields out of the context scopes.
private struct TaskCollector: FieldVisitor {
    var vtid: Int64?, tid: Int64?, vpid: Int64?, pid: Int64?
    var procname: String?
    private var depth = 0

    mutating func visitInteger(_ name: String, _ value: IntegerValue, base: IntegerBase) {
        guard depth == 0 else { return }
        switch name {
        case "vtid": vtid = value.int64
        case "tid": tid = value.int64
        case "vpid": vpid = value.int64
        case "pid": pid = value.int64
        default: break
        }
    }

    mutating func visitFloat(_ name: String, _ value: Double) {}

    mutating func visitString(_ name: String, _ bytes: UnsafeRawBufferPointer) {
        if depth == 0 && name == "procname" { procname = String(decoding: bytes, as: UTF8.self) }
    }

    mutating func visitEnumeration(_ name: String, _ value: IntegerValue, labels: [String]) {}
    mutating func beginStructure(_ name: String) { depth += 1 }
    mutating func endStructure() { depth -= 1 }
    mutating func beginArray(_ name: String, count: Int, isText: Bool) { depth += 1 }
    mutating func endArray() { depth -= 1 }
    mutating func beginVariant(_ name: String, option: String) { depth += 1 }
    mutating func endVariant() { depth -= 1 }
}

extension CTFTrace: PartitionedStreams {
    public func partRanges(ofStream index: Int) -> [PartRange] {
        guard dataStreams.indices.contains(index) else { return [PartRange(first: 0, end: .max, time: .min)] }
        return dataStreams[index].partRanges(partBytes: streamPartBytes)
    }

    public func openStream(_ index: Int, part range: PartRange) throws -> EventStream {
        guard dataStreams.indices.contains(index) else {
            throw TraceError(file: path, "no stream \(index) in this trace")
        }
        let cursor = CTFEventStream(trace: self, streamIndex: index)
        cursor.endPacket = range.end
        cursor.start(atPacket: range.first)
        try cursor.advance()
        return cursor
    }
}
