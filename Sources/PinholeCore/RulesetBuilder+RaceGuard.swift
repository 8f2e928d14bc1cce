/// The race guard's part of the table (DESIGN.md, "The race"): what a new
/// data connection that matched no pinhole meets in pinhole_check. Its own
/// source's rate limit, then everyone's in syn_guard, whose NFQUEUE holds it
/// for pinholed; past either limit, or without pinholed, it is dropped.
extension RulesetBuilder {
    /// The race guard's chain: pinhole_check jumps here before dropping. It is
    /// filled outside this script with an xt NFQUEUE rule (this kernel has no
    /// nft `queue`); until then, and whenever pinholed is gone, it is empty or
    /// queues to nobody, and the packet is dropped: fail closed.
    public static let synGuardChain = "syn_guard"

    /// Rate of SYNs the guard holds; beyond it they are dropped, so a scan of
    /// the data ports cannot flood the daemon.
    public static let synGuardRatePerSecond: UInt32 = 2000
    public static let synGuardBurst: UInt32 = 200

    /// Each source's share of that rate, half of it, so that one scanner
    /// cannot spend everyone's: raced SYNs from one address (an IPv6 /64)
    /// beyond it are dropped before the shared limit counts them. A client
    /// races a pinhole at most once per data connection; the benchmark's curl
    /// loop, ~300 transfers a second with most data SYNs raced, stays under it.
    static let sourceRatePerSecond = 1000
    static let sourceBurst = 200
    /// The per-source buckets: one element per recent source, gone a minute
    /// after its last raced SYN. When full (a scan from 65,536 sources), new
    /// sources are not tracked and only the shared limit applies.
    static func sourceSet(_ family: IPFamily) -> String { family == .ipv4 ? "syn_sources4" : "syn_sources6" }
    static let sourceSetSize = 65536
    static let sourceSetTimeout = "60s"

    /// The counters and per-source sets the guard's rules use.
    static func raceGuardObjects(_ table: String) -> String {
        var out = ""
        for counter in ownCounters { out += "add counter \(table) \(counter)\n" }
        for family in IPFamily.allCases {
            let type = family == .ipv4 ? "ipv4_addr" : "ipv6_addr"
            out += "add set \(table) \(sourceSet(family)) { type \(type); flags dynamic,timeout; "
                + "timeout \(sourceSetTimeout); size \(sourceSetSize); }\n"
        }
        return out
    }

    /// pinhole_check's rules after the pinhole lookups, in order.
    static func raceGuardRules() -> [String] {
        var rules: [String] = []
        for family in IPFamily.allCases {
            let source = family == .ipv4 ? "ip saddr" : "ip6 saddr & ffff:ffff:ffff:ffff::"
            rules.append("update @\(sourceSet(family)) { \(source) limit rate over \(sourceRatePerSecond)/second "
                + "burst \(sourceBurst) packets } counter name \"\(sourceLimitCounter)\" drop")
        }
        rules.append("jump \(synGuardChain)")
        rules.append("counter name \"\(unqueuedCounter)\" drop comment \"\(unqueuedDropComment)\"")
        return rules
    }

    /// The guard's drop counters: named objects, so they keep counting
    /// across a reload's chain flushes (a table rebuilt after `nft flush
    /// ruleset` starts them again). `unqueued` counts what passed its
    /// source's limit but not the shared one.
    static let unqueuedCounter = "syn_unqueued"
    static let sourceLimitCounter = "syn_source_limited"
    static let ownCounters = [unqueuedCounter, sourceLimitCounter]
    static let unqueuedDropComment = "no pinhole"

    /// What the race guard dropped without queueing, since pinholed's table
    /// was created.
    public struct UnqueuedDrops: Equatable, Sendable {
        /// Over either limit: every new data connection dropped unheld.
        public var total: UInt64
        /// Of those, over their source's own limit.
        public var overSourceLimit: UInt64
    }

    /// Reads them from `nft list counters table inet <table>`; nil if the
    /// listing lacks them (attach mode, no enforcing service).
    public static func unqueuedDrops(inCounterListing listing: String) -> UnqueuedDrops? {
        var packets: [String: UInt64] = [:]
        var current: String?
        for raw in listing.split(separator: "\n") {
            let words = raw.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.count == 3, words[0] == "counter", words[2] == "{" {
                current = String(words[1])
            } else if let name = current, words.count >= 2, words[0] == "packets" {
                packets[name] = UInt64(words[1])
                current = nil
            }
        }
        guard let shared = packets[unqueuedCounter], let perSource = packets[sourceLimitCounter] else { return nil }
        return UnqueuedDrops(total: shared + perSource, overSourceLimit: perSource)
    }
}
