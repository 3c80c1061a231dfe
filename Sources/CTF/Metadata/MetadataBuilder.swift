import TraceKit

/// Declared names visible in one TSDL lexical scope. Types are copied when registered and when
/// looked up, as babeltrace2 does, so every use gets its own field classes.
private final class DeclarationScope {
    var aliases: [String: FieldType] = [:]
    var structs: [String: StructType] = [:]
    var variants: [String: VariantType] = [:]
    var enums: [String: EnumType] = [:]
}

/// Turns a TSDL syntax tree into `TraceMetadata`, following babeltrace2's rules: blocks are visited
/// by kind (environment, clocks, root declarations, trace, streams, events), integers take the
/// trace's byte order by default, special fields get their meanings, timestamps are mapped to the
/// clock, sequence lengths and variant tags are resolved, and shown fields are marked.
struct MetadataBuilder {
    private let declarations: [TSDLDeclaration]
    private let metadata = TraceMetadata()
    private var scopes: [DeclarationScope] = [DeclarationScope()]
    private var isLTTng = false

    private init(declarations: [TSDLDeclaration]) {
        self.declarations = declarations
    }

    static func build(_ declarations: [TSDLDeclaration]) throws -> TraceMetadata {
        var builder = MetadataBuilder(declarations: declarations)
        try builder.run()
        return builder.metadata
    }

    /// Parses and builds metadata text.
    static func build(text: [UInt8]) throws -> TraceMetadata {
        try build(TSDLParser.parse(text))
    }

    // MARK: - Top level

    private mutating func run() throws {
        let blocks: [TSDLBlock] = declarations.compactMap {
            if case .block(let block) = $0 { return block }
            return nil
        }
        let traces = blocks.filter { $0.kind == .trace }
        guard let traceBlock = traces.first else {
            throw TSDLError(line: 1, column: 1, message: "missing trace block (`trace { ... };`)")
        }
        if traces.count > 1 {
            throw traces[1].location.error("duplicate trace block")
        }
        try setTraceByteOrder(traceBlock)

        for block in blocks where block.kind == .env { try visitEnvironment(block) }
        for block in blocks where block.kind == .clock { try visitClock(block) }
        for declaration in declarations {
            if case .block = declaration { continue }
            try visitDeclaration(declaration, in: nil)
        }
        try visitTrace(traceBlock)
        for block in blocks where block.kind == .stream { try visitStream(block) }
        for block in blocks where block.kind == .event { try visitEvent(block) }

        try assignDefaultClocks()
        assignMeanings()
        configureStreamClasses()
        try MetadataResolver.resolve(metadata)
        markShownFields()
        try validate()
    }

    private mutating func setTraceByteOrder(_ block: TSDLBlock) throws {
        var found = false
        for case .assignment(let a) in block.entries where a.name == "byte_order" {
            if found { throw a.location.error("duplicate `byte_order` attribute in trace block") }
            found = true
            switch try stringValue(a) {
            case "le": metadata.byteOrder = .littleEndian
            case "be", "network": metadata.byteOrder = .bigEndian
            case "native":
                throw a.valueLocation.error("invalid `byte_order` attribute in trace block: cannot be `native` here")
            case let other:
                throw a.valueLocation.error("invalid `byte_order` attribute in trace block: expecting `le`, `be` or `network`, got `\(other)`")
            }
        }
        if !found { throw block.location.error("missing `byte_order` attribute in trace block") }
    }

    // MARK: - Scopes

    private mutating func withScope<T>(_ body: (inout MetadataBuilder) throws -> T) rethrows -> T {
        scopes.append(DeclarationScope())
        defer { scopes.removeLast() }
        return try body(&self)
    }

    private func lookupAlias(_ name: String) -> FieldType? {
        for scope in scopes.reversed() {
            if let type = scope.aliases[name] { return type.copy() }
        }
        return nil
    }

    private func lookupStruct(_ name: String) -> StructType? {
        for scope in scopes.reversed() {
            if let type = scope.structs[name] { return type.copy() as? StructType }
        }
        return nil
    }

    private func lookupVariant(_ name: String) -> VariantType? {
        for scope in scopes.reversed() {
            if let type = scope.variants[name] { return type.copy() as? VariantType }
        }
        return nil
    }

    private func lookupEnum(_ name: String) -> EnumType? {
        for scope in scopes.reversed() {
            if let type = scope.enums[name] { return type.copy() as? EnumType }
        }
        return nil
    }

    private func registerAlias(_ name: String, _ type: FieldType, at location: TSDLLocation) throws {
        let scope = scopes[scopes.count - 1]
        guard scope.aliases[name] == nil else { throw location.error("duplicate type name `\(name)` in this scope") }
        scope.aliases[name] = type.copy()
    }

    // MARK: - Declarations

