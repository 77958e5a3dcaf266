/// Where this process's cgroup limits live: its memberships (`/proc/self/cgroup`) resolved
/// against the cgroup mounts (`/proc/self/mountinfo`).
///
/// A limit set on any ancestor cgroup binds too, so ``directories(controller:)`` lists the
/// process's own cgroup directory and every parent up to the mount point; the effective
/// limit is the smallest found. Resolving through the mount's root is what makes this right
/// inside containers, where `/proc/self/cgroup` names a path (`/docker/<id>`) that the
/// container sees mounted at `/sys/fs/cgroup/<controller>` itself.
public struct CgroupHierarchy: Hashable, Sendable {
    /// The process's cgroups.
    public var memberships: [CgroupMembership]
    /// The cgroup file systems mounted.
    public var mounts: [CgroupMount]

    /// Creates a hierarchy view.
    public init(memberships: [CgroupMembership], mounts: [CgroupMount]) {
        self.memberships = memberships
        self.mounts = mounts
    }

    /// Directories that may hold limits of `controller` (`cpu`, `memory`), from the process's
    /// own cgroup up to each mount point: the v1 hierarchy carrying the controller, then the
    /// v2 hierarchy (which carries every enabled controller).
    public func directories(controller: String) -> [String] {
        var found: [String] = []
        for mount in mounts {
            let membership: CgroupMembership?
            if mount.version == 1 {
                guard mount.controllers.contains(controller) else { continue }
                membership = memberships.first { $0.controllers.contains(controller) }
            } else {
                membership = memberships.first { $0.hierarchyID == 0 && $0.controllers.isEmpty }
            }
            guard let membership else { continue }
            for directory in Self.ancestors(of: membership.path, mount: mount) where !found.contains(directory) {
                found.append(directory)
            }
        }
        return found
    }

    /// `mountPoint/a/b`, `mountPoint/a`, `mountPoint` for cgroup `/root/a/b` on a mount of `/root`.
    static func ancestors(of path: String, mount: CgroupMount) -> [String] {
        let root = mount.root == "/" ? "" : mount.root
        var relative: Substring = ""
        if path == root || path.hasPrefix(root + "/") {
            relative = path.dropFirst(root.count)
        }
        // Otherwise the mount shows the process's own cgroup (a cgroup namespace): the mount point.
        var components = relative.split(separator: "/").map(String.init)
        let base = mount.mountPoint.hasSuffix("/") ? String(mount.mountPoint.dropLast()) : mount.mountPoint
        var directories: [String] = []
        while true {
            directories.append(([base] + components).joined(separator: "/"))
            if components.isEmpty { return directories }
            components.removeLast()
        }
    }
}

/// One line of `/proc/self/cgroup`: a hierarchy, its controllers (empty for cgroup v2) and
/// this process's cgroup in it.
public struct CgroupMembership: Hashable, Sendable {
    /// The hierarchy id (0 for cgroup v2).
    public var hierarchyID: Int
    /// The v1 controllers, e.g. `["cpu", "cpuacct"]`; empty for v2.
    public var controllers: [String]
    /// The cgroup's path from the hierarchy's root, e.g. `/system.slice/osg-agent.service`.
    public var path: String

    /// Creates a membership.
    public init(hierarchyID: Int, controllers: [String], path: String) {
        self.hierarchyID = hierarchyID
        self.controllers = controllers
        self.path = path
    }
}

/// A mounted cgroup file system, from `/proc/self/mountinfo`.
public struct CgroupMount: Hashable, Sendable {
    /// The cgroup the mount shows at its mount point (`/` unless a cgroup namespace or a bind
    /// mount shows a sub-tree).
    public var root: String
    /// Where it is mounted, e.g. `/sys/fs/cgroup/memory`.
    public var mountPoint: String
    /// 1 or 2.
    public var version: Int
    /// The v1 controllers it carries; empty for v2.
    public var controllers: [String]

    /// Creates a mount description.
    public init(root: String, mountPoint: String, version: Int, controllers: [String]) {
        self.root = root
        self.mountPoint = mountPoint
        self.version = version
        self.controllers = controllers
    }
}
