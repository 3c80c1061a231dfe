import TraceKit

/// A generated kernel-like trace for demos, tests and benchmarks: per-CPU streams of `sched_switch`,
/// `irq_handler_entry` and `sys_enter` events with consistent tasks, and occasional lost events.
/// Only timestamps and small codes are stored (11 bytes per event); fields are computed when asked,
/// so millions of events take little memory and no time to "read".
public final class SyntheticTrace: Trace {
    public let name: String
    public let path = ""
    public let timeDomain: TimeDomain = .monotonic
    public let eventClasses: [EventClass]
    public let streams: [StreamInfo]
    public var environment: [(String, String)] { [("generator", "ringside synthetic"), ("events", String(eventCount))] }
    public var cpuCount: Int { streams.count }
    public private(set) var eventCount = 0

    /// Per CPU: timestamps, kinds (see `Kind`), and the task running after each event.
    private var times: [[Int64]] = []
    private var kinds: [[UInt8]] = []
    private var tasks: [[UInt16]] = []
    /// Per CPU, per event: a small per-event number for field values (irq, syscall id).
    private var detail: [[UInt8]] = []

    enum Kind: UInt8 { case schedSwitch = 0, irq = 1, syscall = 2, lost = 3 }

    static let taskNames = ["bash", "make", "cc1", "ld", "kworker/0:1", "rcu_sched", "sshd", "systemd",
                            "postgres", "nginx", "python3", "node", "java", "Xorg", "pulseaudio", "git",
                            "ringside", "tmux", "vim", "cargo", "swift-frontend", "ksoftirqd/0", "jbd2/sda1",
                            "dbus-daemon", "containerd", "chrome", "firefox", "rsyslogd", "cron", "snapd"]
    static let irqNames = ["eth0", "nvme0q1", "i8042", "ahci", "xhci_hcd", "timer"]

    /// - Parameters:
    ///   - events: total events (approximately evenly spread over CPUs).
    ///   - cpus: number of CPUs.
    ///   - seed: generator seed (the same seed gives the same trace).
    public init(events: Int, cpus: Int = 4, seed: UInt64 = 42, name: String = "synthetic") {
        self.name = name
        eventClasses = [
            EventClass(index: 0, name: "sched_switch", system: "sched", numericID: 316,
                       payloadFieldNames: ["prev_comm", "prev_pid", "prev_prio", "prev_state", "next_comm", "next_pid", "next_prio"]),
            EventClass(index: 1, name: "irq_handler_entry", system: "irq", numericID: 140, payloadFieldNames: ["irq", "name"]),
            EventClass(index: 2, name: "sys_enter", system: "raw_syscalls", numericID: 21, payloadFieldNames: ["id", "args"]),
        ]
        let cpuCount = max(1, cpus)
        streams = (0..<cpuCount).map { StreamInfo(name: "cpu\($0)", cpu: Int32($0), file: "") }
        var state = seed | 1
        func random() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        let perCPU = max(1, events / cpuCount)
        for c in 0..<cpuCount {
            var t: Int64 = 1_000_000_000 + Int64(c) * 137
            var running: UInt16 = 0  // 0: idle; tasks are 1...taskNames.count
            var ts: [Int64] = [], ks: [UInt8] = [], tk: [UInt16] = [], dt: [UInt8] = []
            ts.reserveCapacity(perCPU); ks.reserveCapacity(perCPU); tk.reserveCapacity(perCPU); dt.reserveCapacity(perCPU)
            var sinceSwitch = 0
            for n in 0..<perCPU {
                let r = random()
                t += Int64(200 + r % 20_000)
                var kind: Kind
                if n > 0 && n % 250_000 == 0 {
                    kind = .lost
                } else if sinceSwitch > Int(r >> 40 % 12) {
                    kind = .schedSwitch
                } else {
                    kind = r & 7 == 0 ? .irq : .syscall
                    if running == 0 { kind = .irq }
                }
                if kind == .schedSwitch {
                    sinceSwitch = 0
                    // Mostly busy, with idle stretches; a few tasks run more often than others.
                    let pick = random() % 10
                    running = pick < 3 ? 0 : UInt16(1 + (random() % UInt64(pick < 6 ? 5 : Self.taskNames.count)))
                } else {
                    sinceSwitch += 1
                }
                ts.append(t)
                ks.append(kind.rawValue)
                tk.append(running)
                dt.append(UInt8(truncatingIfNeeded: r >> 32))
            }
            times.append(ts)
            kinds.append(ks)
            tasks.append(tk)
            detail.append(dt)
            eventCount += perCPU
        }
    }

    public func openStream(_ index: Int) throws -> EventStream {
        SyntheticStream(trace: self, cpu: index)
    }

