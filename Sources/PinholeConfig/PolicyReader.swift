import Yams

/// Walks the composed YAML tree and collects every problem instead of
/// stopping at the first, so `pinholectl check` can report them all.
final class PolicyReader {
    let file: String
    /// What is wrong with a `socket_group` on this host (nil: nothing), or
    /// nil to check its spelling only, as `PolicyLoader.parse` does.
    let groupProblem: (@Sendable (String) -> String?)?
    private(set) var diagnostics: [PolicyDiagnostic] = []

    init(file: String, groupProblem: (@Sendable (String) -> String?)? = nil) {
        self.file = file
        self.groupProblem = groupProblem
    }

    func error(at mark: Mark?, _ message: String) {
        diagnostics.append(PolicyDiagnostic(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message))
    }

    func error(_ node: Node, _ message: String) { error(at: node.mark, message) }

    /// The keys of one YAML mapping, first occurrence of each.
    struct Fields {
        let node: Node
        let path: String
        private(set) var entries: [String: (key: Node, value: Node)] = [:]

        init(node: Node, path: String) {
            self.node = node
            self.path = path
        }

        subscript(_ name: String) -> Node? { entries[name]?.value }
        func key(_ name: String) -> Node? { entries[name]?.key }
        /// `path.name`, the way messages name a value.
        func path(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

        fileprivate mutating func set(_ name: String, key: Node, value: Node) { entries[name] = (key, value) }
    }

    /// Checks that `node` is a mapping with only `allowed` keys, each once.
    /// Unknown and duplicate keys are reported; the known ones are returned.
    func mapping(_ node: Node, path: String, allowed: [String], what: String) -> Fields? {
        guard case .mapping(let mapping) = node else {
            error(node, "\(path.isEmpty ? "the policy" : path): expected \(what) (a mapping of keys), found \(describe(node))")
            return nil
        }
        var fields = Fields(node: node, path: path)
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                error(key, "\(path.isEmpty ? "top level" : path): a key must be a plain word, found \(describe(key))")
                continue
            }
            let name = scalar.string
            if let first = fields.key(name) {
                error(key, "\(fields.path(name)): duplicate key; it is already given at line \(first.mark?.line ?? 0)")
                continue
            }
            guard allowed.contains(name) else {
                let keys = "keys\(path.isEmpty ? "" : " in \(path)"): \(allowed.joined(separator: ", "))"
                let message = KeySuggestion.closest(to: name, in: allowed).map { "did you mean \"\($0)\"? Allowed \(keys)" }
                    ?? "allowed \(keys)"
                error(key, "\(fields.path(name)): unknown key; \(message)")
                continue
            }
            fields.set(name, key: key, value: value)
        }
        return fields
    }

    /// A list, or nil (reported) when `node` is anything else.
    func sequence(_ node: Node, path: String, what: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            error(node, "\(path): expected \(what), found \(describe(node))")
            return nil
        }
        return Array(sequence)
    }

    /// How a value reads in a message: `"text"`, `a list`, `a mapping`, `nothing`.
    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if node.null != nil, scalar.style == .plain || scalar.style == .any { return "nothing" }
            return "\"\(scalar.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }
}

/// "Did you mean ...?" for mistyped keys.
enum KeySuggestion {
    /// The allowed key nearest to `word` by edit distance, when it is close
    /// enough to be a likely typo.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(Array(word.lowercased()), Array($0))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let tolerance = max(1, min(3, best.0.count / 3))
        return best.1 <= tolerance ? best.0 : nil
    }

    /// Edit distance where swapping two neighbouring letters counts one
    /// (optimal string alignment): "tabel" is one typo from "table".
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var beforePrevious: [Int] = []
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            beforePrevious = previous
            previous = current
        }
        return previous[b.count]
    }
}
