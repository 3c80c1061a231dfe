/// The three plans of one dynamic scope (a class, so passing it around copies one reference).
final class ScopePlans {
    let skip: DecodePlan
    let visitAll: DecodePlan
    let visitShown: DecodePlan
    /// Whether babeltrace2 prints this scope.
    let isShown: Bool

    init?(_ scope: StructType?) {
        guard let scope else { return nil }
        skip = DecodePlan(scope: scope, mode: .skip)
        visitAll = DecodePlan(scope: scope, mode: .visitAll)
        visitShown = DecodePlan(scope: scope, mode: .visitShown)
        isShown = visitShown.isShown
    }
}

/// Clock cycles to nanoseconds from the origin, with the offset computed once.
struct ClockConverter {
    let clock: ClockClass
    /// nil when the offset itself does not fit in 64 bits (every conversion then fails).
    let offset: Int64?
    let isOneGigahertz: Bool

    init(_ clock: ClockClass) {
        self.clock = clock
        offset = clock.offsetNanoseconds
        isOneGigahertz = clock.frequency == 1_000_000_000
    }

    /// Nanoseconds from the origin, or nil when they do not fit in a signed 64-bit integer.
    @inline(__always)
    func nanoseconds(_ cycles: UInt64) -> Int64? {
        guard let offset else { return nil }
        let value = isOneGigahertz ? cycles : clock.nanoseconds(ofCycles: cycles)
        guard value < UInt64(Int64.max) else { return nil }
        let (total, overflow) = offset.addingReportingOverflow(Int64(value))
        return overflow ? nil : total
    }
}

final class CompiledEventClass {
    let definition: EventClassDefinition
    let specificContext: ScopePlans?
    let payload: ScopePlans?
    /// The skip plans used on every event, unretained (this class owns them).
    unowned(unsafe) let specificContextSkip: DecodePlan?
    unowned(unsafe) let payloadSkip: DecodePlan?
    /// Index in `TraceMetadata.eventClasses`.
    let index: Int

    init(_ definition: EventClassDefinition) {
        self.definition = definition
        specificContext = ScopePlans(definition.specificContext)
        payload = ScopePlans(definition.payload)
        specificContextSkip = specificContext?.skip
        payloadSkip = payload?.skip
        index = definition.index
    }
}

final class CompiledStreamClass {
    let streamClass: StreamClass
    let packetContext: ScopePlans?
    let eventHeader: ScopePlans?
    let commonContext: ScopePlans?
    let clock: ClockConverter?
    /// The skip plans used on every event, unretained (the stream class owns them).
    unowned(unsafe) let eventHeaderSkip: DecodePlan?
    unowned(unsafe) let commonContextSkip: DecodePlan?
    /// Event classes by id, for ids below `denseLimit`.
    private let denseEvents: [CompiledEventClass?]
    private let sparseEvents: [UInt64: CompiledEventClass]
    private static let denseLimit: UInt64 = 1 << 16
    /// The only event class, used when event headers carry no id.
    let onlyEvent: CompiledEventClass?

    init(_ streamClass: StreamClass, events: [CompiledEventClass]) {
        self.streamClass = streamClass
        packetContext = ScopePlans(streamClass.packetContext)
        eventHeader = ScopePlans(streamClass.eventHeader)
        commonContext = ScopePlans(streamClass.eventCommonContext)
        eventHeaderSkip = eventHeader?.skip
        commonContextSkip = commonContext?.skip
        clock = streamClass.defaultClock.map(ClockConverter.init)
        let mine = events.filter { $0.definition.streamClassID == streamClass.id }
        let maxDense = mine.map(\.definition.id).filter { $0 < Self.denseLimit }.max()
        var dense = [CompiledEventClass?](repeating: nil, count: maxDense.map { Int($0) + 1 } ?? 0)
        var sparse: [UInt64: CompiledEventClass] = [:]
        for event in mine {
            if event.definition.id < Self.denseLimit { dense[Int(event.definition.id)] = event } else { sparse[event.definition.id] = event }
        }
        denseEvents = dense
        sparseEvents = sparse
        onlyEvent = mine.count == 1 ? mine[0] : nil
    }

    @inline(__always)
    func event(id: UInt64) -> CompiledEventClass? {
        if id < UInt64(denseEvents.count) { return denseEvents[Int(id)] }
        return sparseEvents[id]
    }
}

/// Decode plans for every scope of a trace, compiled once from its metadata.
final class CompiledTrace {
    let metadata: TraceMetadata
    let packetHeader: ScopePlans?
    let events: [CompiledEventClass]
    let streamClasses: [CompiledStreamClass]

    init(_ metadata: TraceMetadata) {
        self.metadata = metadata
        packetHeader = ScopePlans(metadata.packetHeader)
        let events = metadata.eventClasses.map(CompiledEventClass.init)
        self.events = events
        streamClasses = metadata.streamClasses.map { CompiledStreamClass($0, events: events) }
    }

    func streamClass(id: UInt64) -> CompiledStreamClass? {
        streamClasses.first { $0.streamClass.id == id }
    }
}
