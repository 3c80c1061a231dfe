import Foundation
import TerminalUI
import TraceKit

/// Notices that traces on disk changed — stream files grew, files or trace directories appeared,
/// metadata was rewritten (an LTTng session still running) — by their sizes and modification
/// times, and opens them again for the viewer.
final class TraceFileWatcher: TraceReloading {
    private let paths: [String]
    private let open: () throws -> TraceSet
    private let reopenCommand: () throws -> TraceSet
    private var fingerprint: [String: (size: Int, modified: TimeInterval)]

    /// - Parameters:
    ///   - open: opens the traces for the viewer; `reopen` opens them again for its indexing thread.
    init(paths: [String], open: @escaping () throws -> TraceSet, reopen: @escaping () throws -> TraceSet) {
        self.paths = paths
        self.open = open
        self.reopenCommand = reopen
        fingerprint = TraceFileWatcher.scan(paths)
    }

    func traceChanged() -> Bool {
        let now = TraceFileWatcher.scan(paths)
        guard now.count == fingerprint.count else { return true }
        for (path, entry) in now {
            guard let old = fingerprint[path], old.size == entry.size, old.modified == entry.modified else { return true }
        }
        return false
    }

    func reopen() throws -> ViewerModel {
        let scanned = TraceFileWatcher.scan(paths)
        let set = try open()
        let model = try ViewerModel(set: set, reopen: reopenCommand)
        fingerprint = scanned
        return model
    }

    /// Size and modification time of every regular file under `paths`.
    static func scan(_ paths: [String]) -> [String: (size: Int, modified: TimeInterval)] {
        var out: [String: (size: Int, modified: TimeInterval)] = [:]
        let manager = FileManager.default
        func note(_ path: String) {
            // stat(2) directly: a per-PID session has thousands of files, scanned again and again.
            var info = stat()
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return }
            out[path] = (Int(info.st_size), TimeInterval(info.st_mtim.tv_sec) + TimeInterval(info.st_mtim.tv_nsec) / 1e9)
        }
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            guard isDirectory.boolValue else { note(path); continue }
            let enumerator = manager.enumerator(atPath: path)
            while let name = enumerator?.nextObject() as? String { note(path + "/" + name) }
        }
        return out
    }
}
