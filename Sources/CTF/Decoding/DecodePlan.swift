import TraceKit

/// One step of a decode plan. Plans are flat arrays of these, compiled once per scope and event
/// class; compound fields keep their element or option ops right after them and say where they end.
struct DecodeOp {
    enum Code: UInt8 {
        /// Align to `alignment`, then skip `operand` bits (fixed-size fields nobody looks at).
        case skip
        case integer
        case enumeration
        case float
        case string
        case structBegin
        case structEnd
        /// `operand` elements of the body `index+1 ..< end`.
        case array
        /// As many elements as slot `slot` holds.
        case sequence
        /// Aligned bytes read as text up to the first NUL: `operand` of them, or slot `slot`'s value.
        case textArray
        case textSequence
        /// Skip `slot`'s value times `operand` bits (fixed-size elements, skip plans only).
        case skipSequence
        /// Options follow; `info` indexes the variant's option table.
        case variant
    }

    struct Flags: OptionSet {
        let rawValue: UInt16
        static let signed = Flags(rawValue: 1 << 0)
        static let bigEndian = Flags(rawValue: 1 << 1)
        /// Keep the value in `slot` (sequence lengths, variant tags).
        static let storesSlot = Flags(rawValue: 1 << 2)
        /// The value updates the stream clock (`map = clock.X.value`).
        static let updatesClock = Flags(rawValue: 1 << 3)
        static let eventClassID = Flags(rawValue: 1 << 4)
        /// The value is a packet property (`info` names which).
        static let capture = Flags(rawValue: 1 << 5)
        /// Report the field to the visitor (visit plans).
        static let visited = Flags(rawValue: 1 << 6)
        /// An array element (babeltrace2 names it `[index]`).
        static let element = Flags(rawValue: 1 << 7)
        /// A variant's option (babeltrace2 writes it without a name).
        static let option = Flags(rawValue: 1 << 8)
        /// A top-level context field naming the task (`vtid`, `tid`, `vpid`, `pid`: `operand` is
        /// the `TaskCapture` index; `procname`), captured while a visit plan runs.
        static let task = Flags(rawValue: 1 << 9)
    }

    var code: Code
    var flags: Flags = []
    /// Size in bits of integers and floats; element size in bits for `skipSequence`.
    var size: Int32 = 0
    /// Alignment in bits (a power of two).
    var alignment: Int32 = 1
    var slot: Int32 = -1
    /// For compound ops, the index of the first op after the compound.
    var end: Int32 = 0
    /// Index in `DecodePlan.fields`.
    var info: Int32 = -1
    var operand: UInt64 = 0
    /// babeltrace2 text before the value in `DecodePlan.text`: separator and name (`, name = `).
    var prefixStart: Int32 = 0
    var prefixCount: Int32 = 0
    /// Enumerations: the first of `labelCount` label intervals in `DecodePlan.labelStarts`.
    var labelStart: Int32 = 0
    var labelCount: Int32 = 0
    /// Display base of integers and enumerations.
    var base: IntegerBase = .decimal
}

/// The packet properties a packet header or context can carry.
enum PacketProperty: UInt8 {
    case none, magic, uuid, streamClassID, streamInstanceID
    case beginTime, endTime, contentSize, packetSize, discardedEvents, sequenceNumber, cpuID
}

/// Everything the visitor needs about a field, beyond the op.
final class FieldInfo {
    let name: String
    let base: IntegerBase
    let property: PacketProperty
    /// Enumeration labels by value interval (sorted by interval start, in unsigned order after
    /// flipping the sign bit of signed values).
    let labelIntervals: [(start: UInt64, labels: [String])]
    let variant: VariantTable?

    init(name: String, base: IntegerBase = .decimal, property: PacketProperty = .none,
         labelIntervals: [(start: UInt64, labels: [String])] = [], variant: VariantTable? = nil) {
        self.name = name
        self.base = base
        self.property = property
        self.labelIntervals = labelIntervals
        self.variant = variant
    }

    static let noLabels: [String] = []

