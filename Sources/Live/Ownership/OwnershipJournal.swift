#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TraceIO

/// A file listing everything one owner created or changed in tracefs, written before the owner
/// moves on, so the changes can be undone on exit, on a signal, after a failure half-way, or by
/// `ringside live --cleanup` after the owner was killed.
///
/// Sessions (`ringside live`, `ringside record`) each have their own journal named after their pid;
/// the scriptable commands (`ringside probes ...`) share the persistent journal. Lines are JSON:
/// the first names the owner, the others are `OwnedResource`s in the order they were made.
public final class OwnershipJournal {
    /// Who owns a journal.
    public enum Owner: Codable, Hashable, Sendable {
        /// A running ringside process; its changes are undone when it ends.
        case session(ProcessIdentity, command: String)
        /// Changes made by the scriptable commands, kept until removed or cleaned up.
        case persistent
    }

    private struct Line: Codable {
        var owner: Owner?
        var resource: OwnedResource?
    }

    public let path: String
    public private(set) var owner: Owner

    /// The directory holding journals: `RINGSIDE_STATE_DIR`, else `/run/ringside` (a tmpfs that,
    /// like tracefs, starts empty at boot).
    public static func stateDirectory(environment: [String: String] = ProcessEnvironment.current) -> String {
        if let dir = environment["RINGSIDE_STATE_DIR"], !dir.isEmpty { return dir }
        return "/run/ringside"
    }

    /// The journal file of the scriptable commands.
    public static func persistentPath(in directory: String) -> String { directory + "/persistent.journal" }

    /// Creates (or opens) the journal for this process's session.
    public static func session(command: String, directory: String) throws -> OwnershipJournal {
        let identity = ProcessIdentity.current
        let path = directory + "/session-\(identity.pid).journal"
        let journal = OwnershipJournal(path: path, owner: .session(identity, command: command))
        try journal.createIfNeeded()
        return journal
    }

    /// Opens the persistent journal, creating it when needed.
    public static func persistent(directory: String) throws -> OwnershipJournal {
        let journal = OwnershipJournal(path: persistentPath(in: directory), owner: .persistent)
        try journal.createIfNeeded()
        return journal
    }

    /// Every journal in `directory` (for cleanup and for reporting leftovers).
    public static func all(in directory: String) -> [OwnershipJournal] {
        ControlFile.list(directory).filter { $0.hasSuffix(".journal") }.compactMap { name in
            try? OwnershipJournal(existingAt: directory + "/" + name)
        }
    }

    init(path: String, owner: Owner) {
        self.path = path
        self.owner = owner
    }

    /// Opens an existing journal, reading its owner from the first line.
    public init(existingAt path: String) throws {
        self.path = path
        self.owner = .persistent
        let lines = try Self.readLines(path)
        if let first = lines.first?.owner { owner = first }
    }

    func createIfNeeded() throws {
        let directory = (path as NSString).deletingLastPathComponent
        try Self.makeDirectory(directory)
        try withLock { fd in
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw journalError("stat") }
            if info.st_size == 0 { try append(Line(owner: owner, resource: nil), fd: fd) }
        }
    }

    static func makeDirectory(_ directory: String) throws {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw LiveError("cannot create the state directory \(directory): \(SystemError.message(errno))")
        }
    }

    /// The resources recorded so far, oldest first.
    public func resources() throws -> [OwnedResource] {
        try withLock { _ in try Self.readLines(path).compactMap(\.resource) }
    }

    /// Appends `resource` and flushes it to disk before returning.
    public func record(_ resource: OwnedResource) throws {
        try withLock { fd in try append(Line(owner: nil, resource: resource), fd: fd) }
    }

    /// Rewrites the journal without the resources `predicate` selects.
    public func forget(where predicate: (OwnedResource) -> Bool) throws {
        try withLock { _ in
            let kept = try Self.readLines(path).filter { line in
                guard let resource = line.resource else { return true }
                return !predicate(resource)
            }
            try rewrite(kept)
        }
    }

    /// Deletes the journal file (after everything in it was undone).
    public func delete() {
        unlink(path)
    }

    // MARK: file handling

    private func journalError(_ operation: String) -> LiveError {
        LiveError("ownership journal \(path): cannot \(operation): \(SystemError.message(errno))")
    }

    /// Runs `body` with the journal open for appending, holding an exclusive lock shared by every
    /// journal of the directory (several ringside processes may use the persistent journal; the
    /// lock lives in its own file so replacing a journal by rename cannot lose a waiting writer).
    private func withLock<T>(_ body: (Int32) throws -> T) throws -> T {
        let directory = (path as NSString).deletingLastPathComponent
        let lockFD = open(directory + "/journal.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw journalError("open the lock file") }
        defer { close(lockFD) }
        while flock(lockFD, LOCK_EX) != 0 {
            if errno != EINTR { throw journalError("lock") }
        }
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw journalError("open") }
        defer { close(fd) }
        return try body(fd)
    }

    private func append(_ line: Line, fd: Int32) throws {
        var data = Data()
        // A line cut short by a crash must not swallow this one: start on a fresh line.
        let size = lseek(fd, 0, SEEK_END)
        if size > 0 {
            var last: UInt8 = 0
            if pread(fd, &last, 1, size - 1) == 1, last != 0x0a { data.append(0x0a) }
        }
        data.append(try JSONEncoder().encode(line))
        data.append(0x0a)
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw journalError("write")
                }
                offset += n
            }
        }
        if fsync(fd) != 0 { throw journalError("sync") }
    }

    private func rewrite(_ lines: [Line]) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw journalError("create \(temporary)") }
        do {
            for line in lines { try append(line, fd: fd) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw journalError("replace")
        }
    }

    private static func readLines(_ path: String) throws -> [Line] {
        let bytes: [UInt8]
        do {
            bytes = try ControlFile.readBytes(path)
        } catch let failure as ControlFile.Failure where failure.code == ENOENT {
            return []
        }
        let decoder = JSONDecoder()
        var lines: [Line] = []
        for (number, raw) in bytes.split(separator: 0x0a).enumerated() {
            do {
                lines.append(try decoder.decode(Line.self, from: Data(raw)))
            } catch {
                // A line cut short by a crash while writing: everything before it is still valid.
                if number == 0 { throw LiveError("ownership journal \(path): unreadable first line") }
                continue
            }
        }
        return lines
    }
}
