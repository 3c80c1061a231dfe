import Foundation

/// The themes a user can pick with `--theme` or cycle with `T`: the compiled-in default plus the
/// theme files found in the theme directories.
public struct ThemeCatalog {
    public private(set) var themes: [Theme]
    /// Problems with theme files found while loading (shown once, never fatal).
    public private(set) var warnings: [String] = []

    /// Loads every `*.theme` file of `directories` (first directory wins for a name), after the
    /// compiled-in default.
    public init(directories: [String]) {
        themes = [BuiltinThemes.default]
        var seen: Set<String> = ["default"]
        var found: [Theme] = []
        for directory in directories {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for file in names.sorted() where file.hasSuffix(".theme") {
                let path = directory + "/" + file
                do {
                    let theme = try Self.load(path: path)
                    if seen.insert(theme.name).inserted { found.append(theme) }
                } catch {
                    warnings.append(String(describing: error))
                }
            }
        }
        themes += found
    }

    /// Reads one theme file.
    public static func load(path: String) throws -> Theme {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ThemeError(file: path, line: 0, message: "cannot read the theme file")
        }
        return try ThemeParser.parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// The theme for `--theme NAME|PATH`: a file path, or the name of a known theme.
    public mutating func select(_ nameOrPath: String) throws -> Int {
        if let i = themes.firstIndex(where: { $0.name == nameOrPath }) { return i }
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".theme") {
            let theme = try Self.load(path: nameOrPath)
            if let i = themes.firstIndex(where: { $0.name == theme.name }) {
                themes[i] = theme
                return i
            }
            themes.append(theme)
            return themes.count - 1
        }
        throw ThemeError(file: nameOrPath, line: 0,
                         message: "no such theme (known themes: " + themes.map(\.name).joined(separator: ", ") + ")")
    }
}
