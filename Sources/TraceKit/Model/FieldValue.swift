/// How an integer field asks to be displayed (CTF `base`, ftrace print formats).
public enum IntegerBase: UInt8, Sendable, Hashable {
    case binary = 2
    case octal = 8
    case decimal = 10
    case hexadecimal = 16
}

/// An integer as it was decoded: the signedness is part of the value so 64-bit values stay exact.
public enum IntegerValue: Sendable, Hashable {
    case signed(Int64)
    case unsigned(UInt64)

    /// The value as a signed 64-bit integer, wrapping large unsigned values.
    public var int64: Int64 {
        switch self {
        case .signed(let v): return v
        case .unsigned(let v): return Int64(bitPattern: v)
        }
    }

    /// The value as a double (for comparisons with non-integers).
    public var double: Double {
        switch self {
        case .signed(let v): return Double(v)
        case .unsigned(let v): return Double(v)
        }
    }
}

/// A decoded field value. Built on demand (details pane, filters, JSON); hot paths use `FieldVisitor`.
public indirect enum FieldValue: Sendable, Hashable {
    case integer(IntegerValue, base: IntegerBase)
    case float(Double)
    case string(String)
    /// Static or dynamic array (CTF array/sequence, ftrace `type name[N]` / `__data_loc type[]`).
    case array([FieldValue])
    case structure([Field])
    /// An enumeration value and every label whose range holds it (none when it is unmapped).
    case enumeration(IntegerValue, labels: [String])
    /// A variant: the selected option's name and its value.
    case variant(option: String, value: FieldValue)

    /// The integer inside this value, looking through enumerations and variants.
    public var integerValue: IntegerValue? {
        switch self {
        case .integer(let v, _): return v
        case .enumeration(let v, _): return v
        case .variant(_, let v): return v.integerValue
        default: return nil
        }
    }

    /// The string inside this value, looking through variants.
    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .variant(_, let v): return v.stringValue
        default: return nil
        }
    }
}

/// A named field value.
public struct Field: Sendable, Hashable {
    public var name: String
    public var value: FieldValue

    public init(_ name: String, _ value: FieldValue) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == Field {
    /// The first field with this name, searching nested structures and variants depth-first.
    public func lookup(_ name: String) -> FieldValue? {
        for field in self where field.name == name { return field.value }
        for field in self {
            switch field.value {
            case .structure(let inner):
                if let v = inner.lookup(name) { return v }
            case .variant(_, .structure(let inner)):
                if let v = inner.lookup(name) { return v }
            default: continue
            }
        }
        return nil
    }
}
