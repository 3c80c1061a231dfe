/// Time arithmetic that cannot trap: damaged traces can hold timestamps anywhere in `Int64`, and a
/// viewer must not crash on a difference or a sum of two of them.
public enum SaturatingTime {
    /// `a - b`, clamped to the `Int64` range.
    @inline(__always)
    public static func difference(_ a: Int64, _ b: Int64) -> Int64 {
        let (d, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? (a < b ? .min : .max) : d
    }

    /// `a + b`, clamped to the `Int64` range.
    @inline(__always)
    public static func sum(_ a: Int64, _ b: Int64) -> Int64 {
        let (s, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b < 0 ? .min : .max) : s
    }

    /// The largest magnitude the viewer uses for times: room for spans and offsets without overflow.
    public static let viewLimit: Int64 = Int64.max / 4

    /// `t` brought into `[-viewLimit, viewLimit]`.
    @inline(__always)
    public static func clampForView(_ t: Int64) -> Int64 { max(-viewLimit, min(viewLimit, t)) }

    /// A double brought into the `Int64` range (NaN is 0).
    public static func int64(_ d: Double) -> Int64 {
        if d.isNaN { return 0 }
        if d >= 9.2e18 { return .max }
        if d <= -9.2e18 { return .min }
        return Int64(d)
    }
}
