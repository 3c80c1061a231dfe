/// A `FieldVisitor` that keeps only the fields whose names it was asked for (the first occurrence of
/// each, depth-first), so a filter reads a few fields without building the whole tree.
struct FieldCapture: FieldVisitor {
    let names: [String]
    /// Captured values, parallel to `names`.
    var values: [FieldValue?]
    private var depthInArray = 0
    /// Text array being collected (CTF char arrays), for a wanted name.
    private var textTarget: Int?
    private var textBytes: [UInt8] = []
    /// Array being collected as values, for a wanted name.
    private var arrayTarget: Int?
    private var arrayElements: [FieldValue] = []
    /// A wanted variant whose selected value comes next.
    private var variantTarget: Int?
    /// Top-level fields looked up since `reset()`, and per position the name seen there last
    /// time with the index it matched (-1: none): records of one class name their fields in the
    /// same order, so the lookup is then one comparison of equal strings (the fast case).
    private var position = 0
    private var seenNames: [String] = []
    private var seenIndices: [Int] = []

    init(names: [String]) {
        self.names = names
        self.values = Array(repeating: nil, count: names.count)
    }

    mutating func reset() {
        for i in values.indices { values[i] = nil }
        depthInArray = 0
        textTarget = nil
        arrayTarget = nil
        variantTarget = nil
        position = 0
    }

    @inline(__always)
    private mutating func wanted(_ name: String) -> Int? {
        guard depthInArray == 0 else { return nil }
        if let v = variantTarget {
            variantTarget = nil
            return v
        }
        let k = position
        position += 1
        let i: Int
        if k < seenNames.count && seenNames[k] == name {
            i = seenIndices[k]
        } else {
            i = names.firstIndex(of: name) ?? -1
            if k < seenNames.count {
                seenNames[k] = name
                seenIndices[k] = i
            } else if k < 256 {
                seenNames.append(name)
                seenIndices.append(i)
            }
        }
        guard i >= 0 else { return nil }
        if values[i] == nil { return i }
        // The same name asked for twice: the next slot still free.
        for (j, n) in names.enumerated() where j > i && values[j] == nil && n == name { return j }
        return nil
    }

    mutating func visitInteger(_ name: String, _ value: IntegerValue, base: IntegerBase) {
        if depthInArray > 0 {
            if textTarget != nil { textBytes.append(UInt8(truncatingIfNeeded: value.int64)) }
            if arrayTarget != nil && depthInArray == 1 { arrayElements.append(.integer(value, base: base)) }
            return
        }
        if let i = wanted(name) { values[i] = .integer(value, base: base) }
    }

    mutating func visitFloat(_ name: String, _ value: Double) {
        if depthInArray > 0 {
            if arrayTarget != nil && depthInArray == 1 { arrayElements.append(.float(value)) }
            return
        }
        if let i = wanted(name) { values[i] = .float(value) }
    }

    mutating func visitString(_ name: String, _ bytes: UnsafeRawBufferPointer) {
        if depthInArray > 0 {
            if arrayTarget != nil && depthInArray == 1 {
                arrayElements.append(.string(String(decoding: bytes, as: UTF8.self)))
            }
            return
        }
        if let i = wanted(name) { values[i] = .string(String(decoding: bytes, as: UTF8.self)) }
    }

    mutating func visitEnumeration(_ name: String, _ value: IntegerValue, labels: [String]) {
        if depthInArray > 0 { return }
        if let i = wanted(name) { values[i] = .enumeration(value, labels: labels) }
    }

    mutating func beginStructure(_ name: String) {}
    mutating func endStructure() {}

    mutating func beginArray(_ name: String, count: Int, isText: Bool) {
        if depthInArray == 0, let i = wanted(name) {
            if isText {
                textTarget = i
                textBytes.removeAll(keepingCapacity: true)
            } else {
                arrayTarget = i
                arrayElements = []
            }
        }
        depthInArray += 1
    }

    mutating func endArray() {
        depthInArray -= 1
        guard depthInArray == 0 else { return }
        if let i = textTarget {
            let end = textBytes.firstIndex(of: 0) ?? textBytes.count
            values[i] = .string(String(decoding: textBytes[..<end], as: UTF8.self))
            textTarget = nil
        }
        if let i = arrayTarget {
            values[i] = .array(arrayElements)
            arrayTarget = nil
        }
    }

    mutating func beginVariant(_ name: String, option: String) {
        if depthInArray == 0, variantTarget == nil, let i = wanted(name) { variantTarget = i }
    }
    mutating func endVariant() {}
}
