import Foundation
import TraceKit

/// Finds CTF traces on disk: directories holding a `metadata` file.
public enum CTFTraceDiscovery {
    /// Trace directories for a user path: the path itself when it is a trace, every trace under
    /// it when it is another directory (an LTTng session with `ust/uid/...`, `ust/pid/...`,
    /// `kernel/`), or the directory of a `metadata` or stream file. Sorted.
    public static func traceDirectories(for path: String, isDirectory: Bool) -> [String] {
        let fm = FileManager.default
        if !isDirectory {
            let directory = (path as NSString).deletingLastPathComponent
            let parent = directory.isEmpty ? "." : directory
            return isTraceDirectory(parent) ? [parent] : []
        }
        var found: [String] = []
        var visited: Set<String> = []
        func walk(_ directory: String, depth: Int) {
            guard depth < 32 else { return }
            let real = (directory as NSString).resolvingSymlinksInPath
            guard visited.insert(real).inserted else { return }
            if isTraceDirectory(directory) {
                found.append(directory)
                return
            }
            guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return }
            for name in names.sorted() {
                let child = directory == "/" ? "/" + name : directory + "/" + name
                var childIsDirectory: ObjCBool = false
                if fm.fileExists(atPath: child, isDirectory: &childIsDirectory), childIsDirectory.boolValue {
                    walk(child, depth: depth + 1)
                }
            }
        }
        let root = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        walk(root, depth: 0)
        return found
    }

    /// Whether `directory` holds a regular `metadata` file.
    public static func isTraceDirectory(_ directory: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: directory + "/metadata", isDirectory: &isDirectory)
            && !isDirectory.boolValue
    }

    /// Opens every trace found for `path`, named relative to it.
    /// - Parameter lazyPacketIndex: index packets as they are read (see `CTFTrace.init`).
    public static func open(path: String, isDirectory: Bool, lazyPacketIndex: Bool = false) throws -> [CTFTrace] {
        let root = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        let directories = try traceDirectories(for: path, isDirectory: isDirectory)
        let openOne = { (directory: String) throws -> CTFTrace in
            var name = (directory as NSString).lastPathComponent
            if isDirectory, directory.hasPrefix(root + "/") {
                name = String(directory.dropFirst(root.count + 1))
            }
            let trace = try CTFTrace(directory: directory, name: name, lazyPacketIndex: lazyPacketIndex)
            trace.setDiscoveryRoot(isDirectory ? root : directory)
            return trace
        }
        let traces: [CTFTrace]
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if directories.count >= 8 && cores > 1 {
            // Many traces (per-PID buffers): opened on all cores; the first failure in directory
            // order is reported, as when they are opened one by one.
            let results = OpenResults(count: directories.count)
            DispatchQueue.concurrentPerform(iterations: min(cores, directories.count)) { worker in
                var i = worker
                while i < directories.count {
                    results.set(i, Result { try openOne(directories[i]) })
                    i += cores
                }
            }
            traces = try results.values.map { try $0!.get() }
        } else {
            traces = try directories.map(openOne)
        }
        // Traces without data are fine next to others (babeltrace2 prints nothing for them), but
        // when there is no data at all the user should know why nothing is shown.
        if !traces.isEmpty, traces.allSatisfy({ $0.streams.isEmpty }) {
            let what = directories.count == 1 ? "the trace has no" : "none of the \(directories.count) traces has"
            throw TraceError(file: path, "\(what) stream files with data (only metadata and empty files)")
        }
        return traces
    }
}

/// Results filled in by several threads, each at its own indices.
private final class OpenResults: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Result<CTFTrace, Error>?]

    init(count: Int) {
        values = Array(repeating: nil, count: count)
    }

    func set(_ i: Int, _ result: Result<CTFTrace, Error>) {
        lock.withLock { values[i] = result }
    }
}

/// babeltrace2's muxer order for records with equal timestamps.
public enum CTFTieBreak {
    /// Orders equal-time records of CTF traces like babeltrace2's muxer: trace UUID (traces with
    /// one first), trace name, stream class id, stream id, event class id, name, log level, EMF
    /// URI, stream name. Records of other traces keep the merge's default order.
    public static func make(for traces: [Trace]) -> EventMerger.TieBreak? {
        let ctf = traces.map { $0 as? CTFTrace }
        guard ctf.contains(where: { $0 != nil }) else { return nil }
        return { a, b in
            guard let ta = ctf[Int(a.trace)], let tb = ctf[Int(b.trace)] else { return false }
            return compare(a, ta, b, tb) < 0
        }
    }

    static func compare(_ a: EventRecord, _ ta: CTFTrace, _ b: EventRecord, _ tb: CTFTrace) -> Int {
        if ta !== tb {
            switch (ta.uuid, tb.uuid) {
            case let (ua?, ub?) where ua != ub: return ua.lexicographicallyPrecedes(ub) ? -1 : 1
            case (.some, nil): return -1
            case (nil, .some): return 1
            default: break
            }
            let na = Array(ta.babeltraceName.utf8), nb = Array(tb.babeltraceName.utf8)
            if na != nb { return na.lexicographicallyPrecedes(nb) ? -1 : 1 }
        }
        let sa = ta.dataStreams[Int(a.stream)], sb = tb.dataStreams[Int(b.stream)]
        let ca = sa.streamClass.streamClass.id, cb = sb.streamClass.streamClass.id
        if ca != cb { return ca < cb ? -1 : 1 }
        if sa.babeltraceID != sb.babeltraceID { return sa.babeltraceID < sb.babeltraceID ? -1 : 1 }
        // Events before discarded-events records.
        if a.isLostEvents != b.isLostEvents { return a.isLostEvents ? 1 : -1 }
        if !a.isLostEvents {
            let ea = ta.metadata.eventClasses[Int(a.classIndex)], eb = tb.metadata.eventClasses[Int(b.classIndex)]
            if ea.id != eb.id { return ea.id < eb.id ? -1 : 1 }
            let na = Array(ea.name.utf8), nb = Array(eb.name.utf8)
            if na != nb { return na.lexicographicallyPrecedes(nb) ? -1 : 1 }
            switch (ea.logLevel, eb.logLevel) {
            case let (la?, lb?) where la != lb: return la < lb ? -1 : 1
            case (.some, nil): return -1
            case (nil, .some): return 1
            default: break
            }
            switch (ea.emfURI, eb.emfURI) {
            case let (ua?, ub?) where ua != ub: return Array(ua.utf8).lexicographicallyPrecedes(Array(ub.utf8)) ? -1 : 1
            case (nil, .some): return -1
            case (.some, nil): return 1
            default: break
            }
        }
        let pa = Array(BabeltraceWarnings.absolutePath(sa.name).utf8)
        let pb = Array(BabeltraceWarnings.absolutePath(sb.name).utf8)
        if pa != pb { return pa.lexicographicallyPrecedes(pb) ? -1 : 1 }
        return 0
    }
}
