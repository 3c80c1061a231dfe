import ArgumentParser
import CursesBackend
import Foundation
import TerminalUI
import TraceKit

/// Colour choices of `--color`.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, never
    case basic8 = "8", basic16 = "16", indexed256 = "256"

    var mode: ColorMode? {
        switch self {
        case .auto: return nil
        case .never: return ColorMode.none
        case .basic8: return .basic8
        case .basic16: return .basic16
        case .indexed256: return .indexed256
        }
    }
}

struct ViewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Browse traces (the default command; with no path, the bundled sample).")

    @Option(name: .long, help: "Colour theme: a name (default, light, monochrome, high-contrast, colorblind) or a theme file.")
    var theme: String?

    @Option(name: .long, help: "Colours: auto (detect; NO_COLOR turns them off), never, 8, 16 or 256.")
    var color: ColorChoice = .auto

    @Flag(name: .long, help: "Draw with ASCII characters only (the default when the locale is not UTF-8).")
    var ascii = false

    @Option(name: .long, help: ArgumentHelp("Browse a generated trace of N events instead of files (demos, benchmarks).",
                                            visibility: .hidden))
    var synthetic: Int?

    @Option(name: .long, help: ArgumentHelp("CPUs of the generated trace.", visibility: .hidden))
    var syntheticCPUs: Int = 4

    @Flag(name: .long, help: ArgumentHelp("Build the index as the viewer does, print how long it took and exit (benchmarks).",
                                          visibility: .hidden))
    var measureIndex = false

    @Argument(help: "Trace directories, trace.dat files, or directories holding several traces.")
    var paths: [String] = []

    func run() throws {
        let started = MonotonicClock.now()
        var set: TraceSet?
        /// Opens the same traces again for the indexing thread (files only: a generated trace is
        /// indexed between keys).
        var reopen: (() throws -> TraceSet)?
        var watcher: TraceFileWatcher?
        var cache: IndexCacheStore?
        let environment = ProcessInfo.processInfo.environment
        if let synthetic {
            set = TraceSet(traces: [SyntheticTrace(events: max(0, synthetic), cpus: max(1, syntheticCPUs))])
        } else {
            let paths = self.paths.isEmpty ? [TraceOpening.bundledSamplePath] : self.paths
            // Packets are indexed as they are read: opening reads only the first of each file.
            let quiet = { try TraceOpening.open(paths, reportWarnings: false, lazyIndex: true) }
            // Looked at before opening: data appended meanwhile is picked up by the first reload.
            watcher = TraceFileWatcher(paths: paths, open: quiet, reopen: quiet)
            cache = IndexCacheStore(paths: paths, environment: environment)
            reopen = quiet
        }
        var catalog = ThemeCatalog(directories: ThemeDirectories.search)
        var themeIndex = 0
        if let theme {
            do {
                themeIndex = try catalog.select(theme)
            } catch {
                throw ValidationFailure("--theme: \(error)")
            }
        }
        let environmentIndexing = environment["RINGSIDE_INDEX"]
        let fingerprint = cache?.fingerprint()
        let saved = fingerprint.flatMap { cache?.load(fingerprint: $0) }
        let indexingReopen = environmentIndexing == "inline" ? nil : reopen
        // The viewer's readers first: the first screen is read with them while the indexing
        // thread (started by the model) opens the traces again.
        let opened = try set ?? TraceOpening.open(paths.isEmpty ? [TraceOpening.bundledSamplePath] : paths, lazyIndex: true)
        let model = try ViewerModel(set: opened, reopen: indexingReopen, savedIndex: saved)
        if let cache, let fingerprint, !model.usedSavedIndex {
            model.onIndexComplete = { data in
                // Only when the files are still those indexed (a trace being written is not kept).
                if cache.fingerprint() == fingerprint { cache.save(data, fingerprint: fingerprint) }
            }
        }
        if measureIndex {
            IndexMeasurement.run(model: model, paths: paths, start: started)
            model.stopBackgroundWork()
            return
        }
        let frameLog = environment["RINGSIDE_FRAME_LOG"].flatMap { FrameLog(path: $0) }
        let terminal: CursesTerminal
        do {
            terminal = try CursesTerminal(forceASCII: ascii, colorMode: color.mode, environment: environment)
        } catch {
            throw ValidationFailure(String(describing: error))
        }
        let size = terminal.size
        let controller = ViewerController(model: model, width: size.width, height: size.height,
                                          themes: catalog, themeIndex: themeIndex)
        let app = ViewerApp(controller: controller, backend: terminal, frameLog: frameLog)
        app.reloader = watcher
        let status = app.run()
        terminal.stop()
        app.controller.model.stopBackgroundWork()
        if status != 0 { throw ExitCode(status) }
    }
}

/// Where theme files are looked for, first match wins: `$RINGSIDE_THEMES`, the user's config
/// directory, the installed share directory, and the package's own `themes/`.
enum ThemeDirectories {
    static var search: [String] {
        var dirs: [String] = []
        let env = ProcessInfo.processInfo.environment
        if let d = env["RINGSIDE_THEMES"] { dirs.append(d) }
        if let config = env["XDG_CONFIG_HOME"] ?? env["HOME"].map({ $0 + "/.config" }) {
            dirs.append(config + "/ringside/themes")
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        dirs.append(executable.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/ringside/themes").path)
        let here = URL(fileURLWithPath: #filePath)
        dirs.append(here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("themes").path)
        return dirs
    }
}
