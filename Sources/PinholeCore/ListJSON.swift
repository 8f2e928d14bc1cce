/// `list`'s answer, written by hand. Foundation's JSONEncoder was 85% of a
/// list's cost: with 4,800 pinholes open, each `pinholectl list` held the
/// daemon's only thread (and with it the copies and the held SYNs) for
/// 60-120 ms. Byte for byte what JSONEncoder with `.sortedKeys` writes for
/// the values pinholed puts in a list (ListJSONTests); other answers are
/// small and keep JSONEncoder.
public enum ListJSON {
    /// `{"ok":true,"pinholes":[...]}`, without the line's newline; nil if a
    /// value has no JSON form (a non-finite `expires_in`), for the caller's
    /// own encoder to refuse as it refuses anything else.
    public static func response(_ pinholes: [PinholeInfo]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(64 + pinholes.count * 280)
        out += #"{"ok":true,"pinholes":["#.utf8
        for (i, p) in pinholes.enumerated() {
            guard p.expires_in.isFinite else { return nil }
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(p, to: &out)
        }
        out += "]}".utf8
        return out
    }

    /// One pinhole, keys in sorted order as `.sortedKeys` has them.
    private static func write(_ p: PinholeInfo, to out: inout [UInt8]) {
        out += Keys.created; string(p.created, &out)
        out += Keys.expiresIn; number(p.expires_in, &out)
        out += Keys.family; string(p.family.rawValue, &out)
        out += Keys.initiator; string(p.initiator, &out)
        out += Keys.mode; string(p.mode.rawValue, &out)
        out += Keys.port; out += String(p.port).utf8
        out += Keys.responder; string(p.responder, &out)
        out += Keys.service; string(p.service, &out)
        out += Keys.sessionClient; string(p.session.client, &out)
        out += Keys.clientPort; out += String(p.session.client_port).utf8
        out += Keys.server; string(p.session.server, &out)
        out += Keys.serverPort; out += String(p.session.server_port).utf8
        out += Keys.end
    }

    /// The text between the values, written once.
    private enum Keys {
        static let created = Array(#"{"created":"#.utf8)
        static let expiresIn = Array(#","expires_in":"#.utf8)
        static let family = Array(#","family":"#.utf8)
        static let initiator = Array(#","initiator":"#.utf8)
        static let mode = Array(#","mode":"#.utf8)
        static let port = Array(#","port":"#.utf8)
        static let responder = Array(#","responder":"#.utf8)
        static let service = Array(#","service":"#.utf8)
        static let sessionClient = Array(#","session":{"client":"#.utf8)
        static let clientPort = Array(#","client_port":"#.utf8)
        static let server = Array(#","server":"#.utf8)
        static let serverPort = Array(#","server_port":"#.utf8)
        static let end = Array("}}".utf8)
    }

    /// A JSON string as JSONEncoder escapes it: `"` and `\`, `/` as `\/`,
    /// the named control escapes, the other control characters as `\u00XX`;
    /// everything else as UTF-8. Addresses and times need none of it: they
    /// are copied whole.
    static func string(_ s: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "/") }) {
            escaped(s, &out)
        } else {
            out += s.utf8
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func escaped(_ s: String, _ out: inout [UInt8]) {
        func hex(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out += [0x5c, b]
            case 0x08: out += [0x5c, UInt8(ascii: "b")]
            case 0x0c: out += [0x5c, UInt8(ascii: "f")]
            case 0x0a: out += [0x5c, UInt8(ascii: "n")]
            case 0x0d: out += [0x5c, UInt8(ascii: "r")]
            case 0x09: out += [0x5c, UInt8(ascii: "t")]
            case 0..<0x20: out += [0x5c, UInt8(ascii: "u"), 0x30, 0x30, hex(b >> 4), hex(b & 0xf)]
            default: out.append(b)
            }
        }
    }

    /// A finite number: whole ones without a fraction (`30`, as JSONEncoder
    /// writes them), others in Swift's shortest round-tripping form (`29.998`).
    static func number(_ d: Double, _ out: inout [UInt8]) {
        if d == d.rounded(), abs(d) < 1e15 {
            out += String(Int64(d)).utf8
        } else {
            out += d.description.utf8
        }
    }
}
