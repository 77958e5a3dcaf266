import Testing
@testable import OSGTransparency

@Suite("Published log layout")
struct LogLayoutTests {
    @Test("the checkpoint sits at the C2SP path, beside our own files")
    func paths() {
        #expect(LogLayout.checkpoint == "checkpoint")
        #expect(Set([LogLayout.genesis, LogLayout.state(treeSize: 7), LogLayout.verifierKey]).count == 3)
        #expect(LogLayout.state(treeSize: 1_000) == "state/1000.json")
    }
}
