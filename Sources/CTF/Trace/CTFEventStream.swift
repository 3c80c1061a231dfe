import TraceKit

/// A cursor over the records of one CTF data stream.
///
/// Positions are `StreamPosition(unit: packet index, offset: bit offset of the event in its packet,
/// clock: raw clock value before the event's header)`, which is all a compact LTTng header needs
/// to be decoded again. Lost-events records use offset -1 (packets lost before packet `unit`) and
/// -2 (events discarded in packet `unit`, reported after its events).
public final class CTFEventStream: EventStream {
    @exclusivity(unchecked)
    public private(set) var current: EventRecord?

    let trace: CTFTrace
    let streamIndex: Int
    let stream: CTFDataStream
    private let streamClass: CompiledStreamClass
    /// The stream class's plain tables and clock, copied here so that each event reads them
    /// without reference counting.
    private let commonContextSkip: PlanView?
    private let clock: ClockConverter?
    private let lttngHeader: LTTngHeader?
    private let packetHeaderSkip: PlanView?
    private let packetContextSkip: PlanView?
    private let slots: UnsafeMutablePointer<UInt64>
    private let slotCount: Int

    /// Whether a packet's pages are all mapped when the cursor enters it (one call instead of a
    /// fault every few pages; see `BatchRecordReading.readsAhead`).
    @exclusivity(unchecked)
    public var readsAhead = false
    /// The cursor ends before this packet (a part of the stream read on its own, see
    /// `start(atPacket:)`); `Int.max` reads to the end of the stream.
    @exclusivity(unchecked)
    var endPacket = Int.max
    /// The packet being read (or about to be entered).
    @exclusivity(unchecked)
    private(set) var packetIndex = 0
    @exclusivity(unchecked)
    private var inPacket = false
    /// The decoder of the packet being read (meaningful once `hasDecoder`); kept in place, not
    /// copied out and back for each event.
    @exclusivity(unchecked)
    private var decoder: FieldDecoder
    @exclusivity(unchecked)
    private var hasDecoder = false
    /// Discarded-events record of the current packet, reported once its events are read.
    @exclusivity(unchecked)
    private var pendingLostEvents: EventRecord?
    /// The current event's class when its header is decoded but not its contexts and payload
    /// (decoded by the next `advance()`, or printed by a dumper with `takeEventBody`).
    @exclusivity(unchecked)
    private(set) var pendingBody: Unmanaged<CompiledEventClass>?
    @exclusivity(unchecked)
    private var eventStart = 0
    @exclusivity(unchecked)
    private var lastTimestamp: Int64 = 0
    @exclusivity(unchecked)
    private var errorReported = false
    /// The CPU of the packet being read.
    @exclusivity(unchecked)
    private var packetCPU: Int32 = -1

    static let lostPacketsOffset = -1
    static let lostEventsOffset = -2

    /// A cursor before the stream's first record (call `advance()`).
    init(trace: CTFTrace, streamIndex: Int) {
        self.trace = trace
        self.streamIndex = streamIndex
        self.stream = trace.dataStreams[streamIndex]
        self.streamClass = stream.streamClass
        commonContextSkip = stream.streamClass.commonContextViews?.skip
        clock = stream.streamClass.clock
        lttngHeader = stream.streamClass.lttngHeader
        packetHeaderSkip = trace.compiled.packetHeaderViews?.skip
        packetContextSkip = stream.streamClass.packetContextViews?.skip
        slotCount = max(1, trace.metadata.storageSlotCount)
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
        decoder = CTFDataStream.emptyDecoder(slots: slots, slotCount: slotCount)
    }

    deinit {
        slots.deallocate()
    }

    /// Packets at least this big give their pages back once read.
    static let releaseThreshold = 1 << 16

    /// The packets of this stream.
    var packets: [PacketEntry] { stream.packets }

    public func advance() throws {
        current = nil
        do {
            if let event = pendingBody, hasDecoder {
                pendingBody = nil
                try skipBody(event, &decoder)
            }
            while true {
                if inPacket && hasDecoder {
                    if decoder.position < decoder.limit {
                        current = try decodeEvent(&decoder)
                        return
                    }
                    inPacket = false
                    // The stream clock ends the packet at its end time (babeltrace2 does the same).
                    let packet = stream.packets[packetIndex]
                    // Streaming through a big file keeps only the packets being read in memory
                    // (the pages are read again from the file if needed).
                    if packet.size >= Self.releaseThreshold {
                        stream.files[packet.file].release(packet.offset..<(packet.offset + packet.available))
                    }
                    if packet.endClock != PacketEntry.none { decoder.clock = packet.endClock }
                    if let lost = pendingLostEvents {
                        pendingLostEvents = nil
                        current = lost
                        packetIndex += 1
                        return
                    }
                    packetIndex += 1
                }
                if packetIndex >= endPacket { return }
                guard packetIndex < stream.packets.count || stream.indexPackets(through: packetIndex) else {
                    if let error = stream.error, !errorReported {
                        errorReported = true
                        throw error
                    }
                    return
                }
                if let lostPackets = try enterPacket(packetIndex, carryClock: hasDecoder ? decoder.clock : nil) {
                    current = lostPackets
                    return
                }
            }
        } catch let failure as DecodeFailure {
            throw fail(failure)
        }
    }

