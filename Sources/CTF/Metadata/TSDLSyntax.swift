/// The syntax tree of TSDL metadata, as parsed (before names and types are resolved).

/// Where something was written in the metadata text.
struct TSDLLocation: Equatable {
    var line: Int
    var column: Int

    init(_ token: TSDLToken) {
        line = token.line
        column = token.column
    }

    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    func error(_ message: String) -> TSDLError {
        TSDLError(line: line, column: column, message: message)
    }
}

/// An integer constant with its sign (TSDL constants are unsigned with an optional unary minus).
struct TSDLInteger: Equatable {
    var magnitude: UInt64
    var negative: Bool

    /// The value as a two's-complement 64-bit pattern (what babeltrace2 stores).
    var bitPattern: UInt64 { negative ? 0 &- magnitude : magnitude }

    /// The value as a signed integer, nil when it does not fit.
    var signedValue: Int64? {
        if negative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }
}

/// The right-hand side of `name = value;` or `name := type;`.
indirect enum TSDLValue {
    case integer(TSDLInteger)
    case string(String)
    /// Identifiers joined by `.` (`le`, `clock.monotonic.value`, `true`).
    case path([String])
    case type(TSDLTypeSpecifier, TSDLDeclarator?)
}

/// `name = value;` inside a block or a type body (`size = 32;`, `packet.header := struct {...};`).
struct TSDLAssignment {
    var name: String
    var value: TSDLValue
    var location: TSDLLocation
    var valueLocation: TSDLLocation
}

/// A type specifier list: keywords and type names, or one compound specifier.
struct TSDLTypeSpecifier {
    indirect enum Kind {
        /// `unsigned long`, `uint32_t`, `struct foo` (names looked up in the declaration scopes).
        case named([String])
        case integer([TSDLAssignment])
        case floatingPoint([TSDLAssignment])
        case string([TSDLAssignment])
        case structure(name: String?, body: [TSDLDeclaration]?, align: TSDLInteger?)
        case variant(name: String?, tag: String?, body: [TSDLDeclaration]?)
        case enumeration(name: String?, container: TSDLTypeSpecifier?, body: [TSDLEnumerator]?)
    }

    var kind: Kind
    var location: TSDLLocation
}

/// How a field name is derived from a declarator: `name`, `name[4]`, `name[len]`, `*name`.
indirect enum TSDLDeclarator {
    case identifier(String?, TSDLLocation)
    case array(TSDLDeclarator, TSDLArrayLength, TSDLLocation)
    case pointer(TSDLDeclarator)

    var name: String? {
        switch self {
        case .identifier(let name, _): return name
        case .array(let inner, _, _): return inner.name
        case .pointer(let inner): return inner.name
        }
    }

    var hasPointer: Bool {
        switch self {
        case .identifier: return false
        case .array(let inner, _, _): return inner.hasPointer
        case .pointer: return true
        }
    }

    var location: TSDLLocation {
        switch self {
        case .identifier(_, let location): return location
        case .array(_, _, let location): return location
        case .pointer(let inner): return inner.location
        }
    }
}

enum TSDLArrayLength {
    case constant(UInt64)
    /// A path to the length field (`len`, `event.fields.len`) or an `env.NAME` entry.
    case reference(String)
}

/// `LABEL`, `LABEL = value`, `LABEL = low ... high`.
struct TSDLEnumerator {
    var label: String
    var values: [TSDLInteger]
    var location: TSDLLocation
}

/// The top-level blocks of TSDL.
enum TSDLBlockKind: String {
    case trace, stream, event, env, clock, callsite
}

struct TSDLBlock {
    var kind: TSDLBlockKind
    var entries: [TSDLDeclaration]
    var location: TSDLLocation
}

enum TSDLDeclaration {
    /// `typealias TARGET := ALIAS;`
    case typeAlias(target: TSDLTypeSpecifier, targetDeclarator: TSDLDeclarator?, alias: [String],
                   aliasPointers: Int, location: TSDLLocation)
    case typedef(TSDLTypeSpecifier, [TSDLDeclarator], TSDLLocation)
    /// A type declared for its name only: `struct foo { ... };`, `enum e : int { ... };`.
    case typeOnly(TSDLTypeSpecifier)
    /// Field declarations in a structure or variant body: `TYPE a, b[4];`.
    case fields(TSDLTypeSpecifier, [TSDLDeclarator])
    case assignment(TSDLAssignment)
    case block(TSDLBlock)
}
