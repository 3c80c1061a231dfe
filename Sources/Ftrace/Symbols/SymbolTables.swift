/// The lookup tables print formats need besides the record: kernel symbols (loaded on first use,
/// as kallsyms is large) and printk format strings.
public final class SymbolTables: @unchecked Sendable {
    private let loadKernelSymbols: () -> KernelSymbols
    private var loadedKernelSymbols: KernelSymbols?
    public let printkFormats: PrintkFormats

    /// - Parameters:
    ///   - kernelSymbols: builds the kallsyms table the first time a symbol is needed.
    public init(kernelSymbols: @escaping () -> KernelSymbols = { KernelSymbols() },
                printkFormats: PrintkFormats = PrintkFormats()) {
        self.loadKernelSymbols = kernelSymbols
        self.printkFormats = printkFormats
    }

    /// Tables with an already parsed symbol table.
    public convenience init(symbols: KernelSymbols, printkFormats: PrintkFormats = PrintkFormats()) {
        self.init(kernelSymbols: { symbols }, printkFormats: printkFormats)
    }

    public var kernelSymbols: KernelSymbols {
        if let s = loadedKernelSymbols { return s }
        let s = loadKernelSymbols()
        loadedKernelSymbols = s
        return s
    }
}
