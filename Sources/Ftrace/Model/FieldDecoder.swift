import TraceKit

/// Decodes ftrace fields into a `FieldVisitor`: integers with their signedness (pointers in hex),
/// char arrays and `__data_loc char[]` as strings, other arrays element by element.
public enum FieldDecoder {
    public static func decode<V: FieldVisitor>(_ fields: [FieldFormat], _ data: UnsafeRawBufferPointer,
                                               order: ByteOrder, into visitor: inout V) {
        for field in fields { decode(field, data, order: order, into: &visitor) }
    }

    public static func decode<V: FieldVisitor>(_ field: FieldFormat, _ data: UnsafeRawBufferPointer,
                                               order: ByteOrder, into visitor: inout V) {
        var start = field.offset
        var length = field.size
        if field.isDynamic {
            (start, length) = field.dynamicLocation(in: data, order: order)
        } else if field.isArray && field.size == 0 {
            length = max(0, data.count - field.offset)  // `type name[]`: the rest of the record
        }
        start = min(max(0, start), data.count)
        let end = min(data.count, start + max(0, length))
        let bytes = UnsafeRawBufferPointer(rebasing: data[start..<end])
        if field.isArray || field.isDynamic {
            if field.isString {
                var n = 0
                while n < bytes.count && bytes[n] != 0 { n += 1 }
                visitor.visitString(field.name, UnsafeRawBufferPointer(rebasing: bytes[0..<n]))
                return
            }
            let element = [1, 2, 4, 8].contains(field.elementSize) ? field.elementSize : 1
            let count = bytes.count / element
            visitor.beginArray(field.name, count: count, isText: false)
            for i in 0..<count {
                visitor.visitInteger("", integer(bytes, i * element, element, signed: field.isSigned, order: order), base: .decimal)
            }
            visitor.endArray()
            return
        }
        guard [1, 2, 4, 8].contains(field.size), bytes.count == field.size else {
            visitor.beginArray(field.name, count: bytes.count, isText: false)
            for b in bytes { visitor.visitInteger("", .unsigned(UInt64(b)), base: .hexadecimal) }
            visitor.endArray()
            return
        }
        visitor.visitInteger(field.name, integer(bytes, 0, field.size, signed: field.isSigned, order: order),
                             base: field.isPointer ? .hexadecimal : .decimal)
    }

    private static func integer(_ bytes: UnsafeRawBufferPointer, _ at: Int, _ size: Int, signed: Bool, order: ByteOrder) -> IntegerValue {
        let raw = ByteReader.unsigned(bytes, at: at, size: size, order: order)
        return signed ? .signed(ByteReader.signExtend(raw, size: size)) : .unsigned(raw)
    }
}
