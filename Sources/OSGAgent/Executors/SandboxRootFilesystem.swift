import Foundation

/// What a sandboxed job sees as its root filesystem.
public enum SandboxRootFilesystem: Sendable, Hashable {
    /// The host's system directories (`/usr`, `/bin`, `/lib*`, `/sbin`) and a few `/etc` files,
    /// read-only: for jobs without an image.
    case host
    /// A directory holding a whole root filesystem (an unpacked OCI image), mounted read-only at
    /// `/`. It must contain the mount points `/work`, `/tmp`, `/proc`, `/dev` and `/etc`.
    case directory(URL)
}
