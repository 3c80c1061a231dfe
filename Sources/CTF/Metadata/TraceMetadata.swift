import TraceKit

/// A CTF clock (`clock { ... }` block) and the conversion of its cycles to nanoseconds.
public struct ClockClass: Sendable {
    public var name: String
    public var description: String?
    /// Cycles per second (1 GHz when not given).
    public var frequency: UInt64 = 1_000_000_000
    public var precision: UInt64 = 0
    /// Offset of the clock's origin, split as babeltrace2 does: whole seconds, plus cycles below
    /// one second.
    public var offsetSeconds: Int64 = 0
    public var offsetCycles: UInt64 = 0
    public var uuid: [UInt8]?
    /// Whether the origin is the Unix epoch.
    public var isAbsolute = false

    public init(name: String) {
        self.name = name
    }

    /// Nanoseconds of `cycles` alone, computed as babeltrace2 does (exact at 1 GHz, through a
    /// double otherwise, saturating instead of overflowing).
    @inline(__always)
    public func nanoseconds(ofCycles cycles: UInt64) -> UInt64 {
        Self.nanoseconds(ofCycles: cycles, frequency: frequency)
    }

    /// `nanoseconds(ofCycles:)` for a clock of `frequency` cycles per second.
    @inline(__always)
    static func nanoseconds(ofCycles cycles: UInt64, frequency: UInt64) -> UInt64 {
        if frequency == 1_000_000_000 { return cycles }
        let value = (1e9 * Double(cycles)) / Double(frequency)
        return value >= 18_446_744_073_709_551_615.0 ? UInt64.max : UInt64(value)
    }

    /// The offset of the origin in nanoseconds, nil when it does not fit in 64 bits.
    public var offsetNanoseconds: Int64? {
        // The same bounds as babeltrace2, which keeps room for the sub-second part.
        guard offsetSeconds > Int64.min / 1_000_000_000 - 1, offsetSeconds < Int64.max / 1_000_000_000 - 1 else {
            return nil
        }
        return offsetSeconds * 1_000_000_000 + Int64(truncatingIfNeeded: min(nanoseconds(ofCycles: offsetCycles), 999_999_999))
    }

    /// Nanoseconds from the origin of a clock value, or nil when the result does not fit in a
    /// signed 64-bit integer (babeltrace2 reports an error there too).
    @inline(__always)
    public func nanosecondsFromOrigin(cycles: UInt64) -> Int64? {
        guard let offset = offsetNanoseconds else { return nil }
        let value = nanoseconds(ofCycles: cycles)
        guard value < UInt64(Int64.max) else { return nil }
        let (total, overflow) = offset.addingReportingOverflow(Int64(value))
        return overflow ? nil : total
    }
}

/// A value of the `env` block.
public enum EnvironmentValue: Sendable, Hashable {
    case integer(Int64)
    case string(String)

    public var text: String {
        switch self {
        case .integer(let v): return String(v)
        case .string(let s): return s
        }
    }
}

/// An `event { ... }` block.
final class EventClassDefinition {
    var name: String
    var id: UInt64 = 0
    var streamClassID: UInt64 = 0
    /// Log level when it is one babeltrace2 knows (0...14).
    var logLevel: Int64?
    var emfURI: String?
    var specificContext: StructType?
    var payload: StructType?
    /// Index in `TraceMetadata.eventClasses` (the model's class index).
    var index = 0

    init(name: String) {
        self.name = name
    }
}

/// A `stream { ... }` block.
final class StreamClass {
    var id: UInt64 = 0
    var packetContext: StructType?
    var eventHeader: StructType?
    var eventCommonContext: StructType?
    var eventClasses: [EventClassDefinition] = []
    var eventClassesByID: [UInt64: EventClassDefinition] = [:]
    /// The clock of the packet context and event header timestamps.
    var defaultClock: ClockClass?
    var packetsHaveBeginTime = false
    var packetsHaveEndTime = false
    var hasDiscardedEvents = false
    var hasDiscardedPackets = false

    var discardedEventsHaveTimes: Bool { hasDiscardedEvents && packetsHaveBeginTime && packetsHaveEndTime }
    var discardedPacketsHaveTimes: Bool { hasDiscardedPackets && packetsHaveBeginTime && packetsHaveEndTime }
}

/// Everything the metadata of a trace declares.
final class TraceMetadata {
    var major: UInt64 = 1
    var minor: UInt64 = 8
    var uuid: [UInt8]?
    var byteOrder: ByteOrder = .littleEndian
    var packetHeader: StructType?
    var environment: [(name: String, value: EnvironmentValue)] = []
    var clocks: [ClockClass] = []
    var streamClasses: [StreamClass] = []
    /// All event classes of all stream classes, in declaration order.
    var eventClasses: [EventClassDefinition] = []
    /// Number of decoder slots holding sequence lengths and variant tags.
    var storageSlotCount = 0
    /// Where each scope type (`fields := ...`) was assigned, for error messages.
    var scopeLocations: [ObjectIdentifier: TSDLLocation] = [:]

    func environmentValue(_ name: String) -> EnvironmentValue? {
        environment.first { $0.name == name }?.value
    }

    func streamClass(id: UInt64) -> StreamClass? {
        streamClasses.first { $0.id == id }
    }

    func clock(named name: String) -> ClockClass? {
        clocks.first { $0.name == name }
    }
}
