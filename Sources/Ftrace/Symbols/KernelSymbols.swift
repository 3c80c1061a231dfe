/// Kernel function addresses and names from `/proc/kallsyms` (or a trace.dat KALLSYMS section),
/// for `%pS`/`%ps` and symbol names used as constants in print formats.
///
/// Lookups resolve exactly as libtraceevent does: the symbol at or before an address, unless the
/// address lies beyond the last symbol; among aliases at one address the same one is chosen.
public final class KernelSymbols: @unchecked Sendable {
    /// Symbol addresses, sorted ascending.
    private var addresses: [UInt64] = []
    /// Name bytes of each symbol (indices into `nameStorage`).
    private var nameRanges: [Range<Int>] = []
    private var nameStorage: [UInt8] = []
    /// Lines that did not parse (parsing stops there, as libtraceevent's does).
    public private(set) var parseStoppedAtLine: Int?

    /// An empty table.
    public init() {}

    /// Parses kallsyms text: `ffffffff81000000 T _stext` and `... t name\t[module]` lines.
    /// Absolute (`A`/`a`) symbols and names starting with `$` are skipped.
    public init(kallsyms text: UnsafeRawBufferPointer) {
        var entries: [(address: UInt64, range: Range<Int>)] = []
        nameStorage.reserveCapacity(text.count / 2)
        var lineNumber = 0
        var lineStart = 0
        let n = text.count
        while lineStart < n {
            var lineEnd = lineStart
            while lineEnd < n && text[lineEnd] != 0x0A { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            if lineEnd == lineStart { continue }  // strtok skips empty lines
            lineNumber += 1
            guard let parsed = KernelSymbols.parseLine(text, lineStart, lineEnd) else {
                parseStoppedAtLine = lineNumber
                break
            }
            let name = parsed.name
            if parsed.type == UInt8(ascii: "A") || parsed.type == UInt8(ascii: "a") { continue }
            if name.lowerBound < name.upperBound && text[name.lowerBound] == UInt8(ascii: "$") { continue }
            let start = nameStorage.count
            nameStorage.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[name]))
            entries.append((parsed.address, start..<nameStorage.count))
        }
        // libtraceevent prepends each symbol to a list, then sorts stably by address: equal
        // addresses end up in reverse file order.
        var ascending = true
        for i in 1..<max(1, entries.count) where entries[i].address < entries[i - 1].address {
            ascending = false
            break
        }
        if ascending {
            // /proc/kallsyms is (nearly always) in address order: reverse each run of equal addresses.
            var start = 0
            while start < entries.count {
                var end = start + 1
                while end < entries.count && entries[end].address == entries[start].address { end += 1 }
                if end - start > 1 { entries[start..<end].reverse() }
                start = end
            }
            addresses = entries.map(\.address)
            nameRanges = entries.map(\.range)
        } else {
            entries.reverse()
            let sorted = entries.enumerated().sorted { a, b in
                a.element.address != b.element.address ? a.element.address < b.element.address : a.offset < b.offset
            }
            addresses = sorted.map { $0.element.address }
            nameRanges = sorted.map { $0.element.range }
        }
    }

    /// Parses kallsyms text given as a string.
    public convenience init(kallsyms text: String) {
        let bytes = Array(text.utf8)
        let parsed = bytes.withUnsafeBytes { KernelSymbols(kallsyms: $0) }
        self.init()
        addresses = parsed.addresses
        nameRanges = parsed.nameRanges
        nameStorage = parsed.nameStorage
        parseStoppedAtLine = parsed.parseStoppedAtLine
    }

    /// `%16llx %c %s` with an optional `\t[module]`.
    private static func parseLine(_ t: UnsafeRawBufferPointer, _ start: Int, _ end: Int)
        -> (address: UInt64, type: UInt8, name: Range<Int>)? {
        var i = start
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        while i < end && isSpace(t[i]) { i += 1 }
        var address: UInt64 = 0
        var digits = 0
        while i < end && digits < 16, let d = CNumber.hexValue(t[i]) {
            address = address << 4 | UInt64(d)
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        guard i < end, t[i] == 0x20 || isSpace(t[i]) else { return nil }
        while i < end && isSpace(t[i]) { i += 1 }
        guard i < end else { return nil }
        let type = t[i]
        i += 1
        while i < end && isSpace(t[i]) { i += 1 }
        let nameStart = i
        while i < end && !isSpace(t[i]) { i += 1 }
        guard i > nameStart else { return nil }
        return (address, type, nameStart..<i)
    }

    /// Number of symbols.
    public var count: Int { addresses.count }

    /// The symbol containing `address`: its index, or nil.
    @inline(__always)
    func index(containing address: UInt64) -> Int? {
        let n = addresses.count
        return GlibcSearch.bsearch(count: n) { i in
            let a = addresses[i]
            let next = i + 1 < n ? addresses[i + 1] : 0  // libtraceevent's end sentinel has address 0
            if address == a || (address > a && address < next) { return 0 }
            return address < a ? -1 : 1
        }
    }

    /// The symbol containing `address`: its name and start address.
    public func lookup(_ address: UInt64) -> (name: String, start: UInt64)? {
        guard let i = index(containing: address) else { return nil }
        return (String(decoding: nameStorage[nameRanges[i]], as: UTF8.self), addresses[i])
    }

    /// The start address of symbol `i`.
    func address(at i: Int) -> UInt64 { addresses[i] }

    /// Calls `body` with the name bytes of symbol `i`.
    func withName<R>(at i: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        nameStorage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[nameRanges[i]])) }
    }

    /// The address of the first symbol named `name` in libtraceevent's search order, or 0.
    public func address(named name: String) -> UInt64 {
        let wanted = Array(name.utf8)
        for i in addresses.indices where nameStorage[nameRanges[i]].elementsEqual(wanted) {
            return addresses[i]
        }
        return 0
    }
}
