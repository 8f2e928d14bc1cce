#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PinholeCore
import Yams

/// Reads and validates policy files. Every problem is reported, each as
/// `FILE:LINE:COLUMN: error: MESSAGE`, so one `pinholectl check` run shows them all.
public enum PolicyLoader {
    /// Reads, parses and checks `path`; `socket_group` must name a group of
    /// this host (`groupProblem`, by default the host's group database).
    public static func load(path: String, groupProblem: @escaping @Sendable (String) -> String? = HostGroups.problem)
        -> Result<LoadedPolicy, PolicyErrors> {
        let bytes: [UInt8]
        switch readFile(path) {
        case .success(let b): bytes = b
        case .failure(let reason): return .failure(single(path, "cannot read the policy file: \(reason)"))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(single(path, "the policy file is not valid UTF-8"))
        }
        return parse(text, file: path, groupProblem: groupProblem)
            .map { LoadedPolicy(policy: $0, path: path, sha256: Sha256.hex(bytes)) }
    }

    /// The policy in `text`. `groupProblem` checks `socket_group` against the
    /// host (`load` passes `HostGroups.problem`); without it only its spelling.
    public static func parse(_ text: String, file: String,
                             groupProblem: (@Sendable (String) -> String?)? = nil) -> Result<Policy, PolicyErrors> {
        // A UTF-8 byte-order mark (some Windows editors write one) is not YAML
        // to Yams, which then fails at the second top-level key.
        let text = text.unicodeScalars.first == "\u{FEFF}" ? String(text.unicodeScalars.dropFirst()) : text
        if let deep = NestingGuard.firstTooDeep(text) {
            return .failure(single(file, "nested deeper than \(NestingGuard.maxDepth) levels; a policy needs 4 (services > service > servers)",
                                   line: deep.line, column: deep.column))
        }
        let levels = DeepStack.maxDepth(text)
        guard levels <= DeepStack.maxLevels else {
            return .failure(single(file, "the file could nest \(levels) levels deep (its [, {, and -, ?, : indicators); at most \(DeepStack.maxLevels)"))
        }
        var result: Result<Policy, PolicyErrors>?
        let rc = DeepStack.run(levels: levels) { result = composeAndRead(text, file: file, groupProblem: groupProblem) }
        guard rc == 0, let result else {
            return .failure(single(file, "cannot parse the policy file: no thread to parse it on: \(String(cString: strerror(rc)))"))
        }
        return result
    }

    /// Yams' node tree is built and released here, on DeepStack's thread.
    private static func composeAndRead(_ text: String, file: String,
                                       groupProblem: (@Sendable (String) -> String?)?) -> Result<Policy, PolicyErrors> {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            return .failure(PolicyErrors(diagnostics: [syntaxDiagnostic(error, file: file)]))
        } catch {
            return .failure(single(file, "YAML syntax: \(error)"))
        }
        guard let root else {
            return .failure(single(file, "the policy file is empty; it needs at least \"services:\" (a list; [] opens nothing)"))
        }
        let reader = PolicyReader(file: file, groupProblem: groupProblem)
        let policy = reader.readPolicy(root)
        let diagnostics = reader.diagnostics.enumerated()
            .sorted { ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset) }
            .map(\.element)
        if let policy, diagnostics.isEmpty { return .success(policy) }
        return .failure(PolicyErrors(diagnostics: diagnostics))
    }

    private static func single(_ file: String, _ message: String, line: Int = 1, column: Int = 1) -> PolicyErrors {
        PolicyErrors(diagnostics: [PolicyDiagnostic(file: file, line: line, column: column, message: message)])
    }

    private static func syntaxDiagnostic(_ error: YamlError, file: String) -> PolicyDiagnostic {
        func make(_ mark: Mark, _ context: YamlError.Context?, _ problem: String) -> PolicyDiagnostic {
            let where_ = context.map { "\($0.text) at line \($0.mark.line), column \($0.mark.column), " } ?? ""
            return PolicyDiagnostic(file: file, line: mark.line, column: mark.column, message: "YAML syntax: \(where_)\(problem)")
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return make(mark, context, problem)
        case let .reader(problem, offset, value, yaml):
            // A byte the YAML reader refuses (a control character, say): its
            // own description spans lines; the position is a character offset.
            let (line, column) = offset.map { lineAndColumn(ofCharacter: $0, in: yaml) } ?? (1, 1)
            let code = value >= 0 ? " (U+\(String(UInt32(value), radix: 16, uppercase: true).leftPadded(to: 4)))" : ""
            return PolicyDiagnostic(file: file, line: line, column: column, message: "YAML syntax: \(problem)\(code)")
        default:
            return PolicyDiagnostic(file: file, line: 1, column: 1, message: "YAML syntax: \(error)")
        }
    }

    /// 1-based line and column of the character `offset` characters into `text`.
    static func lineAndColumn(ofCharacter offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for c in text.prefix(offset) {
            if c == "\n" || c == "\r\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    /// The whole file, or the OS's reason it cannot be read. Only a regular
    /// file: opening a FIFO would block until someone writes to it, and
    /// pinholed's only thread (on SIGHUP) with it.
    private static func readFile(_ path: String) -> Result<[UInt8], OSReason> {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .failure(OSReason.current()) }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(OSReason.current()) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return .failure(OSReason(text: "it is \(FileKind.name(of: info.st_mode)), not a regular file"))
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(OSReason.current())
            }
            if n == 0 { return .success(bytes) }
            bytes += chunk[..<n]
            if bytes.count > PolicyDefaults.maxPolicyFileBytes {
                return .failure(OSReason(text: "larger than \(PolicyDefaults.maxPolicyFileBytes) bytes, the limit for a policy file"))
            }
        }
    }
}

/// `strerror(errno)` captured at once, before another call changes errno.
struct OSReason: Error, CustomStringConvertible {
    var text: String
    static func current() -> OSReason { OSReason(text: String(cString: strerror(errno))) }
    var description: String { text }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