    /// A declaration in the root scope or in a block or type body. `structure` receives fields.
    private mutating func visitDeclaration(_ declaration: TSDLDeclaration, in structure: StructType?,
                                           variant: VariantType? = nil) throws {
        switch declaration {
        case .typeAlias(let target, let targetDeclarator, let alias, let pointers, let location):
            var type = try resolveType(target)
            if let targetDeclarator {
                let (name, declared) = try applyDeclarator(targetDeclarator, to: type, specifier: target)
                if let name { throw targetDeclarator.location.error("expecting an abstract declarator in typealias target, got `\(name)`") }
                type = declared
            }
            if let v = type as? VariantType, v.tagReference == nil {
                throw location.error("type definition of an untagged variant is not allowed")
            }
            var key = alias.joined(separator: " ")
            for _ in 0..<pointers { key += " *" }
            try registerAlias(key, type, at: location)
        case .typedef(let specifier, let declarators, let location):
            let base = try resolveType(specifier)
            for declarator in declarators {
                let (name, type) = try applyDeclarator(declarator, to: base, specifier: specifier)
                guard let name else { throw location.error("typedef without a name") }
                if let v = type as? VariantType, v.tagReference == nil {
                    throw declarator.location.error("type definition of an untagged variant is not allowed")
                }
                try registerAlias(name, type, at: declarator.location)
            }
        case .typeOnly(let specifier):
            _ = try resolveType(specifier)
        case .fields(let specifier, let declarators):
            guard structure != nil || variant != nil else {
                throw specifier.location.error("field declarations are only allowed in structures and variants")
            }
            let base = try resolveType(specifier)
            for declarator in declarators {
                let (name, type) = try applyDeclarator(declarator, to: base, specifier: specifier)
                guard let name else { throw declarator.location.error("field without a name") }
                let shown = name.hasPrefix("_") ? String(name.dropFirst()) : name
                if let structure {
                    if structure.member(named: shown) != nil {
                        throw declarator.location.error("duplicate field `\(name)` in structure")
                    }
                    structure.append(name, type)
                } else if let variant {
                    if variant.options.contains(where: { $0.name == shown }) {
                        throw declarator.location.error("duplicate option `\(name)` in variant")
                    }
                    variant.options.append(NamedField(originalName: name, type: type))
                }
            }
        case .assignment(let a):
            throw a.location.error("unexpected attribute `\(a.name)` here")
        case .block(let block):
            throw block.location.error("`\(block.kind.rawValue)` block is only allowed at the top level")
        }
    }

    /// The type named or described by a specifier list.
    private mutating func resolveType(_ specifier: TSDLTypeSpecifier) throws -> FieldType {
        switch specifier.kind {
        case .named(let names):
            let key = names.joined(separator: " ")
            guard let type = lookupAlias(key) else {
                throw specifier.location.error("unknown type `\(key)`")
            }
            return type
        case .integer(let attributes):
            return try integerType(attributes, at: specifier.location)
        case .floatingPoint(let attributes):
            return try floatType(attributes, at: specifier.location)
        case .string(let attributes):
            for a in attributes {
                if a.name == "encoding" {
                    _ = try encoding(a)
                }
            }
            return StringType()
        case .structure(let name, let body, let align):
            guard let body else {
                guard let name, let found = lookupStruct(name) else {
                    throw specifier.location.error("unknown structure `struct \(name ?? "")`")
                }
                return found
            }
            if let name, scopes[scopes.count - 1].structs[name] != nil {
                throw specifier.location.error("structure `struct \(name)` already declared in this scope")
            }
            var minimumAlignment = 1
            if let align {
                guard !align.negative, align.magnitude > 0, align.magnitude & (align.magnitude - 1) == 0,
                      align.magnitude <= 1 << 20 else {
                    throw specifier.location.error("invalid structure alignment \(align.negative ? "-" : "")\(align.magnitude): expecting a power of two")
                }
                minimumAlignment = Int(align.magnitude)
            }
            let structure = StructType(minimumAlignment: minimumAlignment)
            try withScope { builder in
                for entry in body { try builder.visitDeclaration(entry, in: structure) }
            }
            if let name { scopes[scopes.count - 1].structs[name] = structure.copy() as? StructType }
            return structure
        case .variant(let name, let tag, let body):
            let variant: VariantType
            if let body {
                if let name, scopes[scopes.count - 1].variants[name] != nil {
                    throw specifier.location.error("variant `variant \(name)` already declared in this scope")
                }
                variant = VariantType()
                try withScope { builder in
                    for entry in body { try builder.visitDeclaration(entry, in: nil, variant: variant) }
                }
                if let name { scopes[scopes.count - 1].variants[name] = variant.copy() as? VariantType }
            } else {
                guard let name, let found = lookupVariant(name) else {
                    throw specifier.location.error("unknown variant `variant \(name ?? "")`")
                }
                variant = found
            }
            if let tag { variant.tagReference = tag }
            return variant
        case .enumeration(let name, let container, let body):
            guard let body else {
                guard let name, let found = lookupEnum(name) else {
                    throw specifier.location.error("unknown enumeration `enum \(name ?? "")`")
                }
                return found
            }
            if let name, scopes[scopes.count - 1].enums[name] != nil {
                throw specifier.location.error("enumeration `enum \(name)` already declared in this scope")
            }
            let containerType: FieldType
            if let container {
                containerType = try resolveType(container)
            } else {
                guard let implicit = lookupAlias("int") else {
                    throw specifier.location.error("enumeration without a container type and no `int` type declared")
                }
                containerType = implicit
            }
            guard let integer = containerType as? IntegerType else {
                throw specifier.location.error("enumeration container type is not an integer type")
            }
            let enumeration = EnumType(container: integer)
            var last = TSDLInteger(magnitude: 0, negative: false)
            for enumerator in body {
                var start = last
                var end = last
                if enumerator.values.count >= 1 { start = enumerator.values[0]; end = start }
                if enumerator.values.count == 2 { end = enumerator.values[1] }
                // The next implicit value follows the end of this one (wrapping like babeltrace2).
                let next = end.bitPattern &+ 1
                last = TSDLInteger(magnitude: next, negative: false)
                enumeration.map(enumerator.label, lower: start.bitPattern, upper: end.bitPattern)
            }
            if let name { scopes[scopes.count - 1].enums[name] = enumeration.copy() as? EnumType }
            return enumeration
        }
    }

