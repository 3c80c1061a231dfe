import TraceKit

/// The payload of the cursor's current record, decoded from the bytes the cursor holds (no state
/// shared with other cursors): the viewer's index reads scheduler switches this way on several
/// threads, while the page is at hand.
extension FtraceCPUStream: CurrentRecordDecoding {
    public func decodeCurrentPayload<V: FieldVisitor>(into visitor: inout V) throws {
        let data = currentData
        guard !data.isEmpty else { return }
        let catalog = self.catalog
        guard let event = catalog.event(id: catalog.eventID(ofRecord: data)) else { return }
        FieldDecoder.decode(event.format.fields, data, order: catalog.byteOrder, into: &visitor)
    }
}