    /// The labels of an enumeration value (a shared array: no allocation).
    @inline(__always)
    func labels(forKey key: UInt64) -> [String] {
        var low = 0, high = labelIntervals.count
        while low < high {
            let mid = (low + high) >> 1
            if labelIntervals[mid].start <= key { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? Self.noLabels : labelIntervals[low - 1].labels
    }
}

/// How a variant's tag selects an option, and where each option's ops are.
/// One tag range of a variant and the op range of the option it selects, for the hot paths.
struct VariantSelector {
    var lower: UInt64
    var upper: UInt64
    var optionStart: Int32
    var optionEnd: Int32
}

final class VariantTable {
    /// Ranges in babeltrace2's lookup order (as 64-bit patterns) and the option they select.
    let selectors: [(lower: UInt64, upper: UInt64, option: Int)]
    let isSigned: Bool
    let optionNames: [String]
    /// Op ranges of the options in the plan.
    var optionRanges: [Range<Int>] = []

    init(selectors: [(lower: UInt64, upper: UInt64, option: Int)], isSigned: Bool, optionNames: [String]) {
        self.selectors = selectors
        self.isSigned = isSigned
        self.optionNames = optionNames
    }

    @inline(__always)
    func option(forTag tag: UInt64) -> Int? {
        if isSigned {
            let t = Int64(bitPattern: tag)
            for s in selectors where t >= Int64(bitPattern: s.lower) && t <= Int64(bitPattern: s.upper) { return s.option }
        } else {
            for s in selectors where tag >= s.lower && tag <= s.upper { return s.option }
        }
        return nil
    }
}

/// A plan's tables as plain pointers, for hot paths that must not touch reference counts. Valid
/// while the plan lives (plans live as long as their trace).
struct PlanView {
    let ops: UnsafePointer<DecodeOp>
    let count: Int
    /// The plan's field infos, unretained.
    let fields: UnsafeBufferPointer<Unmanaged<FieldInfo>>
    let text: UnsafePointer<UInt8>
    let labelStarts: UnsafePointer<UInt64>
    let labelTexts: UnsafePointer<UInt64>
    let labelCounts: UnsafePointer<UInt64>
    let selectors: UnsafeBufferPointer<VariantSelector>

    /// The interval of an enumeration value (index in `labelStarts`), nil when no label holds it.
    @inline(__always)
    func labelInterval(_ op: UnsafePointer<DecodeOp>, key: UInt64) -> Int? {
        let first = Int(op.pointee.labelStart)
        var low = first, high = first + Int(op.pointee.labelCount)
        while low < high {
            let mid = (low + high) >> 1
            if labelStarts[mid] <= key { low = mid + 1 } else { high = mid }
        }
        return low == first ? nil : low - 1
    }

    /// The rendered labels of an enumeration value, empty when no label holds it.
    @inline(__always)
    func labels(_ op: UnsafePointer<DecodeOp>, key: UInt64) -> UnsafeRawBufferPointer {
        guard let interval = labelInterval(op, key: key) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let packed = labelTexts[interval]
        return UnsafeRawBufferPointer(start: text + Int(truncatingIfNeeded: packed >> 32),
                                      count: Int(truncatingIfNeeded: packed & 0xFFFF_FFFF))
    }

    /// How many labels hold an enumeration value.
    @inline(__always)
    func labelCount(_ op: UnsafePointer<DecodeOp>, key: UInt64) -> Int {
        guard let interval = labelInterval(op, key: key) else { return 0 }
        return Int(truncatingIfNeeded: labelCounts[interval])
    }
}

/// Compiled decoding of one scope (a packet header, an event payload, ...). Immutable once built,
/// so threads share it; its tables are also kept in plain buffers the hot paths read without
/// reference counting.
final class DecodePlan {
    enum Mode {
        /// Only what advancing needs: positions, lengths, tags, clock, ids, packet properties.
        case skip
        /// Report every field.
        case visitAll
        /// Report the fields babeltrace2 shows.
        case visitShown
        /// Report every field, with JSON keys (`"name":`) as prefixes and JSON label lists, for
        /// the JSON printer.
        case json
    }

    let ops: [DecodeOp]
    let fields: [FieldInfo]
    /// Pre-rendered babeltrace2 text: member names (`name = `) and enumeration label lists
    /// (`"A", "B"` or `<unknown>`), so printing copies bytes instead of formatting strings.
    let text: [UInt8]
    /// Enumeration label intervals: first value (in lookup-key order) and the text range of the
    /// interval's labels in `text` (`start << 32 | count`).
    let labelStarts: [UInt64]
    let labelTexts: [UInt64]
    /// Number of labels of each interval.
    let labelCounts: [UInt64]
    /// Variant tag ranges in babeltrace2's lookup order; a variant op's are `labelCount` of them
    /// from `labelStart` (`.signed` when the tag is signed).
    let variantSelectors: [VariantSelector]
    let mode: Mode
    /// Whether the scope's own structure is shown (babeltrace2 prints nothing otherwise).
    let isShown: Bool

    let opsBuffer: UnsafeBufferPointer<DecodeOp>
    /// `fields`, unretained (the array owns them).
    let fieldsBuffer: UnsafeBufferPointer<Unmanaged<FieldInfo>>
    let textBuffer: UnsafeBufferPointer<UInt8>
    let labelStartsBuffer: UnsafeBufferPointer<UInt64>
    let labelTextsBuffer: UnsafeBufferPointer<UInt64>
    let labelCountsBuffer: UnsafeBufferPointer<UInt64>
    let variantSelectorsBuffer: UnsafeBufferPointer<VariantSelector>
    /// The same tables as plain pointers.
    let view: PlanView

    /// - Parameter marksTask: a context scope: its top-level task fields are marked `.task` in
    ///   `visitAll` plans.
    init(scope: StructType, mode: Mode, marksTask: Bool = false) {
        self.mode = mode
        self.isShown = scope.isShown
        let compiler = PlanCompiler(mode: mode)
        compiler.marksTask = marksTask && (mode == .visitAll || mode == .json)
        // The scope is aligned like any structure; its members are reported without a wrapper.
        if scope.alignment > 1 {
            compiler.ops.append(DecodeOp(code: .skip, alignment: Int32(clamping: scope.alignment)))
        }
        compiler.compileMembers(scope.members)
        ops = compiler.ops
        fields = compiler.fields
        text = compiler.text
        labelStarts = compiler.labelStarts
        labelTexts = compiler.labelTexts
        variantSelectors = compiler.variantSelectors
        opsBuffer = Self.copy(ops)
        fieldsBuffer = Self.copy(fields.map { Unmanaged.passUnretained($0) })
        textBuffer = Self.copy(text)
        labelStartsBuffer = Self.copy(labelStarts)
        labelTextsBuffer = Self.copy(labelTexts)
        labelCounts = compiler.labelCounts
        labelCountsBuffer = Self.copy(labelCounts)
        variantSelectorsBuffer = Self.copy(variantSelectors)
        // `copy` always allocates (at least one element), so the base addresses exist.
        view = PlanView(ops: opsBuffer.baseAddress.unsafelyUnwrapped, count: opsBuffer.count, fields: fieldsBuffer,
                        text: textBuffer.baseAddress.unsafelyUnwrapped,
                        labelStarts: labelStartsBuffer.baseAddress.unsafelyUnwrapped,
                        labelTexts: labelTextsBuffer.baseAddress.unsafelyUnwrapped,
                        labelCounts: labelCountsBuffer.baseAddress.unsafelyUnwrapped,
                        selectors: variantSelectorsBuffer)
    }

    deinit {
        opsBuffer.deallocate()
        fieldsBuffer.deallocate()
        textBuffer.deallocate()
        labelStartsBuffer.deallocate()
        labelTextsBuffer.deallocate()
        labelCountsBuffer.deallocate()
        variantSelectorsBuffer.deallocate()
    }

    private static func copy<T>(_ array: [T]) -> UnsafeBufferPointer<T> {
        let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, array.count))
        _ = buffer.initialize(from: array)
        return UnsafeBufferPointer(rebasing: buffer[0..<array.count])
    }

