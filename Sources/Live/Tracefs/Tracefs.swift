#if canImport(Glibc)
import Glibc
#endif
import TraceIO

/// The kernel's tracing file system (tracefs), found and checked for use.
public struct Tracefs: Sendable, Equatable {
    /// The directory holding `trace`, `events/`, `instances/`, ...
    public let root: String

    /// Uses `root` as tracefs without checking it (tests point this at a fake directory).
    public init(root: String) {
        self.root = root
    }

    /// The usual place of tracefs.
    public static let standardMountPoint = "/sys/kernel/tracing"

    /// Finds tracefs: `RINGSIDE_TRACEFS` when set, a mounted tracefs (standard place first), debugfs's
    /// `tracing/` directory, and as a last resort mounts tracefs at `/sys/kernel/tracing` (root only).
    /// Throws a `LiveError` saying what is missing and what to do.
    public static func locate(mountIfNeeded: Bool = true, environment: [String: String] = ProcessEnvironment.current) throws -> Tracefs {
        if let forced = environment["RINGSIDE_TRACEFS"], !forced.isEmpty {
            return try checked(Tracefs(root: forced))
        }
        var candidates = [standardMountPoint]
        let mounts = MountTable.read()
        candidates += mounts.filter { $0.type == "tracefs" }.map(\.mountPoint)
        candidates += mounts.filter { $0.type == "debugfs" }.map { $0.mountPoint + "/tracing" }
        candidates.append("/sys/kernel/debug/tracing")
        for candidate in candidates where ControlFile.exists(candidate + "/trace") || ControlFile.exists(candidate + "/events") {
            return try checked(Tracefs(root: candidate))
        }
        guard ControlFile.isDirectory(standardMountPoint) else {
            throw LiveError("tracefs is not available: \(standardMountPoint) does not exist (is this a Linux kernel with CONFIG_TRACING, and is /sys mounted?)")
        }
        guard mountIfNeeded else {
            throw LiveError("tracefs is not mounted; mount it with: mount -t tracefs nodev \(standardMountPoint)")
        }
        guard geteuid() == 0 else {
            throw LiveError("tracefs is not mounted and mounting it needs root; run ringside as root or mount it with: sudo mount -t tracefs nodev \(standardMountPoint)")
        }
        if mount("nodev", standardMountPoint, "tracefs", 0, nil) != 0 {
            let code = errno
            throw LiveError("cannot mount tracefs at \(standardMountPoint): \(SystemError.message(code))")
        }
        return try checked(Tracefs(root: standardMountPoint))
    }

    /// Fails with a clear message when the tracefs at `tracefs.root` cannot be used by this process.
    private static func checked(_ tracefs: Tracefs) throws -> Tracefs {
        let probe = tracefs.root + "/trace_clock"
        guard ControlFile.exists(tracefs.root + "/events") else {
            throw LiveError("\(tracefs.root) is not a tracefs directory (no events/)")
        }
        if access(probe, R_OK | W_OK) != 0 {
            let code = errno
            if code == EACCES || code == EPERM {
                let who = geteuid() == 0 ? "even as root (is tracefs mounted read-only, or locked down?)" : "(live tracing needs root; run ringside as root)"
                throw LiveError("permission denied on \(tracefs.root) \(who)")
            }
            if code != ENOENT {
                throw LiveError("\(probe): \(SystemError.message(code))")
            }
        }
        return tracefs
    }

    /// The path of `relative` inside tracefs.
    public func path(_ relative: String) -> String { root + "/" + relative }

    /// The top-level buffer.
    public var topLevel: TracingInstance { TracingInstance(tracefs: self, name: nil) }

    /// The instance called `name` (it may not exist yet).
    public func instance(named name: String) -> TracingInstance { TracingInstance(tracefs: self, name: name) }

    /// Names of the instances under `instances/`.
    public func instanceNames() -> [String] {
        ControlFile.list(path("instances")).filter { ControlFile.isDirectory(path("instances/" + $0)) }
    }

    /// What this kernel offers for dynamic probes.
    public var capabilities: TracingCapabilities { TracingCapabilities(tracefs: self) }
}

/// Facts about the running kernel's tracing support that decide what ringside can offer.
public struct TracingCapabilities: Sendable, Equatable {
    /// `uprobe_events` exists (CONFIG_UPROBE_EVENTS).
    public var uprobes: Bool
    /// `kprobe_events` exists (CONFIG_KPROBE_EVENTS, which needs CONFIG_KPROBES).
    public var kprobes: Bool
    /// `dynamic_events` exists (the generic interface for every dynamic event kind).
    public var dynamicEvents: Bool
    /// `trace_marker` exists.
    public var markers: Bool

    public init(uprobes: Bool, kprobes: Bool, dynamicEvents: Bool, markers: Bool) {
        self.uprobes = uprobes
        self.kprobes = kprobes
        self.dynamicEvents = dynamicEvents
        self.markers = markers
    }

    init(tracefs: Tracefs) {
        uprobes = ControlFile.exists(tracefs.path("uprobe_events"))
        kprobes = ControlFile.exists(tracefs.path("kprobe_events"))
        dynamicEvents = ControlFile.exists(tracefs.path("dynamic_events"))
        markers = ControlFile.exists(tracefs.path("trace_marker"))
    }
}

/// One line of `/proc/self/mounts`.
struct MountTable {
    struct Entry {
        var device: String
        var mountPoint: String
        var type: String
    }

    static func read(path: String = "/proc/self/mounts") -> [Entry] {
        guard let text = try? ControlFile.read(path) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count >= 3 else { return nil }
            return Entry(device: String(parts[0]), mountPoint: unescape(parts[1]), type: String(parts[2]))
        }
    }

    /// Mount points escape space, tab, newline and backslash as `\ooo`.
    static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        let raw = Array(field.utf8)
        var i = 0
        while i < raw.count {
            if raw[i] == UInt8(ascii: "\\"), i + 3 < raw.count,
               let value = UInt8(String(decoding: raw[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                i += 4
            } else {
                bytes.append(raw[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The process environment as a dictionary (kept in one place so tests can pass their own).
public enum ProcessEnvironment {
    public static var current: [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                result[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            pointer += 1
        }
        return result
    }
}
