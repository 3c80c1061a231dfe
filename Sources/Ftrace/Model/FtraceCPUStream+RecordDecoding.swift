import TraceKit

extension FtraceCPUStream: RecordDecodingStream {
    /// Reports the current record's task (`common_pid` and its saved name), its `flags` and
    /// `preempt` attributes and its payload fields, from the record bytes the cursor holds: the
    /// same values `TraceDatTrace` gives through `task(of:)`, `decodeRecordAttributes` and
    /// `decodeFields`, without reading the page again.
    public func decodeCurrent<V: RecordVisitor>(into visitor: inout V) throws {
        guard let record = current, case .event = record.kind else { return }
        let data = currentData
        let catalog = self.catalog
        let pid = catalog.pid(ofRecord: data)
        visitor.visitTask(pid: Int64(pid), comm: catalog.taskNames.nameBytes(of: pid))
        visitor.beginPart(.attributes)
        visitor.visitInteger("flags", .unsigned(catalog.flags(ofRecord: data)), base: .hexadecimal)
        visitor.visitInteger("preempt", .unsigned(catalog.preemptCount(ofRecord: data)), base: .decimal)
        visitor.beginPart(.payload)
        if let event = catalog.event(id: catalog.eventID(ofRecord: data)) {
            FieldDecoder.decode(event.format.fields, data, order: catalog.byteOrder, into: &visitor)
        }
        visitor.beginPart(.context)
    }
}
