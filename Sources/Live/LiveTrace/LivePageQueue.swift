import Foundation
import Ftrace

/// Hands pages from the capture thread to the thread that owns a `LiveTrace`: the capture thread
/// copies and indexes each page (so that work runs beside the viewer) and queues it under a lock;
/// the owner drains the queue in one go between its other work. Nothing is dropped here; the
/// trace's memory cap decides what is kept.
public final class LivePageQueue: PageSink, @unchecked Sendable {
    private let lock = NSLock()
    private let layout: RingBufferLayout
    /// Signalled after each sweep that brought pages, so the owner can wake at once.
    private let arrived = DispatchSemaphore(value: 0)
    private var pages: [(cpu: Int, page: LivePage)] = []
    private var completeUntil: Int64?
    private var sawFrontier = false
    private var stats: [Int: CPUBufferStats] = [:]
    /// Pages handed over so far.
    public private(set) var pagesQueued = 0
    /// Back-off margin for the completeness frontier: clocks of different CPUs may differ slightly.
    public var frontierMargin: Int64 = 1_000_000

    public init(layout: RingBufferLayout) {
        self.layout = layout
    }

    public func consume(cpu: Int, page: UnsafeRawBufferPointer) {
        let copy = LivePage(sequence: 0, bytes: page, layout: layout)
        lock.lock()
        pages.append((cpu, copy))
        pagesQueued += 1
        lock.unlock()
    }

    public func statsSampled(_ stats: [Int: CPUBufferStats]) {
        lock.lock()
        for (cpu, s) in stats { self.stats[cpu] = s }
        lock.unlock()
    }

    public func sweepFinished(completeUntil time: Int64?) {
        lock.lock()
        if let time {
            completeUntil = time - frontierMargin
            sawFrontier = true
        }
        let hasPages = !pages.isEmpty
        lock.unlock()
        if hasPages { arrived.signal() }
    }

    /// Waits until a sweep brought pages, or `timeout` passes; true when pages came.
    public func waitForPages(timeout: DispatchTime) -> Bool {
        guard arrived.wait(timeout: timeout) == .success else { return false }
        // Several sweeps may have signalled: one drain takes all their pages.
        while arrived.wait(timeout: .now()) == .success {}
        return true
    }

    /// Moves everything queued into `trace`; returns the number of pages moved.
    @discardableResult
    public func drain(into trace: LiveTrace) -> Int {
        lock.lock()
        let batch = pages
        pages.removeAll(keepingCapacity: true)
        let frontier = completeUntil
        let hasFrontier = sawFrontier
        let latest = stats
        stats.removeAll()
        lock.unlock()
        for (cpu, page) in batch { trace.append(page, cpu: cpu) }
        if hasFrontier { trace.advanceVisibility(to: frontier) }
        if !latest.isEmpty { trace.updateKernelStats(latest) }
        return batch.count
    }
}
