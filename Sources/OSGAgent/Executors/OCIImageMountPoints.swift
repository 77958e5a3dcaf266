import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Makes an unpacked root filesystem mountable as the sandbox's root: bubblewrap binds it
/// read-only at `/` and then mounts over a few paths, which must therefore already exist, with
/// the right type, and not be symlinks (a symlink would lead the mount, or these writes, out of
/// the image).
///
/// Directories: `/work`, `/tmp`, `/proc`, `/dev`, `/etc`, and the image's working directory when
/// it can be made without following a symlink. Files (empty if the image has none):
/// `/etc/passwd`, `/etc/group`, `/etc/hosts`, `/etc/resolv.conf`.
enum OCIImageMountPoints {
    static let directories = ["work", "tmp", "proc", "dev", "etc"]
    static let files = ["etc/passwd", "etc/group", "etc/hosts", "etc/resolv.conf"]

    /// Prepares `rootfs` (a directory only the agent writes, not yet in use).
    static func prepare(rootfs: URL, workingDirectory: String?) throws {
        for name in directories { try ensure(rootfs.appendingPathComponent(name), directory: true) }
        for name in files { try ensure(rootfs.appendingPathComponent(name), directory: false) }
        if let workingDirectory { try makeWorkingDirectory(workingDirectory, in: rootfs) }
    }

    /// `url` exists as a real directory (or regular file); anything else there is replaced.
    private static func ensure(_ url: URL, directory: Bool) throws {
        var info = stat()
        if lstat(url.path, &info) == 0 {
            let type = info.st_mode & S_IFMT
            if type == (directory ? S_IFDIR : S_IFREG) { return }
            try FileManager.default.removeItem(at: url)
        }
        if directory {
            guard mkdir(url.path, 0o755) == 0 else { throw failure("create", url) }
            guard chmod(url.path, 0o755) == 0 else { throw failure("set the mode of", url) }
        } else {
            let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw failure("create", url) }
            close(fd)
            guard chmod(url.path, 0o644) == 0 else { throw failure("set the mode of", url) }
        }
    }

    /// Creates the missing directories of `path` under `rootfs`, stopping (without error) at a
    /// symlink or a non-directory: the sandbox resolves those itself, inside the image.
    private static func makeWorkingDirectory(_ path: String, in rootfs: URL) throws {
        let components = path.split(separator: "/").map(String.init)
        guard !components.contains(where: { $0 == "." || $0 == ".." }) else { return }
        var current = rootfs
        for component in components {
            current.appendPathComponent(component)
            var info = stat()
            if lstat(current.path, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else { return }
                continue
            }
            guard mkdir(current.path, 0o755) == 0, chmod(current.path, 0o755) == 0 else { throw failure("create", current) }
        }
    }

    private static func failure(_ what: String, _ url: URL) -> ExecutorError {
        ExecutorError("image_cache_failed", "could not \(what) \(url.path) in an unpacked image: \(String(cString: strerror(errno)))")
    }
}
