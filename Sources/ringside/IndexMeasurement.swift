import Foundation
import TerminalUI
import TraceKit

/// `ringside view --measure-index PATH`: builds the index exactly as the viewer does (background
/// thread, streams read on all cores, saved index reused and kept) and prints the time it took,
/// for benchmarks.
enum IndexMeasurement {
    /// - Parameter start: when the command started (opening the traces included).
    static func run(model: ViewerModel, paths: [String], start: UInt64) {
        let firstRecords = MonotonicClock.now()
        while !model.index.isComplete {
            model.doBackgroundWork(until: 0)
            usleep(2_000)
        }
        let end = MonotonicClock.now()
        let bytes = paths.reduce(0) { $0 + diskBytes($1) }
        let seconds = Double(end - start) / 1e9
        print("records \(model.index.recordCount)  bytes \(bytes)  viewer ready \(String(format: "%.1f", Double(firstRecords - start) / 1e6)) ms"
              + "  index \(String(format: "%.3f", seconds)) s  \(String(format: "%.2f", Double(bytes) / seconds / 1e9)) GB/s"
              + "  checkpoints \(model.index.checkpointBytes / 1024) KiB  lanes \(model.activity.memoryBytes / 1024) KiB"
              + (model.usedSavedIndex ? "  (saved index)" : ""))
        for error in model.index.errors.prefix(3) { print("error: \(error)") }
    }

    /// Bytes of the regular files under `path`.
    static func diskBytes(_ path: String) -> Int {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return 0 }
        if !isDirectory.boolValue {
            return ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
        }
        var total = 0
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let name = enumerator?.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name)
            if attributes?[.type] as? FileAttributeType == .typeRegular {
                total += (attributes?[.size] as? NSNumber)?.intValue ?? 0
            }
        }
        return total
    }
}
