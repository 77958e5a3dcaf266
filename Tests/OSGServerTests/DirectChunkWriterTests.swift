import Foundation
import OSGDomain
import Testing
@testable import OSGServer

/// Chunks written partly with `O_DIRECT` and partly through the page cache make exactly the
/// file the same writes through the cache alone would make, on a disk file system and on tmpfs
/// (which refuses direct writes before Linux 6.6: then every byte goes through the cache).
@Suite("Blob store: direct chunk writes")
struct DirectChunkWriterTests {
    /// Folders to write in: the temporary folder (a disk file system here) and /dev/shm (tmpfs),
    /// where present.
    static let folders: [String] = [FileManager.default.temporaryDirectory.path, "/dev/shm"].filter {
        FileManager.default.isWritableFile(atPath: $0)
    }

    /// Whether a file in `folder` opens with `O_DIRECT` (x86-64 and arm64 Linux values).
    static func opensDirect(_ folder: String) -> Bool {
        #if arch(x86_64)
        let direct: Int32 = 0o40000
        #else
        let direct: Int32 = 0o200000
        #endif
        let path = "\(folder)/osg-direct-probe-\(UInt64.random(in: 0...UInt64.max))"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | direct, 0o600)
        defer { unlink(path) }
        guard descriptor >= 0 else { return false }
        close(descriptor)
        return true
    }

    @Test("random chunk sizes and offsets, aligned and not, rewrites included: the file holds exactly what was written", arguments: folders)
    func randomChunks(in folder: String) throws {
        var direct = 0
        for seed in UInt64(1)...16 {
            var random = SplitMix64(seed: seed)
            let path = "\(folder)/osg-direct-\(seed)-\(UInt64.random(in: 0...UInt64.max))"
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let descriptor = open(path, O_WRONLY | O_CLOEXEC)
            try #require(descriptor >= 0)
            defer { close(descriptor) }
            var expected: [UInt8] = []
            for _ in 0..<12 {
                // Sizes around the 4096-byte alignment and larger; sometimes a rewrite from an
                // earlier offset (a chunk resent after a failure), cutting what followed.
                let sizes = [0, 1, 511, 4095, 4096, 4097, 8192, 65_536 + 100, 1 << 20, (1 << 20) + 4096]
                let size = sizes[Int(random.next() % UInt64(sizes.count))]
                var offset = expected.count
                if random.next() % 4 == 0, !expected.isEmpty {
                    offset = Int(random.next() % UInt64(expected.count))
                    if random.next() % 2 == 0 { offset = offset / 4096 * 4096 }
                }
                let chunk = (0..<size).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                #expect(ftruncate(descriptor, off_t(offset)) == 0)
                let outcome = DirectChunkWriter.write(chunk, at: Int64(offset), descriptor: descriptor, path: path)
                #expect(outcome.failure == nil, "seed \(seed): errno \(outcome.failure ?? 0)")
                #expect(outcome.directBytes % DirectChunkWriter.alignment == 0 && outcome.directBytes <= size)
                direct += outcome.directBytes
                expected = Array(expected[..<offset]) + chunk
            }
            let written = try #require(FileManager.default.contents(atPath: path), "seed \(seed)")
            #expect(written.count == expected.count, "seed \(seed) in \(folder)")
            #expect(Array(written) == expected, "seed \(seed) in \(folder)")
        }
        // Where the file system opens files for direct I/O (a disk; tmpfs since Linux 6.6), the
        // aligned parts went that way.
        if Self.opensDirect(folder) {
            #expect(direct > 0, "\(folder) takes direct I/O, so the aligned parts are written directly")
        }
    }
}
