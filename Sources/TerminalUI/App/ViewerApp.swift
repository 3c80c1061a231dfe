/// The interactive loop: read input, apply it, draw what changed; between keystrokes, run background
/// work in slices short enough that a key is never kept waiting for more than one slice.
public final class ViewerApp {
    public let controller: ViewerController
    private let backend: TerminalBackend
    private let frameLog: FrameLog?
    /// Longest slice of background work between two input checks.
    public var workSliceNanoseconds: UInt64 = 8_000_000
    /// How often background progress alone redraws the screen.
    public var progressRedrawNanoseconds: UInt64 = 120_000_000

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
            guard busy else { continue }
            let now = MonotonicClock.now()
            let redraw = controller.tick(until: now + workSliceNanoseconds)
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
