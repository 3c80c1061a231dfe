/// Resolves the fields that hold sequence lengths and variant tags (CTF 1.8 section 7.3.2) and gives
/// each such field a decoder slot.
///
/// Absolute paths start with a dynamic scope prefix (`trace.packet.header.`, `stream.packet.context.`,
/// `stream.event.header.`, `stream.event.context.`, `event.context.`, `event.fields.`). Relative
/// paths are looked up from the innermost enclosing structure outwards within the current scope, and
/// the target must come before the field that uses it, as babeltrace2 requires.
struct MetadataResolver {
    private let metadata: TraceMetadata
    private var roots: [FieldPath.Root: StructType] = [:]
    private var currentRoot: FieldPath.Root = .packetHeader
    /// Compound types being visited and the index of the child being visited in each.
    private var stack: [(type: FieldType, index: Int)] = []
    /// Where the field being resolved sits, for error messages.
    private var context = ""

    private init(metadata: TraceMetadata) {
        self.metadata = metadata
    }

    static func resolve(_ metadata: TraceMetadata) throws {
        var resolver = MetadataResolver(metadata: metadata)
        try resolver.run()
    }

    private static let prefixes: [(String, FieldPath.Root)] = [
        ("trace.packet.header.", .packetHeader),
        ("stream.packet.context.", .packetContext),
        ("stream.event.header.", .eventHeader),
        ("stream.event.context.", .eventCommonContext),
        ("event.context.", .eventSpecificContext),
        ("event.fields.", .eventPayload),
    ]

    private mutating func run() throws {
        roots[.packetHeader] = metadata.packetHeader
        try resolveRoot(.packetHeader, "packet header")
        for stream in metadata.streamClasses {
            roots[.packetContext] = stream.packetContext
            roots[.eventHeader] = stream.eventHeader
            roots[.eventCommonContext] = stream.eventCommonContext
            roots[.eventSpecificContext] = nil
            roots[.eventPayload] = nil
            try resolveRoot(.packetContext, "packet context of stream class \(stream.id)")
            try resolveRoot(.eventHeader, "event header of stream class \(stream.id)")
            try resolveRoot(.eventCommonContext, "event context of stream class \(stream.id)")
            for event in stream.eventClasses {
                roots[.eventSpecificContext] = event.specificContext
                roots[.eventPayload] = event.payload
                try resolveRoot(.eventSpecificContext, "context of event `\(event.name)`")
                try resolveRoot(.eventPayload, "fields of event `\(event.name)`")
            }
        }
    }

    private mutating func resolveRoot(_ root: FieldPath.Root, _ description: String) throws {
        guard let type = roots[root] else { return }
        currentRoot = root
        context = description
        stack.removeAll()
        try resolve(type)
    }

    private mutating func resolve(_ type: FieldType) throws {
        if let sequence = type as? SequenceType {
            let (path, target) = try locate(sequence.lengthReference, for: "sequence length")
            guard let integer = target.integerType, !integer.isSigned else {
                throw failure("sequence length `\(sequence.lengthReference)` is not an unsigned integer")
            }
            sequence.lengthPath = path
            sequence.lengthType = target
            assignSlot(integer)
        } else if let variant = type as? VariantType {
            guard let reference = variant.tagReference else {
                throw failure("variant has no tag (`variant <tag> { ... }`)")
            }
            let (path, target) = try locate(reference, for: "variant tag")
            guard let tag = target as? EnumType else {
                throw failure("variant tag `\(reference)` is not an enumeration")
            }
            variant.tagPath = path
            variant.tagType = tag
            // Each option is selected by the ranges of the tag label that has its name.
            variant.selectors = []
            for (i, option) in variant.options.enumerated() {
                guard let mapping = tag.mappings.first(where: { $0.label == option.originalName }) else { continue }
                for range in mapping.ranges { variant.selectors.append((range.lower, range.upper, i)) }
            }
            assignSlot(tag.container)
        }

        switch type {
        case let structure as StructType:
            stack.append((structure, 0))
            for (i, member) in structure.members.enumerated() {
                stack[stack.count - 1].index = i
                try resolve(member.type)
            }
            stack.removeLast()
        case let variant as VariantType:
            stack.append((variant, 0))
            for (i, option) in variant.options.enumerated() {
                stack[stack.count - 1].index = i
                try resolve(option.type)
            }
            stack.removeLast()
        case let array as ArrayType:
            stack.append((array, -1))
            try resolve(array.element)
            stack.removeLast()
        case let sequence as SequenceType:
            stack.append((sequence, -1))
            try resolve(sequence.element)
            stack.removeLast()
        default:
            break
        }
    }

