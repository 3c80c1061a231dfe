#if canImport(Glibc)
import Glibc
#endif
import Ftrace

/// Gathers what a trace.dat file needs from tracefs and /proc, in the order `trace-cmd extract`
/// stores it (its file lists come from `glob`, then are built by prepending, so systems and events
/// appear in reverse path order).
public enum TraceDatMetadataCollector {
    /// The writer's name in the VERSION option.
    public static let writerVersion = "ringside 1"

    public static func collect(instance: TracingInstance, cpus: [Int]) throws -> TraceDatMetadata {
        let tracefs = instance.tracefs
        func bytes(_ path: String) throws -> [UInt8] {
            do {
                return try ControlFile.readBytes(path)
            } catch let failure as ControlFile.Failure {
                throw LiveError(failure.description)
            }
        }
        let headerPage = try bytes(tracefs.path("events/header_page"))
        let headerEvent = try bytes(tracefs.path("events/header_event"))

        var ftraceFormats: [[UInt8]] = []
        for name in ControlFile.list(tracefs.path("events/ftrace")).sorted(by: byteOrder).reversed() {
            let path = tracefs.path("events/ftrace/\(name)/format")
            if ControlFile.exists(path) { ftraceFormats.append(try bytes(path)) }
        }

        var eventPaths: [(system: String, event: String)] = []
        for system in ControlFile.list(tracefs.path("events")) where system != "ftrace" {
            let directory = tracefs.path("events/" + system)
            guard ControlFile.isDirectory(directory) else { continue }
            for event in ControlFile.list(directory) where ControlFile.exists(directory + "/" + event + "/format") {
                eventPaths.append((system, event))
            }
        }
        eventPaths.sort { byteOrder("\($0.system)/\($0.event)/format", "\($1.system)/\($1.event)/format") }
        var systems: [(name: String, formats: [[UInt8]])] = []
        for (system, event) in eventPaths {
            let format = try bytes(tracefs.path("events/\(system)/\(event)/format"))
            if let index = systems.firstIndex(where: { $0.name == system }) {
                systems[index].formats.insert(format, at: 0)
            } else {
                systems.insert((system, [format]), at: 0)
            }
        }

        let kallsyms = (try? ControlFile.readBytes("/proc/kallsyms")) ?? []
        let printk = (try? bytes(tracefs.path("printk_formats"))) ?? []
        let cmdlines = (try? bytes(tracefs.path("saved_cmdlines"))) ?? []
        let clockFile = try ControlFile.read(instance.path("trace_clock"))
        let clock = try instance.clocks().current ?? "local"
        var stats: [String] = []
        for cpu in 0..<(cpus.max().map { $0 + 1 } ?? 0) {
            stats.append((try? ControlFile.read(instance.path("per_cpu/cpu\(cpu)/stats"))) ?? "")
        }
        var traceID: UInt64 = 0
        withUnsafeMutableBytes(of: &traceID) { raw in
            for i in raw.indices { raw[i] = UInt8.random(in: 0...255) }
        }
        return TraceDatMetadata(
            headerPage: headerPage, headerEvent: headerEvent, ftraceFormats: ftraceFormats,
            eventSystems: systems, kallsyms: kallsyms, printkFormats: printk, savedCmdlines: cmdlines,
            traceClockFile: clockFile, clock: clock, uname: unameText(), version: writerVersion,
            traceID: traceID, cpuStats: stats, cpuCount: stats.count, pageSize: instance.subBufferSize(),
            longSize: MemoryLayout<Int>.size)
    }

    /// strcmp order, as `glob` sorts in the C locale.
    static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    static func unameText() -> String {
        var info = utsname()
        guard uname(&info) == 0 else { return "Linux" }
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        }
        return [field(info.sysname), field(info.nodename), field(info.release), field(info.machine)].joined(separator: " ")
    }
}
