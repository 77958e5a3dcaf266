import Yams

/// A job spec's document as ``SpecTreeWalker`` reads it: mappings, lists and scalars, each with
/// where it starts. Composed from YAML by Yams, or from plain JSON by ``JSONNodeComposer``.
indirect enum SpecNode {
    case scalar(Scalar)
    case mapping(Mapping)
    case sequence(Sequence)
    /// A YAML alias that was not resolved to its anchor's node.
    case alias(SpecMark?)

    /// A scalar's text and whether it was written plain (unquoted): `1` is a number and `null`
    /// is nothing only when plain.
    struct Scalar {
        var string: String
        var isPlain: Bool
        var mark: SpecMark?

        /// Whether the scalar is YAML's null (`~`, `null` or nothing, unquoted).
        var isNull: Bool {
            isPlain && (string.isEmpty || string == "~" || string == "null" || string == "Null" || string == "NULL")
        }
    }

    /// A mapping's entries in document order.
    struct Mapping: Swift.Sequence {
        var pairs: [(SpecNode, SpecNode)]
        var mark: SpecMark?
        func makeIterator() -> IndexingIterator<[(SpecNode, SpecNode)]> { pairs.makeIterator() }
    }

    /// A list's items in document order.
    struct Sequence: Swift.Sequence {
        var items: [SpecNode]
        var mark: SpecMark?
        func makeIterator() -> IndexingIterator<[SpecNode]> { items.makeIterator() }
    }

    /// Where the node starts.
    var mark: SpecMark? {
        switch self {
        case .scalar(let scalar): scalar.mark
        case .mapping(let mapping): mapping.mark
        case .sequence(let sequence): sequence.mark
        case .alias(let mark): mark
        }
    }

    /// The same document as Yams composed it.
    init(_ node: Node) {
        func mark(_ mark: Mark?) -> SpecMark? { mark.map { SpecMark(line: $0.line, column: $0.column) } }
        switch node {
        case .scalar(let scalar):
            self = .scalar(Scalar(string: scalar.string, isPlain: scalar.style == .plain, mark: mark(scalar.mark)))
        case .mapping(let mapping):
            self = .mapping(Mapping(pairs: mapping.map { (SpecNode($0.key), SpecNode($0.value)) }, mark: mark(mapping.mark)))
        case .sequence(let sequence):
            self = .sequence(Sequence(items: sequence.map(SpecNode.init), mark: mark(sequence.mark)))
        case .alias(let alias):
            self = .alias(mark(alias.mark))
        }
    }
}

/// A place in a document: line and column from 1, the column in Unicode scalars (as Yams
/// counts them).
struct SpecMark: Equatable {
    var line: Int
    var column: Int
}

extension Node.Scalar {
    /// Whether the scalar is YAML's null (`~`, `null` or nothing, unquoted).
    var isNull: Bool { SpecNode.Scalar(string: string, isPlain: style == .plain).isNull }
}
