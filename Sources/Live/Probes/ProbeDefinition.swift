#if canImport(Glibc)
import Glibc
#endif

/// A dynamic probe ready to be written to `dynamic_events` (or `uprobe_events`/`kprobe_events`).
public struct ProbeDefinition: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case uprobe, kprobe
    }

    /// The event group every probe ringside makes lives in.
    public static let group = "ringside"

    public var kind: Kind
    public var isReturn: Bool
    public var name: String
    /// Where the probe sits, in the kernel's syntax (`/usr/bin/bash:0x4f2a0`, `do_sys_open+4`).
    public var place: String
    public var arguments: [FetchArgument]
    /// For user probes: the symbol and the offset in it the place was resolved from, for messages.
    public var resolvedFrom: String?

    public var event: EventName { EventName(system: Self.group, name: name) }

    /// The one line written to the kernel.
    public var definitionLine: String {
        var line = (isReturn ? "r" : "p") + ":" + Self.group + "/" + name + " " + place
        for argument in arguments { line += " " + argument.definitionText }
        return line
    }
}

/// What the user asked for with `probes add` (or the control panel).
public struct ProbeRequest: Sendable, Hashable {
    /// `PATH:SYMBOL[+OFFSET]`, `PATH:0xOFFSET` (user space) or `SYMBOL[+OFFSET]`, `MODULE:SYMBOL`
    /// (kernel).
    public var target: String
    public var isReturn: Bool
    public var name: String?
    public var arguments: [String]

    public init(target: String, isReturn: Bool = false, name: String? = nil, arguments: [String] = []) {
        self.target = target
        self.isReturn = isReturn
        self.name = name
        self.arguments = arguments
    }

    /// A user-space target names a file: the part before the last `:` contains a `/`.
    public var isUserSpace: Bool {
        guard let colon = target.lastIndex(of: ":") else { return false }
        return target[..<colon].contains("/")
    }

    /// Resolves symbols and checks every part, producing the definition to write.
    public func resolve(capabilities: TracingCapabilities, machine: String = ProbeRequest.kernelMachine,
                        currentDirectory: String = ProbeRequest.currentDirectory) throws -> ProbeDefinition {
        try ControlText.requireSingleLine(target, what: "probe target \"\(target)\"", maximumBytes: 1024)
        let context = FetchArgument.Context(isUserProbe: isUserSpace, isReturnProbe: isReturn, machine: machine)
        let fetched = try arguments.map { try FetchArgument(parsing: $0, context: context) }
        var names = Set<String>()
        for argument in fetched {
            if let name = argument.name, !names.insert(name).inserted {
                throw LiveError("probe argument name \(name) is used twice")
            }
        }
        if isUserSpace {
            guard capabilities.uprobes else {
                throw LiveError("this kernel has no uprobe support (no uprobe_events in tracefs; CONFIG_UPROBE_EVENTS is off)")
            }
            let place = try UserProbePlace(parsing: target, currentDirectory: currentDirectory)
            let probeName = try name.map(Self.checkedName) ?? Self.defaultName(for: place.defaultNameStem, isReturn: isReturn)
            return ProbeDefinition(kind: .uprobe, isReturn: isReturn, name: probeName, place: place.kernelPlace,
                                   arguments: fetched, resolvedFrom: place.resolvedFrom)
        }
        guard capabilities.kprobes else {
            throw LiveError("kernel probes are not available: this kernel has no kprobe_events in tracefs (it was built without CONFIG_KPROBES / CONFIG_KPROBE_EVENTS). User-space probes work: give the target as PATH:SYMBOL, e.g. /usr/bin/bash:readline")
        }
        let place = try Self.checkedKernelPlace(target)
        let stem = place.split(separator: ":").last.map { String($0.split(separator: "+").first ?? $0) } ?? place
        let probeName = try name.map(Self.checkedName) ?? Self.defaultName(for: stem, isReturn: isReturn)
        return ProbeDefinition(kind: .kprobe, isReturn: isReturn, name: probeName, place: place,
                               arguments: fetched, resolvedFrom: nil)
    }

    /// `SYMBOL[+OFFSET]`, `MODULE:SYMBOL[+OFFSET]` or a hexadecimal address.
    static func checkedKernelPlace(_ text: String) throws -> String {
        var rest = Substring(text)
        if let colon = rest.firstIndex(of: ":") {
            let module = rest[..<colon]
            guard FetchArgument.isIdentifier(module) else { throw LiveError("\"\(module)\" is not a kernel module name") }
            rest = rest[rest.index(after: colon)...]
        }
        if rest.hasPrefix("0x"), rest.dropFirst(2).allSatisfy(\.isHexDigit), rest.count > 2 { return text }
        let plus = rest.firstIndex(of: "+") ?? rest.endIndex
        let symbol = rest[..<plus].replacingDots()
        guard FetchArgument.isIdentifier(symbol) else { throw LiveError("\"\(rest[..<plus])\" is not a kernel symbol name") }
        if plus != rest.endIndex {
            let offset = rest[rest.index(after: plus)...]
            guard UserProbePlace.parseNumber(offset) != nil else { throw LiveError("\"\(offset)\" is not an offset") }
        }
        return text
    }

