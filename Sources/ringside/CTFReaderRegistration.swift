import CTF
import TraceKit

/// The CTF reader's entry points for `TraceReaders`.
enum CTFReaderRegistration {
    /// CTF traces for a command-line path: a trace directory, a directory holding traces (searched
    /// recursively for directories with a `metadata` file), or a metadata or stream file.
    /// - Parameter lazyIndex: index packets as cursors reach them (the viewer).
    static func open(path: String, isDirectory: Bool, lazyIndex: Bool = false) throws -> [Trace] {
        try CTFTraceDiscovery.open(path: path, isDirectory: isDirectory, lazyPacketIndex: lazyIndex)
    }

    /// babeltrace2's muxer order for equal timestamps of CTF records.
    static func tieBreak(for traces: [Trace]) -> EventMerger.TieBreak? {
        CTFTieBreak.make(for: traces)
    }
}
