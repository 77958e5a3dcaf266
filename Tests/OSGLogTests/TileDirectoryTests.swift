import Foundation
import Testing
@testable import OSGLog

@Suite("Tiles on disk")
struct TileDirectoryTests {
    @Test("tiles, bundles and checkpoint written to a directory read back to the same root and entries")
    func writeAndReadBack() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("osg-tiles-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let directory = TileDirectory(path: root.path)
        let entries = (0..<1_000).map { Array("command \($0)".utf8) }
        var tree = MerkleTree()
        for entry in entries.prefix(600) { tree.append(entry: entry) }
        let firstWrite = try directory.writeTiles(of: tree, size: tree.size) { entries[Int($0)] }
        #expect(firstWrite == 7)  // level 0: 2 full + .p/88, each with a bundle; level 1: .p/2

        for entry in entries.dropFirst(600) { tree.append(entry: entry) }
        try directory.writeTiles(of: tree, size: tree.size) { entries[Int($0)] }
        let signer = try NoteSignerKey(name: "osg.example/log", seed: Array(repeating: 9, count: 32))
        let checkpoint = try Checkpoint(origin: "osg.example/log", size: tree.size, rootHash: tree.rootHash())
        try directory.writeCheckpoint(SignedNote.sign(text: checkpoint.text, with: [signer]).formatted)

        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("tile/0/003.p/232").path))
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("tile/1/000.p/3").path))
        let note = try SignedNote(parsing: directory.readCheckpoint())
        #expect(note.verify(with: signer.verifierKey).isVerified)
        let published = try Checkpoint(parsing: note.text)
        let rebuilt = try TiledTree(treeSize: published.size) { try directory.readTile($0) }.rootHash()
        #expect(rebuilt == published.rootHash)
        #expect(try directory.readEntries(TileCoordinate(level: 0, index: 3, width: 232)) == Array(entries[768...]))
    }
}
