import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Small, blocking file operations on a lease directory; callers run them off the cooperative pool.
enum SandboxFiles {
    /// Writes `data` to `url` through a temporary file and a rename, mode `mode`, so a reader
    /// sees the old content or the new, never a part.
    static func writeAtomically(_ data: Data, to url: URL, mode: mode_t = 0o600) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        try? FileManager.default.removeItem(at: temporary)
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: Int(mode)]) else {
            throw ExecutorError("state_write_failed", "could not write \(temporary.path): check the state directory is writable")
        }
        guard rename(temporary.path, url.path) == 0 else {
            throw ExecutorError("state_write_failed", "could not rename \(temporary.path) to \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    static func writeAtomically(_ text: String, to url: URL, mode: mode_t = 0o600) throws {
        try writeAtomically(Data(text.utf8), to: url, mode: mode)
    }

    /// Creates `url` (which must not exist) with `data`, mode `mode`: one open, write and close,
    /// for the files of a lease directory being made, which nothing reads before its supervisor
    /// starts (an agent that dies first leaves a directory without a supervisor, which is
    /// adopted as a node fault), so they need no temporary file and rename.
    static func writeNew(_ data: some Collection<UInt8>, to url: URL, mode: mode_t = 0o600) throws {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw ExecutorError("state_write_failed", "could not create \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(data)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw ExecutorError("state_write_failed", "could not write \(url.path): \(String(cString: strerror(errno)))")
            }
            written += count
        }
        // The umask may have narrowed `mode` at creation.
        guard fchmod(descriptor, mode) == 0 else {
            throw ExecutorError("state_write_failed", "could not set the mode of \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    static func writeNew(_ text: String, to url: URL, mode: mode_t = 0o600) throws {
        try writeNew(Array(text.utf8), to: url, mode: mode)
    }

    /// The file's text, or `nil` if it does not exist (or cannot be read); at most `limit` bytes.
    static func readText(_ url: URL, limit: Int = 64 * 1024) -> String? {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: limit) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// `true` if `url` names an existing file or directory (without following a last symlink).
    static func exists(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0
    }

    /// Creates a directory with exactly `mode` (no umask), owned by `owner` when given.
    static func makeDirectory(_ url: URL, mode: mode_t, owner: uid_t? = nil) throws {
        if mkdir(url.path, mode) != 0 && errno != EEXIST {
            throw ExecutorError("state_write_failed", "could not create \(url.path): \(String(cString: strerror(errno)))")
        }
        guard chmod(url.path, mode) == 0 else {
            throw ExecutorError("state_write_failed", "could not set the mode of \(url.path): \(String(cString: strerror(errno)))")
        }
        if let owner, chown(url.path, owner, gid_t(owner)) != 0 {
            throw ExecutorError("state_write_failed", "could not give \(url.path) to uid \(owner): \(String(cString: strerror(errno)))")
        }
    }

    /// NUL-separated strings, as bubblewrap's `--args` and bash's `mapfile -d ''` read them.
    static func nulSeparated(_ strings: [String]) -> Data {
        var data = Data()
        for string in strings {
            precondition(!string.utf8.contains(0), "NUL inside an argument must be refused before it is written")
            data.append(contentsOf: Array(string.utf8))
            data.append(0)
        }
        return data
    }
}
