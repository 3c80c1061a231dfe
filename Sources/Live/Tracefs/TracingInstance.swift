#if canImport(Glibc)
import Glibc
#endif
import TraceIO

/// A tracing instance (`instances/NAME`) or the top-level buffer, and its control files.
///
/// This type only reads and writes; it does not remember what it changed. Changes that must be
/// undone go through `TracingSession`, which records them in the ownership journal first.
public struct TracingInstance: Sendable, Equatable {
    public let tracefs: Tracefs
    /// The instance name, nil for the top-level buffer.
    public let name: String?

    public init(tracefs: Tracefs, name: String?) {
        self.tracefs = tracefs
        self.name = name
    }

    public var isTopLevel: Bool { name == nil }

    /// A name for messages: the instance name, or `top`.
    public var displayName: String { name ?? "top" }

    /// The instance's directory.
    public var path: String {
        guard let name else { return tracefs.root }
        return tracefs.root + "/instances/" + name
    }

    /// The path of `relative` inside the instance.
    public func path(_ relative: String) -> String { path + "/" + relative }

    public var exists: Bool { isTopLevel || ControlFile.isDirectory(path) }

    /// Instance names ringside accepts: `ringside` or `ringside-` followed by letters, digits, `_`,
    /// `-` or `.`.
    public static func isValidRingsideName(_ name: String) -> Bool {
        guard name == "ringside" || name.hasPrefix("ringside-") else { return false }
        return name.count > 0 && name.utf8.count <= 200 && EventName.isValidComponent(name)
    }

    // MARK: creating and removing

    /// Creates the instance directory. Fails if it exists already (so ringside never adopts an
    /// instance somebody else made).
    public func create() throws {
        guard let name else { throw LiveError("the top-level buffer cannot be created") }
        if mkdir(path, 0o755) != 0 {
            let code = errno
            if code == EEXIST { throw LiveError("instance \(name) exists already") }
            throw LiveError("cannot create instance \(path): \(SystemError.message(code))")
        }
    }

    /// Removes the instance directory (the kernel frees its buffers and disables its events).
    public func remove() throws {
        guard name != nil else { throw LiveError("the top-level buffer cannot be removed") }
        var attempts = 0
        while rmdir(path) != 0 {
            let code = errno
            if code == ENOENT { return }
            // EBUSY while a reader still has a file open; readers close before this, so retry briefly.
            if code == EBUSY && attempts < 50 {
                attempts += 1
                usleep(20_000)
                continue
            }
            throw LiveError("cannot remove instance \(path): \(SystemError.message(code))")
        }
    }

    // MARK: settings

    /// Reads a setting file (trimmed).
    public func read(_ file: String) throws -> String {
        do {
            return try ControlFile.read(path(file)).trimmingWhitespace()
        } catch let failure as ControlFile.Failure {
            throw LiveError(failure.description)
        }
    }

    /// Writes a setting file, reporting the kernel's `error_log` entry if it rejects the value.
    public func write(_ file: String, _ value: String) throws {
        try ControlText.requireSingleLine(value, what: file)
        let marker = ErrorLog.Mark(instance: self)
        do {
            try ControlFile.write(path(file), value)
        } catch let failure as ControlFile.Failure {
            throw LiveError("\(displayName): cannot set \(file) to \"\(value)\": \(SystemError.message(failure.code))",
                            kernelMessage: marker.newEntry(forCommand: value)?.explanation)
        }
    }

    /// A setting as it can be written back: the selected clock for `trace_clock`, the number for
    /// `buffer_size_kb`, else the file's text.
    public func settingValue(_ file: String) throws -> String {
        switch file {
        case "trace_clock": return try clocks().current ?? read(file)
        case "buffer_size_kb": return String(try bufferSizeKB())
        default: return try read(file)
        }
    }

    /// Per-CPU buffer size in KiB (`buffer_size_kb`; the first number when the kernel adds notes).
    public func bufferSizeKB() throws -> Int {
        var text = Substring(try read("buffer_size_kb"))
        // An unused top-level buffer reads "7 (expanded: 1408)": the real size is the second number.
        if let expanded = text.range(of: "expanded:") {
            text = text[expanded.upperBound...].drop(while: { $0 == " " })
        }
        guard let value = Int(text.prefix(while: { $0.isNumber })) else {
            throw LiveError("\(path("buffer_size_kb")): unexpected content \"\(text)\"")
        }
        return value
    }

