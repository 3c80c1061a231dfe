import TraceKit

/// The list's one-line text for ftrace events: the print format rendered exactly as
/// `trace-cmd report` prints it after the event name.
extension TraceDatTrace: EventSummaryProviding {
    public func writeSummary(of record: EventRecord, to out: OutputBuffer) -> Bool {
        let catalog = file.catalog
        return withData(of: record) { data -> Bool in
            guard let event = catalog.event(id: catalog.eventID(ofRecord: data)) else { return false }
            catalog.writeInfo(of: event, record: data, raw: false, to: out)
            return true
        } ?? false
    }
}

extension RingBufferPageTrace: EventSummaryProviding {
    public func writeSummary(of record: EventRecord, to out: OutputBuffer) -> Bool {
        let catalog = self.catalog
        return withData(of: record) { data -> Bool in
            guard let event = catalog.event(id: catalog.eventID(ofRecord: data)) else { return false }
            catalog.writeInfo(of: event, record: data, raw: false, to: out)
            return true
        } ?? false
    }
}
