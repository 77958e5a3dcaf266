import Logging
import NIOCore
import NIOPosix
import OSGCore
import PostgresNIO

extension PostgresDatabase {
    /// The advisory-lock key of this database's schema: one writer per log.
    var writerLockKey: Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in ("openstargate.writer." + schema).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    /// Takes the single-writer lock of this log (a session advisory lock on a dedicated
    /// connection), held until ``shutdown()`` or until the process dies (PostgreSQL releases
    /// it when the connection drops). Two coordinators on one database can then never both
    /// write.
    ///
    /// - Parameter url: the database URL this database was connected with.
    /// - Throws: ``StoreError`` `io` when the lock is held by another process (another
    ///   coordinator is running on this database) or the server cannot be reached.
    public func acquireWriterLock(url: String) async throws(StoreError) {
        // The same TLS policy (sslmode) as the pool's connections.
        let configuration = try PostgresURL(url).connectionConfiguration()
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1, logger: logger).get()
        } catch {
            throw StoreError(.io, "cannot connect to PostgreSQL at \(Self.redacted(url)) for the writer lock: \(String(reflecting: error))")
        }
        var acquired = false
        do {
            let rows = try await connection.query("SELECT pg_try_advisory_lock(\(writerLockKey))", logger: logger)
            for try await (granted) in rows.decode(Bool.self) { acquired = granted }
        } catch {
            try? await connection.close()
            throw StoreError(.io, "cannot take the writer lock on PostgreSQL at \(Self.redacted(url)): \(String(reflecting: error))")
        }
        guard acquired else {
            try? await connection.close()
            throw StoreError(.io, "another coordinator is already writing to schema \(schema) of \(Self.redacted(url)) (it holds advisory lock \(writerLockKey)); stop it first, or give this one its own database")
        }
        let previous = writerLockConnection.withLock { held in
            defer { held = connection }
            return held
        }
        if let previous { try? await previous.close() }
    }
}
