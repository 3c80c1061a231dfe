import TraceIO
import TraceKit

/// Reads what probes need from an ELF file: the header, program headers (to turn a virtual address
/// into a file offset) and the symbol tables `.symtab` and `.dynsym`. Every read is bounds-checked;
/// damage is reported with the file and byte offset.
public final class ELFFile {
    /// One symbol of `.symtab` or `.dynsym`.
    public struct Symbol: Sendable, Hashable {
        public enum Kind: UInt8, Sendable {
            case none = 0, object = 1, function = 2, section = 3, file = 4, common = 5, tls = 6
            case indirectFunction = 10
            case other = 255
        }
        public var name: String
        public var value: UInt64
        public var size: UInt64
        public var kind: Kind
        /// Section index; 0 means undefined (an import, which has no code here).
        public var sectionIndex: UInt16
        /// Which table it came from (`.symtab` or `.dynsym`).
        public var table: String

        public var isDefined: Bool { sectionIndex != 0 && sectionIndex < 0xff00 }
        public var isCode: Bool { kind == .function || kind == .indirectFunction }
    }

    /// A loadable segment (`PT_LOAD`).
    public struct Segment: Sendable, Hashable {
        public var fileOffset: UInt64
        public var virtualAddress: UInt64
        public var fileSize: UInt64
        public var memorySize: UInt64
        public var isExecutable: Bool
    }

    public enum FileType: UInt16, Sendable {
        case relocatable = 1, executable = 2, sharedObject = 3, core = 4
        case unknown = 0xffff
    }

    public let path: String
    public let is64Bit: Bool
    public let isLittleEndian: Bool
    public let fileType: FileType
    public let machine: UInt16
    public private(set) var segments: [Segment] = []
    public private(set) var symbols: [Symbol] = []

    private let file: MappedFile

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= 16, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46 else {
            throw TraceError(file: path, offset: 0, "not an ELF file (bad magic)")
        }
        switch bytes[4] {
        case 1: is64Bit = false
        case 2: is64Bit = true
        default: throw TraceError(file: path, offset: 4, "unknown ELF class \(bytes[4])")
        }
        switch bytes[5] {
        case 1: isLittleEndian = true
        case 2: isLittleEndian = false
        default: throw TraceError(file: path, offset: 5, "unknown ELF data encoding \(bytes[5])")
        }
        let reader = Reader(bytes: bytes, path: path, littleEndian: isLittleEndian, is64Bit: is64Bit)
        fileType = FileType(rawValue: try reader.u16(16)) ?? .unknown
        machine = try reader.u16(18)
        try readProgramHeaders(reader)
        try readSymbols(reader)
    }

    /// The file offset holding virtual address `address`, from the `PT_LOAD` segment containing
    /// it (this is what uprobes need, for executables, PIE and shared libraries alike).
    public func fileOffset(ofVirtualAddress address: UInt64) -> UInt64? {
        for segment in segments where address >= segment.virtualAddress
            && address - segment.virtualAddress < segment.fileSize {
            return segment.fileOffset + (address - segment.virtualAddress)
        }
        return nil
    }

    /// Defined symbols named `name`, code first, duplicates at the same address removed.
    public func symbols(named name: String) -> [Symbol] {
        var seen = Set<UInt64>()
        let matches = symbols.filter { $0.name == name && $0.isDefined }
            .sorted { ($0.isCode ? 0 : 1, $0.value) < ($1.isCode ? 0 : 1, $1.value) }
        return matches.filter { seen.insert($0.value).inserted }
    }

    // MARK: parsing

    private func readProgramHeaders(_ r: Reader) throws {
        let offset = try r.word(is64Bit ? 32 : 28)
        let entrySize = Int(try r.u16(is64Bit ? 54 : 42))
        let count = Int(try r.u16(is64Bit ? 56 : 44))
        guard count > 0 else { return }
        guard entrySize >= (is64Bit ? 56 : 32) else {
            throw TraceError(file: path, offset: is64Bit ? 54 : 42, "program header entry size \(entrySize) is too small")
        }
        for i in 0..<count {
            let (base, overflow) = offset.addingReportingOverflow(UInt64(i * entrySize))
            guard !overflow, base <= UInt64(Int.max) else { throw TraceError(file: path, "program header offset out of range") }
            let at = Int(base)
            let type = try r.u32(at)
            guard type == 1 else { continue } // PT_LOAD
            let flags: UInt32
            let segment: Segment
            if is64Bit {
                flags = try r.u32(at + 4)
                segment = Segment(fileOffset: try r.u64(at + 8), virtualAddress: try r.u64(at + 16),
                                  fileSize: try r.u64(at + 32), memorySize: try r.u64(at + 40),
                                  isExecutable: flags & 1 != 0)
            } else {
                flags = try r.u32(at + 24)
                segment = Segment(fileOffset: UInt64(try r.u32(at + 4)), virtualAddress: UInt64(try r.u32(at + 8)),
                                  fileSize: UInt64(try r.u32(at + 16)), memorySize: UInt64(try r.u32(at + 20)),
                                  isExecutable: flags & 1 != 0)
            }
            segments.append(segment)
        }
    }

    private struct SectionHeader {
        var name: UInt32
        var type: UInt32
        var offset: UInt64
        var size: UInt64
        var link: UInt32
        var entrySize: UInt64
    }

    private func readSymbols(_ r: Reader) throws {
        let offset = try r.word(is64Bit ? 40 : 32)
        let entrySize = Int(try r.u16(is64Bit ? 58 : 46))
        let count = Int(try r.u16(is64Bit ? 60 : 48))
        let namesIndex = Int(try r.u16(is64Bit ? 62 : 50))
        guard offset != 0, count > 0 else { return }
        guard entrySize >= (is64Bit ? 64 : 40) else {
            throw TraceError(file: path, offset: is64Bit ? 58 : 46, "section header entry size \(entrySize) is too small")
        }
        var sections: [SectionHeader] = []
        for i in 0..<count {
            let (base, overflow) = offset.addingReportingOverflow(UInt64(i * entrySize))
            guard !overflow, base <= UInt64(Int.max) else { throw TraceError(file: path, "section header offset out of range") }
            let at = Int(base)
            if is64Bit {
                sections.append(SectionHeader(name: try r.u32(at), type: try r.u32(at + 4), offset: try r.u64(at + 24),
                                              size: try r.u64(at + 32), link: try r.u32(at + 40),
                                              entrySize: try r.u64(at + 56)))
            } else {
                sections.append(SectionHeader(name: try r.u32(at), type: try r.u32(at + 4),
                                              offset: UInt64(try r.u32(at + 16)), size: UInt64(try r.u32(at + 20)),
                                              link: try r.u32(at + 24), entrySize: UInt64(try r.u32(at + 36))))
            }
        }
        let sectionNames = sections.indices.contains(namesIndex) ? sections[namesIndex] : nil
        for section in sections where section.type == 2 || section.type == 11 { // SHT_SYMTAB, SHT_DYNSYM
            guard sections.indices.contains(Int(section.link)) else {
                throw TraceError(file: path, "symbol table links to missing string table \(section.link)")
            }
            let strings = sections[Int(section.link)]
            var table = section.type == 2 ? ".symtab" : ".dynsym"
            if let sectionNames, let name = try? r.string(in: sectionNames.offset, size: sectionNames.size, at: section.name) {
                table = name
            }
            try readSymbolTable(r, section: section, strings: strings, table: table)
        }
    }

    private func readSymbolTable(_ r: Reader, section: SectionHeader, strings: SectionHeader, table: String) throws {
        let minimum: UInt64 = is64Bit ? 24 : 16
        let entrySize = section.entrySize == 0 ? minimum : section.entrySize
        guard entrySize >= minimum else {
            throw TraceError(file: path, offset: Int(clamping: section.offset), "\(table): entry size \(entrySize) is too small")
        }
        guard section.offset <= UInt64(r.bytes.count), section.size <= UInt64(r.bytes.count) - section.offset else {
            throw TraceError(file: path, offset: Int(clamping: section.offset), "\(table) extends past the end of the file")
        }
        let count = Int(section.size / entrySize)
        symbols.reserveCapacity(symbols.count + count)
        for i in 0..<count {
            let at = Int(section.offset) + i * Int(entrySize)
            let nameOffset = try r.u32(at)
            let info: UInt8, sectionIndex: UInt16, value: UInt64, size: UInt64
            if is64Bit {
                info = try r.u8(at + 4)
                sectionIndex = try r.u16(at + 6)
                value = try r.u64(at + 8)
                size = try r.u64(at + 16)
            } else {
                value = UInt64(try r.u32(at + 4))
                size = UInt64(try r.u32(at + 8))
                info = try r.u8(at + 12)
                sectionIndex = try r.u16(at + 14)
            }
            guard nameOffset != 0 else { continue }
            let name = try r.string(in: strings.offset, size: strings.size, at: nameOffset)
            let kind = Symbol.Kind(rawValue: info & 0xf) ?? .other
            symbols.append(Symbol(name: name, value: value, size: size, kind: kind,
                                  sectionIndex: sectionIndex, table: table))
        }
    }
}