    /// Ends the stream on a decoding failure while moving on; returns the error to throw.
    private func fail(_ failure: DecodeFailure) -> TraceError {
        let packet = stream.packets[min(packetIndex, stream.packets.count - 1)]
        inPacket = false
        packetIndex = stream.packets.count
        errorReported = true
        return stream.error(failure.message, packet: packet, bit: failure.bitPosition)
    }

    /// Reads packet `index`'s header and context and prepares the lost-events records it implies.
    /// Returns the discarded-packets record to report first, if any.
    private func enterPacket(_ index: Int, carryClock: UInt64?) throws -> EventRecord? {
        let packet = stream.packets[index]
        if readsAhead && packet.size >= Self.releaseThreshold {
            stream.files[packet.file].willRead(packet.offset..<(packet.offset + packet.available))
        }
        var d = stream.decoder(for: packet, slots: slots, slotCount: slotCount)
        // Packet header and context again: they fill slots that events may use, and set the clock.
        d.position = 0
        if let clock = carryClock { d.clock = clock }
        if let header = packetHeaderSkip { try d.skip(header) }
        if let context = packetContextSkip { try d.skip(context) }
        d.position = packet.eventsBit
        decoder = d
        hasDecoder = true
        inPacket = true
        packetIndex = index
        packetCPU = packet.cpu
        pendingLostEvents = lostEventsRecord(packetIndex: index)
        return lostPacketsRecord(packetIndex: index)
    }

    /// babeltrace2's discarded-events message: the `events_discarded` counter grew since the
    /// previous packet; the range runs from the previous packet's end to this packet's end.
    func lostEventsRecord(packetIndex index: Int) -> EventRecord? {
        guard streamClass.streamClass.hasDiscardedEvents else { return nil }
        let packet = stream.packets[index]
        guard packet.discardedEvents != PacketEntry.none else { return nil }
        var count: UInt64?
        var since: Int64?
        if index > 0, stream.packets[index - 1].discardedEvents != PacketEntry.none {
            let previous = stream.packets[index - 1]
            let delta = packet.discardedEvents &- previous.discardedEvents
            guard delta != 0 else { return nil }
            count = delta
            since = previous.endNanoseconds
        } else {
            guard packet.discardedEvents != 0 else { return nil }
            since = packet.beginNanoseconds
        }
        let end = packet.endNanoseconds ?? lastTimestamp
        return EventRecord(timestamp: end, cpu: packet.cpu, classIndex: -1, stream: Int32(streamIndex),
                           kind: .lostEvents(count: count, since: since ?? end),
                           position: StreamPosition(unit: index, offset: Self.lostEventsOffset, clock: 0))
    }

    /// babeltrace2's discarded-packets message: `packet_seq_num` skipped numbers since the previous
    /// packet; the range runs from the previous packet's end to this packet's beginning.
    func lostPacketsRecord(packetIndex index: Int) -> EventRecord? {
        guard streamClass.streamClass.hasDiscardedPackets, index > 0 else { return nil }
        let packet = stream.packets[index]
        let previous = stream.packets[index - 1]
        guard packet.sequenceNumber != PacketEntry.none, previous.sequenceNumber != PacketEntry.none else { return nil }
        let gap = packet.sequenceNumber &- previous.sequenceNumber
        guard gap > 1 else { return nil }
        let begin = packet.beginNanoseconds ?? lastTimestamp
        return EventRecord(timestamp: begin, cpu: packet.cpu, classIndex: -1, stream: Int32(streamIndex),
                           kind: .lostEvents(count: nil, since: previous.endNanoseconds ?? begin),
                           position: StreamPosition(unit: index, offset: Self.lostPacketsOffset, clock: 0))
    }

