import TerminalUI
import TraceKit

/// Small deterministic traces for widget and screen tests.
enum TestTraces {
    static func int(_ v: Int64) -> FieldValue { .integer(.signed(v), base: .decimal) }

    /// Two CPUs over 1 ms: CPU 0 runs `bash` (pid 100) for the first half then idles; CPU 1 runs
    /// `make` (pid 200) then `cc1` (pid 300). Irq events in between, a lost range on CPU 1.
    static func scheduler() -> MemoryTrace {
        let trace = MemoryTrace(name: "sched-test")
        trace.addStream(StreamInfo(name: "cpu0", cpu: 0, file: ""))
        trace.addStream(StreamInfo(name: "cpu1", cpu: 1, file: ""))
        let sw = trace.classIndex(named: "sched_switch", system: "sched")
        let irq = trace.classIndex(named: "irq_handler_entry", system: "irq")
        func switchEvent(_ s: Int, _ t: Int64, _ prev: (String, Int64), _ next: (String, Int64)) {
            trace.append(stream: s, timestamp: t, classIndex: sw, payload: [
                Field("prev_comm", .string(prev.0)), Field("prev_pid", int(prev.1)),
                Field("prev_state", .enumeration(.signed(1), labels: ["S"])),
                Field("next_comm", .string(next.0)), Field("next_pid", int(next.1)),
            ], task: TaskRef(pid: prev.1, comm: prev.0))
        }
        let base: Int64 = 5_000_000_000
        switchEvent(0, base, ("swapper/0", 0), ("bash", 100))
        switchEvent(1, base, ("swapper/1", 0), ("make", 200))
        for i in 1...9 {
            let t = base + Int64(i) * 50_000
            trace.append(stream: i % 2, timestamp: t, classIndex: irq,
                         payload: [Field("irq", int(Int64(16 + i))), Field("name", .string("eth0")),
                                   Field("flags", .integer(.unsigned(0x80 + UInt64(i)), base: .hexadecimal))],
                         task: TaskRef(pid: i % 2 == 0 ? 100 : 200, comm: i % 2 == 0 ? "bash" : "make"))
        }
        switchEvent(0, base + 500_000, ("bash", 100), ("swapper/0", 0))
        switchEvent(1, base + 500_000, ("make", 200), ("cc1", 300))
        trace.append(stream: 1, timestamp: base + 800_000, classIndex: 0, kind: .lostEvents(count: 42, since: base + 700_000))
        trace.append(stream: 0, timestamp: base + 1_000_000, classIndex: irq,
                     payload: [Field("irq", int(30)), Field("name", .string("timer")),
                               Field("flags", .integer(.unsigned(0), base: .hexadecimal))],
                     task: TaskRef(pid: 0, comm: "swapper/0"))
        return trace
    }

    /// One CPU, no scheduler events: a burst of events in the first tenth of the range.
    static func density() -> MemoryTrace {
        let trace = MemoryTrace(name: "density-test")
        trace.addStream(StreamInfo(name: "ch0", cpu: 0, file: ""))
        let e = trace.classIndex(named: "ust:tick")
        for i in 0..<100 { trace.append(stream: 0, timestamp: Int64(i), classIndex: e) }
        trace.append(stream: 0, timestamp: 999, classIndex: e)
        return trace
    }

    static func model(_ trace: Trace) throws -> ViewerModel {
        let model = try ViewerModel(set: TraceSet(traces: [trace]))
        model.finishBackgroundWork()
        return model
    }
}
