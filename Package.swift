// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ringside",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ringside", targets: ["ringside"]),
        .library(name: "TraceKit", targets: ["TraceKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian -dev packages).
        .systemLibrary(
            name: "CNcursesw", pkgConfig: "ncursesw",
            providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(
            name: "CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),

        // Core: event model, merge, filter, statistics. No files, no UI.
        .target(name: "TraceKit"),
        // Mapped files and buffered output shared by the readers.
        .target(name: "TraceIO", dependencies: ["TraceKit"]),
        // Readers.
        .target(name: "CTF", dependencies: ["TraceKit", "TraceIO"]),
        .target(name: "Ftrace", dependencies: ["TraceKit", "TraceIO", "CZstd", "CZlib"]),
        // Live tracefs control and reading.
        .target(name: "Live", dependencies: ["Ftrace", "TraceKit", "TraceIO"]),
        // UI: renders into a cell buffer; only CursesBackend touches curses.
        .target(name: "TerminalUI", dependencies: ["TraceKit"]),
        .target(name: "CursesBackend", dependencies: ["TerminalUI", "CNcursesw"]),

        .executableTarget(
            name: "ringside",
            dependencies: [
                "TraceKit", "TraceIO", "CTF", "Ftrace", "Live", "TerminalUI", "CursesBackend",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .testTarget(name: "TraceKitTests", dependencies: ["TraceKit"]),
        .testTarget(name: "CTFTests", dependencies: ["CTF", "TraceKit", "TraceIO"]),
        .testTarget(name: "FtraceTests", dependencies: ["Ftrace", "TraceKit", "TraceIO"]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI", "TraceKit"]),
        .testTarget(name: "LiveTests", dependencies: ["Live", "Ftrace", "TraceKit"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TraceKit"]),
    ],
    swiftLanguageModes: [.v5]
)
