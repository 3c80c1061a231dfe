import ArgumentParser
import Live

/// `ringside mark TEXT`: writes a user marker.
struct MarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mark",
        abstract: "Write a marker into the trace.",
        discussion: """
            Without --instance, the marker goes into every instance ringside owns right now (the \
            instances of running `ringside live` and `ringside record` sessions and the persistent \
            "ringside" instance); it fails if there is none. --instance NAME writes only there; \
            --instance top writes into the top-level buffer. The text is one line of printable \
            text (any language), at most 4000 bytes.
            """)

    @Option(name: .long, help: "Instance to write to: ringside-NAME or top (default: every instance ringside owns).")
    var instance: String?

    @Argument(help: "The marker text (several words are joined with spaces).")
    var text: [String]

    func run() throws {
        let message = text.joined(separator: " ")
        try ControlText.validateMarker(message)
        let tracefs = try LiveSupport.tracefs()
        let targets: [TracingInstance]
        if let instance {
            switch try InstanceChoice(option: instance) {
            case .top: targets = [tracefs.topLevel]
            case .named(let name):
                let target = tracefs.instance(named: name)
                guard target.exists else { throw LiveError("instance \(name) does not exist") }
                targets = [target]
            case .privateInstance: targets = []
            }
        } else {
            targets = LiveSupport.ownedInstances(tracefs: tracefs)
            guard !targets.isEmpty else {
                throw LiveError("no ringside instance exists to mark: start `ringside live` or `ringside record`, or pass --instance top")
            }
        }
        for target in targets {
            try target.writeMarker(message)
        }
        print("marked \(targets.map(\.displayName).joined(separator: ", "))")
    }
}