/// Bounds-checked little/big-endian reads from the mapped file.
private struct Reader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    let littleEndian: Bool
    let is64Bit: Bool

    private func need(_ at: Int, _ count: Int) throws {
        guard at >= 0, count <= bytes.count, at <= bytes.count - count else {
            throw TraceError(file: path, offset: at, "ELF data ends before a \(count)-byte field (file is \(bytes.count) bytes)")
        }
    }

    func u8(_ at: Int) throws -> UInt8 {
        try need(at, 1)
        return bytes[at]
    }

    func u16(_ at: Int) throws -> UInt16 {
        try need(at, 2)
        let v = UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
        return littleEndian ? v : v.byteSwapped
    }

    func u32(_ at: Int) throws -> UInt32 {
        try need(at, 4)
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[at + k]) << (8 * k) }
        return littleEndian ? v : v.byteSwapped
    }

    func u64(_ at: Int) throws -> UInt64 {
        try need(at, 8)
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[at + k]) << (8 * k) }
        return littleEndian ? v : v.byteSwapped
    }

    /// An address-sized field.
    func word(_ at: Int) throws -> UInt64 {
        is64Bit ? try u64(at) : UInt64(try u32(at))
    }

    /// The NUL-terminated string at `offset` inside the string table at `base` of `size` bytes.
    func string(in base: UInt64, size: UInt64, at offset: UInt32) throws -> String {
        guard base <= UInt64(bytes.count), size <= UInt64(bytes.count) - base, UInt64(offset) < size else {
            throw TraceError(file: path, offset: Int(clamping: base), "string offset \(offset) is outside its string table")
        }
        let start = Int(base) + Int(offset)
        let end = Int(base + size)
        var i = start
        while i < end, bytes[i] != 0 { i += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
    }
}
