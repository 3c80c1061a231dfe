/// Where a field lives, without its name and type text (cheap to copy in the render loop).
struct FieldLocation {
    let offset: Int
    let size: Int
    let elementSize: Int
    let isRelative: Bool
    let isArray: Bool

    init(_ f: FieldFormat) {
        offset = f.offset
        size = f.size
        elementSize = f.elementSize
        isRelative = f.isRelative
        isArray = f.isArray
    }

    /// Same as `FieldFormat.dynamicLocation`.
    @inline(__always)
    func dynamicLocation(in record: UnsafeRawBufferPointer, order: ByteOrder) -> (offset: Int, length: Int) {
        guard offset >= 0, offset + size <= record.count, size == 2 || size == 4 else { return (0, 0) }
        let word = ByteReader.unsigned(record, at: offset, size: size, order: order)
        let start = Int(word & 0xFFFF)
        let length = size == 2 ? record.count - start : Int((word >> 16) & 0xFFFF)
        var dataOffset = start > record.count ? 0 : start
        let dataLength = start + length > record.count ? 0 : length
        if isRelative { dataOffset += offset + size }
        return (dataOffset, dataLength)
    }

    /// True when this is `field` of the event (fields are told apart by offset and size).
    func refers(to field: FieldFormat) -> Bool { field.offset == offset && field.size == size }
}

/// Caches the address of a symbol name used as a constant.
final class SymbolAddressCache {
    var value: UInt64?
}

/// An immutable print-format argument, compiled from a `PrintArgument` tree once parsing (with
/// its in-place rewrites) is over; the render loop reads only constants.
final class CompiledExpression {
    typealias Kind = PrintArgument.Kind
    let kind: Kind
    let op: OperatorCode
    let left: CompiledExpression?
    let right: CompiledExpression?
    let third: CompiledExpression?
    let field: FieldLocation?
    let atomValue: UInt64
    /// Set for atoms naming a kernel symbol (their value is its address).
    let symbolName: String?
    let symbolCache: SymbolAddressCache?
    let textBytes: [UInt8]
    let delimiter: [UInt8]?
    let entryValues: [Int64]
    let entryNames: [[UInt8]]
    let castMask: UInt64
    let pointerCastMask: UInt64
    let cTypeNumber: Int

    init(_ a: PrintArgument) {
        kind = a.kind
        op = a.opCode
        left = a.left.map(CompiledExpression.init)
        right = a.right.map(CompiledExpression.init)
        third = a.third.map(CompiledExpression.init)
        field = a.resolved.map(FieldLocation.init)
        atomValue = a.atomValue
        symbolName = a.kind == .atom && a.atomIsSymbolName ? a.text : nil
        symbolCache = symbolName == nil ? nil : SymbolAddressCache()
        textBytes = a.kind == .binaryString ? a.bytes : a.textBytes
        delimiter = a.delimiter.map { Array($0.utf8) }
        entryValues = a.entryValues
        entryNames = a.entryNames
        castMask = a.castMask
        pointerCastMask = a.pointerCastMask
        cTypeNumber = a.cTypeNumber
    }

    /// The expression with typecasts stripped.
    var strippingCasts: CompiledExpression {
        var e = self
        while e.kind == .typecast, let item = e.left { e = item }
        return e
    }
}
