import ArgumentParser

@main
struct Ringside: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringside",
        abstract: "A terminal trace viewer for LTTng CTF traces, trace-cmd trace.dat files and the live kernel.",
        subcommands: [ViewCommand.self, DumpCommand.self],
        defaultSubcommand: ViewCommand.self)
}
