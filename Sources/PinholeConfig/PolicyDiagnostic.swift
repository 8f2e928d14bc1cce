import PinholeCore

/// One problem in a policy file, printed the way compilers print errors so
/// that editors can jump to it.
public struct PolicyDiagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based.
    public var line: Int
    /// 1-based, counted in Unicode scalars (as libyaml does).
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// One line, whatever the message echoes from the file (a value with a
    /// newline in it): control characters are escaped (`\n`, `\xNN`).
    public var description: String {
        "\(file.escapingControlCharacters()):\(line):\(column): error: \(message.escapingControlCharacters())"
    }
}

/// Every problem found in one policy file, in file order.
public struct PolicyErrors: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [PolicyDiagnostic]

    public init(diagnostics: [PolicyDiagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// A policy read from disk, with what identifies the file it came from.
public struct LoadedPolicy: Sendable {
    public var policy: Policy
    public var path: String
    /// Lowercase hex SHA-256 of the file's bytes.
    public var sha256: String

    public init(policy: Policy, path: String, sha256: String) {
        self.policy = policy
        self.path = path
        self.sha256 = sha256
    }
}
