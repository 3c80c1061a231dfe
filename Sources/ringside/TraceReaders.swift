import TraceKit

/// The readers ringside knows. Each reader claims the paths that hold its format.
enum TraceReaders {
    static func open(path: String, isDirectory: Bool, reportWarnings: Bool = true) throws -> [Trace] {
        // Readers register here as they land.
        if let traces = try FtraceReaderRegistration.open(path: path, isDirectory: isDirectory,
                                                          reportWarnings: reportWarnings) { return traces }
        return try CTFReaderRegistration.open(path: path, isDirectory: isDirectory)
    }

    /// How records with equal timestamps are ordered for these traces.
    static func tieBreak(for traces: [Trace]) -> EventMerger.TieBreak? {
        CTFReaderRegistration.tieBreak(for: traces)
    }
}
