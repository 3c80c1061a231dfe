/// What `/` searches for: a filter expression when the text is one with a comparison
/// (`prev_pid == 42`), otherwise plain text found case-insensitively in the event name, the task, or
/// any field value (strings, and integers in decimal or hex).
public final class SearchQuery {
    public let text: String
    /// The filter, when the text is a filter expression.
    public let filter: EventFilter?
    private let needle: [UInt8]

    public init(_ text: String) {
        self.text = text
        if let filter = try? EventFilter(text), Self.hasComparison(filter.expression) {
            self.filter = filter
        } else {
            filter = nil
        }
        needle = Array(text.lowercased().utf8)
    }

    private static func hasComparison(_ e: FilterExpression) -> Bool {
        switch e {
        case .comparison: return true
        case .truthy: return false
        case .not(let a): return hasComparison(a)
        case .and(let a, let b), .or(let a, let b): return hasComparison(a) || hasComparison(b)
        }
    }

    public func matches(_ record: EventRecord, in context: FilterContext) -> Bool {
        if let filter { return filter.matches(record, in: context) }
        guard !needle.isEmpty else { return false }
        if contains(context.set.eventName(of: record)) { return true }
        if record.isLostEvents { return false }
        let trace = context.set.trace(of: record)
        if let task = trace.task(of: record) ?? context.taskResolver?(record) {
            if contains(task.comm) || contains(String(task.pid)) { return true }
        }
        var visitor = TextContainsVisitor(needle: needle)
        try? trace.decodeFields(of: record, scope: .payload, into: &visitor)
        if visitor.found { return true }
        try? trace.decodeFields(of: record, scope: .context, into: &visitor)
        return visitor.found
    }

    private func contains(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { TextContainsVisitor.contains(UnsafeRawBufferPointer($0), needle) }
    }
}

/// Looks for a lowercase needle in field values.
struct TextContainsVisitor: FieldVisitor {
    let needle: [UInt8]
    var found = false
    private var text: [UInt8] = []
    private var textDepth = 0

    init(needle: [UInt8]) { self.needle = needle }

    static func contains(_ hay: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard needle.count <= hay.count else { return false }
        if needle.isEmpty { return true }
        let last = hay.count - needle.count
        var i = 0
        while i <= last {
            var j = 0
            while j < needle.count {
                var b = hay[i + j]
                if b >= 65 && b <= 90 { b += 32 }
                if b != needle[j] { break }
                j += 1
            }
            if j == needle.count { return true }
            i += 1
        }
        return false
    }

    private mutating func check(_ s: String) {
        guard !found else { return }
        var s = s
        found = s.withUTF8 { Self.contains(UnsafeRawBufferPointer($0), needle) }
    }

    mutating func visitInteger(_ name: String, _ value: IntegerValue, base: IntegerBase) {
        if textDepth > 0 { text.append(UInt8(truncatingIfNeeded: value.int64)); return }
        switch value {
        case .signed(let v): check(String(v))
        case .unsigned(let v): check(String(v))
        }
        if base == .hexadecimal { check("0x" + String(UInt64(bitPattern: value.int64), radix: 16)) }
    }

    mutating func visitFloat(_ name: String, _ value: Double) { check(String(value)) }

    mutating func visitString(_ name: String, _ bytes: UnsafeRawBufferPointer) {
        if !found { found = Self.contains(bytes, needle) }
    }

    mutating func visitEnumeration(_ name: String, _ value: IntegerValue, labels: [String]) {
        for label in labels { check(label) }
    }

    mutating func beginStructure(_ name: String) {}
    mutating func endStructure() {}

    mutating func beginArray(_ name: String, count: Int, isText: Bool) {
        if isText || textDepth > 0 { textDepth += 1 }
        if textDepth == 1 { text.removeAll(keepingCapacity: true) }
    }

    mutating func endArray() {
        guard textDepth > 0 else { return }
        textDepth -= 1
        if textDepth == 0 && !found {
            found = text.withUnsafeBytes { Self.contains($0, needle) }
        }
    }

    mutating func beginVariant(_ name: String, option: String) {}
    mutating func endVariant() {}
}