    /// Applies array, sequence and pointer declarators; returns the field name and its type.
    private mutating func applyDeclarator(_ declarator: TSDLDeclarator, to base: FieldType,
                                          specifier: TSDLTypeSpecifier) throws -> (String?, FieldType) {
        switch declarator {
        case .identifier(let name, _):
            return (name, base)
        case .pointer:
            // A pointer type must have been declared with `typealias ... := T *;`.
            var pointers = 0
            var inner = declarator
            while case .pointer(let d) = inner {
                pointers += 1
                inner = d
            }
            guard case .named(let names) = specifier.kind else {
                throw declarator.location.error("pointer declarator on an anonymous type")
            }
            var key = names.joined(separator: " ")
            for _ in 0..<pointers { key += " *" }
            guard let type = lookupAlias(key) else {
                throw declarator.location.error("unknown type `\(key)`")
            }
            if let integer = type as? IntegerType { integer.base = .hexadecimal }
            return try applyDeclarator(inner, to: type, specifier: specifier)
        case .array(let inner, let length, let location):
            let container: FieldType
            switch length {
            case .constant(let n):
                container = ArrayType(element: base, length: n)
            case .reference(let path):
                if path.hasPrefix("env.") {
                    let entryName = String(path.dropFirst(4))
                    guard let entry = metadata.environmentValue(entryName) else {
                        throw location.error("cannot find environment entry `\(entryName)` for array length")
                    }
                    guard case .integer(let n) = entry else {
                        throw location.error("environment entry `\(entryName)` is not an integer")
                    }
                    guard n >= 0 else { throw location.error("negative array length from `\(path)`: \(n)") }
                    container = ArrayType(element: base, length: UInt64(n))
                } else {
                    container = SequenceType(element: base, lengthReference: path)
                }
            }
            return try applyDeclarator(inner, to: container, specifier: specifier)
        }
    }

    // MARK: - Basic types

    private func integerType(_ attributes: [TSDLAssignment], at location: TSDLLocation) throws -> IntegerType {
        var size: UInt64?
        var align: UInt64?
        var isSigned = false
        var byteOrder = metadata.byteOrder
        var base = IntegerBase.decimal
        var isText = false
        var clock: String?
        var seen: Set<String> = []
        for a in attributes {
            if seen.contains(a.name) && ["signed", "byte_order", "size", "align", "base", "encoding", "map"].contains(a.name) {
                throw a.location.error("duplicate attribute `\(a.name)` in integer type")
            }
            seen.insert(a.name)
            switch a.name {
            case "signed": isSigned = try boolean(a)
            case "byte_order": byteOrder = try self.byteOrder(a)
            case "size":
                let n = try unsignedValue(a)
                guard n > 0 else { throw a.valueLocation.error("invalid integer size 0: expecting 1 to 64") }
                guard n <= 64 else { throw a.valueLocation.error("invalid integer size \(n): integers over 64 bits are not supported") }
                size = n
            case "align":
                let n = try unsignedValue(a)
                guard n > 0, n & (n - 1) == 0, n <= 1 << 20 else {
                    throw a.valueLocation.error("invalid integer alignment \(n): expecting a power of two")
                }
                align = n
            case "base":
                base = try integerBase(a)
            case "encoding":
                isText = try encoding(a)
            case "map":
                guard case .path(let parts) = a.value, parts.count == 3, parts[0] == "clock", parts[2] == "value" else {
                    // babeltrace2 only warns about maps it does not understand.
                    continue
                }
                guard metadata.clock(named: parts[1]) != nil else {
                    throw a.valueLocation.error("invalid `map` attribute: no clock named `\(parts[1])` at this point")
                }
                clock = parts[1]
            default:
                continue  // Unknown attributes are ignored, as babeltrace2 does (with a warning).
            }
        }
        guard let size else { throw location.error("missing `size` attribute in integer type") }
        let alignment = align ?? (size % 8 == 0 ? 8 : 1)
        return IntegerType(size: Int(size), alignment: Int(alignment), isSigned: isSigned, byteOrder: byteOrder,
                           base: base, isText: isText, mappedClock: clock)
    }

