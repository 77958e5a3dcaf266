import Foundation
import Synchronization

/// Writes an upload's chunk to its file, the block-aligned part with `O_DIRECT`.
///
/// Buffered writes of a large upload pile up as dirty pages that the final `fsync` must then
/// write out at once (on this project's machines, 260–400 MB/s through the page cache against
/// 1.1–1.4 GB/s direct); a direct write hands the bytes to the disk while the upload goes on, so
/// completing the blob has little left to sync. The unaligned rest (an upload's last bytes, or a
/// chunk that starts off a block boundary) is written through the page cache, and a file
/// system without `O_DIRECT` (tmpfs before Linux 6.6) gets every byte that way. Either way the
/// bytes are durable only after the caller's `fsync`.
enum DirectChunkWriter {
    /// Offsets, lengths and memory of direct writes are multiples of this (safe for 512- and
    /// 4096-byte logical blocks).
    static let alignment = 4096

    /// `O_DIRECT`, which Glibc's Swift overlay does not export (0: not known here, never used).
    private static let directFlag: Int32 = {
        #if os(Linux) && arch(x86_64)
        return 0o40000
        #elseif os(Linux) && arch(arm64)
        return 0o200000
        #else
        return 0
        #endif
    }()

    /// Aligned buffers kept between chunks (a fresh 8 MiB buffer costs its page faults).
    private static let spareBuffers = Mutex<[AlignedBuffer]>([])
    private static let keptBuffers = 4

    /// What one write did: the bytes written directly, and the `errno` of a failure (`nil`
    /// when every byte is written).
    struct Outcome: Equatable {
        var directBytes: Int
        var failure: Int32?
    }

    /// Writes `chunk` at `offset` of the open file `descriptor` (whose path is `path`).
    static func write(_ chunk: [UInt8], at offset: Int64, descriptor: Int32, path: String) -> Outcome {
        var done = 0
        if directFlag != 0, offset % Int64(alignment) == 0 {
            let aligned = chunk.count / alignment * alignment
            if aligned > 0 {
                switch writeDirect(chunk, count: aligned, at: offset, path: path) {
                case .written: done = aligned
                case .unsupported: break
                case .failed(let number): return Outcome(directBytes: 0, failure: number)
                }
            }
        }
        let direct = done
        let failure = chunk.withUnsafeBytes { bytes -> Int32? in
            while done < bytes.count {
                let count = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += count
            }
            return nil
        }
        return Outcome(directBytes: direct, failure: failure)
    }

    private enum DirectOutcome {
        case written
        /// The file system refuses `O_DIRECT` (or these alignments): write through the cache.
        case unsupported
        case failed(Int32)
    }

    /// The first `count` bytes of `chunk` (a multiple of ``alignment``) at `offset`, direct.
    private static func writeDirect(_ chunk: [UInt8], count: Int, at offset: Int64, path: String) -> DirectOutcome {
        precondition(count % alignment == 0 && offset % Int64(alignment) == 0 && count <= chunk.count)
        let descriptor = open(path, O_WRONLY | O_CLOEXEC | directFlag)
        guard descriptor >= 0 else { return errno == EINVAL ? .unsupported : .failed(errno) }
        defer { close(descriptor) }
        let buffer = takeBuffer(count)
        defer { giveBack(buffer) }
        chunk.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
        var done = 0
        while done < count {
            let written = pwrite(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            if written < 0 {
                if errno == EINTR { continue }
                // Nothing direct got through: the caller writes it all through the page cache.
                return errno == EINVAL && done == 0 ? .unsupported : .failed(errno)
            }
            // A short direct write ends off an aligned length only at the end of the device.
            guard written > 0 && written % alignment == 0 else { return .failed(EIO) }
            done += written
        }
        return .written
    }

    /// Aligned memory owned by one writer at a time (taken from and given back to the spares).
    private struct AlignedBuffer: @unchecked Sendable {
        let memory: UnsafeMutableRawBufferPointer
    }

    private static func takeBuffer(_ count: Int) -> UnsafeMutableRawBufferPointer {
        let spare = spareBuffers.withLock { buffers -> AlignedBuffer? in
            guard let index = buffers.firstIndex(where: { $0.memory.count >= count }) else { return nil }
            return buffers.remove(at: index)
        }
        return spare?.memory ?? UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: alignment)
    }

    private static func giveBack(_ buffer: UnsafeMutableRawBufferPointer) {
        let kept = spareBuffers.withLock { buffers -> Bool in
            guard buffers.count < keptBuffers else { return false }
            buffers.append(AlignedBuffer(memory: buffer))
            return true
        }
        if !kept { buffer.deallocate() }
    }
}
