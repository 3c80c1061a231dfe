/// The interactive loop: read input, apply it, draw what changed; between keystrokes, run background
/// work in slices short enough that a key is never kept waiting for more than one slice.
/// Reads the traces again when they changed on disk (a session still being recorded).
public protocol TraceReloading: AnyObject {
    /// True when the files changed since the last call to `reopen()` (or since opening).
    func traceChanged() -> Bool
    /// Opens the traces again as they are now.
    func reopen() throws -> ViewerModel
}

public final class ViewerApp {
    public private(set) var controller: ViewerController
    private let backend: TerminalBackend
    private let frameLog: FrameLog?
    /// Longest slice of background work between two input checks.
    public var workSliceNanoseconds: UInt64 = 8_000_000
    /// How often background progress alone redraws the screen.
    public var progressRedrawNanoseconds: UInt64 = 120_000_000
    /// Picks up data appended to the traces (on `R`, and by itself when idle).
    public var reloader: TraceReloading?
    /// How often the files are looked at for new data while the viewer is idle.
    public var reloadCheckNanoseconds: UInt64 = 2_000_000_000
    private var lastReloadCheck = MonotonicClock.now()

    /// Reads the traces again if they changed (or when asked, telling when nothing did).
    private func reloadIfChanged(asked: Bool) {
        lastReloadCheck = MonotonicClock.now()
        guard let reloader else {
            if asked { controller.show("this trace cannot be read again", error: false) }
            return
        }
        guard reloader.traceChanged() else {
            if asked { controller.show("no new data on disk", error: false) }
            return
        }
        do {
            let model = try reloader.reopen()
            let old = controller
            let fresh = ViewerController(model: model, width: old.state.width, height: old.state.height,
                                         themes: old.themes, themeIndex: old.state.themeIndex, keymap: old.keymap)
            fresh.adopt(old.state)
            fresh.show("read again: \(model.index.isComplete ? "" : "indexing… ")new data picked up", error: false)
            controller = fresh
        } catch {
            controller.show("cannot read the trace again: \(error)", error: true)
        }
    }

    public init(controller: ViewerController, backend: TerminalBackend, frameLog: FrameLog? = nil) {
        self.controller = controller
        self.backend = backend
        self.frameLog = frameLog
    }

    private func draw(full: Bool) {
        let buffer = ScreenComposer.render(controller, options: backend.renderOptions)
        backend.draw(buffer, theme: controller.theme, full: full)
    }

    /// Runs until the user quits; returns the exit status.
    public func run() -> Int32 {
        // The first screen: a short slice of indexing so it has events, then draw at once.
        controller.tick(until: MonotonicClock.now() + 20_000_000)
        let size = backend.size
        controller.handle(.resize(width: size.width, height: size.height))
        draw(full: true)
        frameLog?.firstFrame()
        var lastProgressDraw = MonotonicClock.now()
        var pendingProgress: Redraw = .none
        var loggedComplete = false
        /// Benchmarks read when the index was complete (and how many records it holds).
        func logIndexComplete() {
            guard !loggedComplete, controller.model.index.isComplete, let frameLog else { return }
            loggedComplete = true
            frameLog.note("index-complete \(FrameLog.realtimeNanoseconds()) \(controller.model.index.recordCount)")
        }
        logIndexComplete()

        while !controller.state.shouldQuit {
            let busy = controller.model.hasBackgroundWork
            // Slices run here between keys; a background index only needs looking at now and then.
            let timeout = controller.model.hasSliceWork ? 0 : (busy ? 40 : 250)
            if let event = backend.readInput(timeoutMilliseconds: timeout) {
                let start = MonotonicClock.now()
                let cpuStart = frameLog == nil ? 0 : FrameLog.threadCPUNanoseconds()
                var redraw = controller.handle(event)
                // Apply keys that are already waiting before drawing (key repeat, pastes).
                var extra = 0
                while extra < 64, !controller.state.shouldQuit,
                      let next = backend.readInput(timeoutMilliseconds: 0) {
                    redraw.formUnion(controller.handle(next))
                    extra += 1
                }
                if controller.state.shouldQuit { break }
                if controller.takeReloadRequest() {
                    reloadIfChanged(asked: true)
                    redraw.formUnion([.all, .full])
                }
                if !redraw.isEmpty || !pendingProgress.isEmpty {
                    draw(full: redraw.contains(.full))
                    pendingProgress = .none
                }
                if let frameLog, case .key(let key) = event {
                    frameLog.key(key.description, microseconds: (MonotonicClock.now() - start) / 1000,
                                 cpuMicroseconds: (FrameLog.threadCPUNanoseconds() - cpuStart) / 1000)
                }
                continue
            }
            if reloader != nil, controller.model.index.isComplete, controller.state.prompt == nil,
               MonotonicClock.now() - lastReloadCheck >= reloadCheckNanoseconds {
                let before = ObjectIdentifier(controller)
                reloadIfChanged(asked: false)
                if ObjectIdentifier(controller) != before { draw(full: true) }
            }
            guard busy else { continue }
            let now = MonotonicClock.now()
            let redraw = controller.tick(until: now + workSliceNanoseconds)
            logIndexComplete()
            pendingProgress.formUnion(redraw)
            let finished = !controller.model.hasBackgroundWork
            let important = redraw.contains(.urgent)
            if !pendingProgress.isEmpty
                && (finished || important || MonotonicClock.now() - lastProgressDraw >= progressRedrawNanoseconds) {
                draw(full: false)
                pendingProgress = .none
                lastProgressDraw = MonotonicClock.now()
            }
        }
        backend.stop()
        return 0
    }
}
