import TraceKit

/// The list shows ftrace events as `trace-cmd report` does (`FtraceRecordData.writeSummary`).
extension TraceDatTrace: EventSummaryProviding {}
