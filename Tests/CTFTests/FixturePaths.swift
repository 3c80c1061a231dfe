import Foundation

/// Paths of the files under `Tests/Fixtures/ctf`.
enum FixturePaths {
    static let root: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/ctf").path
    }()

    static func path(_ relative: String) -> String { root + "/" + relative }

    static func contents(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path(relative))))
    }
}
