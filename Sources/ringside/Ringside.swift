import ArgumentParser

@main
struct Ringside: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringside",
        abstract: "A terminal trace viewer for LTTng CTF traces, trace-cmd trace.dat files and the live kernel.",
        subcommands: [ViewCommand.self, DumpCommand.self, LiveCommand.self, ProbesCommand.self, MarkCommand.self, RecordCommand.self],
        defaultSubcommand: ViewCommand.self)
}