    /// Decodes the next event's header; its body is decoded when the cursor moves on.
    /// Packets missing before packet `index` according to `packet_seq_num`.
    func lostPacketCount(packetIndex index: Int) -> UInt64? {
        guard index > 0, stream.packets.indices.contains(index) else { return nil }
        let gap = stream.packets[index].sequenceNumber &- stream.packets[index - 1].sequenceNumber
        return gap > 1 ? gap - 1 : nil
    }

    @inline(__always)
    private func decodeEvent(_ d: inout FieldDecoder) throws -> EventRecord {
        let start = d.position
        let clockBefore = d.clock
        let event = try CTFTrace.decodeHeader(&d, streamClass, lttngHeader)
        var timestamp = lastTimestamp
        if let converter = clock {
            guard let ns = converter.nanoseconds(d.clock) else { throw Self.timeOutOfRange(d.clock, at: start) }
            timestamp = ns
        }
        eventStart = start
        pendingBody = event
        lastTimestamp = timestamp
        return EventRecord(timestamp: timestamp, cpu: packetCPU,
                           classIndex: Int32(event._withUnsafeGuaranteedRef { $0.index }), stream: Int32(streamIndex), kind: .event,
                           position: StreamPosition(unit: packetIndex, offset: start, clock: clockBefore))
    }

    /// Out of line: the hot loop stays small.
    @inline(never)
    private static func noBits(_ event: Unmanaged<CompiledEventClass>, at start: Int) -> DecodeFailure {
        let name = event._withUnsafeGuaranteedRef { $0.definition.name }
        return DecodeFailure(bitPosition: start, message: "event of class `\(name)` has no bits")
    }

    /// Out of line: the hot loop stays small.
    @inline(never)
    private static func timeOutOfRange(_ clock: UInt64, at start: Int) -> DecodeFailure {
        DecodeFailure(bitPosition: start, message: "event time \(clock) cycles is out of range")
    }

    @inline(__always)
    private func skipBody(_ event: Unmanaged<CompiledEventClass>, _ d: inout FieldDecoder) throws {
        if let fixed = event._withUnsafeGuaranteedRef({ $0.fixedBody }), fixed.bits > 0,
           d.position & (fixed.alignment &- 1) == 0, d.position &+ fixed.bits <= d.limit {
            d.position &+= fixed.bits
            return
        }
        let (specificContext, payload) = event._withUnsafeGuaranteedRef { ($0.specificContextViews?.skip, $0.payloadViews?.skip) }
        if let plan = commonContextSkip { try d.skip(plan) }
        if let plan = specificContext { try d.skip(plan) }
        if let plan = payload { try d.skip(plan) }
        if d.position == eventStart { throw Self.noBits(event, at: eventStart) }
    }

    /// The decoder placed after the current event's header, and the event's class, for a dumper
    /// that decodes the contexts and payload itself (once); finish with `endEventBody(_:)`.
    /// nil when the current record has no pending body.
    @inline(__always)
    func beginEventBody() -> (FieldDecoder, Unmanaged<CompiledEventClass>)? {
        guard hasDecoder, let event = pendingBody else { return nil }
        pendingBody = nil
        return (decoder, event)
    }

    /// Takes back the decoder, now after the event's payload.
    @inline(__always)
    func endEventBody(_ d: FieldDecoder) throws {
        if d.position == eventStart {
            throw failEventBody(DecodeFailure(bitPosition: eventStart, message: "event has no bits"))
        }
        decoder = d
    }

    /// Stops the stream on a decoding failure of the current event's body; returns the error.
    func failEventBody(_ failure: DecodeFailure) -> TraceError {
        let packet = stream.packets[packetIndex]
        inPacket = false
        packetIndex = stream.packets.count
        errorReported = true
        return stream.error(failure.message, packet: packet, bit: failure.bitPosition)
    }

    public func seek(to position: StreamPosition) throws {
        current = nil
        pendingBody = nil
        errorReported = false
        guard position.unit >= 0, position.unit < stream.packets.count || stream.indexPackets(through: position.unit) else {
            packetIndex = stream.packets.count
            inPacket = false
            return
        }
        do {
            _ = try enterPacket(position.unit, carryClock: nil)
            switch position.offset {
            case Self.lostPacketsOffset:
                current = lostPacketsRecord(packetIndex: position.unit)
                if current == nil { try advance() }
            case Self.lostEventsOffset:
                if hasDecoder { decoder.position = decoder.limit }
                try advance()
            default:
                if hasDecoder {
                    decoder.position = position.offset
                    decoder.clock = position.clock
                }
                try advance()
            }
        } catch let failure as DecodeFailure {
            let packet = stream.packets[position.unit]
            inPacket = false
            packetIndex = stream.packets.count
            throw stream.error(failure.message, packet: packet, bit: failure.bitPosition)
        }
    }

