/// Binary min-heap steps on an array of source indices, ordered by a caller's comparison (the
/// merges keep their keys elsewhere: records under cursors, timestamps read ahead).
public enum IndexHeap {
    /// Moves the element at `start` up until its parent precedes it.
    @inlinable @inline(__always)
    public static func siftUp(_ heap: inout [Int], from start: Int, by precedes: (Int, Int) -> Bool) {
        heap.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            siftUp(base, from: start, by: precedes)
        }
    }

    /// Moves the element at `start` down until it precedes both children.
    @inlinable @inline(__always)
    public static func siftDown(_ heap: inout [Int], from start: Int, by precedes: (Int, Int) -> Bool) {
        heap.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            siftDown(base, count: buffer.count, from: start, by: precedes)
        }
    }

    /// `siftUp` on a heap in plain memory (no array to keep unique on the hot path).
    @inlinable @inline(__always)
    public static func siftUp(_ heap: UnsafeMutablePointer<Int>, from start: Int, by precedes: (Int, Int) -> Bool) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(heap[child], heap[parent]) else { return }
            swap(&heap[child], &heap[parent])
            child = parent
        }
    }

    /// `siftDown` on the `count` elements of a heap in plain memory.
    @inlinable @inline(__always)
    public static func siftDown(_ heap: UnsafeMutablePointer<Int>, count: Int, from start: Int,
                                by precedes: (Int, Int) -> Bool) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            var best = left
            let right = left + 1
            if right < count && precedes(heap[right], heap[left]) { best = right }
            guard precedes(heap[best], heap[parent]) else { return }
            swap(&heap[best], &heap[parent])
            parent = best
        }
    }
}
