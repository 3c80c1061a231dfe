/// Cursors that can decode the fields of their current record with their own state only, so
/// several cursors of one trace can decode at once on different threads (`Trace.decodeFields`
/// shares the trace's scratch state and is not safe that way). The index uses it to read
/// scheduler switches while it reads streams ahead on all cores.
public protocol CurrentRecordDecoding: EventStream {
    /// Decodes the payload of `current` (an event) into `visitor`. A decoding error ends the stream
    /// as `advance()` would have.
    func decodeCurrentPayload<V: FieldVisitor>(into visitor: inout V) throws
}