    private func floatType(_ attributes: [TSDLAssignment], at location: TSDLLocation) throws -> FloatType {
        var exponent: UInt64?
        var mantissa: UInt64?
        var align: UInt64?
        var byteOrder = metadata.byteOrder
        for a in attributes {
            switch a.name {
            case "exp_dig": exponent = try unsignedValue(a)
            case "mant_dig": mantissa = try unsignedValue(a)
            case "byte_order": byteOrder = try self.byteOrder(a)
            case "align":
                let n = try unsignedValue(a)
                guard n > 0, n & (n - 1) == 0, n <= 1 << 20 else {
                    throw a.valueLocation.error("invalid floating point alignment \(n): expecting a power of two")
                }
                align = n
            default:
                continue
            }
        }
        guard let mantissa else { throw location.error("missing `mant_dig` attribute in floating point type") }
        guard let exponent else { throw location.error("missing `exp_dig` attribute in floating point type") }
        guard (mantissa == 24 && exponent == 8) || (mantissa == 53 && exponent == 11) else {
            throw location.error("unsupported floating point type (mant_dig = \(mantissa), exp_dig = \(exponent)): expecting 24/8 or 53/11")
        }
        let size = Int(mantissa + exponent)
        return FloatType(size: size, alignment: Int(align ?? (size % 8 == 0 ? 8 : 1)), byteOrder: byteOrder)
    }

    // MARK: - Attribute values

    private func unsignedValue(_ a: TSDLAssignment) throws -> UInt64 {
        guard case .integer(let value) = a.value, !value.negative else {
            throw a.valueLocation.error("invalid `\(a.name)` attribute: expecting an unsigned integer constant")
        }
        return value.magnitude
    }

    private func signedValue(_ a: TSDLAssignment) throws -> Int64 {
        guard case .integer(let value) = a.value, let signed = value.signedValue else {
            throw a.valueLocation.error("invalid `\(a.name)` attribute: expecting an integer constant")
        }
        return signed
    }

    private func stringValue(_ a: TSDLAssignment) throws -> String {
        switch a.value {
        case .string(let text): return text
        case .path(let parts): return parts.joined(separator: ".")
        default: throw a.valueLocation.error("invalid `\(a.name)` attribute: expecting a string")
        }
    }

    private func boolean(_ a: TSDLAssignment) throws -> Bool {
        switch a.value {
        case .integer(let value): return value.magnitude != 0
        case .path(let parts) where parts.count == 1:
            switch parts[0] {
            case "true", "TRUE": return true
            case "false", "FALSE": return false
            default: break
            }
        default: break
        }
        throw a.valueLocation.error("invalid `\(a.name)` attribute: expecting a boolean")
    }

    private func byteOrder(_ a: TSDLAssignment) throws -> ByteOrder {
        switch try stringValue(a) {
        case "be", "network": return .bigEndian
        case "le": return .littleEndian
        case "native": return metadata.byteOrder
        case let other:
            throw a.valueLocation.error("invalid `byte_order` attribute `\(other)`: expecting `be`, `le`, `network` or `native`")
        }
    }

    private func integerBase(_ a: TSDLAssignment) throws -> IntegerBase {
        switch a.value {
        case .integer(let value) where !value.negative:
            switch value.magnitude {
            case 2: return .binary
            case 8: return .octal
            case 10: return .decimal
            case 16: return .hexadecimal
            default: break
            }
        case .path(let parts):
            switch parts.joined(separator: ".") {
            case "decimal", "dec", "d", "i", "u": return .decimal
            case "hexadecimal", "hex", "x", "X", "p": return .hexadecimal
            case "octal", "oct", "o": return .octal
            case "binary", "b": return .binary
            default: break
            }
        default: break
        }
        throw a.valueLocation.error("invalid `base` attribute: expecting 2, 8, 10, 16 or a base name")
    }

    /// True for text encodings (UTF-8/ASCII), false for `none`.
    private func encoding(_ a: TSDLAssignment) throws -> Bool {
        switch try stringValue(a) {
        case "UTF8", "utf8", "utf-8", "UTF-8", "ASCII", "ascii": return true
        case "none": return false
        case let other: throw a.valueLocation.error("invalid `encoding` attribute: unknown encoding `\(other)`")
        }
    }

