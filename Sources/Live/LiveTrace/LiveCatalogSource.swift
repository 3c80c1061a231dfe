import Ftrace
import TraceIO

/// Where the live path gets event formats and the tables to print them: tracefs itself, or a
/// directory of recorded files (the deterministic tests' fixtures).
public struct LiveCatalogSource: Sendable {
    /// `events/header_page`.
    public var headerPagePath: String
    /// Format files: (system, path of the format file).
    public var formatFiles: @Sendable () -> [(system: String, path: String)]
    public var savedCmdlinesPath: String?
    public var printkFormatsPath: String?
    public var kallsymsPath: String?

    /// Every event format of tracefs (all systems, `ftrace` included).
    public static func tracefs(_ tracefs: Tracefs) -> LiveCatalogSource {
        LiveCatalogSource(
            headerPagePath: tracefs.path("events/header_page"),
            formatFiles: {
                var files: [(String, String)] = []
                let events = tracefs.path("events")
                for system in ControlFile.list(events) where ControlFile.isDirectory(events + "/" + system) {
                    for event in ControlFile.list(events + "/" + system) {
                        let path = "\(events)/\(system)/\(event)/format"
                        if ControlFile.exists(path) { files.append((system, path)) }
                    }
                }
                return files
            },
            savedCmdlinesPath: tracefs.path("saved_cmdlines"),
            printkFormatsPath: tracefs.path("printk_formats"),
            kallsymsPath: "/proc/kallsyms")
    }

    /// A fixture directory: `header_page`, `formats/SYSTEM/EVENT`, `saved_cmdlines`.
    public static func recorded(_ directory: String) -> LiveCatalogSource {
        LiveCatalogSource(
            headerPagePath: directory + "/header_page",
            formatFiles: {
                var files: [(String, String)] = []
                for system in ControlFile.list(directory + "/formats") {
                    for event in ControlFile.list(directory + "/formats/" + system) {
                        files.append((system, "\(directory)/formats/\(system)/\(event)"))
                    }
                }
                return files
            },
            savedCmdlinesPath: directory + "/saved_cmdlines",
            printkFormatsPath: ControlFile.exists(directory + "/printk_formats") ? directory + "/printk_formats" : nil,
            kallsymsPath: ControlFile.exists(directory + "/kallsyms") ? directory + "/kallsyms" : nil)
    }

    /// The page layout and a catalog with every format that parses (the others are listed in the
    /// catalog's `formatErrors`). Kernel symbols load on first use.
    public func load() throws -> (layout: RingBufferLayout, catalog: EventCatalog) {
        let headerPage: [UInt8]
        do {
            headerPage = try ControlFile.readBytes(headerPagePath)
        } catch let failure as ControlFile.Failure {
            throw LiveError(failure.description)
        }
        let layout = try RingBufferLayout.parse(headerPage: headerPage)
        let printk = printkFormatsPath.flatMap { try? ControlFile.readBytes($0) } ?? []
        let kallsyms = kallsymsPath
        let symbols = SymbolTables(kernelSymbols: {
            guard let kallsyms, let text = try? ControlFile.readBytes(kallsyms) else { return KernelSymbols() }
            return text.withUnsafeBytes { KernelSymbols(kallsyms: $0) }
        }, printkFormats: printk.withUnsafeBytes { PrintkFormats(text: $0) })
        let catalog = EventCatalog(byteOrder: .little, longSize: layout.commitSize, symbols: symbols,
                                   taskNames: loadTaskNames())
        for (system, path) in formatFiles() {
            guard let text = try? ControlFile.readBytes(path) else { continue }
            _ = try? catalog.addFormat(text, system: system, source: path)
        }
        return (layout, catalog)
    }

    /// `saved_cmdlines` as task names (empty when unreadable).
    public func loadTaskNames() -> TaskNames {
        guard let path = savedCmdlinesPath, let text = try? ControlFile.readBytes(path) else { return TaskNames() }
        return text.withUnsafeBytes { TaskNames(savedCmdlines: $0) }
    }
}
