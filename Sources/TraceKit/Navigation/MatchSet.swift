/// Which merged records match a filter: one bit per record with a rank directory, so "the j-th match"
/// and "matches before record N" are logarithmic, at an eighth of a byte per record.
public struct MatchSet: Sendable {
    private var words: [UInt64] = []
    /// Matches before each block of `wordsPerBlock` words.
    private var blockRanks: [Int] = []
    private static let wordsPerBlock = 8
    /// Records covered (matching or not).
    public private(set) var count = 0
    /// Records that match.
    public private(set) var matchCount = 0

    public init() {}

    public mutating func append(_ match: Bool) {
        let w = count >> 6
        if w == words.count {
            if w % Self.wordsPerBlock == 0 { blockRanks.append(matchCount) }
            words.append(0)
        }
        if match {
            words[w] |= 1 << UInt64(count & 63)
            matchCount += 1
        }
        count += 1
    }

    public func contains(_ ordinal: Int) -> Bool {
        guard ordinal >= 0, ordinal < count else { return false }
        return words[ordinal >> 6] & (1 << UInt64(ordinal & 63)) != 0
    }

    /// Matches among the records before `ordinal`.
    public func rank(_ ordinal: Int) -> Int {
        guard ordinal > 0 else { return 0 }
        guard ordinal < count else { return matchCount }
        let w = ordinal >> 6
        let block = w / Self.wordsPerBlock
        var r = blockRanks[block]
        var i = block * Self.wordsPerBlock
        while i < w { r += words[i].nonzeroBitCount; i += 1 }
        let bits = ordinal & 63
        if bits > 0 { r += (words[w] & ((1 << UInt64(bits)) - 1)).nonzeroBitCount }
        return r
    }

    /// The ordinal of the `j`-th match (0-based), or nil past the last match.
    public func select(_ j: Int) -> Int? {
        guard j >= 0, j < matchCount else { return nil }
        var low = 0, high = blockRanks.count
        while low < high {
            let mid = (low + high) / 2
            if blockRanks[mid] <= j { low = mid + 1 } else { high = mid }
        }
        let block = low - 1
        var remaining = j - blockRanks[block]
        var w = block * Self.wordsPerBlock
        while w < words.count {
            let n = words[w].nonzeroBitCount
            if remaining < n {
                var word = words[w]
                for _ in 0..<remaining { word &= word - 1 }
                return w * 64 + word.trailingZeroBitCount
            }
            remaining -= n
            w += 1
        }
        return nil
    }

    /// The first match at or after `ordinal`, if any.
    public func nextMatch(atOrAfter ordinal: Int) -> Int? { select(rank(max(0, ordinal))) }

    /// The last match before `ordinal`, if any.
    public func previousMatch(before ordinal: Int) -> Int? {
        let r = rank(ordinal)
        return r > 0 ? select(r - 1) : nil
    }
}
