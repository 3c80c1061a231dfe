/// The three plans of one dynamic scope (a class, so passing it around copies one reference).
final class ScopePlans {
    let skip: DecodePlan
    let visitAll: DecodePlan
    let visitShown: DecodePlan
    /// `visitAll` with JSON keys, for the JSON printer.
    let json: DecodePlan
    /// Whether babeltrace2 prints this scope.
    let isShown: Bool
    /// Alignment of the scope's structure, in bits.
    let alignment: Int
    /// Whether the scope's text depends on its bits alone: no field stores a value for later, sets
    /// the clock or depends on a stored value (sequence lengths, variant tags).
    let isPure: Bool
    /// The skip and `visitShown` tables as plain pointers.
    let views: ScopeViews

    /// - Parameter isEventContext: a stream event context or event context scope, whose top-level
    ///   task fields (`vtid`, `procname`, ...) the `visitAll` plan captures.
    init?(_ scope: StructType?, isEventContext: Bool = false) {
        guard let scope else { return nil }
        skip = DecodePlan(scope: scope, mode: .skip)
        visitAll = DecodePlan(scope: scope, mode: .visitAll, marksTask: isEventContext)
        visitShown = DecodePlan(scope: scope, mode: .visitShown)
        json = DecodePlan(scope: scope, mode: .json, marksTask: isEventContext)
        isShown = visitShown.isShown
        alignment = scope.alignment
        let impure: DecodeOp.Flags = [.storesSlot, .updatesClock, .capture, .eventClassID]
        isPure = [skip, visitShown].allSatisfy { plan in
            plan.opsBuffer.allSatisfy { op in
                op.flags.isDisjoint(with: impure)
                    && ![.sequence, .textSequence, .skipSequence, .variant].contains(op.code)
            }
        }
        views = ScopeViews(skip: skip.view, shown: visitShown.view, isShown: isShown, isPure: isPure,
                           alignment: alignment)
    }
}

/// Clock cycles to nanoseconds from the origin, with the offset computed once. Holds plain values
/// only, so copying it on every event touches no reference count.
struct ClockConverter {
    /// nil when the offset itself does not fit in 64 bits (every conversion then fails).
    let offset: Int64?
    let frequency: UInt64

    init(_ clock: ClockClass) {
        offset = clock.offsetNanoseconds
        frequency = clock.frequency
    }

    /// Nanoseconds from the origin, or nil when they do not fit in a signed 64-bit integer.
    @inline(__always)
    func nanoseconds(_ cycles: UInt64) -> Int64? {
        guard let offset else { return nil }
        let value = ClockClass.nanoseconds(ofCycles: cycles, frequency: frequency)
        guard value < UInt64(Int64.max) else { return nil }
        let (total, overflow) = offset.addingReportingOverflow(Int64(value))
        return overflow ? nil : total
    }
}

/// The tables of a scope's skip and `visitShown` plans as plain pointers, for the hot paths:
/// reading them never touches a reference count. Valid while the plans live.
struct ScopeViews {
    let skip: PlanView
    let shown: PlanView
    /// Whether babeltrace2 prints this scope.
    let isShown: Bool
    /// See `ScopePlans.isPure`.
    let isPure: Bool
    /// Alignment of the scope's structure, in bits.
    let alignment: Int
}

/// Bits taken by scopes whose fields all have fixed sizes and no effects, when they start at a
/// multiple of `alignment` bits (their padding is then fixed too): such an event body is skipped
/// in one step instead of op by op.
struct FixedLayout: Equatable {
    let alignment: Int
    let bits: Int

    /// The layout of `plans` (skip plans) read one after the other, nil unless all are fixed.
    init?(_ plans: [DecodePlan?]) {
        var position = 0
        var alignment = 1
        for plan in plans {
            guard let plan else { continue }
            for op in plan.opsBuffer {
                let a = max(1, Int(op.alignment))
                switch op.code {
                case .skip:
                    position = BitReader.align(position, a)
                    position += Int(op.operand)
                case .structBegin:
                    position = BitReader.align(position, a)
                case .structEnd:
                    break
                default:
                    return nil
                }
                alignment = max(alignment, a)
            }
        }
        self.alignment = alignment
        bits = position
    }
}

final class CompiledEventClass {
    let definition: EventClassDefinition
    let specificContext: ScopePlans?
    let payload: ScopePlans?
    /// The `visitAll` plans, unretained (this class owns them).
    unowned(unsafe) let specificContextVisitAll: DecodePlan?
    unowned(unsafe) let payloadVisitAll: DecodePlan?
    /// The `visitAll` and JSON plans' tables, read on every event without reference counting.
    let specificContextAll: PlanView?
    let payloadAll: PlanView?
    let specificContextJSON: PlanView?
    let payloadJSON: PlanView?
    /// The skip and shown tables of the scopes, read on every event without reference counting.
    let specificContextViews: ScopeViews?
    let payloadViews: ScopeViews?
    /// Index in `TraceMetadata.eventClasses`.
    let index: Int
    /// The fixed layout of the stream's common context, this class's context and its payload
    /// together, when they have one (set by the stream class).
    fileprivate(set) var fixedBody: FixedLayout?

