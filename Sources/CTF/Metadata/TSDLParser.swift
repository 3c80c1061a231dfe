/// A recursive-descent parser for TSDL (CTF 1.8 section 7).
///
/// TSDL inherits C's ambiguity between type names and field names, so the parser tracks the type
/// names declared by `typedef`/`typealias` in nested scopes, as C compilers do.
struct TSDLParser {
    private var tokens: [TSDLToken]
    private var index = 0
    /// Type names declared so far, innermost scope last.
    private var typeNameScopes: [Set<String>] = [[]]
    private var depth = 0
    /// Nesting limit so hostile metadata cannot exhaust the stack.
    private static let maximumDepth = 64

    private static let typeKeywords: Set<String> = [
        "const", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "void",
        "_Bool", "_Complex", "_Imaginary",
    ]
    private static let compoundKeywords: Set<String> = [
        "integer", "floating_point", "string", "struct", "variant", "enum",
    ]

    init(tokens: [TSDLToken]) {
        self.tokens = tokens
    }

    /// Parses a whole metadata text into its top-level declarations.
    static func parse(_ text: [UInt8]) throws -> [TSDLDeclaration] {
        var parser = TSDLParser(tokens: try TSDLLexer.tokenize(text))
        return try parser.parseRoot()
    }

    // MARK: - Token helpers

    private var current: TSDLToken { tokens[min(index, tokens.count - 1)] }

    private func peek(_ offset: Int) -> TSDLToken { tokens[min(index + offset, tokens.count - 1)] }

