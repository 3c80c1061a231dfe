import TraceKit

/// The payload of the cursor's current event, decoded with the cursor's own decoder and slots (no
/// state shared with other cursors of the trace), right where the cursor stands: the viewer's
/// index reads scheduler switches this way on several threads.
extension CTFEventStream: CurrentRecordDecoding {
    public func decodeCurrentPayload<V: FieldVisitor>(into visitor: inout V) throws {
        guard let (start, body) = beginEventBody() else { return }
        unowned(unsafe) let event = body.takeUnretainedValue()
        var decoder = start
        do {
            if let plan = stream.streamClass.commonContextViews?.skip { try decoder.skip(plan) }
            if let plan = event.specificContextViews?.skip { try decoder.skip(plan) }
            if let plan = event.payloadVisitAll { try decoder.visit(plan, into: &visitor) }
        } catch let failure as DecodeFailure {
            throw failEventBody(failure)
        }
        try endEventBody(decoder)
    }
}