    private func uuidValue(_ a: TSDLAssignment) throws -> [UInt8] {
        guard case .string(let text) = a.value, let bytes = UUIDText.parse(text) else {
            throw a.valueLocation.error("invalid `uuid` attribute: expecting a UUID string")
        }
        return bytes
    }

    /// `name := struct { ... };` in a block: the structure type of a dynamic scope.
    private mutating func scopeType(_ a: TSDLAssignment) throws -> StructType {
        guard case .type(let specifier, let declarator) = a.value else {
            throw a.valueLocation.error("`\(a.name)` expects a type (`\(a.name) := struct { ... };`)")
        }
        var type = try resolveType(specifier)
        if let declarator {
            let (name, declared) = try applyDeclarator(declarator, to: type, specifier: specifier)
            if let name { throw declarator.location.error("unexpected name `\(name)` after `\(a.name)` type") }
            type = declared
        }
        guard let structure = type as? StructType else {
            throw a.valueLocation.error("`\(a.name)` must be a structure type")
        }
        metadata.scopeLocations[ObjectIdentifier(structure)] = a.location
        return structure
    }

    // MARK: - Blocks

    private mutating func visitEnvironment(_ block: TSDLBlock) throws {
        for entry in block.entries {
            guard case .assignment(let a) = entry else {
                throw block.location.error("unexpected declaration in env block")
            }
            let value: EnvironmentValue
            switch a.value {
            case .string(let text): value = .string(text)
            case .path(let parts): value = .string(parts.joined(separator: "."))
            case .integer(let integer):
                guard let signed = integer.signedValue ?? (integer.negative ? nil : Int64(bitPattern: integer.magnitude)) else {
                    throw a.valueLocation.error("environment value `\(a.name)` out of range")
                }
                value = .integer(signed)
            case .type:
                throw a.valueLocation.error("environment entry `\(a.name)` cannot be a type")
            }
            if a.name == "tracer_name", case .string(let name) = value, name.hasPrefix("lttng") {
                isLTTng = true
            }
            metadata.environment.append((a.name, value))
        }
    }

    private mutating func visitClock(_ block: TSDLBlock) throws {
        var clock = ClockClass(name: "")
        var hasName = false
        var offsetSeconds: Int64 = 0
        var offsetCycles: UInt64 = 0
        var seen: Set<String> = []
        for entry in block.entries {
            guard case .assignment(let a) = entry else {
                throw block.location.error("unexpected declaration in clock block")
            }
            if seen.contains(a.name) { throw a.location.error("duplicate attribute `\(a.name)` in clock block") }
            seen.insert(a.name)
            switch a.name {
            case "name":
                clock.name = try stringValue(a)
                hasName = true
            case "uuid": clock.uuid = try uuidValue(a)
            case "description": clock.description = try stringValue(a)
            case "freq":
                let freq = try unsignedValue(a)
                guard freq != 0, freq != UInt64.max else { throw a.valueLocation.error("invalid clock frequency \(freq)") }
                clock.frequency = freq
            case "precision": clock.precision = try unsignedValue(a)
            case "offset_s": offsetSeconds = try signedValue(a)
            case "offset": offsetCycles = try unsignedValue(a)
            case "absolute": clock.isAbsolute = try boolean(a)
            default: continue
            }
        }
        guard hasName else { throw block.location.error("missing `name` attribute in clock block") }
        if metadata.clock(named: clock.name) != nil {
            throw block.location.error("duplicate clock `\(clock.name)`")
        }
        if isLTTng && clock.name == "monotonic" {
            // Older LTTng versions did not say their monotonic clock is absolute, but it is.
            clock.isAbsolute = true
        }
        // Move whole seconds of the cycle offset to the seconds part.
        if offsetCycles >= clock.frequency {
            let seconds = offsetCycles / clock.frequency
            offsetSeconds = offsetSeconds &+ Int64(truncatingIfNeeded: seconds)
            offsetCycles -= seconds * clock.frequency
        }
        clock.offsetSeconds = offsetSeconds
        clock.offsetCycles = offsetCycles
        metadata.clocks.append(clock)
    }

    /// Visits the declarations of a `trace`, `stream` or `event` block and hands each attribute to
    /// `body`; an attribute given twice is an error. Returns the attribute names seen.
    @discardableResult
    private mutating func forEachAttribute(of block: TSDLBlock, kind: String,
                                           _ body: (inout MetadataBuilder, TSDLAssignment) throws -> Void) throws -> Set<String> {
        var seen: Set<String> = []
        for entry in block.entries {
            guard case .assignment(let a) = entry else {
                try visitDeclaration(entry, in: nil)
                continue
            }
            if seen.contains(a.name) { throw a.location.error("duplicate attribute `\(a.name)` in \(kind) block") }
            seen.insert(a.name)
            try body(&self, a)
        }
        return seen
    }

