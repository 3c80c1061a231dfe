/// Readers that know a trace's time range before reading every record (from packet or page headers)
/// adopt this so the viewer can show indexing progress as a percentage and fit the whole trace at
/// once.
public protocol TimeRangeProviding {
    var timeRange: ClosedRange<Int64>? { get }
}
