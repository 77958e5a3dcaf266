import Foundation
import OSGCore
import OSGStore
import Testing

@Suite("The embedded database is private to its owner")
struct FilePermissionTests {
    @Test("the SQLite file and its WAL are 0600 once the store opens, even if they were world-readable")
    func sqliteFilesArePrivate() throws {
        let path = databasePath()
        _ = try SQLiteCommandLogStore(path: path)
        // Loosen them, as an older build or a copy might have left them, then open again.
        for file in [path, path + "-wal"] where FileManager.default.fileExists(atPath: file) {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        }
        _ = try SQLiteCommandLogStore(path: path)
        var checked = 0
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)
            #expect(mode.intValue & 0o777 == 0o600, "\(file) has mode \(String(mode.intValue, radix: 8))")
            checked += 1
        }
        #expect(checked >= 1)
    }
}