    var isEmpty: Bool { ops.isEmpty }

    static func fixedLayout(_ type: FieldType) -> (alignment: Int, bits: Int)? { PlanCompiler.fixedLayout(type) }

    static func labelIntervals(_ enumeration: EnumType) -> [(start: UInt64, labels: [String])] {
        PlanCompiler.labelIntervals(enumeration)
    }
}

/// Builds the op list of a plan from field types.
private final class PlanCompiler {
    typealias Mode = DecodePlan.Mode
    var ops: [DecodeOp] = []
    var fields: [FieldInfo] = []
    var text: [UInt8] = []
    var labelStarts: [UInt64] = []
    var labelTexts: [UInt64] = []
    var labelCounts: [UInt64] = []
    var variantSelectors: [VariantSelector] = []
    let mode: Mode
    /// Whether top-level task fields get the `.task` flag.
    var marksTask = false
    /// Nesting of the field being compiled (0: a member of the scope itself).
    private var depth = 0

    init(mode: Mode) {
        self.mode = mode
    }

    /// The `TaskCapture` index of a top-level integer field naming the task.
    private func taskIndex(_ name: String) -> UInt64? {
        guard marksTask && depth == 0 else { return nil }
        switch name {
        case "vtid": return 0
        case "tid": return 1
        case "vpid": return 2
        case "pid": return 3
        default: return nil
        }
    }

