import TraceKit

/// A trace whose records are ftrace ring-buffer records: given a record's payload bytes, its
/// fields, task, flags and `trace-cmd report` text all come from the event catalog. trace.dat files
/// and the live window share these decoders, so both show the same values.
public protocol FtraceRecordData: AnyObject {
    /// The event formats and task names the records are decoded with.
    var recordCatalog: EventCatalog { get }
    /// Calls `body` with the payload of `record` (nil for lost-event records or unreadable data).
    func withData<R>(of record: EventRecord, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R?
}

extension FtraceRecordData {
    public func decodeFields<V: FieldVisitor>(of record: EventRecord, scope: FieldScope, into visitor: inout V) throws {
        guard scope == .payload else { return }
        let catalog = recordCatalog
        _ = withData(of: record) { data in
            guard let event = catalog.event(id: catalog.eventID(ofRecord: data)) else { return }
            FieldDecoder.decode(event.format.fields, data, order: catalog.byteOrder, into: &visitor)
        }
    }

    public func task(of record: EventRecord) -> TaskRef? {
        let catalog = recordCatalog
        return withData(of: record) { data in
            let pid = catalog.pid(ofRecord: data)
            return TaskRef(pid: Int64(pid), comm: catalog.taskNames.nameString(of: pid))
        }
    }

    /// The ftrace header's flags and preemption count (trace-cmd's latency columns).
    public func decodeRecordAttributes<V: FieldVisitor>(of record: EventRecord, into visitor: inout V) throws {
        let catalog = recordCatalog
        _ = withData(of: record) { data in
            visitor.visitInteger("flags", .unsigned(catalog.flags(ofRecord: data)), base: .hexadecimal)
            visitor.visitInteger("preempt", .unsigned(catalog.preemptCount(ofRecord: data)), base: .decimal)
        }
    }

    /// The list's one-line text: the print format rendered exactly as `trace-cmd report` prints it
    /// after the event name.
    public func writeSummary(of record: EventRecord, to out: OutputBuffer) -> Bool {
        let catalog = recordCatalog
        return withData(of: record) { data -> Bool in
            guard let event = catalog.event(id: catalog.eventID(ofRecord: data)) else { return false }
            catalog.writeInfo(of: event, record: data, raw: false, to: out)
            return true
        } ?? false
    }
}