    init(_ definition: EventClassDefinition) {
        self.definition = definition
        specificContext = ScopePlans(definition.specificContext, isEventContext: true)
        payload = ScopePlans(definition.payload)
        specificContextVisitAll = specificContext?.visitAll
        payloadVisitAll = payload?.visitAll
        specificContextAll = specificContext?.visitAll.view
        payloadAll = payload?.visitAll.view
        specificContextJSON = specificContext?.json.view
        payloadJSON = payload?.json.view
        specificContextViews = specificContext?.views
        payloadViews = payload?.views
        index = definition.index
    }
}

final class CompiledStreamClass {
    let streamClass: StreamClass
    let packetContext: ScopePlans?
    let eventHeader: ScopePlans?
    let commonContext: ScopePlans?
    let clock: ClockConverter?
    /// The scopes' tables as plain pointers (no reference counting on every event).
    let packetContextViews: ScopeViews?
    let eventHeaderViews: ScopeViews?
    let commonContextViews: ScopeViews?
    /// The event header in flat form, when it has that shape (nearly always).
    private let flatHeader: FlatHeader?
    let flatHeaderView: FlatHeaderView?
    /// The header read by straight-line code, when it is one of LTTng's.
    let lttngHeader: LTTngHeader?
    /// Event classes by id, for ids below `denseLimit` (owned by `CompiledTrace.events`; read
    /// unretained on every event).
    private let denseEvents: UnsafeMutableBufferPointer<Unmanaged<CompiledEventClass>?>
    private let denseCount: Int
    private let sparseEvents: [UInt64: CompiledEventClass]
    private static let denseLimit: UInt64 = 1 << 16
    /// The only event class, used when event headers carry no id.
    let onlyEvent: CompiledEventClass?

    init(_ streamClass: StreamClass, events: [CompiledEventClass]) {
        self.streamClass = streamClass
        packetContext = ScopePlans(streamClass.packetContext)
        eventHeader = ScopePlans(streamClass.eventHeader)
        commonContext = ScopePlans(streamClass.eventCommonContext, isEventContext: true)
        packetContextViews = packetContext?.views
        eventHeaderViews = eventHeader?.views
        flatHeader = eventHeader.flatMap { FlatHeader($0.skip) }
        flatHeaderView = flatHeader?.view
        lttngHeader = flatHeaderView.flatMap(LTTngHeader.init)
        commonContextViews = commonContext?.views
        clock = streamClass.defaultClock.map(ClockConverter.init)
        let mine = events.filter { $0.definition.streamClassID == streamClass.id }
        let maxDense = mine.map(\.definition.id).filter { $0 < Self.denseLimit }.max()
        var dense = [CompiledEventClass?](repeating: nil, count: maxDense.map { Int($0) + 1 } ?? 0)
        denseCount = dense.count
        var sparse: [UInt64: CompiledEventClass] = [:]
        for event in mine {
            event.fixedBody = FixedLayout([commonContext?.skip, event.specificContext?.skip, event.payload?.skip])
            if event.definition.id < Self.denseLimit { dense[Int(event.definition.id)] = event } else { sparse[event.definition.id] = event }
        }
        denseEvents = .allocate(capacity: max(1, dense.count))
        denseEvents.initialize(repeating: nil)
        for (id, event) in dense.enumerated() { denseEvents[id] = event.map { Unmanaged.passUnretained($0) } }
        sparseEvents = sparse
        onlyEvent = mine.count == 1 ? mine[0] : nil
    }

    deinit {
        denseEvents.deallocate()
    }

    /// The event class with `id`, unretained.
    @inline(__always)
    func event(id: UInt64) -> Unmanaged<CompiledEventClass>? {
        if id < UInt64(denseCount) { return denseEvents[Int(id)] }
        return sparseEvents[id].map { Unmanaged.passUnretained($0) }
    }
}

/// Decode plans for every scope of a trace, compiled once from its metadata.
final class CompiledTrace {
    let metadata: TraceMetadata
    let packetHeader: ScopePlans?
    /// `packetHeader`'s tables as plain pointers.
    let packetHeaderViews: ScopeViews?
    let events: [CompiledEventClass]
    let streamClasses: [CompiledStreamClass]

    init(_ metadata: TraceMetadata) {
        self.metadata = metadata
        packetHeader = ScopePlans(metadata.packetHeader)
        packetHeaderViews = packetHeader?.views
        let events = metadata.eventClasses.map(CompiledEventClass.init)
        self.events = events
        streamClasses = metadata.streamClasses.map { CompiledStreamClass($0, events: events) }
    }

    func streamClass(id: UInt64) -> CompiledStreamClass? {
        streamClasses.first { $0.streamClass.id == id }
    }
}
