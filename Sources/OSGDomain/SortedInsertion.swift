extension Array where Element: Comparable {
    /// Where `element` goes in this ascending array to keep it ascending: the first index whose
    /// element is greater (after any equal ones), found by binary search.
    public func upperBound(of element: Element) -> Int {
        var low = startIndex
        var high = endIndex
        while low < high {
            let middle = low + (high - low) / 2
            if element < self[middle] { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// The index of `element` in this ascending array of distinct elements, found by binary
    /// search, or `nil` when it is absent.
    @inlinable
    public func sortedIndex(of element: Element) -> Int? {
        var low = startIndex
        var high = endIndex
        while low < high {
            let middle = low + (high - low) / 2
            if self[middle] < element { low = middle + 1 } else { high = middle }
        }
        return low < endIndex && self[low] == element ? low : nil
    }

    /// Inserts `element` into this ascending array at its place (``upperBound(of:)``).
    public mutating func insertSorted(_ element: Element) {
        insert(element, at: upperBound(of: element))
    }
}
