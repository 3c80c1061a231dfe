/// A stream that hands over many records in one call: the index reads whole chunks of records
/// this way, without a call through the protocol (and a copy of the record) for each.
public protocol BatchRecordReading: EventStream {
    /// Stores `current` and the records after it at `buffer[count...]`, moving the cursor past
    /// each one stored and counting it in `count`, until `count` reaches `capacity`, the stream
    /// ends, or the current record is an event whose class index is flagged in `stopClasses`
    /// (it is then left current, not stored). Stored records get `trace` as their trace.
    ///
    /// A read error is thrown as `advance()` throws it: the records stored before it stay
    /// stored and counted, and `current` is nil.
    func readRecords(into buffer: UnsafeMutablePointer<EventRecord>, count: inout Int, capacity: Int,
                     trace: Int32, stopClasses: UnsafeBufferPointer<Bool>) throws

    /// Set when the stream is read through to its end (the index's workers): the reader may then
    /// load big pieces ahead of the cursor. Left unset for cursors that read a few records (a
    /// first screen should not wait for whole packets of every stream to come from the disk).
    var readsAhead: Bool { get set }
}
