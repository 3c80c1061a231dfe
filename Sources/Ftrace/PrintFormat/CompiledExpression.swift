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

/// One node of a compiled print-format argument: plain data in a buffer that never moves, so the
/// render loop navigates it through pointers with no reference counting.
struct ExprNode {
    var kind: PrintArgument.Kind
    var op: OperatorCode
    var left: Expr?
    var right: Expr?
    var third: Expr?
    var hasField: Bool
    var fieldLocation: FieldLocation
    var atomValue: UInt64
    /// Index of the symbol name in the owning `ExprStorage` (-1: not a symbol constant).
    var symbolIndex: Int32
    var symbolResolved: Bool
    var symbolValue: UInt64
    var textBytes: UnsafeRawBufferPointer
    var hasDelimiter: Bool
    var delimiterBytes: UnsafeRawBufferPointer
    var entryValues: UnsafeMutablePointer<Int64>
    var entryNames: UnsafeMutablePointer<UnsafeRawBufferPointer>
    var entryCount: Int
    var castMask: UInt64
    var pointerCastMask: UInt64
    var cTypeNumber: Int
}

/// A compiled expression node.
typealias Expr = UnsafeMutablePointer<ExprNode>

extension UnsafeMutablePointer where Pointee == ExprNode {
    var kind: PrintArgument.Kind { pointee.kind }
    var op: OperatorCode { pointee.op }
    var left: Expr? { pointee.left }
    var right: Expr? { pointee.right }
    var third: Expr? { pointee.third }
    var field: FieldLocation? { pointee.hasField ? pointee.fieldLocation : nil }
    var atomValue: UInt64 { pointee.atomValue }
    var textBytes: UnsafeRawBufferPointer { pointee.textBytes }
    var delimiter: UnsafeRawBufferPointer? { pointee.hasDelimiter ? pointee.delimiterBytes : nil }
    var entryValues: UnsafeMutablePointer<Int64> { pointee.entryValues }
    var entryNames: UnsafeMutablePointer<UnsafeRawBufferPointer> { pointee.entryNames }
    var entryCount: Int { pointee.entryCount }
    var castMask: UInt64 { pointee.castMask }
    var pointerCastMask: UInt64 { pointee.pointerCastMask }
    var cTypeNumber: Int { pointee.cTypeNumber }

    /// The expression with typecasts stripped.
    var strippingCasts: Expr {
        var e = self
        while e.kind == .typecast, let item = e.left { e = item }
        return e
    }
}

/// Owns the nodes, texts and tables of compiled expressions.
final class ExprStorage {
    private var allocations: [UnsafeMutableRawPointer] = []
    private(set) var symbolNames: [String] = []

    deinit {
        for a in allocations { a.deallocate() }
    }

    private func bytes(_ b: [UInt8]) -> UnsafeRawBufferPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, b.count), alignment: 1)
        allocations.append(p)
        b.withUnsafeBytes { if let s = $0.baseAddress { p.copyMemory(from: s, byteCount: b.count) } }
        return UnsafeRawBufferPointer(start: p, count: b.count)
    }

    /// Compiles `a` and its children.
    func build(_ a: PrintArgument) -> Expr {
        let node = UnsafeMutablePointer<ExprNode>.allocate(capacity: 1)
        allocations.append(UnsafeMutableRawPointer(node))
        let values = UnsafeMutablePointer<Int64>.allocate(capacity: max(1, a.entryValues.count))
        allocations.append(UnsafeMutableRawPointer(values))
        values.initialize(from: a.entryValues, count: a.entryValues.count)
        let names = UnsafeMutablePointer<UnsafeRawBufferPointer>.allocate(capacity: max(1, a.entryNames.count))
        allocations.append(UnsafeMutableRawPointer(names))
        names.initialize(from: a.entryNames.map { bytes($0) }, count: a.entryNames.count)
        var symbolIndex: Int32 = -1
        if a.kind == .atom && a.atomIsSymbolName {
            symbolIndex = Int32(symbolNames.count)
            symbolNames.append(a.text)
        }
        let delimiter = a.delimiter.map { bytes(Array($0.utf8)) }
        node.initialize(to: ExprNode(
            kind: a.kind, op: a.opCode,
            left: a.left.map { build($0) }, right: a.right.map { build($0) }, third: a.third.map { build($0) },
            hasField: a.resolved != nil,
            fieldLocation: a.resolved.map(FieldLocation.init) ?? FieldLocation(FieldFormat(name: "", type: "", offset: 0, size: 0, isSigned: false)),
            atomValue: a.atomValue, symbolIndex: symbolIndex, symbolResolved: false, symbolValue: 0,
            textBytes: bytes(a.kind == .binaryString ? a.bytes : a.textBytes),
            hasDelimiter: delimiter != nil, delimiterBytes: delimiter ?? UnsafeRawBufferPointer(start: nil, count: 0),
            entryValues: values, entryNames: names, entryCount: a.entryNames.count,
            castMask: a.castMask, pointerCastMask: a.pointerCastMask, cTypeNumber: a.cTypeNumber))
        return node
    }
}
