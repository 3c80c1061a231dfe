import TraceKit

/// The payload of the cursor's current event, decoded with the cursor's own decoder and slots (no
/// state shared with other cursors of the trace), right where the cursor stands: the viewer's
/// index reads scheduler switches this way on several threads.
extension CTFEventStream: CurrentRecordDecoding {
    public func decodeCurrentPayload<V: FieldVisitor>(into visitor: inout V) throws {
        guard let (start, event) = beginEventBody() else { return }
        var decoder = start
        let streamClass = stream.streamClass
        do {
            if let context = streamClass.commonContext { try decoder.skip(context.skip) }
            if let context = event.specificContext { try decoder.skip(context.skip) }
            if let payload = event.payload { try decoder.visit(payload.visitAll, into: &visitor) }
        } catch let failure as DecodeFailure {
            throw failEventBody(failure)
        }
        try endEventBody(decoder)
    }
}
