import CNetfilter

/// Runs nft scripts through libnftables (one `nft_ctx`, output and errors
/// captured in buffers). A script is one transaction: all of it or none.
public final class RulesetInstaller {
    private let ctx: OpaquePointer
    /// For `tableExists`.
    private let probe: NetlinkSocket

    public init() throws(NetfilterError) {
        // libnftables exit()s the whole process (status 3, "mnl.c: Unable to
        // initialize Netlink socket") when it cannot open its socket, as under
        // a RestrictAddressFamilies= without AF_NETLINK. Open ours first, so
        // that is an error pinholed reports and decides on.
        probe = try NetlinkSocket(purpose: "nftables")
        guard let c = nft_ctx_new(UInt32(NFT_CTX_DEFAULT)) else {
            throw NetfilterError(operation: "create nftables context", code: ENOMEM)
        }
        ctx = c
        guard nft_ctx_buffer_output(ctx) == 0, nft_ctx_buffer_error(ctx) == 0 else {
            nft_ctx_free(c)
            throw NetfilterError(operation: "buffer nftables output", code: ENOMEM)
        }
    }

    deinit { nft_ctx_free(ctx) }

    /// Runs an nft script atomically (`nft -f`); returns nft's output. On
    /// failure the error carries nft's own message (which names the line).
    @discardableResult
    public func run(_ script: String) throws(NetfilterError) -> String {
        let rc = nft_run_cmd_from_buffer(ctx, script)
        // Reading a buffer also resets it for the next command.
        let output = nft_ctx_get_output_buffer(ctx).map { String(cString: $0) } ?? ""
        let errors = nft_ctx_get_error_buffer(ctx).map { String(cString: $0) } ?? ""
        if rc != 0 {
            let firstLine = script.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            let detail = Self.compactErrors(errors)
            throw NetfilterError(operation: "nft script", code: 0, context: firstLine,
                                 detail: detail.isEmpty ? "failed" : detail)
        }
        return output
    }

    /// nft's error buffer on one line. nft prints each error as three lines:
    /// `[FILE:LINE:COLUMNS: ]Error: TEXT`, the failing command, then carets
    /// under the part of it at fault (a script run from a buffer has no
    /// location). Each error becomes `Error: TEXT [COMMAND] (columns A-B)`,
    /// the columns read off the carets; errors are joined by `; `. A line
    /// that does not fit that shape is kept as it is (joined by `; ` too).
    static func compactErrors(_ errors: String) -> String {
        let lines = errors.split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.last == "\r" ? $0.dropLast() : $0 }
            .filter { !$0.trimmingBlanks().isEmpty }
        func isCarets(_ l: Substring) -> Bool { l.allSatisfy { $0 == " " || $0 == "^" || $0 == "~" || $0 == "\t" } }
        func isMessage(_ l: Substring) -> Bool { l.contains("Error: ") || l.contains("Warning: ") }
        var out: [String] = []
        var i = 0
        while i < lines.count {
            let line = lines[i]
            if isCarets(line) {
                i += 1
                continue
            }
            guard isMessage(line), i + 1 < lines.count, !isMessage(lines[i + 1]), !isCarets(lines[i + 1]) else {
                out.append(line.trimmingBlanks())
                i += 1
                continue
            }
            var text = "\(line.trimmingBlanks()) [\(lines[i + 1].trimmingBlanks())]"
            i += 2
            if i < lines.count, isCarets(lines[i]) {
                let cols = Array(lines[i])
                if let first = cols.firstIndex(where: { $0 != " " && $0 != "\t" }),
                   let last = cols.lastIndex(where: { $0 != " " && $0 != "\t" }) {
                    text += first == last ? " (column \(first + 1))" : " (columns \(first + 1)-\(last + 1))"
                }
                i += 1
            }
            out.append(text)
        }
        return out.joined(separator: "; ")
    }

    /// `nft list table FAMILY NAME`; nil when the table does not exist.
    /// Quiet: a listing of our own table prints the xt NFQUEUE rule.
    public func listTable(family: String, name: String) throws(NetfilterError) -> String? {
        do {
            return try QuietStderr.during { () throws(NetfilterError) -> String in try run("list table \(family) \(name)") }
        } catch where error.detail?.contains("No such file or directory") == true {
            return nil
        }
    }

    /// One NFT_MSG_GETTABLE round trip. Cheap enough to run every few
    /// seconds, and unlike `list table` it does not make libxtables print
    /// about our xt NFQUEUE rule on stderr each time. Errors other than
    /// "no such table" count as present: only a sure absence triggers a restore.
    public func tableExists(family: String, name: String) -> Bool {
        guard let nfFamily = nfproto(ofFamily: family) else { return false }
        do {
            probe.setReceiveTimeout(milliseconds: 2000)
            let seq = probe.nextSequence()
            var b = NetlinkMessageBuilder(type: cnf_nfnl_msg_type(UInt16(NFNL_SUBSYS_NFTABLES), UInt16(NFT_MSG_GETTABLE.rawValue)),
                                          flags: UInt16(NLM_F_ACK), sequence: seq, family: UInt8(nfFamily), resourceID: 0)
            b.attribute(NFTA_TABLE_NAME.rawValue, Array(name.utf8) + [0])
            var buffer = [UInt8](repeating: 0, count: 8192)
            try probe.transact(b.finish(), sequence: seq, buffer: &buffer, operation: "look up table",
                               context: "table \(family) \(name)") { _ in }
            return true
        } catch where error.code == ENOENT {
            return false
        } catch {
            return true
        }
    }

    /// `nft delete table FAMILY NAME`.
    public func deleteTable(family: String, name: String) throws(NetfilterError) {
        try run("delete table \(family) \(name)")
    }
}

extension Substring {
    /// Without leading and trailing spaces, tabs and CRs.
    func trimmingBlanks() -> String {
        var s = self
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s = s.dropLast() }
        return String(s)
    }
}
