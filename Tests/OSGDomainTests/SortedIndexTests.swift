import OSGDomain
import Testing

@Suite("Binary search in ascending arrays")
struct SortedIndexTests {
    @Test("every element is found at its index, and nothing else is found", arguments: 0..<20)
    func findsExactlyTheElements(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed) &* 7_919 &+ 11)
        let count = Int(random.next(below: 40))
        let elements = Array(Set((0..<count).map { _ in Int(random.next(below: 100)) * 2 })).sorted()
        for (index, element) in elements.enumerated() {
            #expect(elements.sortedIndex(of: element) == index, "seed \(seed): \(element)")
            #expect(elements.sortedIndex(of: element + 1) == nil, "seed \(seed): \(element + 1) is absent")
        }
        #expect(elements.sortedIndex(of: -1) == nil && elements.sortedIndex(of: 1_000) == nil, "seed \(seed)")
    }
}
