import Crypto
import Foundation
import OSGDomain
import OSGServer
import Testing

/// The contents journal: many stores at once, each durable and readable back; a reopening finds
/// them all; a torn or corrupt tail (a write that never finished) is cut, and nothing before it
/// is lost.
@Suite("Contents journal: group commit, reopening, torn tails")
struct ContentsJournalTests {
    static func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("osg-contents-\(UInt64.random(in: 0...UInt64.max))")
    }

    static func record(_ seed: UInt64) -> (bytes: [UInt8], digest: String, owner: String) {
        var random = SplitMix64(seed: seed)
        let bytes = (0..<Int(random.next() % 2_000 + 1)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let owner = String(repeating: String(seed % 16, radix: 16), count: 64)
        return (bytes, Hex.encode(Array(SHA256.hash(data: bytes))), owner)
    }

    @Test("300 stores at once all come back, with their owners, after reopening too; a second store of the same contents adds nothing")
    func concurrentStoresAndReopen() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let journal = try ContentsJournal(folder: folder)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for seed in UInt64(1)...300 {
                group.addTask {
                    let record = Self.record(seed)
                    try await journal.store(record.bytes, digest: record.digest, owner: record.owner)
                }
            }
            try await group.waitForAll()
        }
        let size = try FileManager.default.attributesOfItem(atPath: journal.path)[.size] as? Int
        let again = Self.record(7)
        try await journal.store(again.bytes, digest: again.digest, owner: again.owner)
        #expect(try FileManager.default.attributesOfItem(atPath: journal.path)[.size] as? Int == size)
        let reopened = try ContentsJournal(folder: folder)
        for seed in UInt64(1)...300 {
            let record = Self.record(seed)
            for opened in [journal, reopened] {
                #expect(opened.read(record.digest) == record.bytes, "seed \(seed)")
                #expect(opened.owner(of: record.digest) == record.owner, "seed \(seed)")
                #expect(opened.size(of: record.digest) == Int64(record.bytes.count), "seed \(seed)")
            }
        }
        #expect(reopened.read(String(repeating: "0", count: 64)) == nil)
    }

    @Test("a torn last record and a corrupt one are cut at reopening; every record before them stays; the journal takes new ones after")
    func tornAndCorruptTails() async throws {
        for damage in ["torn", "corrupt", "garbage"] {
            let folder = Self.folder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let journal = try ContentsJournal(folder: folder)
            for seed in UInt64(1)...5 {
                let record = Self.record(seed)
                try await journal.store(record.bytes, digest: record.digest, owner: record.owner)
            }
            let intact = try #require(FileManager.default.attributesOfItem(atPath: journal.path)[.size] as? Int)
            let last = Self.record(6)
            try await journal.store(last.bytes, digest: last.digest, owner: last.owner)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: journal.path))
            switch damage {
            case "torn": bytes = bytes.prefix(intact + (bytes.count - intact) / 2)
            case "corrupt": bytes[intact + 10] ^= 0xFF
            default: bytes = bytes.prefix(intact) + Data([0, 0, 0, 9, 1, 2, 3])
            }
            try bytes.write(to: URL(fileURLWithPath: journal.path))
            let reopened = try ContentsJournal(folder: folder)
            for seed in UInt64(1)...5 {
                #expect(reopened.read(Self.record(seed).digest) == Self.record(seed).bytes, "\(damage): seed \(seed)")
            }
            #expect(reopened.read(last.digest) == nil, "\(damage)")
            #expect(try FileManager.default.attributesOfItem(atPath: reopened.path)[.size] as? Int == intact, "\(damage): the tail is cut")
            try await reopened.store(last.bytes, digest: last.digest, owner: last.owner)
            #expect(try ContentsJournal(folder: folder).read(last.digest) == last.bytes, "\(damage)")
        }
    }

    @Test("contents over 1 MiB are refused with a clear error")
    func tooLarge() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let journal = try ContentsJournal(folder: folder)
        let bytes = [UInt8](repeating: 1, count: ContentsJournal.maxContentsBytes + 1)
        await #expect(throws: BlobError.self) {
            try await journal.store(bytes, digest: Hex.encode(Array(SHA256.hash(data: bytes))), owner: "a")
        }
    }
}
