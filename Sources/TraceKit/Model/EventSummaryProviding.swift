/// Traces whose native tools print a one-line text for each event (trace-cmd renders the event's
/// print format, KernelShark shows it as "Info"): the viewer's list shows that text instead of a
/// generic field list, so it reads the same as the tools the user knows.
public protocol EventSummaryProviding {
    /// Writes the one-line text of `record` to `out`; false when there is none (lost events,
    /// unreadable records), and the caller falls back to the fields.
    func writeSummary(of record: EventRecord, to out: OutputBuffer) -> Bool
}
