import TraceKit

/// Byte order of a bit-field.
public enum ByteOrder: Sendable, Hashable {
    case littleEndian
    case bigEndian
}

/// What babeltrace2 calls a field's "meaning": a role the reader gives special treatment.
enum FieldMeaning: Sendable, Hashable {
    case none
    case packetBeginTime, packetEndTime
    case eventClassID, streamClassID, dataStreamID
    case magic
    case packetSequenceNumber, discardedEventsCounter
    case packetSize, contentSize
    case uuid
}

/// A CTF field class (TSDL type). Classes, not values: variants and sequences refer to the integer
/// fields that hold their tags and lengths, and declarations copy types like babeltrace2 does.
class FieldType {
    /// Alignment in bits (a power of two).
    var alignment: Int
    /// Whether babeltrace2 shows this field (its "in IR" flag): clock-mapped and special fields are
    /// hidden unless a sequence or variant needs them.
    var isShown = false

    init(alignment: Int) {
        self.alignment = alignment
    }

    /// A deep copy, as babeltrace2 makes whenever a declared type is registered or used (every
    /// kind of type overrides it).
    func copy() -> FieldType {
        let c = FieldType(alignment: alignment)
        c.isShown = isShown
        return c
    }

    /// babeltrace2 reads arrays and sequences of byte-aligned 8-bit text integers as strings.
    static func isTextElement(_ element: FieldType) -> Bool {
        let integer = (element as? IntegerType) ?? (element as? EnumType)?.container
        guard let integer else { return false }
        return integer.isText && integer.size == 8 && element.alignment == 8
    }

    /// The integer behind an integer or enumeration type.
    var integerType: IntegerType? { (self as? IntegerType) ?? (self as? EnumType)?.container }
}

final class IntegerType: FieldType {
    var size: Int
    var isSigned: Bool
    var byteOrder: ByteOrder
    var base: IntegerBase
    /// `encoding = UTF8/ASCII`: arrays and sequences of 8-bit such integers are text.
    var isText: Bool
    /// The clock this integer's value updates (`map = clock.NAME.value`).
    var mappedClock: String?
    var meaning: FieldMeaning = .none
    /// Index of the decoder slot that keeps this field's value for a sequence or variant.
    var storageSlot: Int?

    init(size: Int, alignment: Int, isSigned: Bool, byteOrder: ByteOrder, base: IntegerBase,
         isText: Bool, mappedClock: String?) {
        self.size = size
        self.isSigned = isSigned
        self.byteOrder = byteOrder
        self.base = base
        self.isText = isText
        self.mappedClock = mappedClock
        super.init(alignment: alignment)
    }

    override func copy() -> FieldType { copyInteger() }

    func copyInteger() -> IntegerType {
        let c = IntegerType(size: size, alignment: alignment, isSigned: isSigned, byteOrder: byteOrder,
                            base: base, isText: isText, mappedClock: mappedClock)
        c.meaning = meaning
        return c
    }
}

/// One label of an enumeration and the ranges it covers (in declaration order).
struct EnumMapping {
    var label: String
    /// Inclusive ranges as 64-bit patterns; compare signed or unsigned by the container's sign.
    var ranges: [(lower: UInt64, upper: UInt64)]
}

final class EnumType: FieldType {
    let container: IntegerType
    var mappings: [EnumMapping] = []

    init(container: IntegerType) {
        self.container = container
        super.init(alignment: container.alignment)
    }

    override func copy() -> FieldType {
        let c = EnumType(container: container.copyInteger())
        c.mappings = mappings
        c.alignment = alignment
        return c
    }

    /// Adds a range to `label`'s mapping, creating the mapping on first use (babeltrace2 keeps one
    /// mapping per label, in order of first appearance).
    func map(_ label: String, lower: UInt64, upper: UInt64) {
        if let i = mappings.firstIndex(where: { $0.label == label }) {
            mappings[i].ranges.append((lower, upper))
        } else {
            mappings.append(EnumMapping(label: label, ranges: [(lower, upper)]))
        }
    }

    /// Labels whose ranges hold `value` (a 64-bit pattern of the container's signedness).
    func labels(for value: UInt64) -> [String] {
        var result: [String] = []
        for mapping in mappings where mapping.ranges.contains(where: { contains($0, value) }) {
            result.append(mapping.label)
        }
        return result
    }

