/// The description of one kind of event in a trace (a CTF event class, an ftrace event format).
public struct EventClass: Sendable, Hashable {
    /// Index of this class in `Trace.eventClasses`; `EventRecord.classIndex` refers to it.
    public var index: Int
    /// The event name as the native tools print it (`sched_switch`, `lttng_ust_libc:malloc`).
    public var name: String
    /// The subsystem or provider (`sched`, `lttng_ust_libc`), when the format has one.
    public var system: String?
    /// The numeric id the format stores in each event header.
    public var numericID: Int64
    /// Names of the top-level payload fields, in declaration order.
    public var payloadFieldNames: [String]
    /// Log level (CTF `loglevel`), when declared.
    public var logLevel: Int64?

    public init(index: Int, name: String, system: String? = nil, numericID: Int64,
                payloadFieldNames: [String] = [], logLevel: Int64? = nil) {
        self.index = index
        self.name = name
        self.system = system
        self.numericID = numericID
        self.payloadFieldNames = payloadFieldNames
        self.logLevel = logLevel
    }

    /// `system:name` when the name does not already carry its system.
    public var qualifiedName: String {
        guard let system, !name.hasPrefix(system + ":") else { return name }
        return system + ":" + name
    }
}
