import ArgumentParser

struct ViewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Browse traces (the default command; with no path, the bundled sample).")

    @Argument(help: "Trace directories, trace.dat files, or directories holding several traces.")
    var paths: [String] = []

    func run() throws {
        // Until the viewer lands, show the trace as text.
        var dump = DumpCommand()
        dump.paths = paths
        try dump.run()
    }
}
