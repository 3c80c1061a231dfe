/// The kernel's `error_log`: why it rejected the last filter, probe definition or setting.
///
/// Each entry is three lines:
/// ```
/// [  429.742336] event filter parse error: error: Field not found
///   Command: prev_pidd == 1
///                      ^
/// ```
public enum ErrorLog {
    /// One logged rejection.
    public struct Entry: Sendable, Equatable {
        /// The first line without its timestamp (`event filter parse error: error: Field not found`).
        public var message: String
        /// The command as the kernel quoted it.
        public var command: String
        /// The caret line pointing at the offending position, aligned under `command`.
        public var caret: String
        /// The whole entry as logged, used to tell old entries from new ones.
        public var raw: String

        /// The entry as ringside shows it: the message, the command and the caret under it.
        public var explanation: String {
            var text = message
            if !command.isEmpty { text += "\n  " + command }
            if !caret.isEmpty { text += "\n  " + caret }
            return text
        }
    }

    /// Parses the text of an `error_log` file.
    public static func parse(_ text: String) -> [Entry] {
        var entries: [Entry] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last == "" { lines.removeLast() }
        var i = 0
        while i < lines.count {
            let header = lines[i]
            guard header.hasPrefix("[") else { i += 1; continue }
            var message = header
            if let close = header.firstIndex(of: "]") {
                message = String(header[header.index(after: close)...]).trimmingWhitespace()
            }
            var command = "", caret = "", raw = header
            let commandPrefix = "  Command: "
            if i + 1 < lines.count, lines[i + 1].hasPrefix(commandPrefix) {
                command = String(lines[i + 1].dropFirst(commandPrefix.count))
                raw += "\n" + lines[i + 1]
                if i + 2 < lines.count, !lines[i + 2].hasPrefix("["), lines[i + 2].contains("^") {
                    // The caret line is indented to line up under the command after "  Command: ".
                    let caretLine = lines[i + 2]
                    caret = String(caretLine.dropFirst(min(commandPrefix.count, caretLine.prefix(while: { $0 == " " }).count)))
                    raw += "\n" + caretLine
                    i += 1
                }
                i += 1
            }
            entries.append(Entry(message: message, command: command, caret: caret, raw: raw))
            i += 1
        }
        return entries
    }

    /// A snapshot of the log taken before a write, to find the entry that write caused.
    public struct Mark {
        let paths: [String]
        let before: Set<String>

        /// Watches the instance's own `error_log` and, for an instance, the top-level one too
        /// (probe definitions log there).
        public init(instance: TracingInstance) {
            var paths = [instance.path("error_log")]
            if !instance.isTopLevel { paths.append(instance.tracefs.path("error_log")) }
            self.init(paths: paths)
        }

        public init(paths: [String]) {
            self.paths = paths
            var seen = Set<String>()
            for path in paths {
                if let text = try? ControlFile.read(path) { seen.formUnion(ErrorLog.parse(text).map(\.raw)) }
            }
            before = seen
        }

        /// The newest entry logged since the mark, preferring one that quotes `command`.
        public func newEntry(forCommand command: String?) -> Entry? {
            var fresh: [Entry] = []
            for path in paths {
                if let text = try? ControlFile.read(path) {
                    fresh += ErrorLog.parse(text).filter { !before.contains($0.raw) }
                }
            }
            if let command {
                let wanted = command.trimmingWhitespace()
                if let match = fresh.last(where: { $0.command.trimmingWhitespace() == wanted }) { return match }
                if let match = fresh.last(where: { !$0.command.isEmpty && wanted.hasPrefix($0.command.trimmingWhitespace()) }) {
                    return match
                }
            }
            return fresh.last
        }
    }
}
