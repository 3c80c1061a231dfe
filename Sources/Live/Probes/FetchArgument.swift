/// One argument of a dynamic probe in the kernel's fetcharg syntax: `[NAME=]FETCHARG[:TYPE]`.
///
/// ```
/// fetcharg := %REG | $stackN | $stack | $retval | $comm | $argN | @ADDR | @+FILEOFFSET
///           | @SYMBOL[+|-OFFSET] | (+|-)[u]OFFSET(fetcharg) | \IMMEDIATE | \"STRING"
/// type     := s8|s16|s32|s64|u8|u16|u32|u64|x8|x16|x32|x64|char|string|ustring|symbol|symstr
///           | b<width>@<offset>/<container> | %pd | %pD | type[N]
/// ```
/// For uprobes, `$argN` is translated into the register that holds argument N in the platform's
/// calling convention, because the kernel accepts `$argN` only for kernel function probes.
public struct FetchArgument: Sendable, Hashable {
    public var name: String?
    public var fetch: String
    public var type: String?

    /// The argument as written into the probe definition.
    public var definitionText: String {
        var text = ""
        if let name { text += name + "=" }
        text += fetch
        if let type { text += ":" + type }
        return text
    }

    /// What kind of probe the argument is checked for.
    public struct Context: Sendable {
        public var isUserProbe: Bool
        public var isReturnProbe: Bool
        /// `uname -m` of the running kernel (`x86_64`, `aarch64`, ...), for `$argN`.
        public var machine: String

        public init(isUserProbe: Bool, isReturnProbe: Bool, machine: String) {
            self.isUserProbe = isUserProbe
            self.isReturnProbe = isReturnProbe
            self.machine = machine
        }
    }

    /// Parses and checks one argument; throws a message naming the argument and the problem.
    public init(parsing text: String, context: Context) throws {
        try ControlText.requireSingleLine(text, what: "probe argument \"\(text)\"", maximumBytes: 1000)
        let what = "probe argument \"\(text)\""
        if text.contains(" ") { throw LiveError("\(what) contains a space; write each argument as one word") }
        var rest = Substring(text)
        // NAME= (the name is an identifier; a fetcharg never starts with one).
        if let eq = rest.firstIndex(of: "="), Self.isIdentifier(rest[..<eq]) {
            let name = String(rest[..<eq])
            guard name.count <= 64 else { throw LiveError("\(what): the name is longer than 64 characters") }
            guard !name.hasPrefix("common_"), !name.hasPrefix("__probe_") else {
                throw LiveError("\(what): the name \(name) clashes with a field the kernel adds itself")
            }
            self.name = name
            rest = rest[rest.index(after: eq)...]
        } else if let eq = rest.firstIndex(of: "="), !rest[..<eq].contains("\"") {
            throw LiveError("\(what): \"\(rest[..<eq])\" is not a valid argument name (letters, digits and _, not starting with a digit)")
        }
        // :TYPE is after the last colon outside quotes and parentheses.
        var typeStart: Substring.Index?
        var depth = 0, inString = false
        var i = rest.startIndex
        while i < rest.endIndex {
            let c = rest[i]
            if c == "\"" { inString.toggle() }
            if !inString {
                if c == "(" { depth += 1 }
                if c == ")" { depth -= 1 }
                if c == ":" && depth == 0 { typeStart = i }
            }
            i = rest.index(after: i)
        }
        var fetchText = rest
        if let typeStart {
            let typeText = String(rest[rest.index(after: typeStart)...])
            try Self.checkType(typeText, what: what)
            type = typeText
            fetchText = rest[..<typeStart]
        } else {
            type = nil
        }
        fetch = try Self.checkFetch(fetchText, what: what, context: context)
    }

