#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TraceKit

/// Keeps finished indexes in the user's cache directory (`$XDG_CACHE_HOME/ringside/index`, else
/// `~/.cache/ringside/index`), one file per set of trace paths, so opening a big trace again
/// needs no indexing. Trace directories are left untouched (other tools read them, and they may
/// be read-only).
///
/// An index is reused only for the very files it was built from: every file's path, size,
/// modification time, inode and a hash of its first and last 4 KiB make its fingerprint. The file
/// itself is never trusted: `IndexData(decoding:)` checks its checksum and structure, and the
/// viewer checks that checkpoints land on their records; anything wrong means indexing again.
/// `RINGSIDE_INDEX_CACHE=off` turns the cache off.
struct IndexCacheStore {
    let paths: [String]
    let file: String

    init?(paths: [String], environment: [String: String]) {
        guard environment["RINGSIDE_INDEX_CACHE"] != "off" else { return nil }
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["HOME"].map { $0 + "/.cache" }
        guard let base else { return nil }
        let absolute = paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }.sorted()
        let key = IndexCoding.checksum(Array(absolute.joined(separator: "\n").utf8))
        self.paths = absolute
        file = base + "/ringside/index/" + String(key, radix: 16) + ".idx"
    }

    /// The fingerprint of the files as they are now.
    func fingerprint() -> UInt64 {
        var files: [String] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if !isDirectory.boolValue {
                files.append(path)
                continue
            }
            let enumerator = manager.enumerator(atPath: path)
            while let name = enumerator?.nextObject() as? String { files.append(path + "/" + name) }
        }
        var hash = IndexCoding.checksum(Array("ringside-index".utf8))
        for path in files.sorted() {
            var info = stat()
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            var w: [UInt8] = Array(path.utf8)
            for v in [UInt64(info.st_size), UInt64(info.st_mtim.tv_sec), UInt64(info.st_mtim.tv_nsec),
                      UInt64(info.st_ino), UInt64(info.st_dev)] {
                withUnsafeBytes(of: v.littleEndian) { w.append(contentsOf: $0) }
            }
            w += Self.ends(of: path, size: Int(info.st_size))
            hash = IndexCoding.checksum(w, seed: hash)
        }
        return hash
    }

    /// The first and last 4 KiB of a file (content changes that keep size and time are caught too).
    private static func ends(of path: String, size: Int) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: 8192)
        let head = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 4096, 0) }
        let tail = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + 4096, 4096, off_t(max(0, size - 4096))) }
        return Array(out[0..<max(0, head)]) + Array(out[4096..<(4096 + max(0, tail))])
    }

    /// The saved index of these files, if there is one and it is sound.
    func load(fingerprint: UInt64) -> IndexData? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return try? IndexData(decoding: Array(data), fingerprint: fingerprint)
    }

    /// Saves a finished index (written aside, then renamed, so readers never see half a file).
    func save(_ index: IndexData, fingerprint: UInt64) {
        let directory = (file as NSString).deletingLastPathComponent
        guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil else {
            return
        }
        let temporary = file + ".\(getpid()).tmp"
        let bytes = index.encoded(fingerprint: fingerprint)
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else { return }
        if rename(temporary, file) != 0 { unlink(temporary) }
    }
}
