import TraceKit

/// One line of the event list, formatted.
public struct EventRow: Sendable, Equatable {
    public var ordinal: Int
    public var record: EventRecord
    public var time: String
    public var cpu: String
    public var task: String
    public var event: String
    public var summary: String
    public var isLost: Bool
}

/// Formats records for the list: time, CPU, task, event name, one-line summary (the native tool's
/// text for formats that have one, see `EventSummaryProviding`; the fields otherwise).
final class EventRowFormatter {
    private let out = OutputBuffer(flushThreshold: 1 << 20) { _ in }
    private let writer = TextFormatter()

    func row(ordinal: Int, record: EventRecord, set: TraceSet, task: TaskRef?) -> EventRow {
        let time = TimeFormatting.clock(record.timestamp, domain: set.timeDomain)
        let cpu = record.cpu >= 0 ? String(record.cpu) : "?"
        if case .lostEvents(let count, let since) = record.kind {
            let n = count.map { "\($0) events" } ?? "events"
            return EventRow(ordinal: ordinal, record: record, time: time, cpu: cpu, task: "",
                            event: "(lost events)",
                            summary: "LOST \(n) since \(TimeFormatting.clock(since, domain: set.timeDomain))",
                            isLost: true)
        }
        let taskText = task.map { "\($0.comm)-\($0.pid)" } ?? ""
        out.truncate(to: 0)
        let trace = set.trace(of: record)
        // The native tool's text when the trace has one (ftrace print formats), else the fields.
        if !((trace as? EventSummaryProviding)?.writeSummary(of: record, to: out) ?? false) {
            out.truncate(to: 0)
            var fields = TextFieldWriter(out: out)
            try? trace.decodeFields(of: record, scope: .payload, into: &fields)
        }
        var summary = String(decoding: out.pendingBytes.prefix(600), as: UTF8.self)
        if summary.first == " " { summary.removeFirst() }
        // Markers written with `echo` end in a newline: not a character to show.
        while summary.last?.isNewline == true { summary.removeLast() }
        out.truncate(to: 0)
        return EventRow(ordinal: ordinal, record: record, time: time, cpu: cpu, task: taskText,
                        event: set.eventName(of: record), summary: summary, isLost: false)
    }
}
