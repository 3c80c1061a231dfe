import Dispatch

/// Finds the time range of traces (`TimeRangeProviding`) on a thread of its own, with readers of
/// its own: readers that index lazily read every packet header for it, which the first screen
/// of a huge trace must not wait for. (While indexing, `BackgroundIndexer` finds it itself.)
public final class TimeRangeProbe {
    private final class Box: @unchecked Sendable {
        let lock = DispatchQueue(label: "ringside.time-range")
        var done = false
        var range: ClosedRange<Int64>?
    }
    private let box = Box()

    /// - Parameter open: opens the traces again (readers are not shared between threads).
    public init(open: @escaping () throws -> TraceSet) {
        let box = self.box
        let job = Job(open: open)
        DispatchQueue.global(qos: .utility).async {
            let range = try? TimeRangeProbe.range(of: job.open())
            box.lock.sync {
                box.range = range ?? nil
                box.done = true
            }
        }
    }

    private final class Job: @unchecked Sendable {
        let open: () throws -> TraceSet
        init(open: @escaping () throws -> TraceSet) { self.open = open }
    }

    /// The range once found: `.some(range)` (nil range: none known), nil while still looking.
    public func take() -> ClosedRange<Int64>?? {
        box.lock.sync { box.done ? .some(box.range) : nil }
    }

    /// The union of the traces' known time ranges.
    public static func range(of set: TraceSet) -> ClosedRange<Int64>? {
        var range: ClosedRange<Int64>?
        for trace in set.traces {
            guard let r = (trace as? TimeRangeProviding)?.timeRange else { continue }
            range = range.map { min($0.lowerBound, r.lowerBound)...max($0.upperBound, r.upperBound) } ?? r
        }
        return range
    }
}
