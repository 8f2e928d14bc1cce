import Foundation
import PinholeCore

/// What pinholectl prints: aligned text for people, JSON for scripts.
enum Formatting {
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "null\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// `list --json`: always one array; `[]` when empty (Foundation would print "[\n\n]").
    /// `expires_in` is clamped at 0 like the table's EXPIRES: this pinholed never
    /// sends less, but the contract says seconds left, and scripts should not see -0.2.
    static func jsonList(_ pinholes: [PinholeInfo]) -> String {
        let clamped = pinholes.map { p in
            var p = p
            p.expires_in = max(0, p.expires_in)
            return p
        }
        return clamped.isEmpty ? "[]\n" : json(clamped)
    }

    static func table(_ pinholes: [PinholeInfo]) -> String {
        guard !pinholes.isEmpty else { return "no open pinholes\n" }
        let header = ["SERVICE", "MODE", "FAMILY", "INITIATOR", "RESPONDER", "PORT", "EXPIRES", "SESSION"]
        let rows = pinholes.map { p in
            [p.service, p.mode.rawValue, p.family.rawValue, p.initiator, p.responder, String(p.port),
             seconds(p.expires_in),
             "\(endpoint(p.session.client, p.session.client_port)) -> \(endpoint(p.session.server, p.session.server_port))"]
        }
        return aligned([header] + rows)
    }

    static func status(_ s: StatusInfo) -> String {
        var lines: [[String]] = [
            ["version", s.version],
            ["uptime", "\(duration(s.uptime_seconds)) (\(Int(s.uptime_seconds)) s)"],
            ["policy", s.policy_file],
            ["policy_sha256", s.policy_sha256],
            ["sessions", String(s.sessions)],
        ]
        if let n = s.sessions_evicted { lines.append(["sessions_evicted", String(n)]) }
        lines += [
            ["pinholes_open", String(s.pinholes_open)],
            ["pinholes_opened", String(s.pinholes_opened)],
            ["pinholes_used", String(s.pinholes_used)],
            ["pinholes_expired", String(s.pinholes_expired)],
            ["pinholes_closed_with_session", String(s.pinholes_closed_with_session)],
            ["pinholes_flushed", String(s.pinholes_flushed)],
            ["resyncs", String(s.resyncs)],
            ["syns_held", String(s.syns_held)],
            ["syns_accepted", String(s.syns_accepted)],
            ["syns_dropped", String(s.syns_dropped)],
        ]
        if let n = s.syns_dropped_unqueued { lines.append(["syns_dropped_unqueued", String(n)]) }
        if let n = s.syns_dropped_source_limit { lines.append(["syns_dropped_source_limit", String(n)]) }
        if let n = s.pinholes_refreshed { lines.append(["pinholes_refreshed", String(n)]) }
        if let closed = s.pinholes_closed { lines += breakdown("pinholes_closed", closed) }
        if let n = s.copy_looks { lines.append(["copy_looks", String(n)]) }
        if let n = s.copy_looks_found { lines.append(["copy_looks_found", String(n)]) }
        lines += breakdown("refused", s.refused)
        return aligned(lines)
    }

    /// `NAME total`, then `NAME.reason count` for each reason that counted.
    private static func breakdown(_ name: String, _ counts: [String: UInt64]) -> [[String]] {
        let nonzero = counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        let total = nonzero.reduce(0) { $0 + $1.value }
        return [[name, String(total)]] + nonzero.map { ["\(name).\($0.key)", String($0.value)] }
    }

    static func flushed(_ count: Int, service: String?) -> String {
        "closed \(count) pinhole\(count == 1 ? "" : "s")\(service.map { " of service \($0)" } ?? "")\n"
    }

    /// Columns padded to their widest cell, two spaces apart; the last is not padded.
    static func aligned(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in
                c == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    static func endpoint(_ address: String, _ port: UInt16) -> String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    static func seconds(_ value: Double) -> String {
        String(format: "%.1fs", max(0, value))
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(max(0, seconds))
        let (d, h, m, s) = (total / 86400, total / 3600 % 24, total / 60 % 60, total % 60)
        if d > 0 { return "\(d)d \(h)h \(m)m" }
        if h > 0 { return "\(h)h \(m)m \(s)s" }
        if m > 0 { return "\(m)m \(s)s" }
        return "\(s)s"
    }
}
