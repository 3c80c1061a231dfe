/// Task names by pid from `saved_cmdlines` (or a trace.dat SAVED COMMAND LINES section).
/// Unknown pids are `<...>` and pid 0 is `<idle>`, as trace-cmd prints them.
public final class TaskNames: @unchecked Sendable {
    private var pids: [Int32] = []
    /// Name bytes of every pid, one after another, at a stable address.
    private var pool: UnsafeMutableRawBufferPointer
    private var ranges: [Range<Int>] = []
    private let constants: UnsafeMutableRawBufferPointer

    public static let idle: [UInt8] = Array("<idle>".utf8)
    public static let unknown: [UInt8] = Array("<...>".utf8)

    public init() {
        pool = .allocate(byteCount: 1, alignment: 1)
        constants = TaskNames.makeConstants()
    }

    deinit {
        pool.deallocate()
        constants.deallocate()
    }

    private static func makeConstants() -> UnsafeMutableRawBufferPointer {
        let c = UnsafeMutableRawBufferPointer.allocate(byteCount: 11, alignment: 1)
        (idle + unknown).withUnsafeBytes { c.copyMemory(from: $0) }
        return c
    }

    /// Parses `pid comm` lines; parsing stops at the first line that does not start with a number.
    public init(savedCmdlines text: UnsafeRawBufferPointer) {
        constants = TaskNames.makeConstants()
        var entries: [(Int32, Range<Int>)] = []
        var lineStart = 0
        let n = text.count
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        while lineStart < n {
            var lineEnd = lineStart
            while lineEnd < n && text[lineEnd] != 0x0A { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            if lineEnd == lineStart { continue }
            var i = lineStart
            while i < lineEnd && isSpace(text[i]) { i += 1 }
            var negative = false
            if i < lineEnd && (text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+")) {
                negative = text[i] == UInt8(ascii: "-")
                i += 1
            }
            var value: Int64 = 0
            var digits = 0
            while i < lineEnd, text[i] >= 0x30 && text[i] <= 0x39 {
                value = value &* 10 &+ Int64(text[i] - 0x30)
                digits += 1
                i += 1
            }
            guard digits > 0 else { break }
            while i < lineEnd && isSpace(text[i]) { i += 1 }
            guard i < lineEnd else { break }
            let pid = Int32(truncatingIfNeeded: negative ? -value : value)
            entries.append((pid, i..<lineEnd))
        }
        // libtraceevent prepends each entry to a list, then sorts stably by pid.
        entries.reverse()
        let sorted = entries.enumerated().sorted { a, b in
            a.element.0 != b.element.0 ? a.element.0 < b.element.0 : a.offset < b.offset
        }
        let total = sorted.reduce(0) { $0 + $1.element.1.count }
        pool = .allocate(byteCount: max(1, total), alignment: 1)
        var at = 0
        for (_, e) in sorted {
            let source = UnsafeRawBufferPointer(rebasing: text[e.1])
            UnsafeMutableRawBufferPointer(rebasing: pool[at..<(at + source.count)]).copyMemory(from: source)
            pids.append(e.0)
            ranges.append(at..<(at + source.count))
            at += source.count
        }
    }

    public convenience init(savedCmdlines text: String) {
        let bytes = Array(text.utf8)
        let parsed = bytes.withUnsafeBytes { TaskNames(savedCmdlines: $0) }
        self.init()
        pids = parsed.pids
        ranges = parsed.ranges
        pool.deallocate()
        pool = .allocate(byteCount: max(1, parsed.pool.count), alignment: 1)
        pool.copyMemory(from: UnsafeRawBufferPointer(parsed.pool))
    }

    public var count: Int { pids.count }

    private func index(of pid: Int32) -> Int? {
        GlibcSearch.bsearch(count: pids.count) { pids[$0] == pid ? 0 : (pid < pids[$0] ? -1 : 1) }
    }

    /// The name trace-cmd prints for `pid`, valid while this table lives.
    @inline(__always)
    public func nameBytes(of pid: Int32) -> UnsafeRawBufferPointer {
        if pid == 0 { return UnsafeRawBufferPointer(rebasing: constants[0..<6]) }
        guard let i = index(of: pid) else { return UnsafeRawBufferPointer(rebasing: constants[6..<11]) }
        return UnsafeRawBufferPointer(rebasing: pool[ranges[i]])
    }

    /// The recorded name of `pid`, or nil when the trace does not know it (pid 0 is `<idle>`).
    public func knownName(of pid: Int32) -> [UInt8]? {
        if pid == 0 { return TaskNames.idle }
        guard let i = index(of: pid) else { return nil }
        return Array(UnsafeRawBufferPointer(rebasing: pool[ranges[i]]))
    }

    /// The name trace-cmd prints for `pid`.
    public func name(of pid: Int32) -> [UInt8] {
        Array(nameBytes(of: pid))
    }

    /// The name as a string.
    public func nameString(of pid: Int32) -> String {
        String(decoding: nameBytes(of: pid), as: UTF8.self)
    }
}
