import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The log directory on disk: the only file-system code of the writer.
///
/// Every file is written to a temporary name and renamed into place, so a reader (or the
/// static web server) never sees half a file. Files are not flushed one by one: ``sync(_:)``
/// flushes a set of them (and their directories) at once, which the writer does before it
/// replaces the checkpoint — so every file a published checkpoint needs is on disk first.
struct TransparencyLogFiles: Sendable {
    /// The log directory.
    let root: String

    /// Why a file could not be read or written.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(root: String) throws(Failure) {
        self.root = root
        try makeDirectories(root)
    }

    /// The absolute path of `relativePath`.
    func path(_ relativePath: String) -> String {
        root + "/" + relativePath
    }

    /// Writes `bytes` to `relativePath` (temporary file, then rename), creating directories.
    func write(_ bytes: [UInt8], to relativePath: String) throws(Failure) {
        let target = path(relativePath)
        let directory = String(target[..<(target.lastIndex(of: "/") ?? target.endIndex)])
        if access(directory, F_OK) != 0 { try makeDirectories(directory) }
        let temporary = target + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(description: "cannot create \(temporary): \(Self.errorText())") }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                posixWrite(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            guard result > 0 else {
                let message = Self.errorText()
                close(descriptor)
                throw Failure(description: "cannot write \(temporary): \(message)")
            }
            written += result
        }
        guard close(descriptor) == 0 else { throw Failure(description: "cannot close \(temporary): \(Self.errorText())") }
        guard rename(temporary, target) == 0 else {
            throw Failure(description: "cannot rename \(temporary) to \(target): \(Self.errorText())")
        }
    }

    /// Flushes the files at `relativePaths` and the directories holding them to disk.
    ///
    /// A checkpoint typically follows hundreds of new tiles and bundles, and an `fsync` costs a
    /// journal commit each (about 3 ms here), so on Linux one `syncfs` of the log's file system
    /// flushes them all at once (tens of milliseconds); elsewhere, or when it is unavailable,
    /// each file and directory is flushed in turn.
    func sync(_ relativePaths: some Collection<String>) throws(Failure) {
        if relativePaths.count > 2, let syncFileSystem = Self.syncfs {
            let descriptor = open(root, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw Failure(description: "cannot open \(root) to flush it: \(Self.errorText())") }
            defer { close(descriptor) }
            guard syncFileSystem(descriptor) == 0 else { throw Failure(description: "cannot flush the file system of \(root): \(Self.errorText())") }
            return
        }
        var directories = Set<String>()
        for relativePath in relativePaths {
            let file = path(relativePath)
            try Self.flush(file)
            directories.insert(String(file[..<(file.lastIndex(of: "/") ?? file.endIndex)]))
        }
        for directory in directories.sorted() { try Self.flush(directory) }
    }

    /// Writes `bytes` to `relativePath` and flushes it and its directory before returning.
    func writeDurably(_ bytes: [UInt8], to relativePath: String) throws(Failure) {
        try write(bytes, to: relativePath)
        try sync([relativePath])
    }

    /// The contents of `relativePath`, or `nil` when there is no such file.
    func read(_ relativePath: String) throws(Failure) -> [UInt8]? {
        let file = path(relativePath)
        guard access(file, F_OK) == 0 else { return nil }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw Failure(description: "cannot read \(file)")
        }
        return Array(data)
    }

    /// Removes `relativePath` if it exists.
    func remove(_ relativePath: String) throws(Failure) {
        let file = path(relativePath)
        guard unlink(file) == 0 || errno == ENOENT else {
            throw Failure(description: "cannot remove \(file): \(Self.errorText())")
        }
    }

    /// The names in directory `relativePath` (empty when it does not exist).
    func list(_ relativePath: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path(relativePath))) ?? []
    }

    private func makeDirectories(_ directory: String) throws(Failure) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create directory \(directory): \(error.localizedDescription)")
        }
    }

    private static func flush(_ file: String) throws(Failure) {
        let descriptor = open(file, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(file) to flush it: \(errorText())") }
        defer { close(descriptor) }
        guard posixFsync(descriptor) == 0 else { throw Failure(description: "cannot flush \(file): \(errorText())") }
    }

    /// Linux `syncfs(2)`, looked up at run time (Swift's Glibc module does not declare it).
    private static let syncfs: (@convention(c) (Int32) -> Int32)? = {
        #if os(Linux)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
        #else
        return nil
        #endif
    }()

    private static func errorText() -> String {
        String(cString: strerror(errno))
    }
}

// File-scope wrappers: inside the struct, `write` and `fsync` would name its own methods.
private func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

private func posixFsync(_ descriptor: Int32) -> Int32 {
    fsync(descriptor)
}
