import CTF
import TraceKit

/// `dump --format stats`: decodes every field of every event and prints counts (events per class,
/// lost events, fields by kind). CTF streams are decoded in parallel.
enum StatsDump {
    static func run(set: TraceSet, to out: OutputBuffer, filter: EventFilter? = nil, begin: Int64? = nil,
                    end: Int64? = nil) throws {
        var stats = DecodeStatistics()
        let ctf = set.traces.compactMap { $0 as? CTFTrace }
        if ctf.count == set.traces.count && filter == nil && begin == nil && end == nil {
            stats = try DecodeStatistics.collect(ctf: ctf)
        } else {
            // Other readers, or a selection: through the merge and the generic field decoding.
            let merger = try DumpFilter.makeMerger(for: set, filter: filter)
            if let begin { try merger.seek(toTimestamp: begin) }
            while let record = merger.current, record.timestamp <= end ?? .max {
                stats.count(record, name: set.eventName(of: record))
                if !record.isLostEvents {
                    stats.eventsByClass[set.eventName(of: record), default: 0] += 1
                    let trace = set.trace(of: record)
                    try trace.decodeFields(of: record, scope: .context, into: &stats)
                    try trace.decodeFields(of: record, scope: .payload, into: &stats)
                }
                try merger.advance()
            }
        }
        out.write(stats.report(timeDomain: set.timeDomain))
    }
}
