/// Stands in for a stream that could not be opened (its first page or packet is damaged): it has
/// no records, and keeps the error so the merge can report it while the other streams are read.
public final class UnreadableStream: EventStream {
    /// Why the stream could not be opened.
    public let error: Error

    public init(error: Error) { self.error = error }

    public var current: EventRecord? { nil }
    public func advance() throws {}
    public func seek(to position: StreamPosition) throws {}
    public func seek(toTimestamp timestamp: Int64) throws {}
}
