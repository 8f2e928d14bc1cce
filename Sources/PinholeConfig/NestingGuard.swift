/// Yams builds its node tree by recursion, a few stack frames per level: a
/// 10 KB file of `[` overflowed the stack (SIGSEGV in `pinholectl check`, and
/// in pinholed on start or on a SIGHUP reload). A policy needs four levels
/// (top > services > service > servers); the guard refuses a file whose
/// nesting passes `maxDepth` before Yams sees it.
///
/// It estimates, it does not parse YAML: flow brackets outside quotes and
/// comments, plus the block levels a line's indentation and leading `- ` / `? `
/// indicators open. A block level written as `key:` and then `- item` at the
/// same indentation is not counted, so the estimate can be up to half the real
/// depth: 64 still keeps Yams far below the thousands of levels that crashed.
/// It is a lexer's guess, not YAML's: a crafted file can hide levels from it
/// (a bracket inside a multi-line quoted string closes a level here), so
/// DeepStack sizes the parse's stack for such files too. This guard is
/// what gives the plain cases a message, and no stack to allocate.
enum NestingGuard {
    static let maxDepth = 64

    /// Where the estimate first passes `maxDepth`, 1-based, or nil.
    static func firstTooDeep(_ text: String) -> (line: Int, column: Int)? {
        var flow = 0
        var indents: [Int] = []
        var lineNumber = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let bytes = Array(line)
            var i = 0
            var block = indents.count
            if flow == 0 {
                while i < bytes.count, bytes[i] == space { i += 1 }
                guard i < bytes.count, bytes[i] != hash, bytes[i] != cr else { continue }
                while let last = indents.last, last >= i { indents.removeLast() }
                indents.append(i)
                block = indents.count
                // `- - x` and `? - x` open one level per indicator on a single line.
                while i < bytes.count, bytes[i] == dash || bytes[i] == question,
                      i + 1 == bytes.count || bytes[i + 1] == space {
                    block += 1
                    if block + flow > maxDepth { return (lineNumber, i + 1) }
                    i += 1
                    while i < bytes.count, bytes[i] == space { i += 1 }
                }
            }
            if block + flow > maxDepth { return (lineNumber, i + 1) }
            // Quotes end with their line here: a quoted scalar's later lines are
            // then scanned as structure (what this misjudges, DeepStack holds).
            var quote: UInt8? = nil
            var previous: UInt8 = space
            var quoteClosedAt = -2
            while i < bytes.count {
                let c = bytes[i]
                if let q = quote {
                    if q == doubleQuote, c == backslash {
                        i += 2
                        continue
                    }
                    if c == q {
                        if q == singleQuote, i + 1 < bytes.count, bytes[i + 1] == singleQuote {
                            i += 2
                            continue
                        }
                        quote = nil
                        quoteClosedAt = i
                    }
                } else if c == hash, previous == space || previous == tab {
                    break
                } else if c == singleQuote || c == doubleQuote,
                          startsScalar(previous) || (previous == colon && quoteClosedAt == i - 2) {
                    // (`{"a":"b"}`: right after a quoted key's `:` a value may be quoted.)
                    quote = c
                } else if c == openBracket || c == openBrace {
                    flow += 1
                    if block + flow > maxDepth { return (lineNumber, i + 1) }
                } else if c == closeBracket || c == closeBrace {
                    flow = max(0, flow - 1)
                }
                previous = c
                i += 1
            }
        }
        return nil
    }

    /// A quote opens a quoted scalar only where a scalar can begin: after a
    /// space, `[`, `{` or `,`. Inside a plain scalar (`don't`, `-'`, `a:'`) it is text.
    private static func startsScalar(_ previous: UInt8) -> Bool {
        [space, tab, comma, openBracket, openBrace].contains(previous)
    }

    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), cr = UInt8(ascii: "\r")
    private static let hash = UInt8(ascii: "#"), dash = UInt8(ascii: "-"), question = UInt8(ascii: "?")
    private static let colon = UInt8(ascii: ":"), comma = UInt8(ascii: ",")
    private static let singleQuote = UInt8(ascii: "'"), doubleQuote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    private static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    private static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
}
