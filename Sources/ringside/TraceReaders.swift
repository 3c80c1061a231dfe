import TraceKit

/// The readers ringside knows. Each reader claims the paths that hold its format.
enum TraceReaders {
    /// - Parameter lazyIndex: readers may index their files as they are read rather than all at
    ///   open (the viewer: the first screen needs only the beginning).
    static func open(path: String, isDirectory: Bool, reportWarnings: Bool = true, lazyIndex: Bool = false) throws -> [Trace] {
        // Readers register here as they land.
        if let traces = try FtraceReaderRegistration.open(path: path, isDirectory: isDirectory,
                                                          reportWarnings: reportWarnings) { return traces }
        return try CTFReaderRegistration.open(path: path, isDirectory: isDirectory, lazyIndex: lazyIndex)
    }

    /// How records with equal timestamps are ordered for these traces.
    static func tieBreak(for traces: [Trace]) -> EventMerger.TieBreak? {
        CTFReaderRegistration.tieBreak(for: traces)
    }
}