    private mutating func visitTrace(_ block: TSDLBlock) throws {
        try withScope { builder in
            let seen = try builder.forEachAttribute(of: block, kind: "trace") { builder, a in
                switch a.name {
                case "major":
                    let v = try builder.unsignedValue(a)
                    guard v == 1 else { throw a.valueLocation.error("unsupported CTF major version \(v): expecting 1") }
                    builder.metadata.major = v
                case "minor":
                    let v = try builder.unsignedValue(a)
                    guard v == 8 else { throw a.valueLocation.error("unsupported CTF minor version \(v): expecting 8") }
                    builder.metadata.minor = v
                case "uuid": builder.metadata.uuid = try builder.uuidValue(a)
                case "byte_order": break  // read before everything else
                case "packet.header": builder.metadata.packetHeader = try builder.scopeType(a)
                default: break
                }
            }
            if !seen.contains("major") { throw block.location.error("missing `major` attribute in trace block") }
            if !seen.contains("minor") { throw block.location.error("missing `minor` attribute in trace block") }
        }
    }

    private mutating func visitStream(_ block: TSDLBlock) throws {
        let stream = StreamClass()
        var hasID = false
        try withScope { builder in
            try builder.forEachAttribute(of: block, kind: "stream") { builder, a in
                switch a.name {
                case "id":
                    stream.id = try builder.unsignedValue(a)
                    guard stream.id <= UInt64(Int64.max) else { throw a.valueLocation.error("stream id out of range") }
                    if builder.metadata.streamClass(id: stream.id) != nil {
                        throw a.location.error("duplicate stream class id \(stream.id)")
                    }
                    hasID = true
                case "event.header":
                    let header = try builder.scopeType(a)
                    try builder.autoMapClock(in: header, fieldName: "timestamp", at: a.location)
                    stream.eventHeader = header
                case "event.context":
                    stream.eventCommonContext = try builder.scopeType(a)
                case "packet.context":
                    let context = try builder.scopeType(a)
                    try builder.autoMapClock(in: context, fieldName: "timestamp_begin", at: a.location)
                    try builder.autoMapClock(in: context, fieldName: "timestamp_end", at: a.location)
                    stream.packetContext = context
                default: break
                }
            }
        }
        if hasID {
            guard let header = metadata.packetHeader, header.member(named: "stream_id") != nil else {
                throw block.location.error("stream class has an `id` but the packet header has no `stream_id` field")
            }
        } else {
            guard metadata.streamClasses.isEmpty else {
                throw block.location.error("missing `id` attribute in stream block (the trace has several stream classes)")
            }
            stream.id = 0
        }
        if metadata.streamClass(id: stream.id) != nil {
            throw block.location.error("duplicate stream class id \(stream.id)")
        }
        metadata.streamClasses.append(stream)
    }

    private mutating func visitEvent(_ block: TSDLBlock) throws {
        var name: String?
        for case .assignment(let a) in block.entries where a.name == "name" {
            name = try stringValue(a)
        }
        guard let name else { throw block.location.error("missing `name` attribute in event block") }
        let event = EventClassDefinition(name: name)
        var streamID: UInt64?
        var hasID = false
        try withScope { builder in
            try builder.forEachAttribute(of: block, kind: "event") { builder, a in
                switch a.name {
                case "name": break
                case "id":
                    event.id = try builder.unsignedValue(a)
                    guard event.id <= UInt64(Int64.max) else { throw a.valueLocation.error("event id out of range") }
                    hasID = true
                case "stream_id": streamID = try builder.unsignedValue(a)
                case "context": event.specificContext = try builder.scopeType(a)
                case "fields": event.payload = try builder.scopeType(a)
                case "loglevel":
                    let level = try builder.unsignedValue(a)
                    // babeltrace2 keeps only the levels it knows.
                    if level <= 14 { event.logLevel = Int64(level) }
                case "model.emf.uri":
                    let uri = try builder.stringValue(a)
                    if !uri.isEmpty { event.emfURI = uri }
                default: break
                }
            }
        }
        let stream: StreamClass
        if let streamID {
            guard let found = metadata.streamClass(id: streamID) else {
                throw block.location.error("event `\(name)` refers to stream class \(streamID), which is not declared")
            }
            stream = found
        } else {
            switch metadata.streamClasses.count {
            case 0:
                stream = StreamClass()
                metadata.streamClasses.append(stream)
            case 1:
                stream = metadata.streamClasses[0]
            default:
                throw block.location.error("missing `stream_id` attribute in event `\(name)` (the trace has several stream classes)")
            }
        }
        if !hasID {
            guard stream.eventClasses.isEmpty else {
                throw block.location.error("missing `id` attribute in event `\(name)` (its stream class has several event classes)")
            }
            event.id = 0
        }
        guard stream.eventClassesByID[event.id] == nil else {
            throw block.location.error("duplicate event class id \(event.id) in stream class \(stream.id)")
        }
        event.streamClassID = stream.id
        event.index = metadata.eventClasses.count
        stream.eventClasses.append(event)
        stream.eventClassesByID[event.id] = event
        metadata.eventClasses.append(event)
    }

