import CTF
import Ftrace
import TraceKit

/// `dump --format index`: what opening the traces indexed, one line per trace. For CTF traces that
/// is the packet index, built from packet headers and contexts only (no event is read), which makes
/// this the index-speed benchmark.
enum IndexSummaryDump {
    static func run(set: TraceSet, to out: OutputBuffer) {
        for trace in set.traces {
            out.write(trace.path)
            out.write(": ")
            if let ctf = trace as? CTFTrace {
                let s = ctf.packetIndexSummary
                out.write("\(s.streams) streams, \(s.packets) packets, \(s.bytes) bytes")
                if let begin = s.begin, let end = s.end {
                    out.write(", packets from \(TimeFormatting.full(begin, domain: trace.timeDomain))")
                    out.write(" to \(TimeFormatting.full(end, domain: trace.timeDomain))")
                }
            } else if let dat = trace as? TraceDatTrace {
                let s = dat.pageIndexSummary
                out.write("\(s.streams) CPU streams, \(s.pages) pages of \(dat.file.pageSize) bytes")
            } else {
                out.write("\(trace.streams.count) streams")
            }
            out.write(byte: 0x0A)
        }
    }
}