    private func failure(_ message: String) -> TSDLError {
        let location = roots[currentRoot].flatMap { metadata.scopeLocations[ObjectIdentifier($0)] }
            ?? TSDLLocation(line: 1, column: 1)
        return location.error("in the \(context): \(message)")
    }

    private mutating func assignSlot(_ integer: IntegerType) {
        if integer.storageSlot == nil {
            integer.storageSlot = metadata.storageSlotCount
            metadata.storageSlotCount += 1
        }
    }

    /// The field path and type that `reference` designates from the current position.
    private func locate(_ reference: String, for what: String) throws -> (FieldPath, FieldType) {
        let tokens = reference.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !tokens.contains(where: \.isEmpty) else { throw failure("invalid \(what) path `\(reference)`") }
        var path: FieldPath
        if let (prefix, root) = Self.prefixes.first(where: { reference.hasPrefix($0.0) }) {
            guard let rootType = roots[root] else {
                throw failure("\(what) `\(reference)` refers to a scope that is not available here")
            }
            let skip = prefix.split(separator: ".").count
            guard let indexes = Self.follow(Array(tokens[skip...]), from: rootType, sourceIndex: Int.max) else {
                throw failure("cannot find \(what) `\(reference)`")
            }
            path = FieldPath(root: root, indexes: indexes)
        } else {
            var found: FieldPath?
            for position in stride(from: stack.count - 1, through: 0, by: -1) {
                let frame = stack[position]
                if let tail = Self.follow(tokens, from: frame.type, sourceIndex: frame.index) {
                    found = FieldPath(root: currentRoot, indexes: stack[..<position].map(\.index) + tail)
                    break
                }
            }
            guard let found else { throw failure("cannot find \(what) `\(reference)`") }
            path = found
        }
        try validate(path, reference, what)
        guard let target = target(of: path) else { throw failure("cannot find \(what) `\(reference)`") }
        return (path, target)
    }

    /// Member indexes of `tokens` (original names) from `type`; arrays are stepped through with -1.
    private static func follow(_ tokens: [String], from type: FieldType, sourceIndex: Int) -> [Int]? {
        var current = type
        var indexes: [Int] = []
        var i = 0
        var firstLevelDone = false
        var steps = 0
        while i < tokens.count {
            steps += 1
            if steps > 10_000 { return nil }
            switch current {
            case let array as ArrayType:
                indexes.append(-1)
                current = array.element
            case let sequence as SequenceType:
                indexes.append(-1)
                current = sequence.element
            case let structure as StructType:
                guard let child = structure.members.firstIndex(where: { $0.originalName == tokens[i] }) else { return nil }
                if child > sourceIndex && !firstLevelDone { return nil }
                indexes.append(child)
                current = structure.members[child].type
                i += 1
                firstLevelDone = true
            case let variant as VariantType:
                guard let child = variant.options.firstIndex(where: { $0.originalName == tokens[i] }) else { return nil }
                if child > sourceIndex && !firstLevelDone { return nil }
                indexes.append(child)
                current = variant.options[child].type
                i += 1
                firstLevelDone = true
            default:
                return nil
            }
        }
        return indexes
    }

    private func target(of path: FieldPath) -> FieldType? {
        guard var current: FieldType = roots[path.root] else { return nil }
        for index in path.indexes {
            switch current {
            case let structure as StructType:
                guard structure.members.indices.contains(index) else { return nil }
                current = structure.members[index].type
            case let variant as VariantType:
                guard variant.options.indices.contains(index) else { return nil }
                current = variant.options[index].type
            case let array as ArrayType: current = array.element
            case let sequence as SequenceType: current = sequence.element
            default: return nil
            }
        }
        return current
    }

    /// The target must exist before the source: in an earlier scope, or earlier in the same one.
    private func validate(_ target: FieldPath, _ reference: String, _ what: String) throws {
        guard !target.indexes.isEmpty else { throw failure("\(what) `\(reference)` designates a whole scope") }
        guard target.root <= currentRoot else {
            throw failure("\(what) `\(reference)` is in a scope decoded after this field")
        }
        guard target.root == currentRoot else { return }
        let source = stack.map(\.index)
        var lca = 0
        while true {
            guard lca < target.indexes.count, lca < source.count else {
                throw failure("\(what) `\(reference)` is an ancestor of the field that uses it")
            }
            if target.indexes[lca] != source[lca] { break }
            lca += 1
        }
        if target.indexes[lca] >= source[lca] {
            throw failure("\(what) `\(reference)` comes after the field that uses it")
        }
    }
}