    /// Maps unmapped integer fields named `fieldName` (at any depth) to the trace's only clock,
    /// creating a 1 GHz `default` clock when there is none (babeltrace2's rule).
    private mutating func autoMapClock(in type: FieldType, fieldName: String, at location: TSDLLocation) throws {
        let fields: [NamedField]
        if let s = type as? StructType {
            fields = s.members
        } else if let v = type as? VariantType {
            fields = v.options
        } else {
            return
        }
        for field in fields {
            if field.name == fieldName {
                let integer = (field.type as? IntegerType) ?? (field.type as? EnumType)?.container
                if let integer, integer.mappedClock == nil {
                    switch metadata.clocks.count {
                    case 0:
                        var clock = ClockClass(name: "default")
                        clock.frequency = 1_000_000_000
                        metadata.clocks.append(clock)
                        integer.mappedClock = "default"
                    case 1:
                        integer.mappedClock = metadata.clocks[0].name
                    default:
                        throw location.error("timestamp field `\(fieldName)` is not mapped to a clock and the trace has several clocks")
                    }
                }
            }
            try autoMapClock(in: field.type, fieldName: fieldName, at: location)
        }
    }

    // MARK: - Post-processing

    private func assignDefaultClocks() throws {
        for stream in metadata.streamClasses {
            var clockName: String?
            for scope in [stream.packetContext, stream.eventHeader, stream.eventCommonContext] {
                guard let scope else { continue }
                try forEachInteger(in: scope) { integer in
                    guard let mapped = integer.mappedClock else { return }
                    if let clockName, clockName != mapped {
                        throw TSDLError(line: 1, column: 1,
                                        message: "stream class \(stream.id) maps its fields to two clocks (`\(clockName)` and `\(mapped)`)")
                    }
                    clockName = mapped
                }
            }
            if let clockName { stream.defaultClock = metadata.clock(named: clockName) }
        }
    }

    private func forEachInteger(in type: FieldType, _ body: (IntegerType) throws -> Void) throws {
        switch type {
        case let integer as IntegerType: try body(integer)
        case let enumeration as EnumType: try body(enumeration.container)
        case let structure as StructType: for m in structure.members { try forEachInteger(in: m.type, body) }
        case let variant as VariantType: for o in variant.options { try forEachInteger(in: o.type, body) }
        case let array as ArrayType: try forEachInteger(in: array.element, body)
        case let sequence as SequenceType: try forEachInteger(in: sequence.element, body)
        default: break
        }
    }

    /// The integer of a direct structure member, looking through enumerations.
    private func memberInteger(_ structure: StructType?, _ name: String) -> IntegerType? {
        guard let type = structure?.member(named: name)?.type else { return nil }
        return (type as? IntegerType) ?? (type as? EnumType)?.container
    }

    private func assignMeanings() {
        if let header = metadata.packetHeader {
            memberInteger(header, "magic")?.meaning = .magic
            memberInteger(header, "stream_id")?.meaning = .streamClassID
            memberInteger(header, "stream_instance_id")?.meaning = .dataStreamID
            if let uuid = header.member(named: "uuid")?.type as? ArrayType { uuid.isUUID = true }
        }
        for stream in metadata.streamClasses {
            if let context = stream.packetContext {
                memberInteger(context, "timestamp_begin")?.meaning = .packetBeginTime
                if let end = memberInteger(context, "timestamp_end") {
                    end.meaning = .packetEndTime
                    // The end time must not move the clock while the packet's events are read.
                    end.mappedClock = nil
                }
                memberInteger(context, "events_discarded")?.meaning = .discardedEventsCounter
                memberInteger(context, "packet_seq_num")?.meaning = .packetSequenceNumber
                memberInteger(context, "packet_size")?.meaning = .packetSize
                memberInteger(context, "content_size")?.meaning = .contentSize
            }
            if let header = stream.eventHeader { markEventIDs(in: header, name: nil) }
        }
    }

    /// Every integer named `id` in the event header (through structures, variants and arrays)
    /// gives the event class id.
    private func markEventIDs(in type: FieldType, name: String?) {
        switch type {
        case let integer as IntegerType: if name == "id" { integer.meaning = .eventClassID }
        case let enumeration as EnumType: if name == "id" { enumeration.container.meaning = .eventClassID }
        case let structure as StructType: for m in structure.members { markEventIDs(in: m.type, name: m.name) }
        case let variant as VariantType: for o in variant.options { markEventIDs(in: o.type, name: nil) }
        case let array as ArrayType: markEventIDs(in: array.element, name: nil)
        case let sequence as SequenceType: markEventIDs(in: sequence.element, name: nil)
        default: break
        }
    }