    /// The clocks the kernel offers and the one selected (`trace_clock` shows it in brackets).
    public func clocks() throws -> (available: [String], current: String?) {
        let words = try read("trace_clock").split(separator: " ").map(String.init)
        var current: String?
        let names = words.map { word -> String in
            if word.hasPrefix("[") && word.hasSuffix("]") {
                let name = String(word.dropFirst().dropLast())
                current = name
                return name
            }
            return word
        }
        return (names, current)
    }

    /// Sub-buffer (page) size in bytes, from `buffer_subbuf_size_kb` where the kernel has it.
    public func subBufferSize() -> Int {
        if let text = try? read("buffer_subbuf_size_kb"), let kb = Int(text), kb > 0 { return kb * 1024 }
        return Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    // MARK: events

    /// The events currently enabled in this instance (from `set_event`).
    public func enabledEvents() throws -> Set<EventName> {
        let text = try read("set_event")
        var result = Set<EventName>()
        for line in text.split(separator: "\n") {
            if let event = EventName(parsing: String(line)) { result.insert(event) }
        }
        return result
    }

    /// Whether `event` is enabled here (`enable` reads `1`, or `1*` when soft-enabled by a trigger).
    public func isEnabled(_ event: EventName) throws -> Bool {
        try read("events/\(event.directory)/enable").hasPrefix("1")
    }

    /// Enables or disables `event` in this instance.
    public func setEnabled(_ event: EventName, _ enabled: Bool) throws {
        let file = "events/\(event.directory)/enable"
        guard ControlFile.exists(path(file)) else { throw LiveError("no event \(event) in \(displayName)") }
        try write(file, enabled ? "1" : "0")
    }

    /// The kernel filter of `event`, nil when none is in force. After a rejected filter the file
    /// shows the kernel's complaint (ending in `parse_error: ...`) and no filter applies.
    public func filter(of event: EventName) throws -> String? {
        let text = try read("events/\(event.directory)/filter")
        if text == "none" || text.isEmpty || text.contains("\nparse_error:") { return nil }
        return text
    }

    /// Sets (or with nil clears) the kernel filter of `event`. The expression is checked by
    /// `KernelFilterSyntax` first; a rejection by the kernel carries its `error_log` message.
    public func setFilter(_ expression: String?, of event: EventName) throws {
        let file = "events/\(event.directory)/filter"
        guard ControlFile.exists(path(file)) else { throw LiveError("no event \(event) in \(displayName)") }
        guard let expression else {
            try ControlFile.write(path(file), "0")
            return
        }
        try KernelFilterSyntax.validate(expression)
        let previous = try filter(of: event)
        let marker = ErrorLog.Mark(instance: self)
        do {
            try ControlFile.write(path(file), expression)
        } catch let failure as ControlFile.Failure {
            let explanation = marker.newEntry(forCommand: expression)?.explanation
            // The kernel drops the old filter when it rejects a new one: put the old one back.
            try? ControlFile.write(path(file), previous ?? "0")
            throw LiveError("the kernel rejected the filter for \(event): \(SystemError.message(failure.code))",
                            kernelMessage: explanation)
        }
    }

    /// The format file text of `event` (the same in every instance).
    public func format(of event: EventName) throws -> String {
        try read("events/\(event.directory)/format")
    }

    // MARK: markers

    /// Writes `text` as one user marker into this instance's `trace_marker`.
    public func writeMarker(_ text: String) throws {
        try ControlText.validateMarker(text)
        do {
            try ControlFile.write(path("trace_marker"), text)
        } catch let failure as ControlFile.Failure {
            throw LiveError("cannot write marker to \(displayName): \(SystemError.message(failure.code))")
        }
    }

    // MARK: per-CPU buffers

    /// The CPUs with a buffer in this instance (`per_cpu/cpuN`).
    public func cpus() -> [Int] {
        ControlFile.list(path("per_cpu")).compactMap { name in
            name.hasPrefix("cpu") ? Int(name.dropFirst(3)) : nil
        }.sorted()
    }

    /// The kernel's counters for `cpu`'s buffer.
    public func stats(cpu: Int) throws -> CPUBufferStats {
        try CPUBufferStats(parsing: read("per_cpu/cpu\(cpu)/stats"))
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
