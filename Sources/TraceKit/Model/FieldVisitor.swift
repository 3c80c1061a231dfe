/// Receives decoded fields one at a time, in declaration order.
///
/// Readers decode straight into a visitor, so a formatter can write output without building
/// `FieldValue` trees (no heap allocation per event). `FieldTreeBuilder` builds the tree when a
/// caller wants values (details pane, filters).
///
/// Elements of arrays are reported with an empty name. Strings arrive as raw bytes exactly as stored
/// (without the terminating NUL); they may not be valid UTF-8.
public protocol FieldVisitor {
    mutating func visitInteger(_ name: String, _ value: IntegerValue, base: IntegerBase)
    mutating func visitFloat(_ name: String, _ value: Double)
    mutating func visitString(_ name: String, _ bytes: UnsafeRawBufferPointer)
    /// An enumeration value with its matching labels (empty when no range holds the value).
    mutating func visitEnumeration(_ name: String, _ value: IntegerValue, labels: [String])
    mutating func beginStructure(_ name: String)
    mutating func endStructure()
    /// Starts an array of `count` elements; `isText` when the elements are bytes of text
    /// (CTF arrays/sequences of 8-bit integers with an encoding).
    mutating func beginArray(_ name: String, count: Int, isText: Bool)
    mutating func endArray()
    /// Starts a variant whose selected option is `option`; the option's value follows, named `option`.
    mutating func beginVariant(_ name: String, option: String)
    mutating func endVariant()
}

/// Builds `[Field]` trees from visitor calls.
public struct FieldTreeBuilder: FieldVisitor {
    private enum Frame {
        case structure(name: String, fields: [Field])
        case array(name: String, isText: Bool, elements: [FieldValue])
        case variant(name: String, option: String, value: FieldValue?)
    }

    private var stack: [Frame] = [.structure(name: "", fields: [])]

    public init() {}

    /// The fields visited so far at the top level.
    public var fields: [Field] {
        if case .structure(_, let fields) = stack[0] { return fields }
        return []
    }

    private mutating func append(_ name: String, _ value: FieldValue) {
        switch stack[stack.count - 1] {
        case .structure(let n, var fields):
            fields.append(Field(name, value))
            stack[stack.count - 1] = .structure(name: n, fields: fields)
        case .array(let n, let text, var elements):
            elements.append(value)
            stack[stack.count - 1] = .array(name: n, isText: text, elements: elements)
        case .variant(let n, let option, _):
            stack[stack.count - 1] = .variant(name: n, option: option, value: value)
        }
    }

    public mutating func visitInteger(_ name: String, _ value: IntegerValue, base: IntegerBase) {
        append(name, .integer(value, base: base))
    }

    public mutating func visitFloat(_ name: String, _ value: Double) {
        append(name, .float(value))
    }

    public mutating func visitString(_ name: String, _ bytes: UnsafeRawBufferPointer) {
        append(name, .string(String(decoding: bytes, as: UTF8.self)))
    }

    public mutating func visitEnumeration(_ name: String, _ value: IntegerValue, labels: [String]) {
        append(name, .enumeration(value, labels: labels))
    }

    public mutating func beginStructure(_ name: String) {
        stack.append(.structure(name: name, fields: []))
    }

    public mutating func endStructure() {
        guard stack.count > 1, case .structure(let name, let fields) = stack.removeLast() else { return }
        append(name, .structure(fields))
    }

    public mutating func beginArray(_ name: String, count: Int, isText: Bool) {
        var elements: [FieldValue] = []
        elements.reserveCapacity(count)
        stack.append(.array(name: name, isText: isText, elements: elements))
    }

    public mutating func endArray() {
        guard stack.count > 1, case .array(let name, let isText, let elements) = stack.removeLast() else { return }
        if isText {
            // Text arrays read as the string up to the first NUL, like babeltrace2 and trace-cmd.
            var bytes: [UInt8] = []
            for element in elements {
                guard case .integer(let v, _) = element else { break }
                let byte = UInt8(truncatingIfNeeded: v.int64)
                if byte == 0 { break }
                bytes.append(byte)
            }
            append(name, .string(String(decoding: bytes, as: UTF8.self)))
        } else {
            append(name, .array(elements))
        }
    }

    public mutating func beginVariant(_ name: String, option: String) {
        stack.append(.variant(name: name, option: option, value: nil))
    }

    public mutating func endVariant() {
        guard stack.count > 1, case .variant(let name, let option, let value) = stack.removeLast() else { return }
        append(name, .variant(option: option, value: value ?? .structure([])))
    }
}
