import ArgumentParser
import TraceIO

struct ViewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Browse traces (the default command; with no path, the bundled sample).")

    @Argument(help: "Trace directories, trace.dat files, or directories holding several traces.")
    var paths: [String] = []

    func run() throws {
        // Until the viewer lands, show the trace as text.
        FileOutput.ignoreBrokenPipeSignal()
        let set = try TraceOpening.open(paths.isEmpty ? [TraceOpening.bundledSamplePath] : paths)
        let out = FileOutput.buffer()
        do {
            try EventDumper(set: set, format: .text).dump(to: out)
            try out.flush()
        } catch is OutputClosed {
            return
        }
    }
}
