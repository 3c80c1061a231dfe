import TraceKit

/// The merge's view of one stream of a babeltrace dump: the chunk being merged and where it
/// stands in it (chunks come from a `PartPool`).
final class BabeltraceStreamFeed {
    let traceIndex: Int
    let streamIndex: Int
    /// Whether the stream's events have times (babeltrace2 prints no time columns otherwise).
    let hasClock: Bool
    /// The chunk being merged (the pool's current chunk of this stream).
    @exclusivity(unchecked)
    var current: FormattedChunk
    /// Index of the next entry of `current` to merge.
    @exclusivity(unchecked)
    var position = 0

    init(traceIndex: Int, streamIndex: Int, hasClock: Bool, current: FormattedChunk) {
        self.traceIndex = traceIndex
        self.streamIndex = streamIndex
        self.hasClock = hasClock
        self.current = current
    }

    /// Whether `current` still has entries to merge.
    var hasEntry: Bool { position < current.entries.count }
}

extension FormattedChunk: PoolChunk {
    var endsStream: Bool { isLast }
    var isEmpty: Bool { entries.isEmpty && error == nil }
    var lastTime: Int64? { entries.last?.timestamp }

    func fail(_ error: Error) {
        reset()
        self.error = error
        isLast = true
    }
}
