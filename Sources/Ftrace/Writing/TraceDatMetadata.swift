/// Everything a trace.dat file holds besides the ring-buffer pages: the format files and tables
/// `trace-cmd report` needs to decode them, and the facts trace-cmd records as options.
public struct TraceDatMetadata: Sendable {
    /// `events/header_page` as read from tracefs.
    public var headerPage: [UInt8]
    /// `events/header_event`.
    public var headerEvent: [UInt8]
    /// `events/ftrace/*/format`, in the order they are stored.
    public var ftraceFormats: [[UInt8]]
    /// `events/SYSTEM/*/format` for every other system, in the order they are stored.
    public var eventSystems: [(name: String, formats: [[UInt8]])]
    /// `/proc/kallsyms`.
    public var kallsyms: [UInt8]
    /// `printk_formats`.
    public var printkFormats: [UInt8]
    /// `saved_cmdlines`.
    public var savedCmdlines: [UInt8]
    /// The `trace_clock` file's text (all clocks, the selected one in brackets).
    public var traceClockFile: String
    /// The selected clock (`local`, `mono`, ...).
    public var clock: String
    /// `uname`: system, node, release and machine separated by spaces.
    public var uname: String
    /// The writing program and its version.
    public var version: String
    /// A random identifier of the tracing session.
    public var traceID: UInt64
    /// `per_cpu/cpuN/stats` text per CPU, taken when recording stopped (index = CPU).
    public var cpuStats: [String]
    /// CPUs in the system.
    public var cpuCount: Int
    /// Size of one ring-buffer page (sub-buffer) in bytes.
    public var pageSize: Int
    /// The traced machine's `long` size in bytes.
    public var longSize: Int

    public init(headerPage: [UInt8], headerEvent: [UInt8], ftraceFormats: [[UInt8]],
                eventSystems: [(name: String, formats: [[UInt8]])], kallsyms: [UInt8], printkFormats: [UInt8],
                savedCmdlines: [UInt8], traceClockFile: String, clock: String, uname: String, version: String,
                traceID: UInt64, cpuStats: [String], cpuCount: Int, pageSize: Int, longSize: Int = 8) {
        self.headerPage = headerPage
        self.headerEvent = headerEvent
        self.ftraceFormats = ftraceFormats
        self.eventSystems = eventSystems
        self.kallsyms = kallsyms
        self.printkFormats = printkFormats
        self.savedCmdlines = savedCmdlines
        self.traceClockFile = traceClockFile
        self.clock = clock
        self.uname = uname
        self.version = version
        self.traceID = traceID
        self.cpuStats = cpuStats
        self.cpuCount = cpuCount
        self.pageSize = pageSize
        self.longSize = longSize
    }
}
