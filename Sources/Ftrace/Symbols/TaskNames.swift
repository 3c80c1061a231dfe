/// Task names by pid from `saved_cmdlines` (or a trace.dat SAVED COMMAND LINES section).
/// Unknown pids are `<...>` and pid 0 is `<idle>`, as trace-cmd prints them.
public final class TaskNames: @unchecked Sendable {
    private var pids: [Int32] = []
    private var names: [[UInt8]] = []

    public static let idle: [UInt8] = Array("<idle>".utf8)
    public static let unknown: [UInt8] = Array("<...>".utf8)

    public init() {}

    /// Parses `pid comm` lines; parsing stops at the first line that does not start with a number.
    public init(savedCmdlines text: UnsafeRawBufferPointer) {
        var entries: [(Int32, [UInt8])] = []
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
            entries.append((pid, Array(UnsafeRawBufferPointer(rebasing: text[i..<lineEnd]))))
        }
        entries.reverse()
        let sorted = entries.enumerated().sorted { a, b in
            a.element.0 != b.element.0 ? a.element.0 < b.element.0 : a.offset < b.offset
        }
        pids = sorted.map { $0.element.0 }
        names = sorted.map { $0.element.1 }
    }

    public convenience init(savedCmdlines text: String) {
        let bytes = Array(text.utf8)
        self.init()
        let parsed = bytes.withUnsafeBytes { TaskNames(savedCmdlines: $0) }
        pids = parsed.pids
        names = parsed.names
    }

    public var count: Int { pids.count }

    /// The recorded name of `pid`, or nil when the trace does not know it (pid 0 is `<idle>`).
    public func knownName(of pid: Int32) -> [UInt8]? {
        if pid == 0 { return TaskNames.idle }
        guard let i = GlibcSearch.bsearch(count: pids.count, { pids[$0] == pid ? 0 : (pid < pids[$0] ? -1 : 1) }) else {
            return nil
        }
        return names[i]
    }

    /// The name trace-cmd prints for `pid`.
    @inline(__always)
    public func name(of pid: Int32) -> [UInt8] {
        knownName(of: pid) ?? TaskNames.unknown
    }

    /// The name as a string.
    public func nameString(of pid: Int32) -> String {
        String(decoding: name(of: pid), as: UTF8.self)
    }
}