    func contains(_ range: (lower: UInt64, upper: UInt64), _ value: UInt64) -> Bool {
        if container.isSigned {
            let v = Int64(bitPattern: value)
            return v >= Int64(bitPattern: range.lower) && v <= Int64(bitPattern: range.upper)
        }
        return value >= range.lower && value <= range.upper
    }
}

final class FloatType: FieldType {
    /// 32 or 64.
    var size: Int
    var byteOrder: ByteOrder

    init(size: Int, alignment: Int, byteOrder: ByteOrder) {
        self.size = size
        self.byteOrder = byteOrder
        super.init(alignment: alignment)
    }

    override func copy() -> FieldType { FloatType(size: size, alignment: alignment, byteOrder: byteOrder) }
}

final class StringType: FieldType {
    init() { super.init(alignment: 8) }
    override func copy() -> FieldType { StringType() }
}

/// A structure member or variant option: the name as written, and as shown (one leading `_` removed).
struct NamedField {
    var originalName: String
    var name: String
    var type: FieldType

    init(originalName: String, type: FieldType) {
        self.originalName = originalName
        self.name = originalName.hasPrefix("_") ? String(originalName.dropFirst()) : originalName
        self.type = type
    }
}

final class StructType: FieldType {
    var members: [NamedField] = []
    /// Alignment from `align(N)`, before members raise it.
    var minimumAlignment: Int

    init(minimumAlignment: Int = 1) {
        self.minimumAlignment = minimumAlignment
        super.init(alignment: minimumAlignment)
    }

    func append(_ originalName: String, _ type: FieldType) {
        members.append(NamedField(originalName: originalName, type: type))
        alignment = max(alignment, type.alignment)
    }

    func member(named name: String) -> NamedField? {
        members.first { $0.name == name }
    }

    override func copy() -> FieldType {
        let c = StructType(minimumAlignment: minimumAlignment)
        c.alignment = alignment
        // babeltrace2 re-adds members under their shown names, so a copy strips one more `_`.
        for member in members { c.append(member.name, member.type.copy()) }
        return c
    }
}

/// Where a variant tag or sequence length lives: a dynamic scope and member indexes from its root.
struct FieldPath: Equatable {
    enum Root: Int, Comparable {
        case packetHeader, packetContext, eventHeader, eventCommonContext, eventSpecificContext, eventPayload

        static func < (a: Root, b: Root) -> Bool { a.rawValue < b.rawValue }
    }

    var root: Root
    /// Member indexes; -1 steps into an array or sequence element.
    var indexes: [Int]
}

final class VariantType: FieldType {
    var options: [NamedField] = []
    /// The tag as written (`id`, `stream.event.header.id`).
    var tagReference: String?
    var tagPath: FieldPath?
    weak var tagType: EnumType?
    /// Tag ranges and the option each selects, in babeltrace2's lookup order.
    var selectors: [(lower: UInt64, upper: UInt64, option: Int)] = []

    init() { super.init(alignment: 1) }

    override func copy() -> FieldType {
        let c = VariantType()
        c.alignment = alignment
        for option in options {
            c.options.append(NamedField(originalName: option.name, type: option.type.copy()))
        }
        c.tagReference = tagReference
        c.tagPath = tagPath
        c.tagType = tagType
        c.selectors = selectors
        return c
    }
}

final class ArrayType: FieldType {
    var element: FieldType
    var length: UInt64
    var isUUID = false

    init(element: FieldType, length: UInt64) {
        self.element = element
        self.length = length
        super.init(alignment: element.alignment)
    }

    /// Arrays of 8-bit text integers read as strings.
    var isText: Bool { FieldType.isTextElement(element) }

    override func copy() -> FieldType {
        let c = ArrayType(element: element.copy(), length: length)
        c.isUUID = isUUID
        return c
    }
}

final class SequenceType: FieldType {
    var element: FieldType
    var lengthReference: String
    var lengthPath: FieldPath?
    /// The integer or enumeration holding the length.
    weak var lengthType: FieldType?

    init(element: FieldType, lengthReference: String) {
        self.element = element
        self.lengthReference = lengthReference
        super.init(alignment: element.alignment)
    }

    var isText: Bool { FieldType.isTextElement(element) }

    override func copy() -> FieldType {
        let c = SequenceType(element: element.copy(), lengthReference: lengthReference)
        c.lengthPath = lengthPath
        c.lengthType = lengthType
        return c
    }
}
