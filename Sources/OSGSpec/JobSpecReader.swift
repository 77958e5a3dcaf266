import OSGDomain
import Yams

/// Reads a job spec from YAML or JSON text and reports every problem with its field, line
/// and column.
///
/// JSON is read as YAML 1.2 (JSON is a subset of its flow style), so both forms get the same
/// checks and the same precise locations; plain JSON takes a shortcut past libyaml to the same
/// tree (``JSONNodeComposer``).
///
/// ```swift
/// let result = JobSpecReader.read(yaml, now: now)
/// if result.problems.isEmpty { submit(result.spec!) }
/// ```
public enum JobSpecReader {
    /// The outcome of reading a spec: the spec when it is valid, and every problem found.
    public struct Result: Sendable {
        /// The spec, present only when there are no problems.
        public var spec: JobSpec?
        /// Problems in source order; empty when the spec is valid.
        public var problems: [SpecProblem]
    }

    /// Reads and validates `text` against the rules of DESIGN.md §3 at time `now`.
    public static func read(_ text: String, now: Timestamp) -> Result {
        let node: Node?
        // JSON in the subset on which both agree, without libyaml; YAML fails its first token.
        if let composed = JSONNodeComposer.compose(text) { return read(composed, now: now) }
        do {
            // An explicit encoding: Yams' default reads the process environment on every parse,
            // which costs more than parsing a small spec (it matters on the coordinator's submit path).
            node = try Yams.compose(yaml: text, .default, .default, .utf8)
        } catch let error as YamlError {
            return Result(spec: nil, problems: [syntaxProblem(error)])
        } catch {
            return Result(spec: nil, problems: [SpecProblem(.syntax, field: "", "cannot parse: \(error)")])
        }
        guard let node else {
            return Result(spec: nil, problems: [SpecProblem(.missingField, field: "", "the spec is empty", line: 1, column: 1)])
        }
        return read(SpecNode(node), now: now)
    }

    /// Reads and validates an already parsed node (for specs embedded in other documents,
    /// such as the orders of a market snapshot).
    public static func read(_ node: Node, now: Timestamp) -> Result {
        read(SpecNode(node), now: now)
    }

    static func read(_ node: SpecNode, now: Timestamp) -> Result {
        // A valid spec needs no locations: one walk without them settles it.
        var quick = SpecTreeWalker()
        quick.recordsMarks = false
        if let draft = quick.readSpec(node), quick.problems.isEmpty, draft.problems(now: now).isEmpty {
            return Result(spec: draft, problems: [])
        }
        // Problems: walk again, remembering where each field is, to locate them.
        var walker = SpecTreeWalker()
        let draft = walker.readSpec(node)
        var problems = walker.problems
        if let draft {
            for var problem in draft.problems(now: now) where !Self.involvesFailedField(problem, walker) {
                let mark = walker.mark(for: problem.field)
                problem.line = mark?.line
                problem.column = mark?.column
                problems.append(problem)
            }
        }
        problems.sort { ($0.line ?? Int.max, $0.column ?? 0) < ($1.line ?? Int.max, $1.column ?? 0) }
        return Result(spec: problems.isEmpty ? draft : nil, problems: problems)
    }

    /// Fields whose values a rule on `field` also reads.
    static let ruleInputs: [String: [String]] = [
        "max_duration": ["duration"],
        "deadline": ["duration"],
        "carbon.shift": ["deadline"],
        "image": ["command"],
        "resources.gpu.vram_gib": ["resources.gpu.model"],
    ]

    /// Whether a rule's verdict rests on a field that could not be read (and so stood in
    /// with a placeholder).
    static func involvesFailedField(_ problem: SpecProblem, _ walker: SpecTreeWalker) -> Bool {
        ([problem.field] + (ruleInputs[problem.field] ?? [])).contains { walker.failed($0) }
    }

    static func syntaxProblem(_ error: YamlError) -> SpecProblem {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let detail = context.map { "\(problem) \($0.text)" } ?? problem
            return SpecProblem(.syntax, field: "", "not valid YAML or JSON: \(detail)", line: mark.line, column: mark.column)
        case let .duplicatedKeysInMapping(duplicates, context):
            return SpecProblem(
                .duplicateField, field: duplicates.joined(separator: ", "),
                "appears more than once in one mapping; keep one", line: context.mark.line, column: context.mark.column)
        case let .reader(problem, offset, value, yaml):
            // A byte the reader refuses (a control character, invalid UTF-8): located by its offset.
            let (line, column) = position(ofByte: offset ?? 0, in: yaml)
            return SpecProblem(.syntax, field: "", "not valid YAML or JSON: \(problem) (character 0x\(String(value, radix: 16)))",
                               line: line, column: column)
        default:
            return SpecProblem(.syntax, field: "", "not valid YAML or JSON: \(error)")
        }
    }

    /// The line and column (from 1; counted as the YAML scanner counts: a line ends at CR LF,
    /// CR, LF, NEL, LS or PS, and the column is in Unicode scalars) of the byte at `offset` in
    /// the UTF-8 form of `text`.
    static func position(ofByte offset: Int, in text: String) -> (line: Int, column: Int) {
        let before = String(decoding: text.utf8.prefix(max(0, offset)), as: UTF8.self).unicodeScalars
        var line = 1
        var column = 1
        var previous: Unicode.Scalar?
        for scalar in before {
            switch scalar {
            case "\n" where previous == "\r":
                break  // CR LF: one line break, counted at the CR
            case "\r", "\n", "\u{85}", "\u{2028}", "\u{2029}":
                line += 1
                column = 1
            default:
                column += 1
            }
            previous = scalar
        }
        return (line, column)
    }
}
