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

/// Bytes owned by a compiled expression, at a stable address.
struct OwnedBytes {
    let buffer: UnsafeRawBufferPointer

    init(_ bytes: [UInt8]) {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        bytes.withUnsafeBytes { if let b = $0.baseAddress { p.baseAddress!.copyMemory(from: b, byteCount: bytes.count) } }
        buffer = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[0..<bytes.count])
        allocation = UnsafeMutableRawPointer(p.baseAddress!)
    }

    private let allocation: UnsafeMutableRawPointer

    func free() { allocation.deallocate() }
}

/// An immutable print-format argument, compiled from a `PrintArgument` tree once parsing (with
/// its in-place rewrites) is over. Children are not reference counted (the `PrintFormat` keeps every
/// node alive) and texts live at stable addresses, so the render loop does no ARC work.
final class CompiledExpression {
    typealias Kind = PrintArgument.Kind
    let kind: Kind
    let op: OperatorCode
    unowned(unsafe) let left: CompiledExpression?
    unowned(unsafe) let right: CompiledExpression?
    unowned(unsafe) let third: CompiledExpression?
    let field: FieldLocation?
    let atomValue: UInt64
    /// Set for atoms naming a kernel symbol (their value is its address).
    let symbolName: String?
    let symbolCache: SymbolAddressCache?
    private let ownedText: OwnedBytes
    private let ownedDelimiter: OwnedBytes?
    private let ownedNames: [OwnedBytes]
    let textBytes: UnsafeRawBufferPointer
    let delimiter: UnsafeRawBufferPointer?
    let entryValues: UnsafeMutableBufferPointer<Int64>
    let entryNames: UnsafeMutableBufferPointer<UnsafeRawBufferPointer>
    let castMask: UInt64
    let pointerCastMask: UInt64
    let cTypeNumber: Int

    private init(_ a: PrintArgument, left: CompiledExpression?, right: CompiledExpression?, third: CompiledExpression?) {
        kind = a.kind
        op = a.opCode
        self.left = left
        self.right = right
        self.third = third
        field = a.resolved.map(FieldLocation.init)
        atomValue = a.atomValue
        symbolName = a.kind == .atom && a.atomIsSymbolName ? a.text : nil
        symbolCache = symbolName == nil ? nil : SymbolAddressCache()
        ownedText = OwnedBytes(a.kind == .binaryString ? a.bytes : a.textBytes)
        textBytes = ownedText.buffer
        ownedDelimiter = a.delimiter.map { OwnedBytes(Array($0.utf8)) }
        delimiter = ownedDelimiter?.buffer
        ownedNames = a.entryNames.map(OwnedBytes.init)
        entryValues = .allocate(capacity: max(1, a.entryValues.count))
        _ = entryValues.initialize(from: a.entryValues)
        entryNames = .allocate(capacity: max(1, ownedNames.count))
        _ = entryNames.initialize(from: ownedNames.map(\.buffer))
        castMask = a.castMask
        pointerCastMask = a.pointerCastMask
        cTypeNumber = a.cTypeNumber
    }

    deinit {
        ownedText.free()
        ownedDelimiter?.free()
        for n in ownedNames { n.free() }
        entryValues.deallocate()
        entryNames.deallocate()
    }

    /// Number of flag/symbol entries.
    var entryCount: Int { ownedNames.count }

    /// Compiles `a` and its children, appending every node to `pool` (which keeps them alive).
    static func build(_ a: PrintArgument, pool: inout [CompiledExpression]) -> CompiledExpression {
        let l = a.left.map { build($0, pool: &pool) }
        let r = a.right.map { build($0, pool: &pool) }
        let t = a.third.map { build($0, pool: &pool) }
        let node = CompiledExpression(a, left: l, right: r, third: t)
        pool.append(node)
        return node
    }

    /// The expression with typecasts stripped.
    var strippingCasts: CompiledExpression {
        var e = self
        while e.kind == .typecast, let item = e.left { e = item }
        return e
    }
}
