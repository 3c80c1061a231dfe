/// Renders nanosecond timestamps for people.
public enum TimeFormatting {
    /// Calendar date and time of day (UTC) of nanoseconds since the Unix epoch.
    public struct CivilTime: Sendable, Hashable {
        public var year: Int, month: Int, day: Int
        public var hour: Int, minute: Int, second: Int
        public var nanosecond: Int
    }

    /// Splits `ns` since the epoch into a UTC civil time (proleptic Gregorian calendar).
    public static func civilTime(fromEpochNanoseconds ns: Int64) -> CivilTime {
        let perSecond: Int64 = 1_000_000_000
        var seconds = ns / perSecond
        var nanos = ns % perSecond
        if nanos < 0 { nanos += perSecond; seconds -= 1 }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return CivilTime(year: Int(year), month: Int(month), day: Int(day),
                         hour: Int(secondOfDay / 3600), minute: Int(secondOfDay / 60 % 60),
                         second: Int(secondOfDay % 60), nanosecond: Int(nanos))
    }

    /// `HH:MM:SS.nnnnnnnnn` (UTC) for epoch time, `S.nnnnnnnnn` otherwise.
    public static func clock(_ ns: Int64, domain: TimeDomain) -> String {
        switch domain {
        case .unixEpoch:
            let c = civilTime(fromEpochNanoseconds: ns)
            return pad(c.hour, 2) + ":" + pad(c.minute, 2) + ":" + pad(c.second, 2) + "." + pad(c.nanosecond, 9)
        case .monotonic:
            return seconds(ns)
        }
    }

    /// `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` (UTC) for epoch time, `S.nnnnnnnnn` otherwise.
    public static func full(_ ns: Int64, domain: TimeDomain) -> String {
        switch domain {
        case .unixEpoch:
            let c = civilTime(fromEpochNanoseconds: ns)
            return pad(c.year, 4) + "-" + pad(c.month, 2) + "-" + pad(c.day, 2) + " " + clock(ns, domain: domain)
        case .monotonic:
            return seconds(ns)
        }
    }

    /// `S.nnnnnnnnn`, with a leading `-` for negative values.
    public static func seconds(_ ns: Int64) -> String {
        let sign = ns < 0 ? "-" : ""
        let m = ns.magnitude
        return sign + String(m / 1_000_000_000) + "." + pad(Int(m % 1_000_000_000), 9)
    }

    /// A duration with a readable unit and at most `digits` significant decimals: `1.5 ms`, `3 s`, `250 ns`.
    public static func duration(_ ns: Int64) -> String {
        let m = Double(ns.magnitude)
        let sign = ns < 0 ? "-" : ""
        let (value, unit): (Double, String)
        switch m {
        case ..<1_000: return sign + String(ns.magnitude) + " ns"
        case ..<1_000_000: (value, unit) = (m / 1e3, "us")
        case ..<1_000_000_000: (value, unit) = (m / 1e6, "ms")
        case ..<60_000_000_000: (value, unit) = (m / 1e9, "s")
        case ..<3_600_000_000_000: (value, unit) = (m / 60e9, "min")
        default: (value, unit) = (m / 3600e9, "h")
        }
        return sign + trimmed(value) + " " + unit
    }

    /// Up to three decimals, without trailing zeros.
    static func trimmed(_ value: Double) -> String {
        var scaled = Int64((value * 1000).rounded())
        var decimals = 3
        while decimals > 0 && scaled % 10 == 0 { scaled /= 10; decimals -= 1 }
        var divisor: Int64 = 1
        for _ in 0..<decimals { divisor *= 10 }
        let whole = scaled / divisor
        guard decimals > 0 else { return String(whole) }
        return String(whole) + "." + pad(Int(scaled % divisor), decimals)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
