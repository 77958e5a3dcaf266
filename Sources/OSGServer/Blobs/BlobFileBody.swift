import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import OSGRequestBodies

/// A response body that streams a byte range of a blob file, reading the next piece while the
/// one before it is sent (so the disk and the network work at the same time), with the kernel
/// told the file is read sequentially.
///
/// Reads run on NIO's blocking thread pool, never on the cooperative pool. A file that ends
/// before the range does (it was cut under the store) ends the response early; the client
/// sees a short body and its checks refuse it.
enum BlobFileBody {
    /// Bytes read per piece.
    static let pieceBytes = 4 << 20

    static func body(path: String, range: ClosedRange<Int64>, threadPool: NIOThreadPool = .singleton) -> ResponseBody {
        ResponseBody(contentLength: Int(range.upperBound - range.lowerBound + 1)) { writer in
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw BlobError.storage(errno: errno, "cannot open the blob") }
            defer { close(descriptor) }
            _ = posix_fadvise(descriptor, off_t(range.lowerBound), off_t(range.upperBound - range.lowerBound + 1), POSIX_FADV_SEQUENTIAL)
            let end = range.upperBound + 1
            func read(at offset: Int64) -> Task<ByteBuffer, any Error> {
                Task {
                    try await threadPool.runIfActive {
                        try Self.readPiece(descriptor, at: offset, count: Int(min(Int64(pieceBytes), end - offset)))
                    }
                }
            }
            var offset = range.lowerBound
            var next: Task<ByteBuffer, any Error>? = read(at: offset)
            do {
                while let piece = next {
                    let buffer = try await piece.value
                    offset += Int64(buffer.readableBytes)
                    next = offset < end ? read(at: offset) : nil
                    try await writer.write(buffer)
                }
            } catch {
                // A read under way ends before its descriptor closes.
                _ = try? await next?.value
                throw error
            }
            try await writer.finish(nil)
        }
    }

    /// `count` bytes of the file at `offset`, fewer only where the file ends.
    private static func readPiece(_ descriptor: Int32, at offset: Int64, count: Int) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        var done = 0
        while done < count {
            let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - done) { space -> Int in
                while true {
                    let got = pread(descriptor, space.baseAddress!, count - done, off_t(offset) + off_t(done))
                    if got < 0 && errno == EINTR { continue }
                    guard got >= 0 else { throw BlobError.storage(errno: errno, "cannot read the blob") }
                    return got
                }
            }
            if got == 0 { break }
            done += got
        }
        guard done > 0 else { throw BlobError.storage(errno: EIO, "the blob ended before the range") }
        return buffer
    }
}
