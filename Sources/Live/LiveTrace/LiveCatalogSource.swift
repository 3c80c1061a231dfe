import Dispatch
import Foundation
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
        // kallsyms is large: parse it in the background from now on, so the first event that
        // needs a symbol does not stall the view.
        let kernelSymbols = BackgroundValue<KernelSymbols> { [kallsymsPath] in
            guard let kallsymsPath, let text = try? ControlFile.readBytes(kallsymsPath) else { return KernelSymbols() }
            return text.withUnsafeBytes { KernelSymbols(kallsyms: $0) }
        }
        let symbols = SymbolTables(kernelSymbols: { kernelSymbols.value },
                                   printkFormats: printk.withUnsafeBytes { PrintkFormats(text: $0) })
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

/// A value computed on a background thread as soon as it is created; reading it waits for it.
final class BackgroundValue<Value>: @unchecked Sendable {
    private var result: Value?
    private let ready = DispatchSemaphore(value: 0)
    private let lock = NSLock()

    init(_ compute: @escaping @Sendable () -> Value) {
        let thread = Thread { [self] in
            let value = compute()
            lock.lock()
            result = value
            lock.unlock()
            ready.signal()
        }
        thread.name = "ringside-background"
        thread.start()
    }

    var value: Value {
        lock.lock()
        if let result {
            lock.unlock()
            return result
        }
        lock.unlock()
        ready.wait()
        ready.signal()
        lock.lock()
        defer { lock.unlock() }
        return result!
    }
}
