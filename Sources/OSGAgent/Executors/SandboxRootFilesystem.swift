import Foundation

/// What a sandboxed job sees as its root filesystem.
public enum SandboxRootFilesystem: Sendable, Hashable {
    /// The host's system directories (`/usr`, `/bin`, `/lib*`, `/sbin`) and a few `/etc` files,
    /// read-only: for jobs without an image.
    case host
    /// A directory holding a whole root filesystem (an unpacked OCI image), mounted read-only at
    /// `/`. It must contain the mount points, none a symlink: the directories `/work`, `/tmp`,
    /// `/proc`, `/dev` and `/etc`, and the files `/etc/passwd`, `/etc/group`, `/etc/hosts` and
    /// `/etc/resolv.conf` (``OCIImageStore`` prepares them when it unpacks an image), and the
    /// lease uids must be able to reach it.
    case directory(URL)
}
