import Foundation
import CTF
import TraceKit

/// `--begin`/`--end` times: the forms babeltrace2's trimmer accepts (see `BabeltraceTimeBound`) and,
/// as a convenience, durations with a unit (`1.5ms`, `3s`) from the clock origin.
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

    static func nanoseconds(_ text: String, option: String, firstTime: () throws -> Int64?) throws -> Int64 {
        do {
            return try BabeltraceTimeBound.nanoseconds(text, firstTime: firstTime)
        } catch BabeltraceTimeBound.Failure.unrecognized {
            if let value = DurationParser.nanoseconds(text.trimmingCharacters(in: .whitespaces)) { return value }
            throw ValidationFailure("\(option) \(text): expecting YYYY-MM-DD HH:MM[:SS[.NANO]], HH:MM[:SS[.NANO]] or [-]SECONDS[.NANO]")
        } catch BabeltraceTimeBound.Failure.needsFirstEvent {
            throw ValidationFailure("\(option) \(text): a time of day needs an event to take the date from")
        } catch BabeltraceTimeBound.Failure.invalidLocalTime {
            throw ValidationFailure("\(option) \(text): not a valid local time")
        }
    }
}
