import ArgumentParser
import Live

/// `ringside record`: record kernel events to a trace.dat file.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record kernel events into a trace.dat file (version 7, zstd) that trace-cmd and ringside read.")

    func run() throws {
        throw LiveError("record is not available yet")
    }
}