    /// Event names: letters, digits and `_`, not starting with a digit, at most 64 characters.
    static func checkedName(_ name: String) throws -> String {
        guard FetchArgument.isIdentifier(name), name.count <= 64 else {
            throw LiveError("\"\(name)\" is not a valid probe name (letters, digits and _, at most 64, not starting with a digit)")
        }
        return name
    }

    /// A name made from `stem`: invalid characters become `_`; return probes end in `__return`.
    static func defaultName(for stem: String, isReturn: Bool) -> String {
        var name = String(stem.map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber || c == "_") ? c : "_"
        })
        if name.isEmpty || name.first!.isNumber { name = "p_" + name }
        let suffix = isReturn ? "__return" : ""
        name = String(name.prefix(64 - suffix.count)) + suffix
        return name
    }

    /// `uname -m`.
    public static var kernelMachine: String {
        var info = utsname()
        guard uname(&info) == 0 else { return "unknown" }
        return withUnsafeBytes(of: info.machine) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    public static var currentDirectory: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(cString: buffer)
    }
}

extension Substring {
    fileprivate func replacingDots() -> String { String(map { $0 == "." ? "_" : $0 }) }
}

/// A user-space probe location: the file and the offset in it.
struct UserProbePlace {
    var path: String
    var fileOffset: UInt64
    var symbol: String?
    var symbolOffset: UInt64

    /// `path:0xoffset` as the kernel wants it.
    var kernelPlace: String { path + ":0x" + String(fileOffset, radix: 16) }

    var resolvedFrom: String? {
        guard let symbol else { return nil }
        return symbolOffset == 0 ? symbol : "\(symbol)+\(symbolOffset)"
    }

    var defaultNameStem: String {
        if let symbol { return symbolOffset == 0 ? symbol : "\(symbol)_\(symbolOffset)" }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        return "\(base)_0x\(String(fileOffset, radix: 16))"
    }

    static func parseNumber<S: StringProtocol>(_ text: S) -> UInt64? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt64(text.dropFirst(2), radix: 16) }
        return UInt64(text, radix: 10)
    }

    init(parsing target: String, currentDirectory: String) throws {
        guard let colon = target.lastIndex(of: ":") else { throw LiveError("\"\(target)\" has no PATH: part") }
        var path = String(target[..<colon])
        let location = target[target.index(after: colon)...]
        guard !path.contains(" ") else {
            throw LiveError("the path \"\(path)\" contains a space, which the kernel's probe syntax cannot express")
        }
        if !path.hasPrefix("/") { path = currentDirectory + "/" + path }
        // The kernel resolves the path itself; give it the canonical one so listings match.
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard realpath(path, &resolved) != nil else {
            throw LiveError("\(path): \(String(cString: strerror(errno)))")
        }
        path = String(cString: resolved)
        guard !path.contains(" ") else {
            throw LiveError("the path \"\(path)\" contains a space, which the kernel's probe syntax cannot express")
        }
        try ControlText.requireSingleLine(path, what: "the probe path", maximumBytes: 1024)
        self.path = path
        guard !location.isEmpty else { throw LiveError("\"\(target)\": nothing after the colon (give SYMBOL, SYMBOL+OFFSET or 0xOFFSET)") }

        if location.hasPrefix("0x") || location.hasPrefix("0X") || location.first?.isNumber == true {
            guard let offset = Self.parseNumber(location) else { throw LiveError("\"\(location)\" is not a file offset") }
            let size = try Self.fileSize(path)
            guard offset < size else { throw LiveError("\(path): offset 0x\(String(offset, radix: 16)) is past the end of the file (\(size) bytes)") }
            fileOffset = offset
            symbol = nil
            symbolOffset = 0
            return
        }
        var symbolName = location
        var extra: UInt64 = 0
        if let plus = location.lastIndex(of: "+") {
            guard let value = Self.parseNumber(location[location.index(after: plus)...]) else {
                throw LiveError("\"\(location[location.index(after: plus)...])\" is not an offset")
            }
            extra = value
            symbolName = location[..<plus]
        }
        let elf = try ELFFile(path: path)
        let candidates = elf.symbols(named: String(symbolName))
        guard let chosen = candidates.first else {
            let hint = elf.symbols.isEmpty ? " (the file has no symbol tables; it may be stripped: use PATH:0xOFFSET)" : ""
            throw LiveError("\(path): no symbol \"\(symbolName)\" in .symtab or .dynsym\(hint)")
        }
        let codeCandidates = candidates.filter(\.isCode)
        if codeCandidates.count > 1 {
            let list = codeCandidates.map { "0x" + String($0.value, radix: 16) }.joined(separator: ", ")
            throw LiveError("\(path): \"\(symbolName)\" names several functions (at \(list)); use PATH:0xOFFSET")
        }
        if chosen.size > 0, extra >= chosen.size {
            throw LiveError("\(path): offset \(extra) is outside \(symbolName) (\(chosen.size) bytes)")
        }
        let address = chosen.value &+ extra
        guard let offset = elf.fileOffset(ofVirtualAddress: address) else {
            throw LiveError("\(path): address 0x\(String(address, radix: 16)) of \(symbolName) is in no loadable segment")
        }
        fileOffset = offset
        symbol = String(symbolName)
        symbolOffset = extra
    }

    static func fileSize(_ path: String) throws -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw LiveError("\(path): \(String(cString: strerror(errno)))") }
        return UInt64(info.st_size)
    }
}
