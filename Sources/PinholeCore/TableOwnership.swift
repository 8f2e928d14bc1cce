/// pinholed owns its table: it flushes and refills its chains on every start
/// and reload, and deletes the whole table on SIGTERM. A `table:` that names
/// a table of the host's own (Debian's /etc/nftables.conf has `inet filter`)
/// would take it over and then delete it, rules and all; such a table is
/// refused before anything is touched.
public enum TableOwnership {
    /// The chains, sets and counters pinholed's script creates (RulesetBuilder).
    static let ownChains = Set(RulesetBuilder.ownChains)
    static let ownSets = Set(IPFamily.allCases.map(Policy.ownSetName) + IPFamily.allCases.map(RulesetBuilder.sourceSet))
    static let ownCounters = Set(RulesetBuilder.ownCounters)

    /// The objects in an `nft list table` listing that pinholed did not
    /// create, as `chain input`, `set allowed`, `counter c`...
    public static func foreignObjects(inListing listing: String) -> [String] {
        var depth = 0
        var foreign: [String] = []
        for raw in listing.split(separator: "\n") {
            let line = raw.trimmingCharacters(inSet: " \t")
            // At depth 1 every line that opens a brace starts an object, even
            // one printed on one line (`counter c { packets 0 bytes 0 }`).
            if depth == 1, let brace = line.firstIndex(of: "{") {
                let words = line[..<brace].split(separator: " ").map(String.init)
                if let name = words.last, words.count >= 2 {
                    let kind = words.dropLast().joined(separator: " ")
                    let ours = (kind == "chain" && ownChains.contains(name)) || (kind == "set" && ownSets.contains(name))
                        || (kind == "counter" && ownCounters.contains(name))
                    if !ours { foreign.append("\(kind) \(name)") }
                }
            }
            depth += braceBalance(line)
        }
        return foreign
    }

    /// `{` minus `}` outside double-quoted text (comments may hold either).
    private static func braceBalance(_ line: String) -> Int {
        var balance = 0
        var quoted = false
        for c in line {
            switch c {
            case "\"": quoted.toggle()
            case "{" where !quoted: balance += 1
            case "}" where !quoted: balance -= 1
            default: break
            }
        }
        return balance
    }
}

extension Substring {
    fileprivate func trimmingCharacters(inSet set: String) -> String {
        let blanks = Set(set)
        return String(drop { blanks.contains($0) }.reversed().drop { blanks.contains($0) }.reversed())
    }
}
