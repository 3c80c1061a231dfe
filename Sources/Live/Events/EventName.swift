/// A trace event by its subsystem and name: `sched:sched_switch`.
public struct EventName: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public var system: String
    public var name: String

    public init(system: String, name: String) {
        self.system = system
        self.name = name
    }

    /// Parses `system:name` or `system/name`; nil unless both parts are safe path components.
    public init?(parsing text: String) {
        guard let separator = text.firstIndex(where: { $0 == ":" || $0 == "/" }) else { return nil }
        let system = String(text[..<separator])
        let name = String(text[text.index(after: separator)...])
        guard EventName.isValidComponent(system), EventName.isValidComponent(name) else { return nil }
        self.init(system: system, name: name)
    }

    public var description: String { system + ":" + name }

    /// The directory of this event below `events/`.
    public var directory: String { system + "/" + name }

    public static func < (a: EventName, b: EventName) -> Bool {
        (a.system, a.name) < (b.system, b.name)
    }

    /// Event and subsystem names the kernel creates: letters, digits, `_`, `-`, `.` (never `/`,
    /// never `.` or `..`), so they are safe as path components.
    public static func isValidComponent(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 255, text != ".", text != ".." else { return false }
        return text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
    }
}