    /// Marks a top-level text field named `procname`.
    private func marksProcname(_ op: inout DecodeOp, _ name: String) {
        if marksTask && depth == 0 && name == "procname" && op.flags.contains(.visited) { op.flags.insert(.task) }
    }

    // MARK: - Compilation

    private func addInfo(_ info: FieldInfo) -> Int32 {
        fields.append(info)
        return Int32(fields.count - 1)
    }

    private func addText(_ bytes: [UInt8]) -> (Int32, Int32) {
        let start = Int32(text.count)
        text += bytes
        return (start, Int32(bytes.count))
    }

    /// How the field being compiled sits in its container, for babeltrace2's separators.
    enum Role {
        case member(first: Bool)
        case element
        case option
    }

    private var role = Role.member(first: true)

    /// Sets the op's babeltrace2 prefix: separator and name, or the element/option flag.
    private func named(_ op: inout DecodeOp, _ name: String) {
        if mode == .json {
            switch role {
            case .member:
                (op.prefixStart, op.prefixCount) = addText(Self.jsonKey(name))
            case .element:
                op.flags.insert(.element)
            case .option:
                // A variant is an object whose only member is its selected option.
                (op.prefixStart, op.prefixCount) = addText(Self.jsonKey(name))
                op.flags.insert(.option)
            }
            return
        }
        switch role {
        case .member(let first):
            (op.prefixStart, op.prefixCount) = addText(Array(((first ? " " : ", ") + name + " = ").utf8))
        case .element:
            op.flags.insert(.element)
        case .option:
            op.flags.insert(.option)
        }
    }

    /// `"name":`, the name as a JSON string.
    private static func jsonKey(_ name: String) -> [UInt8] {
        var key = ByteBuffer(capacity: name.utf8.count + 8)
        JSONText.writeString(name, to: &key)
        key.append(UInt8(ascii: ":"))
        defer { key.deallocate() }
        return Array(key.bytes)
    }

    /// Sets the enumeration op's label intervals with pre-rendered label lists.
    private func labelled(_ op: inout DecodeOp, _ enumeration: EnumType) {
        let intervals = Self.labelIntervals(enumeration)
        op.labelStart = Int32(labelStarts.count)
        op.labelCount = Int32(intervals.count)
        for interval in intervals {
            var rendered = TextBuffer(capacity: 64)
            if mode == .json {
                // `"A","B"` (empty when no label holds the value).
                var labels = ByteBuffer(capacity: 64)
                for (i, label) in interval.labels.enumerated() {
                    if i > 0 { labels.append(UInt8(ascii: ",")) }
                    JSONText.writeString(label, to: &labels)
                }
                rendered.append(labels.bytes)
                labels.deallocate()
            } else if interval.labels.isEmpty {
                rendered.append("<unknown>")
            } else {
                for (i, label) in interval.labels.enumerated() {
                    if i > 0 { rendered.append(", ") }
                    BabeltraceValueFormat.appendString(label, to: &rendered)
                }
            }
            let (start, count) = addText(Array(rendered.bytes))
            rendered.deallocate()
            labelStarts.append(interval.start)
            labelTexts.append(UInt64(UInt32(start)) << 32 | UInt64(UInt32(count)))
            labelCounts.append(UInt64(interval.labels.count))
        }
    }

