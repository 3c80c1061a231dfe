/// glibc's `bsearch` probing order, so that lookups among equal keys pick the same element as
/// libtraceevent does (kallsyms has many aliases at one address).
enum GlibcSearch {
    /// Returns the index where `compare(index)` is 0, probing like glibc (`compare` < 0 when the key
    /// sorts before the element).
    @inline(__always)
    static func bsearch(count: Int, _ compare: (Int) -> Int) -> Int? {
        var low = 0
        var high = count
        while low < high {
            let index = (low + high) / 2
            let c = compare(index)
            if c < 0 {
                high = index
            } else if c > 0 {
                low = index + 1
            } else {
                return index
            }
        }
        return nil
    }
}
