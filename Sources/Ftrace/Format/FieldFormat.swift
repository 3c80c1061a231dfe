/// One field of an event record, as an `events/<system>/<event>/format` file declares it
/// (`field:char prev_comm[16];	offset:8;	size:16;	signed:0;`).
public struct FieldFormat: Sendable, Hashable {
    /// The field name (`prev_comm`).
    public var name: String
    /// The C type as libtraceevent spells it (`char[16]`, `__data_loc char[]`, `unsigned long`).
    public var type: String
    /// Byte offset of the field in the record's data.
    public var offset: Int
    /// Size in bytes (for `__data_loc`/`__rel_loc` fields: the size of the location word).
    public var size: Int
    public var isSigned: Bool
    /// `type name[N]` (and dynamic arrays).
    public var isArray: Bool
    /// Declared with a `*` in its type.
    public var isPointer: Bool
    /// `__data_loc` or `__rel_loc`: the field holds `length << 16 | offset` of data stored later in the record.
    public var isDynamic: Bool
    /// `__rel_loc`: the offset counts from the end of the location word.
    public var isRelative: Bool
    /// An array of `char`, `u8` or `s8` (printed as text when printable).
    public var isString: Bool
    /// The type mentions `long`.
    public var isLong: Bool
    /// Number of elements of a fixed array (0 when not an array or not known).
    public var arrayLength: Int
    /// Size of one element (equals `size` for scalars).
    public var elementSize: Int

    public init(name: String, type: String, offset: Int, size: Int, isSigned: Bool,
                isArray: Bool = false, isPointer: Bool = false, isDynamic: Bool = false,
                isRelative: Bool = false, isString: Bool = false, isLong: Bool = false,
                arrayLength: Int = 0, elementSize: Int? = nil) {
        self.name = name
        self.type = type
        self.offset = offset
        self.size = size
        self.isSigned = isSigned
        self.isArray = isArray
        self.isPointer = isPointer
        self.isDynamic = isDynamic
        self.isRelative = isRelative
        self.isString = isString
        self.isLong = isLong
        self.arrayLength = arrayLength
        self.elementSize = elementSize ?? size
    }

    /// For dynamic fields: where the data lives in `record` (offset, length), or nil when the
    /// location word or the data lies outside the record. Follows libtraceevent: a 2-byte location
    /// (old kernels) has no length and runs to the end of the record.
    public func dynamicLocation(in record: UnsafeRawBufferPointer, order: ByteOrder) -> (offset: Int, length: Int) {
        guard offset >= 0, offset + size <= record.count, size == 2 || size == 4 else { return (0, 0) }
        let word = ByteReader.unsigned(record, at: offset, size: size, order: order)
        let start = Int(word & 0xFFFF)
        let length = size == 2 ? record.count - start : Int((word >> 16) & 0xFFFF)
        var dataOffset = start > record.count ? 0 : start
        let dataLength = start + length > record.count ? 0 : length
        if isRelative { dataOffset += offset + size }
        return (dataOffset, dataLength)
    }
}

/// Byte order of trace data.
public enum ByteOrder: Sendable, Hashable {
    case little, big

    /// The byte order of the machine running this code.
    public static var host: ByteOrder {
        UInt16(1).littleEndian == 1 ? .little : .big
    }
}

/// Bounds-checked reads of integers from raw bytes.
public enum ByteReader {
    /// An unsigned integer of `size` bytes (1, 2, 4 or 8) at `offset`; 0 when out of bounds or
    /// another size (as libtraceevent reads numbers).
    @inline(__always)
    public static func unsigned(_ bytes: UnsafeRawBufferPointer, at offset: Int, size: Int, order: ByteOrder) -> UInt64 {
        guard offset >= 0, size > 0, offset <= bytes.count - size, let base = bytes.baseAddress else { return 0 }
        let p = base + offset
        switch size {
        case 1: return UInt64(p.load(as: UInt8.self))
        case 2:
            let v = p.loadUnaligned(as: UInt16.self)
            return UInt64(order == .little ? UInt16(littleEndian: v) : UInt16(bigEndian: v))
        case 4:
            let v = p.loadUnaligned(as: UInt32.self)
            return UInt64(order == .little ? UInt32(littleEndian: v) : UInt32(bigEndian: v))
        case 8:
            let v = p.loadUnaligned(as: UInt64.self)
            return order == .little ? UInt64(littleEndian: v) : UInt64(bigEndian: v)
        default: return 0
        }
    }

    @inline(__always)
    public static func u32(_ bytes: UnsafeRawBufferPointer, at offset: Int, order: ByteOrder) -> UInt32 {
        UInt32(truncatingIfNeeded: unsigned(bytes, at: offset, size: 4, order: order))
    }

    @inline(__always)
    public static func u64(_ bytes: UnsafeRawBufferPointer, at offset: Int, order: ByteOrder) -> UInt64 {
        unsigned(bytes, at: offset, size: 8, order: order)
    }

    /// Sign-extends the low `size` bytes of `value`.
    @inline(__always)
    public static func signExtend(_ value: UInt64, size: Int) -> Int64 {
        switch size {
        case 1: return Int64(Int8(truncatingIfNeeded: value))
        case 2: return Int64(Int16(truncatingIfNeeded: value))
        case 4: return Int64(Int32(truncatingIfNeeded: value))
        default: return Int64(bitPattern: value)
        }
    }
}
