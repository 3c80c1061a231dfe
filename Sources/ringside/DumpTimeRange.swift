import Foundation
import TraceKit

/// `--begin`/`--end` times, in the forms babeltrace2's trimmer accepts:
///
///     YYYY-MM-DD HH:MM[:SS[.NANO]]   local time (TZ)
///     YYYY-MM-DD                      local midnight
///     HH:MM[:SS[.NANO]]               on the local date of the first event
///     [-]SEC[.NANO]                   seconds from the clock origin (what monotonic traces show)
///
/// and, as a convenience, durations with a unit (`1.5ms`, `3s`) from the clock origin.
enum DumpTimeRange {
    static func parse(begin: String?, end: String?, set: TraceSet) throws -> (Int64?, Int64?) {
        var firstTime: Int64??
        func first() throws -> Int64? {
            if let firstTime { return firstTime }
            let value = try set.makeMerger().current?.timestamp
            firstTime = .some(value)
            return value
        }
        let b = try begin.map { try nanoseconds($0, option: "--begin", firstTime: first) }
        let e = try end.map { try nanoseconds($0, option: "--end", firstTime: first) }
        if let b, let e, b > e {
            throw ValidationFailure("--begin (\(begin ?? "")) is after --end (\(end ?? ""))")
        }
        return (b, e)
    }

    /// Nanoseconds from the clock origin of `text`.
    static func nanoseconds(_ text: String, option: String, firstTime: () throws -> Int64?) throws -> Int64 {
        let s = text.trimmingCharacters(in: .whitespaces)
        if let value = parseSeconds(s) { return value }
        let parts = s.split(separator: " ", omittingEmptySubsequences: true)
        if parts.count == 2, let date = parseDate(parts[0]), let time = parseTimeOfDay(parts[1]),
           let value = localTime(date, time) {
            return value
        }
        if parts.count == 1, let date = parseDate(parts[0]), let value = localTime(date, (0, 0, 0, 0)) {
            return value
        }
        if parts.count == 1, let time = parseTimeOfDay(parts[0]) {
            guard let first = try firstTime() else {
                throw ValidationFailure("\(option) \(text): a time of day needs an event to take the date from")
            }
            var t = time_t(first / 1_000_000_000 - (first % 1_000_000_000 < 0 ? 1 : 0))
            var parts = tm()
            guard localtime_r(&t, &parts) != nil,
                  let value = localTime((Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday)), time) else {
                throw ValidationFailure("\(option) \(text): cannot compute the date of the first event")
            }
            return value
        }
        if let value = DurationParser.nanoseconds(s) { return value }
        throw ValidationFailure("\(option) \(text): expecting YYYY-MM-DD HH:MM[:SS[.NANO]], HH:MM[:SS[.NANO]] or [-]SECONDS[.NANO]")
    }

    private static func digits(_ text: Substring, count: ClosedRange<Int>) -> Int? {
        guard count.contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// `.NANO` digits as nanoseconds: `.5` is half a second.
    private static func fraction(_ text: Substring) -> Int64? {
        guard let value = digits(text, count: 1...9) else { return nil }
        var ns = Int64(value)
        for _ in text.count..<9 { ns *= 10 }
        return ns
    }

    private static func parseSeconds(_ s: String) -> Int64? {
        var text = Substring(s)
        let negative = text.hasPrefix("-")
        if negative { text = text.dropFirst() }
        let pieces = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = pieces.first, !whole.isEmpty, whole.allSatisfy({ $0.isASCII && $0.isNumber }),
              let seconds = Int64(whole) else { return nil }
        var ns: Int64 = 0
        if pieces.count == 2 {
            guard let f = fraction(pieces[1]) else { return nil }
            ns = f
        }
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let total = product + ns
        return negative ? -total : total
    }

    private static func parseDate(_ s: Substring) -> (Int, Int, Int)? {
        let p = s.split(separator: "-", omittingEmptySubsequences: false)
        guard p.count == 3, let y = digits(p[0], count: 4...4), let m = digits(p[1], count: 2...2),
              let d = digits(p[2], count: 2...2) else { return nil }
        return (y, m, d)
    }

    private static func parseTimeOfDay(_ s: Substring) -> (Int, Int, Int, Int64)? {
        let p = s.split(separator: ":", omittingEmptySubsequences: false)
        guard p.count == 2 || p.count == 3, let h = digits(p[0], count: 2...2), let m = digits(p[1], count: 2...2) else {
            return nil
        }
        var seconds = 0
        var ns: Int64 = 0
        if p.count == 3 {
            let q = p[2].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            guard let sec = digits(q[0], count: 2...2) else { return nil }
            seconds = sec
            if q.count == 2 {
                guard let f = fraction(q[1]) else { return nil }
                ns = f
            }
        }
        return (h, m, seconds, ns)
    }

    /// Local time (TZ) to nanoseconds since the epoch, as `mktime` computes it.
    private static func localTime(_ date: (Int, Int, Int), _ time: (Int, Int, Int, Int64)) -> Int64? {
        var parts = tm()
        parts.tm_year = Int32(date.0 - 1900)
        parts.tm_mon = Int32(date.1 - 1)
        parts.tm_mday = Int32(date.2)
        parts.tm_hour = Int32(time.0)
        parts.tm_min = Int32(time.1)
        parts.tm_sec = Int32(time.2)
        parts.tm_isdst = -1
        let seconds = mktime(&parts)
        guard seconds >= 0 else { return nil }
        return Int64(seconds) * 1_000_000_000 + time.3
    }
}