    private func configureStreamClasses() {
        for stream in metadata.streamClasses {
            let context = stream.packetContext
            stream.packetsHaveBeginTime = memberInteger(context, "timestamp_begin")?.meaning == .packetBeginTime
            stream.packetsHaveEndTime = memberInteger(context, "timestamp_end")?.meaning == .packetEndTime
            stream.hasDiscardedEvents = memberInteger(context, "events_discarded")?.meaning == .discardedEventsCounter
            stream.hasDiscardedPackets = memberInteger(context, "packet_seq_num")?.meaning == .packetSequenceNumber
        }
    }

    /// babeltrace2's "in IR" rule: integers with a clock or a meaning are hidden unless a sequence
    /// or variant uses them; containers are shown when any member is.
    private func markShownFields() {
        var dependents: Set<ObjectIdentifier> = []
        for stream in metadata.streamClasses {
            for event in stream.eventClasses {
                markShown(event.payload, &dependents)
                markShown(event.specificContext, &dependents)
            }
            markShown(stream.eventCommonContext, &dependents)
            markShown(stream.packetContext, &dependents)
        }
    }

    private func markShown(_ type: FieldType?, _ dependents: inout Set<ObjectIdentifier>) {
        guard let type else { return }
        switch type {
        case let integer as IntegerType:
            integer.isShown = (integer.mappedClock == nil && integer.meaning == .none)
                || dependents.contains(ObjectIdentifier(integer))
        case let enumeration as EnumType:
            let c = enumeration.container
            enumeration.isShown = (c.mappedClock == nil && c.meaning == .none)
                || dependents.contains(ObjectIdentifier(enumeration)) || dependents.contains(ObjectIdentifier(c))
        case let structure as StructType:
            if structure.members.isEmpty { structure.isShown = true }
            for member in structure.members.reversed() {
                markShown(member.type, &dependents)
                if member.type.isShown { structure.isShown = true }
            }
        case let variant as VariantType:
            for option in variant.options.reversed() {
                markShown(option.type, &dependents)
                if option.type.isShown { variant.isShown = true }
            }
            if variant.isShown {
                for option in variant.options { option.type.isShown = true }
                if let tag = variant.tagType { dependents.insert(ObjectIdentifier(tag)) }
            }
        case let array as ArrayType:
            markShown(array.element, &dependents)
            array.isShown = array.element.isShown && !array.isUUID
            if array.isUUID { array.element.isShown = false }
        case let sequence as SequenceType:
            markShown(sequence.element, &dependents)
            sequence.isShown = sequence.element.isShown
            if sequence.isShown, let length = sequence.lengthType { dependents.insert(ObjectIdentifier(length)) }
        default:
            type.isShown = true
        }
    }

    private func validate() throws {
        func checkUnsigned(_ integer: IntegerType?, _ what: String) throws {
            guard let integer else { return }
            if integer.isSigned { throw TSDLError(line: 1, column: 1, message: "\(what) must be an unsigned integer") }
        }
        if let header = metadata.packetHeader {
            if let magic = header.member(named: "magic")?.type {
                guard let integer = magic as? IntegerType, integer.size == 32, !integer.isSigned else {
                    throw TSDLError(line: 1, column: 1, message: "packet header `magic` must be a 32-bit unsigned integer")
                }
            }
            try checkUnsigned(memberInteger(header, "stream_id"), "packet header `stream_id`")
            try checkUnsigned(memberInteger(header, "stream_instance_id"), "packet header `stream_instance_id`")
            if let uuid = header.member(named: "uuid")?.type {
                guard let array = uuid as? ArrayType, array.length == 16, let element = array.element as? IntegerType,
                      element.size == 8, element.alignment == 8 else {
                    throw TSDLError(line: 1, column: 1, message: "packet header `uuid` must be an array of 16 bytes")
                }
            }
        }
        for stream in metadata.streamClasses {
            for name in ["timestamp_begin", "timestamp_end", "events_discarded", "packet_seq_num", "packet_size", "content_size"] {
                try checkUnsigned(memberInteger(stream.packetContext, name), "packet context `\(name)`")
            }
        }
    }
}

/// UUID text (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`) to and from bytes.
enum UUIDText {
    static func parse(_ text: String) -> [UInt8]? {
        let hex = Array(text.utf8.filter { $0 != UInt8(ascii: "-") })
        guard hex.count == 32, text.utf8.count == 36 || text.utf8.count == 32 else { return nil }
        var bytes: [UInt8] = []
        for i in stride(from: 0, to: 32, by: 2) {
            guard let hi = digit(hex[i]), let lo = digit(hex[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
        }
        return bytes
    }

    static func format(_ bytes: [UInt8]) -> String {
        var s = ""
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { s += "-" }
            let h = String(b, radix: 16)
            s += h.count == 1 ? "0" + h : h
        }
        return s
    }

    private static func digit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
