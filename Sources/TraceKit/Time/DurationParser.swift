/// Parses times and durations typed by users: `1.5ms`, `250us`, `3s`, `2m`, `1h`, `42ns`, `100`
/// (seconds by default), with an optional sign.
public enum DurationParser {
    /// Nanoseconds in `text`, or nil when it is not a duration. `defaultUnit` applies to bare numbers.
    public static func nanoseconds(_ text: Substring, defaultUnit: Int64 = 1_000_000_000) -> Int64? {
        var s = text.drop(while: { $0 == " " })
        while s.last == " " { s = s.dropLast() }
        var negative = false
        if s.first == "-" || s.first == "+" { negative = s.first == "-"; s = s.dropFirst() }
        let numberEnd = s.firstIndex(where: { !($0.isNumber || $0 == ".") }) ?? s.endIndex
        let number = s[..<numberEnd]
        let unitText = s[numberEnd...].trimmingPrefix(" ")
        guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1 else { return nil }
        let unit: Int64
        switch unitText {
        case "": unit = defaultUnit
        case "ns": unit = 1
        case "us", "µs": unit = 1_000
        case "ms": unit = 1_000_000
        case "s": unit = 1_000_000_000
        case "m", "min": unit = 60_000_000_000
        case "h": unit = 3_600_000_000_000
        default: return nil
        }
        // Integer arithmetic on the digits keeps nanoseconds exact.
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard let whole = parts[0].isEmpty ? 0 : Int64(parts[0]) else { return nil }
        var (total, overflow) = whole.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        if parts.count == 2 {
            var scale = unit
            for digit in parts[1] {
                guard let d = digit.wholeNumberValue else { return nil }
                scale /= 10
                if scale == 0 { break }
                (total, overflow) = total.addingReportingOverflow(Int64(d) * scale)
                guard !overflow else { return nil }
            }
        }
        return negative ? -total : total
    }

    public static func nanoseconds(_ text: String, defaultUnit: Int64 = 1_000_000_000) -> Int64? {
        nanoseconds(text[...], defaultUnit: defaultUnit)
    }
}