    private func visits(_ type: FieldType) -> Bool {
        switch mode {
        case .skip: return false
        case .visitAll, .json: return true
        case .visitShown: return type.isShown
        }
    }

    func compileMembers(_ members: [NamedField]) {
        var i = 0
        var shown = 0
        while i < members.count {
            if mode == .skip, let run = fixedRun(members, from: i) {
                ops.append(DecodeOp(code: .skip, alignment: Int32(clamping: run.alignment), operand: UInt64(run.bits)))
                i = run.next
                continue
            }
            role = .member(first: shown == 0)
            compile(members[i].type, name: members[i].name)
            if visits(members[i].type) { shown += 1 }
            i += 1
        }
    }

    /// Consecutive fixed-size fields without side effects, skipped as one aligned block when the
    /// first field's alignment is the largest (so the offsets within the block are constant).
    /// (`cpu_id` is captured for the packet index, so it is never part of a run.)
    private func fixedRun(_ members: [NamedField], from start: Int) -> (alignment: Int, bits: Int, next: Int)? {
        guard members[start].name != "cpu_id", let first = Self.fixedLayout(members[start].type) else { return nil }
        var offset = first.bits
        var next = start + 1
        while next < members.count, members[next].name != "cpu_id", let layout = Self.fixedLayout(members[next].type),
              layout.alignment <= first.alignment {
            let (sum, overflow) = BitReader.align(offset, layout.alignment).addingReportingOverflow(layout.bits)
            if overflow || sum > Int(Int32.max) * 8 { break }
            offset = sum
            next += 1
        }
        return (first.alignment, offset, next)
    }

    /// Alignment and size of a field whose size never changes and whose value nobody needs.
    static func fixedLayout(_ type: FieldType) -> (alignment: Int, bits: Int)? {
        switch type {
        case let integer as IntegerType:
            guard integer.storageSlot == nil, integer.mappedClock == nil, integer.meaning == .none else { return nil }
            return (integer.alignment, integer.size)
        case let enumeration as EnumType:
            return fixedLayout(enumeration.container).map { (enumeration.alignment, $0.bits) }
        case let float as FloatType:
            return (float.alignment, float.size)
        case let structure as StructType:
            var offset = 0
            for member in structure.members {
                guard let layout = fixedLayout(member.type) else { return nil }
                let (sum, overflow) = BitReader.align(offset, layout.alignment).addingReportingOverflow(layout.bits)
                guard !overflow, sum < 1 << 40 else { return nil }
                offset = sum
            }
            return (structure.alignment, offset)
        case let array as ArrayType:
            guard !array.isUUID, let element = fixedLayout(array.element), element.bits % element.alignment == 0 else { return nil }
            let (total, overflow) = element.bits.multipliedReportingOverflow(by: Int(clamping: array.length))
            guard !overflow, total < 1 << 40 else { return nil }
            return (element.alignment, total)
        default:
            return nil
        }
    }

    private func integerFlags(_ integer: IntegerType) -> DecodeOp.Flags {
        var flags: DecodeOp.Flags = []
        if integer.isSigned { flags.insert(.signed) }
        if integer.byteOrder == .bigEndian { flags.insert(.bigEndian) }
        if integer.storageSlot != nil { flags.insert(.storesSlot) }
        if integer.mappedClock != nil { flags.insert(.updatesClock) }
        if integer.meaning == .eventClassID { flags.insert(.eventClassID) }
        return flags
    }