    private mutating func take() -> TSDLToken {
        let token = current
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func unexpected(_ expected: String) -> TSDLError {
        let token = current
        if token.kind == .end {
            return TSDLError(line: token.line, column: token.column,
                             message: "syntax error: unexpected end of metadata, expecting \(expected)")
        }
        return TSDLError(line: token.line, column: token.column,
                         message: "syntax error: unexpected '\(token.display)', expecting \(expected)")
    }

    private mutating func expect(_ punctuator: String) throws {
        guard current.isPunctuator(punctuator) else { throw unexpected("'\(punctuator)'") }
        _ = take()
    }

    private mutating func accept(_ punctuator: String) -> Bool {
        if current.isPunctuator(punctuator) {
            _ = take()
            return true
        }
        return false
    }

    private mutating func expectIdentifier(_ what: String) throws -> String {
        guard let name = current.identifier else { throw unexpected(what) }
        _ = take()
        return name
    }

    private func isTypeName(_ name: String) -> Bool {
        typeNameScopes.contains { $0.contains(name) }
    }

    private mutating func declareTypeName(_ name: String) {
        typeNameScopes[typeNameScopes.count - 1].insert(name)
    }

    private mutating func enterNesting() throws {
        depth += 1
        if depth > Self.maximumDepth {
            throw TSDLError(line: current.line, column: current.column,
                            message: "declarations nested more than \(Self.maximumDepth) levels deep")
        }
    }

    private mutating func withScope<T>(_ body: (inout TSDLParser) throws -> T) throws -> T {
        try enterNesting()
        typeNameScopes.append([])
        defer {
            typeNameScopes.removeLast()
            depth -= 1
        }
        return try body(&self)
    }

    // MARK: - Declarations

    private mutating func parseRoot() throws -> [TSDLDeclaration] {
        var declarations: [TSDLDeclaration] = []
        while current.kind != .end {
            if accept(";") { continue }
            declarations.append(try parseRootDeclaration())
        }
        return declarations
    }

    private mutating func parseRootDeclaration() throws -> TSDLDeclaration {
        let token = current
        if let word = token.identifier, let kind = TSDLBlockKind(rawValue: word), peek(1).isPunctuator("{") {
            _ = take()
            let entries = try withScope { parser in try parser.parseBlockBody() }
            try expect(";")
            return .block(TSDLBlock(kind: kind, entries: entries, location: TSDLLocation(token)))
        }
        return try parseCommonDeclaration(allowFields: false)
    }

    /// `typealias`, `typedef`, a type-only declaration, or (in type bodies) field declarations.
    private mutating func parseCommonDeclaration(allowFields: Bool) throws -> TSDLDeclaration {
        let token = current
        if token.identifier == "typealias" {
            _ = take()
            return try parseTypealias(at: TSDLLocation(token))
        }
        if token.identifier == "typedef" {
            _ = take()
            let specifier = try parseTypeSpecifier()
            var declarators: [TSDLDeclarator] = []
            repeat {
                let declarator = try parseDeclarator(abstractAllowed: false)
                if let name = declarator.name { declareTypeName(name) }
                declarators.append(declarator)
            } while accept(",")
            try expect(";")
            return .typedef(specifier, declarators, TSDLLocation(token))
        }
        let specifier = try parseTypeSpecifier()
        if accept(";") {
            return .typeOnly(specifier)
        }
        guard allowFields else {
            throw unexpected("';' (field declarations belong in a structure or variant)")
        }
        var declarators: [TSDLDeclarator] = []
        repeat {
            declarators.append(try parseDeclarator(abstractAllowed: false))
        } while accept(",")
        try expect(";")
        return .fields(specifier, declarators)
    }

    private mutating func parseTypealias(at location: TSDLLocation) throws -> TSDLDeclaration {
        let target = try parseTypeSpecifier()
        var targetDeclarator: TSDLDeclarator?
        if !current.isPunctuator(":=") {
            targetDeclarator = try parseDeclarator(abstractAllowed: true)
        }
        try expect(":=")
        // The alias: keywords and names up to pointers or ';' (`unsigned long`, `uint8_t`).
        var alias: [String] = []
        while let word = current.identifier {
            alias.append(word)
            _ = take()
        }
        var pointers = 0
        while accept("*") {
            pointers += 1
            if current.identifier == "const" { _ = take() }
        }
        guard !alias.isEmpty else { throw unexpected("an alias name") }
        try expect(";")
        if alias.count == 1 { declareTypeName(alias[0]) }
        return .typeAlias(target: target, targetDeclarator: targetDeclarator, alias: alias,
                          aliasPointers: pointers, location: location)
    }

    /// Entries of `trace`, `stream`, `event`, `env`, `clock` and `callsite` blocks.
    private mutating func parseBlockBody() throws -> [TSDLDeclaration] {
        try expect("{")
        var entries: [TSDLDeclaration] = []
        while !current.isPunctuator("}") {
            if current.kind == .end { throw unexpected("'}'") }
            if accept(";") { continue }
            if let word = current.identifier,
               word == "typealias" || word == "typedef" || (Self.compoundKeywords.contains(word) && word != "string"
                   && !peek(1).isPunctuator("=") && !peek(1).isPunctuator(":=") && !peek(1).isPunctuator(".")) {
                entries.append(try parseCommonDeclaration(allowFields: false))
                continue
            }
            entries.append(.assignment(try parseAssignment()))
        }
        try expect("}")
        return entries
    }

    /// `a.b.c = value;` or `a.b := type;`
    private mutating func parseAssignment() throws -> TSDLAssignment {
        let start = current
        var parts: [String] = [try expectIdentifier("an attribute name")]
        while current.isPunctuator(".") || current.isPunctuator("->") {
            _ = take()
            parts.append(try expectIdentifier("a name after '.'"))
        }
        let name = parts.joined(separator: ".")
        if accept(":=") {
            let valueToken = current
            let specifier = try parseTypeSpecifier()
            var declarator: TSDLDeclarator?
            if !current.isPunctuator(";") {
                declarator = try parseDeclarator(abstractAllowed: true)
            }
            try expect(";")
            return TSDLAssignment(name: name, value: .type(specifier, declarator), location: TSDLLocation(start),
                                  valueLocation: TSDLLocation(valueToken))
        }
        try expect("=")
        let valueToken = current
        let value = try parseValue()
        try expect(";")
        return TSDLAssignment(name: name, value: value, location: TSDLLocation(start),
                              valueLocation: TSDLLocation(valueToken))
    }

    private mutating func parseValue() throws -> TSDLValue {
        let token = current
        switch token.kind {
        case .string(let text):
            _ = take()
            return .string(text)
        case .integer, .character:
            return .integer(try parseInteger())
        case .punctuator("-"), .punctuator("+"):
            return .integer(try parseInteger())
        case .identifier:
            var parts: [String] = [try expectIdentifier("a value")]
            while current.isPunctuator(".") || current.isPunctuator("->") {
                _ = take()
                parts.append(try expectIdentifier("a name after '.'"))
            }
            return .path(parts)
        default:
            throw unexpected("a value")
        }
    }

    private mutating func parseInteger() throws -> TSDLInteger {
        var negative = false
        while current.isPunctuator("-") || current.isPunctuator("+") {
            if current.isPunctuator("-") { negative.toggle() }
            _ = take()
        }
        switch current.kind {
        case .integer(let value), .character(let value):
            _ = take()
            return TSDLInteger(magnitude: value, negative: negative && value != 0)
        default:
            throw unexpected("an integer constant")
        }
    }

    // MARK: - Type specifiers

    private mutating func parseTypeSpecifier() throws -> TSDLTypeSpecifier {
        let start = current
        guard let word = start.identifier else { throw unexpected("a type") }
        switch word {
        case "integer":
            _ = take()
            return TSDLTypeSpecifier(kind: .integer(try parseAttributeBody()), location: TSDLLocation(start))
        case "floating_point":
            _ = take()
            return TSDLTypeSpecifier(kind: .floatingPoint(try parseAttributeBody()), location: TSDLLocation(start))
        case "string":
            _ = take()
            let attributes = current.isPunctuator("{") ? try parseAttributeBody() : []
            return TSDLTypeSpecifier(kind: .string(attributes), location: TSDLLocation(start))
        case "struct":
            _ = take()
            return try parseStruct(start)
        case "variant":
            _ = take()
            return try parseVariant(start)
        case "enum":
            _ = take()
            return try parseEnum(start)
        default:
            break
        }
        // Keywords and at most one type name (`unsigned long`, `const uint8_t`).
        var names: [String] = []
        var sawTypeName = false
        while let name = current.identifier {
            if Self.typeKeywords.contains(name) {
                names.append(name)
            } else if !sawTypeName && isTypeName(name) {
                names.append(name)
                sawTypeName = true
            } else if names.isEmpty && peek(1).identifier != nil {
                // `unknown_t field;`: keep the name so the error says the type is unknown.
                names.append(name)
                sawTypeName = true
            } else {
                break
            }
            _ = take()
        }
        guard !names.isEmpty else { throw unexpected("a type") }
        return TSDLTypeSpecifier(kind: .named(names), location: TSDLLocation(start))
    }

    /// `{ name = value; ... }` of `integer`, `floating_point` and `string`.
    private mutating func parseAttributeBody() throws -> [TSDLAssignment] {
        try expect("{")
        var attributes: [TSDLAssignment] = []
        while !current.isPunctuator("}") {
            if current.kind == .end { throw unexpected("'}'") }
            if accept(";") { continue }
            attributes.append(try parseAssignment())
        }
        try expect("}")
        return attributes
    }

    private mutating func parseStruct(_ start: TSDLToken) throws -> TSDLTypeSpecifier {
        var name: String?
        if let word = current.identifier, !current.isPunctuator("{") {
            name = word
            _ = take()
        }
        var body: [TSDLDeclaration]?
        if current.isPunctuator("{") {
            body = try withScope { parser in try parser.parseTypeBody() }
        }
        var align: TSDLInteger?
        if current.identifier == "align" && peek(1).isPunctuator("(") {
            _ = take()
            try expect("(")
            align = try parseInteger()
            try expect(")")
        }
        if name == nil && body == nil { throw unexpected("a structure name or body") }
        return TSDLTypeSpecifier(kind: .structure(name: name, body: body, align: align), location: TSDLLocation(start))
    }

    private mutating func parseVariant(_ start: TSDLToken) throws -> TSDLTypeSpecifier {
        var name: String?
        if let word = current.identifier {
            name = word
            _ = take()
        }
        var tag: String?
        if accept("<") {
            var parts: [String] = [try expectIdentifier("a tag field name")]
            while current.isPunctuator(".") || current.isPunctuator("->") {
                _ = take()
                parts.append(try expectIdentifier("a name after '.'"))
            }
            try expect(">")
            tag = parts.joined(separator: ".")
        }
        var body: [TSDLDeclaration]?
        if current.isPunctuator("{") {
            body = try withScope { parser in try parser.parseTypeBody() }
        }
        if name == nil && body == nil { throw unexpected("a variant name or body") }
        return TSDLTypeSpecifier(kind: .variant(name: name, tag: tag, body: body), location: TSDLLocation(start))
    }

    private mutating func parseEnum(_ start: TSDLToken) throws -> TSDLTypeSpecifier {
        var name: String?
        if let word = current.identifier {
            name = word
            _ = take()
        }
        var container: TSDLTypeSpecifier?
        if accept(":") {
            container = try parseTypeSpecifier()
        }
        var body: [TSDLEnumerator]?
        if accept("{") {
            var enumerators: [TSDLEnumerator] = []
            while !current.isPunctuator("}") {
                let labelToken = current
                let label: String
                switch labelToken.kind {
                case .identifier(let word): label = word
                case .string(let text): label = text
                default: throw unexpected("an enumeration label")
                }
                _ = take()
                var values: [TSDLInteger] = []
                if accept("=") {
                    values.append(try parseInteger())
                    if accept("...") {
                        values.append(try parseInteger())
                    }
                }
                enumerators.append(TSDLEnumerator(label: label, values: values, location: TSDLLocation(labelToken)))
                if !accept(",") { break }
            }
            try expect("}")
            body = enumerators
        }
        if name == nil && body == nil { throw unexpected("an enumeration name or body") }
        return TSDLTypeSpecifier(kind: .enumeration(name: name, container: container, body: body),
                                 location: TSDLLocation(start))
    }

    /// Entries of structure and variant bodies.
    private mutating func parseTypeBody() throws -> [TSDLDeclaration] {
        try expect("{")
        var entries: [TSDLDeclaration] = []
        while !current.isPunctuator("}") {
            if current.kind == .end { throw unexpected("'}'") }
            if accept(";") { continue }
            entries.append(try parseCommonDeclaration(allowFields: true))
        }
        try expect("}")
        return entries
    }

    // MARK: - Declarators

    private mutating func parseDeclarator(abstractAllowed: Bool) throws -> TSDLDeclarator {
        var pointers = 0
        while accept("*") {
            pointers += 1
            if current.identifier == "const" { _ = take() }
        }
        let start = current
        var declarator: TSDLDeclarator
        if let name = current.identifier {
            _ = take()
            declarator = .identifier(name, TSDLLocation(start))
        } else if current.isPunctuator("(") {
            _ = take()
            try enterNesting()
            declarator = try parseDeclarator(abstractAllowed: abstractAllowed)
            depth -= 1
            try expect(")")
        } else if abstractAllowed {
            declarator = .identifier(nil, TSDLLocation(start))
        } else {
            throw unexpected("a field name")
        }
        while current.isPunctuator("[") {
            let bracket = take()
            let length: TSDLArrayLength
            switch current.kind {
            case .integer(let value):
                _ = take()
                length = .constant(value)
            case .identifier:
                var parts: [String] = [try expectIdentifier("a length field name")]
                while current.isPunctuator(".") || current.isPunctuator("->") {
                    _ = take()
                    parts.append(try expectIdentifier("a name after '.'"))
                }
                length = .reference(parts.joined(separator: "."))
            default:
                throw unexpected("an array length")
            }
            try expect("]")
            declarator = .array(declarator, length, TSDLLocation(bracket))
        }
        for _ in 0..<pointers { declarator = .pointer(declarator) }
        return declarator
    }
}
