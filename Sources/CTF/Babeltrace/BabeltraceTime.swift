import Glibc
import TraceKit

/// Writes times as babeltrace2's pretty printer does: `HH:MM:SS.nnnnnnnnn` in the local time zone
/// (`TZ`), or seconds for the first negative time (with babeltrace2's warning).
struct BabeltraceClockWriter {
    private var cachedSecond = Int64.min
    /// `HH:MM:SS` of `cachedSecond`.
    private var cachedText: UInt64 = 0
    private(set) var negativeWarningDone = false
    /// Receives babeltrace2's one-time warning about negative times.
    var warn: (String) -> Void = { _ in }

    /// The time of `ns` nanoseconds from the clock origin.
    mutating func write(_ ns: Int64, to out: inout TextBuffer) {
        var seconds = ns / 1_000_000_000
        var nanos = ns % 1_000_000_000
        var negative = false
        // babeltrace2's sign handling, case by case.
        if seconds >= 0 && nanos >= 0 {
        } else if seconds > 0 && nanos < 0 {
            seconds -= 1
            nanos += 1_000_000_000
        } else if seconds == 0 && nanos < 0 {
            negative = true
            nanos = -nanos
        } else if seconds < 0 && nanos > 0 {
            negative = true
            seconds = -(seconds + 1)
            nanos = 1_000_000_000 - nanos
        } else {
            negative = true
            seconds = -seconds
            nanos = -nanos
        }
        if negative && !negativeWarningDone {
            negativeWarningDone = true
            warn("[warning] Fallback to [sec.ns] to print negative time value. Use --clock-seconds.\n")
            out.append(UInt8(ascii: "-"))
            out.appendDecimal(UInt64(seconds))
            out.append(UInt8(ascii: "."))
            out.appendZeroPadded(UInt64(nanos), width: 9)
            return
        }
        if seconds != cachedSecond {
            cachedSecond = seconds
            var t = time_t(seconds)
            var parts = tm()
            if localtime_r(&t, &parts) == nil {
                parts = tm()
            }
            var text: UInt64 = 0
            withUnsafeMutableBytes(of: &text) { b in
                func two(_ v: Int32, _ at: Int) {
                    b[at] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: (v / 10) % 10)
                    b[at + 1] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v % 10)
                }
                two(parts.tm_hour, 0)
                b[2] = UInt8(ascii: ":")
                two(parts.tm_min, 3)
                b[5] = UInt8(ascii: ":")
                two(parts.tm_sec, 6)
            }
            cachedText = text
        }
        withUnsafeBytes(of: cachedText) { out.append(UnsafeRawBufferPointer(rebasing: $0[0..<8])) }
        out.append(UInt8(ascii: "."))
        out.appendZeroPadded(UInt64(nanos), width: 9)
    }
}