    private static func property(of meaning: FieldMeaning) -> PacketProperty {
        switch meaning {
        case .magic: return .magic
        case .streamClassID: return .streamClassID
        case .dataStreamID: return .streamInstanceID
        case .packetBeginTime: return .beginTime
        case .packetEndTime: return .endTime
        case .contentSize: return .contentSize
        case .packetSize: return .packetSize
        case .discardedEventsCounter: return .discardedEvents
        case .packetSequenceNumber: return .sequenceNumber
        default: return .none
        }
    }

    /// An array or sequence: its op, then its element's ops, the op's `end` after them.
    private func compileContainer(_ container: DecodeOp, name: String, element: FieldType, visited: Bool) {
        var op = container
        let begin = ops.count
        if visited { op.flags.insert(.visited) }
        op.info = addInfo(FieldInfo(name: name))
        named(&op, name)
        ops.append(op)
        role = .element
        depth += 1
        compile(element, name: "")
        depth -= 1
        ops[begin].end = Int32(ops.count)
    }

    private func compile(_ type: FieldType, name: String) {
        let visited = visits(type)
        switch type {
        case let integer as IntegerType:
            var op = DecodeOp(code: .integer, flags: integerFlags(integer), size: Int32(integer.size),
                              alignment: Int32(clamping: integer.alignment), slot: Int32(integer.storageSlot ?? -1))
            op.base = integer.base
            var property = Self.property(of: integer.meaning)
            if property == .none && name == "cpu_id" { property = .cpuID }
            if property != .none { op.flags.insert(.capture) }
            if visited { op.flags.insert(.visited) }
            if visited || property != .none {
                op.info = addInfo(FieldInfo(name: name, base: integer.base, property: property))
            }
            if visited { named(&op, name) }
            if visited, let index = taskIndex(name) {
                op.flags.insert(.task)
                op.operand = index
            }
            ops.append(op)
        case let enumeration as EnumType:
            let integer = enumeration.container
            var op = DecodeOp(code: .enumeration, flags: integerFlags(integer), size: Int32(integer.size),
                              alignment: Int32(clamping: enumeration.alignment), slot: Int32(integer.storageSlot ?? -1))
            op.base = integer.base
            let property = Self.property(of: integer.meaning)
            if property != .none { op.flags.insert(.capture) }
            if visited { op.flags.insert(.visited) }
            op.info = addInfo(FieldInfo(name: name, base: integer.base, property: property,
                                        labelIntervals: visited ? Self.labelIntervals(enumeration) : []))
            if visited {
                labelled(&op, enumeration)
                named(&op, name)
            }
            ops.append(op)
        case let float as FloatType:
            var op = DecodeOp(code: .float, size: Int32(float.size), alignment: Int32(clamping: float.alignment))
            if float.byteOrder == .bigEndian { op.flags.insert(.bigEndian) }
            if visited {
                op.flags.insert(.visited)
                op.info = addInfo(FieldInfo(name: name))
                named(&op, name)
            }
            ops.append(op)
        case is StringType:
            var op = DecodeOp(code: .string, alignment: 8)
            if visited {
                op.flags.insert(.visited)
                op.info = addInfo(FieldInfo(name: name))
                named(&op, name)
            }
            marksProcname(&op, name)
            ops.append(op)
        case let structure as StructType:
            if mode == .skip {
                if structure.alignment > 1 { ops.append(DecodeOp(code: .skip, alignment: Int32(clamping: structure.alignment))) }
                compileMembers(structure.members)
                return
            }
            let begin = ops.count
            var op = DecodeOp(code: .structBegin, alignment: Int32(clamping: structure.alignment))
            if visited { op.flags.insert(.visited) }
            op.info = addInfo(FieldInfo(name: name))
            named(&op, name)
            ops.append(op)
            depth += 1
            compileMembers(structure.members)
            depth -= 1
            ops.append(DecodeOp(code: .structEnd, flags: visited ? .visited : []))
            ops[begin].end = Int32(ops.count)
        case let array as ArrayType:
            if array.isUUID {
                var op = DecodeOp(code: .skip, alignment: Int32(clamping: array.alignment), operand: array.length &* 8)
                if let element = array.element as? IntegerType, element.size == 8 {
                    op = DecodeOp(code: .textArray, flags: .capture, alignment: 8, operand: array.length)
                    op.info = addInfo(FieldInfo(name: name, property: .uuid))
                }
                ops.append(op)
                return
            }
            if array.isText {
                var op = DecodeOp(code: .textArray, alignment: 8, operand: array.length)
                if visited {
                    op.flags.insert(.visited)
                    op.info = addInfo(FieldInfo(name: name))
                    named(&op, name)
                }
                marksProcname(&op, name)
                ops.append(op)
                return
            }
            if mode == .skip, let layout = Self.fixedLayout(array) {
                ops.append(DecodeOp(code: .skip, alignment: Int32(clamping: layout.alignment), operand: UInt64(layout.bits)))
                return
            }
            compileContainer(DecodeOp(code: .array, alignment: Int32(clamping: array.alignment), operand: array.length),
                             name: name, element: array.element, visited: visited)
        case let sequence as SequenceType:
            let slot = Int32(sequence.lengthType?.integerType?.storageSlot ?? -1)
            if sequence.isText {
                var op = DecodeOp(code: .textSequence, alignment: 8, slot: slot)
                if visited {
                    op.flags.insert(.visited)
                    op.info = addInfo(FieldInfo(name: name))
                    named(&op, name)
                }
                marksProcname(&op, name)
                ops.append(op)
                return
            }
            if mode == .skip, let element = Self.fixedLayout(sequence.element), element.bits % element.alignment == 0 {
                ops.append(DecodeOp(code: .skipSequence, size: Int32(clamping: element.bits),
                                    alignment: Int32(clamping: element.alignment), slot: slot))
                return
            }
            compileContainer(DecodeOp(code: .sequence, alignment: Int32(clamping: sequence.alignment), slot: slot),
                             name: name, element: sequence.element, visited: visited)
        case let variant as VariantType:
            let tag = variant.tagType
            let table = VariantTable(selectors: variant.selectors, isSigned: tag?.container.isSigned ?? false,
                                     optionNames: variant.options.map(\.name))
            let begin = ops.count
            var op = DecodeOp(code: .variant, slot: Int32(tag?.container.storageSlot ?? -1))
            if visited { op.flags.insert(.visited) }
            if table.isSigned { op.flags.insert(.signed) }
            op.info = addInfo(FieldInfo(name: name, variant: table))
            let firstSelector = variantSelectors.count
            op.labelStart = Int32(firstSelector)
            op.labelCount = Int32(variant.selectors.count)
            named(&op, name)
            ops.append(op)
            for option in variant.options {
                let start = ops.count
                role = .option
                depth += 1
                compile(option.type, name: option.name)
                depth -= 1
                table.optionRanges.append(start..<ops.count)
            }
            for s in variant.selectors {
                let range = table.optionRanges[s.option]
                variantSelectors.append(VariantSelector(lower: s.lower, upper: s.upper, optionStart: Int32(range.lowerBound),
                                                        optionEnd: Int32(range.upperBound)))
            }
            ops[begin].end = Int32(ops.count)
        default:
            break
        }
    }

    /// Elementary value intervals of an enumeration with their label lists, so a lookup is a binary
    /// search returning a shared array.
    static func labelIntervals(_ enumeration: EnumType) -> [(start: UInt64, labels: [String])] {
        let signed = enumeration.container.isSigned
        func key(_ v: UInt64) -> UInt64 { signed ? v ^ (1 << 63) : v }
        var boundaries: Set<UInt64> = []
        for mapping in enumeration.mappings {
            for range in mapping.ranges where key(range.lower) <= key(range.upper) {
                boundaries.insert(key(range.lower))
                if key(range.upper) != UInt64.max { boundaries.insert(key(range.upper) + 1) }
            }
        }
        var result: [(start: UInt64, labels: [String])] = []
        for start in boundaries.sorted() {
            var labels: [String] = []
            for mapping in enumeration.mappings where mapping.ranges.contains(where: {
                key($0.lower) <= start && start <= key($0.upper)
            }) {
                labels.append(mapping.label)
            }
            result.append((start, labels))
        }
        return result
    }
}