    /// Places the cursor before packet `index` (one `CTFDataStream.canStartReading(atPacket:)` accepts) in the state
    /// reading every packet before it leaves: the clock at the previous packet's end. Call
    /// `advance()`. Lets parts of a stream be read on different threads.
    func start(atPacket index: Int) {
        current = nil
        pendingBody = nil
        pendingLostEvents = nil
        errorReported = false
        inPacket = false
        packetIndex = index
        if index > 0 {
            let previous = stream.packets[index - 1]
            decoder = CTFDataStream.emptyDecoder(slots: slots, slotCount: slotCount)
            decoder.clock = previous.endClock
            hasDecoder = true
            // Read only when a packet has no times, which `canStart` excludes.
            lastTimestamp = previous.endNanoseconds ?? 0
        } else {
            hasDecoder = false
        }
    }

    /// The packet a seek to `timestamp` starts reading from: the first one that ends at or after
    /// it (the first packet when some packet has no times).
    static func firstPacket(reaching timestamp: Int64, in packets: [PacketEntry]) -> Int {
        guard packets.allSatisfy({ $0.beginNanoseconds != nil }) else { return 0 }
        var low = 0, high = packets.count
        while low < high {
            let mid = (low + high) / 2
            if (packets[mid].endNanoseconds ?? packets[mid].beginNanoseconds ?? 0) < timestamp {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low
    }

    /// Places the cursor on the first record at or after `timestamp`, starting from the last packet
    /// that begins at or before it (packets without times are read from the start).
    public func seek(toTimestamp timestamp: Int64) throws {
        stream.indexAllPackets()
        let packets = stream.packets
        let low = Self.firstPacket(reaching: timestamp, in: packets)
        current = nil
        pendingBody = nil
        errorReported = false
        guard low < packets.count else {
            packetIndex = packets.count
            inPacket = false
            if let error = stream.error {
                errorReported = true
                throw error
            }
            return
        }
        inPacket = false
        packetIndex = low
        hasDecoder = false
        try advance()
        while let record = current, record.timestamp < timestamp {
            try advance()
        }
    }
}

extension CTFEventStream: BatchRecordReading {
    public func readRecords(into buffer: UnsafeMutablePointer<EventRecord>, count: inout Int, capacity: Int,
                            trace: Int32, stopClasses: UnsafeBufferPointer<Bool>) throws {
        guard var record = current else { return }
        while count < capacity {
            let k = Int(record.classIndex)
            if k >= 0, k < stopClasses.count, stopClasses[k], case .event = record.kind { break }
            var stored = record
            stored.trace = trace
            (buffer + count).initialize(to: stored)
            count += 1
            // Events of the packet being read are decoded right here; `current` is written
            // once at the end. Everything else goes through `advance()`.
            if count < capacity, inPacket, hasDecoder, let event = pendingBody {
                pendingBody = nil
                do {
                    try skipBody(event, &decoder)
                    if decoder.position < decoder.limit {
                        record = try decodeEvent(&decoder)
                        continue
                    }
                } catch {
                    current = nil
                    if let failure = error as? DecodeFailure { throw fail(failure) }
                    throw error
                }
            }
            try advance()
            guard let next = current else { return }
            record = next
        }
        current = record
    }
}

extension CTFEventStream: RecordDecodingStream {
    /// Decodes the current event's contexts and payload in one pass from where the header ended
    /// (the cursor then moves on without decoding them again).
    @_specialize(exported: false, where V == JSONRecordWriter)
    @_specialize(exported: false, where V == TextRecordWriter)
    public func decodeCurrent<V: RecordVisitor>(into visitor: inout V) throws {
        guard let (start, body) = beginEventBody() else { return }
        unowned(unsafe) let event = body.takeUnretainedValue()
        var decoder = start
        var task = TaskCapture()
        do {
            try withUnsafeMutablePointer(to: &task) { capture in
                decoder.task = capture
                defer { decoder.task = nil }
                visitor.beginPart(.context)
                if let plan = stream.streamClass.commonContext?.visitAll { try decoder.visit(plan, into: &visitor) }
                if let plan = event.specificContextVisitAll { try decoder.visit(plan, into: &visitor) }
            }
            if let pid = task.pid {
                visitor.visitTask(pid: pid, comm: task.comm ?? UnsafeRawBufferPointer(start: nil, count: 0))
            }
            visitor.beginPart(.payload)
            if let plan = event.payloadVisitAll { try decoder.visit(plan, into: &visitor) }
        } catch let failure as DecodeFailure {
            throw failEventBody(failure)
        }
        try endEventBody(decoder)
    }
}
