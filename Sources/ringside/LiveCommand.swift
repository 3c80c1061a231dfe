import ArgumentParser
import Live

/// `ringside live`: watch the running kernel.
struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Watch the running kernel through ftrace, switching events and probes on and off.",
        discussion: """
            Works in a private instance ringside-<pid> unless --instance is given; everything \
            ringside creates is removed on quit, SIGINT, SIGTERM and SIGHUP. After a kill -9, the \
            next start reports the leftovers and `ringside live --cleanup` removes them.
            """)

    @Option(name: .shortAndLong, help: "Events to enable at start (SYSTEM:EVENT, sched:*, sched).")
    var event: [String] = []

    @Option(name: .long, help: "Instance: a new private one (default), ringside, ringside-NAME, or top.")
    var instance: String?

    @Option(name: .long, help: "Per-CPU kernel buffer size in KiB.")
    var bufferSize: Int?

    @Option(name: .long, help: "Trace clock (local, global, mono, boot, ...).")
    var clock: String?

    @Option(name: .long, help: "How full (percent) a kernel buffer gets before the reader wakes (0-100).")
    var bufferPercent: Int?

    @Flag(name: .long, help: "Remove what earlier ringside processes left in tracefs, and the persistent instance and probes, then exit.")
    var cleanup = false

    func run() throws {
        let tracefs = try LiveSupport.tracefs()
        let stateDirectory = LiveSupport.stateDirectory
        let leftovers = Leftovers.scan(tracefs: tracefs, stateDirectory: stateDirectory)
        if cleanup {
            let outcomes = leftovers.cleanUp(tracefs: tracefs, stateDirectory: stateDirectory, includePersistent: true)
            for outcome in outcomes where outcome.isReportable { print(outcome.description) }
            if !leftovers.unclaimedInstances.isEmpty || !leftovers.unclaimedProbes.isEmpty,
               let report = Leftovers.scan(tracefs: tracefs, stateDirectory: stateDirectory).report() {
                print(report)
            }
            if outcomes.isEmpty { print("nothing to clean up") }
            if outcomes.contains(where: \.isFailure) { throw ExitCode(1) }
            return
        }
        if leftovers.hasDeadSessions, let report = leftovers.report() {
            LiveSupport.warn(report + "\nrun `ringside live --cleanup` to remove them")
        }
        throw LiveError("the live viewer is not available yet")
    }
}
