import Foundation

/// Times as babeltrace2's `--begin`/`--end` (trimmer) accept them:
///
///     YYYY-MM-DD HH:MM[:SS[.NANO]]   local time (TZ)
///     YYYY-MM-DD                      local midnight
///     HH:MM[:SS[.NANO]]               on the local date of the first event
///     [-]SEC[.NANO]                   seconds from the clock origin (what monotonic traces show)
public enum BabeltraceTimeBound {
    public enum Failure: Error, Equatable {
        /// The text is in none of the forms.
        case unrecognized
        /// A time of day, but there is no first event to take the date from.
        case needsFirstEvent
        /// The local time does not exist or is before the epoch.
        case invalidLocalTime
    }

    /// Nanoseconds from the clock origin of `text`; `firstTime` gives the first event's time (called
    /// only for a time of day).
    public static func nanoseconds(_ text: String, firstTime: () throws -> Int64?) throws -> Int64 {
        let s = text.trimmingCharacters(in: .whitespaces)
        if let value = parseSeconds(s) { return value }
        let parts = s.split(separator: " ", omittingEmptySubsequences: true)
        if parts.count == 2, let date = parseDate(parts[0]), let time = parseTimeOfDay(parts[1]) {
            guard let value = localTime(date, time) else { throw Failure.invalidLocalTime }
            return value
        }
        if parts.count == 1, let date = parseDate(parts[0]) {
            guard let value = localTime(date, (0, 0, 0, 0)) else { throw Failure.invalidLocalTime }
            return value
        }
        if parts.count == 1, let time = parseTimeOfDay(parts[0]) {
            guard let first = try firstTime() else { throw Failure.needsFirstEvent }
            var t = time_t(first / 1_000_000_000 - (first % 1_000_000_000 < 0 ? 1 : 0))
            var fields = tm()
            guard localtime_r(&t, &fields) != nil,
                  let value = localTime((Int(fields.tm_year) + 1900, Int(fields.tm_mon) + 1, Int(fields.tm_mday)), time)
            else { throw Failure.invalidLocalTime }
            return value
        }
        throw Failure.unrecognized
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
