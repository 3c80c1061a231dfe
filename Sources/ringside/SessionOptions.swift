import ArgumentParser
import Live

/// The tracefs instance options `live` and `record` share, and the session they open.
struct SessionOptions: ParsableArguments {
    @Option(name: .long, help: "Instance: a new private one (default), ringside, ringside-NAME, or top.")
    var instance: String?

    @Option(name: .long, help: "Per-CPU kernel buffer size in KiB.")
    var bufferSize: Int?

    @Option(name: .long, help: "Trace clock (local, global, mono, boot, ...).")
    var clock: String?

    /// Tracefs after warning about what killed ringside processes left behind.
    static func tracefsReportingLeftovers() throws -> (Tracefs, String) {
        let tracefs = try LiveSupport.tracefs()
        let stateDirectory = LiveSupport.stateDirectory
        let leftovers = Leftovers.scan(tracefs: tracefs, stateDirectory: stateDirectory)
        if leftovers.hasDeadSessions, let report = leftovers.report() {
            LiveSupport.warn(report + "\nrun `ringside live --cleanup` to remove them")
        }
        return (tracefs, stateDirectory)
    }

    /// Opens the instance these options choose, journaled for `command` so that it is undone on
    /// quit, on signals, or by `live --cleanup` after a kill.
    func openSession(command: String, tracefs: Tracefs, stateDirectory: String,
                     bufferPercent: Int? = nil) throws -> TracingSession {
        let journal = try OwnershipJournal.session(command: command, directory: stateDirectory)
        return try TracingSession(tracefs: tracefs, choice: try InstanceChoice(option: instance),
                                  settings: InstanceSettings(bufferSizeKB: bufferSize, clock: clock,
                                                             bufferPercent: bufferPercent),
                                  journal: journal)
    }
}