    static func isIdentifier<S: StringProtocol>(_ text: S) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || isASCIILetter(first) else {
            return false
        }
        return text.unicodeScalars.allSatisfy { $0 == "_" || isASCIILetter($0) || ($0 >= "0" && $0 <= "9") }
    }

    private static func isASCIILetter(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z")
    }

    private static func isNumber<S: StringProtocol>(_ text: S) -> Bool {
        var t = Substring(text)
        if t.hasPrefix("0x") || t.hasPrefix("0X") {
            t = t.dropFirst(2)
            return !t.isEmpty && t.allSatisfy(\.isHexDigit)
        }
        return !t.isEmpty && t.allSatisfy { $0 >= "0" && $0 <= "9" }
    }

    static let basicTypes: Set<String> = [
        "s8", "s16", "s32", "s64", "u8", "u16", "u32", "u64", "x8", "x16", "x32", "x64",
        "char", "string", "ustring", "symbol", "symstr", "%pd", "%pD",
    ]

    private static func checkType(_ type: String, what: String) throws {
        var base = Substring(type)
        if base.hasSuffix("]"), let open = base.firstIndex(of: "[") {
            let count = base[base.index(after: open)..<base.index(before: base.endIndex)]
            guard isNumber(count), let n = Int(count), n > 0, n <= 64 else {
                throw LiveError("\(what): array size in \"\(type)\" must be a number from 1 to 64")
            }
            base = base[..<open]
        }
        if basicTypes.contains(String(base)) { return }
        // b<bit-width>@<bit-offset>/<container-size>
        if base.hasPrefix("b"), let at = base.firstIndex(of: "@"), let slash = base.firstIndex(of: "/"), at < slash {
            let width = base[base.index(after: base.startIndex)..<at]
            let offset = base[base.index(after: at)..<slash]
            let container = base[base.index(after: slash)...]
            if isNumber(width), isNumber(offset), ["8", "16", "32", "64"].contains(String(container)) { return }
        }
        throw LiveError("\(what): unknown type \"\(type)\" (use s8..s64, u8..u64, x8..x64, char, string, ustring, symbol, symstr, b<width>@<offset>/<size>, %pd, %pD, or TYPE[N])")
    }

    /// Registers holding the first integer arguments, by `uname -m`.
    static func argumentRegisters(machine: String) -> [String]? {
        switch machine {
        case "x86_64": return ["di", "si", "dx", "cx", "r8", "r9"]
        case "aarch64", "arm64": return (0..<8).map { "x\($0)" }
        case "riscv64": return (0..<8).map { "a\($0)" }
        default: return nil
        }
    }

    private static func checkFetch(_ text: Substring, what: String, context: Context) throws -> String {
        guard let first = text.first else { throw LiveError("\(what): nothing to fetch") }
        switch first {
        case "%":
            let register = text.dropFirst()
            guard isIdentifier(register) else { throw LiveError("\(what): \"\(text)\" is not a register name") }
            return String(text)
        case "$":
            let variable = String(text.dropFirst())
            if variable == "retval" {
                guard context.isReturnProbe else { throw LiveError("\(what): $retval exists only in return probes (--return)") }
                return String(text)
            }
            if variable == "comm" || variable == "stack" { return String(text) }
            if variable.hasPrefix("stack"), isNumber(variable.dropFirst(5)) { return String(text) }
            if variable.hasPrefix("arg"), let n = Int(variable.dropFirst(3)), n >= 1, isNumber(variable.dropFirst(3)) {
                guard context.isUserProbe else { return String(text) }
                guard !context.isReturnProbe else {
                    throw LiveError("\(what): $arg\(n) is not available in a user-space return probe (the argument registers are overwritten by then); fetch it in an entry probe")
                }
                guard let registers = argumentRegisters(machine: context.machine) else {
                    throw LiveError("\(what): $argN is not known for \(context.machine); name the register (%...) instead")
                }
                guard n <= registers.count else {
                    throw LiveError("\(what): only the first \(registers.count) arguments are in registers on \(context.machine); use $stackN for later ones")
                }
                return "%" + registers[n - 1]
            }
            throw LiveError("\(what): unknown variable \"\(text)\" (use $argN, $retval, $comm, $stack or $stackN)")
        case "@":
            let address = text.dropFirst()
            if address.hasPrefix("+") && isNumber(address.dropFirst()) { return String(text) }
            if isNumber(address) { return String(text) }
            guard !context.isUserProbe else {
                throw LiveError("\(what): a user-space probe can fetch @ADDRESS or @+FILEOFFSET, not a symbol")
            }
            let symbolEnd = address.firstIndex(where: { $0 == "+" || $0 == "-" }) ?? address.endIndex
            guard isIdentifier(address[..<symbolEnd].replacingOccurrences(of: ".", with: "_")),
                  symbolEnd == address.endIndex || isNumber(address[address.index(after: symbolEnd)...]) else {
                throw LiveError("\(what): \"\(text)\" is not @ADDRESS, @+FILEOFFSET or @SYMBOL[+OFFSET]")
            }
            return String(text)
        case "+", "-":
            var body = text.dropFirst()
            if body.first == "u" { body = body.dropFirst() }
            guard let open = body.firstIndex(of: "("), body.last == ")" else {
                throw LiveError("\(what): \"\(text)\" should look like +OFFSET(FETCHARG)")
            }
            guard isNumber(body[..<open]) else { throw LiveError("\(what): \"\(body[..<open])\" is not an offset") }
            let inner = body[body.index(after: open)..<body.index(before: body.endIndex)]
            let checked = try checkFetch(inner, what: what, context: context)
            // `body` slices `text`, so `open` is an index of `text` too.
            return String(text[...open]) + checked + ")"
        case "\\":
            let immediate = text.dropFirst()
            if immediate.hasPrefix("\""), immediate.hasSuffix("\""), immediate.count >= 2 {
                guard !immediate.dropFirst().dropLast().contains("\"") else {
                    throw LiveError("\(what): a quote inside an immediate string")
                }
                return String(text)
            }
            var number = immediate
            if number.first == "-" { number = number.dropFirst() }
            guard isNumber(number) else { throw LiveError("\(what): \"\(text)\" is not an immediate number or \\\"string\\\"") }
            return String(text)
        default:
            throw LiveError("\(what): \"\(text)\" is not a fetch argument (use %REG, $argN, $retval, $comm, $stackN, @ADDR, +OFFSET(...), or \\VALUE)")
        }
    }
}

extension Substring {
    fileprivate func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
