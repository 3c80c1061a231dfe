import Foundation
import TraceKit

/// Finds the traces behind command-line paths and opens each with the right reader.
enum TraceOpening {
    /// The sample bundled with the package, used when no path is given.
    static var bundledSamplePath: String {
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("samples/ust-libc").path
    }

    /// Opens every trace found under `paths`, in a stable order.
    /// - Parameter reportWarnings: print problems that do not stop reading (false when opening the
    ///   same traces again, e.g. for the viewer's indexing thread).
    /// - Parameter lazyIndex: let readers index files as they read them (the viewer).
    static func open(_ paths: [String], reportWarnings: Bool = true, lazyIndex: Bool = false) throws -> TraceSet {
        var traces: [Trace] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ValidationFailure("\(path): no such file or directory")
            }
            let found = try TraceReaders.open(path: path, isDirectory: isDirectory.boolValue,
                                              reportWarnings: reportWarnings, lazyIndex: lazyIndex)
            guard !found.isEmpty else {
                throw ValidationFailure("\(path): no CTF trace or trace.dat file found")
            }
            traces += found
        }
        return TraceSet(traces: traces, tieBreak: TraceReaders.tieBreak(for: traces))
    }
}

/// A command-line problem reported as `ringside: message` with a non-zero exit.
struct ValidationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
