import TraceKit

/// The time range of a CTF trace from its packet index (packet contexts' begin and end times),
/// known before any event is decoded: the viewer fits the whole trace and measures indexing
/// progress with it. Streams indexed lazily read their remaining packet headers first.
extension CTFTrace: TimeRangeProviding {
    public var timeRange: ClosedRange<Int64>? {
        var lower: Int64?
        var upper: Int64?
        for stream in dataStreams {
            stream.indexAllPackets()
            if let begin = stream.packets.first?.beginNanoseconds { lower = min(lower ?? begin, begin) }
            if let last = stream.packets.last, let end = last.endNanoseconds ?? last.beginNanoseconds {
                upper = max(upper ?? end, end)
            }
        }
        guard let lower, let upper, upper >= lower else { return nil }
        return lower...upper
    }
}