    fileprivate func record(cpu: Int, at i: Int) -> EventRecord? {
        guard times.indices.contains(cpu), times[cpu].indices.contains(i) else { return nil }
        let position = StreamPosition(unit: 0, offset: i, clock: UInt64(bitPattern: times[cpu][i]))
        let kind = kinds[cpu][i]
        if kind == Kind.lost.rawValue {
            let since = i > 0 ? times[cpu][i - 1] : times[cpu][i]
            return EventRecord(timestamp: times[cpu][i], cpu: Int32(cpu), classIndex: 0, stream: Int32(cpu),
                               kind: .lostEvents(count: UInt64(detail[cpu][i]) + 1, since: since), position: position)
        }
        return EventRecord(timestamp: times[cpu][i], cpu: Int32(cpu), classIndex: Int32(kind), stream: Int32(cpu),
                           position: position)
    }

    fileprivate func firstIndex(cpu: Int, atOrAfter t: Int64) -> Int {
        ActivityIndexSearch.firstIndex(times[cpu], atOrAfter: t)
    }

    private func taskRef(_ id: UInt16) -> TaskRef {
        id == 0 ? TaskRef(pid: 0, comm: "swapper") : TaskRef(pid: 1000 + Int64(id) * 7, comm: Self.taskNames[Int(id - 1) % Self.taskNames.count])
    }

    /// The task that ran before event `i` on `cpu`.
    private func taskBefore(cpu: Int, _ i: Int) -> UInt16 { i > 0 ? tasks[cpu][i - 1] : 0 }

    public func task(of record: EventRecord) -> TaskRef? {
        let c = Int(record.stream), i = record.position.offset
        guard tasks.indices.contains(c), tasks[c].indices.contains(i) else { return nil }
        let kind = kinds[c][i]
        return taskRef(kind == Kind.schedSwitch.rawValue ? taskBefore(cpu: c, i) : tasks[c][i])
    }

    public func decodeFields<V: FieldVisitor>(of record: EventRecord, scope: FieldScope, into visitor: inout V) throws {
        let c = Int(record.stream), i = record.position.offset
        guard scope == .payload, kinds.indices.contains(c), kinds[c].indices.contains(i) else { return }
        let d = detail[c][i]
        switch Kind(rawValue: kinds[c][i]) {
        case .schedSwitch:
            let prev = taskRef(taskBefore(cpu: c, i)), next = taskRef(tasks[c][i])
            Self.visitString(&visitor, "prev_comm", prev.comm)
            visitor.visitInteger("prev_pid", .signed(prev.pid), base: .decimal)
            visitor.visitInteger("prev_prio", .signed(120), base: .decimal)
            visitor.visitEnumeration("prev_state", .signed(Int64(d & 1)), labels: [d & 1 == 0 ? "R" : "S"])
            Self.visitString(&visitor, "next_comm", next.comm)
            visitor.visitInteger("next_pid", .signed(next.pid), base: .decimal)
            visitor.visitInteger("next_prio", .signed(120), base: .decimal)
        case .irq:
            visitor.visitInteger("irq", .signed(Int64(16 + d % 6)), base: .decimal)
            Self.visitString(&visitor, "name", Self.irqNames[Int(d % 6)])
        case .syscall:
            visitor.visitInteger("id", .signed(Int64(d % 64)), base: .decimal)
            visitor.beginArray("args", count: 3, isText: false)
            visitor.visitInteger("", .unsigned(0x7ffd_0000 + UInt64(d) * 16), base: .hexadecimal)
            visitor.visitInteger("", .unsigned(UInt64(d)), base: .hexadecimal)
            visitor.visitInteger("", .unsigned(0), base: .hexadecimal)
            visitor.endArray()
        default:
            break
        }
    }

    private static func visitString<V: FieldVisitor>(_ visitor: inout V, _ name: String, _ value: String) {
        var value = value
        value.withUTF8 { visitor.visitString(name, UnsafeRawBufferPointer($0)) }
    }
}

private final class SyntheticStream: EventStream {
    let trace: SyntheticTrace
    let cpu: Int
    var index = 0

    init(trace: SyntheticTrace, cpu: Int) {
        self.trace = trace
        self.cpu = cpu
    }

    var current: EventRecord? { trace.record(cpu: cpu, at: index) }
    func advance() throws { index += 1 }
    func seek(to position: StreamPosition) throws { index = position.offset }
    func seek(toTimestamp timestamp: Int64) throws { index = trace.firstIndex(cpu: cpu, atOrAfter: timestamp) }
}

enum ActivityIndexSearch {
    static func firstIndex(_ a: [Int64], atOrAfter value: Int64) -> Int {
        var low = 0, high = a.count
        while low < high {
            let mid = (low + high) / 2
            if a[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
