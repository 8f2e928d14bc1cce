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
        out += Array(#"{"ok":true,"pinholes":["#.utf8)
        for (i, p) in pinholes.enumerated() {
            guard p.expires_in.isFinite else { return nil }
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(p, to: &out)
        }
        out += Array("]}".utf8)
        return out
    }

    /// One pinhole, keys in sorted order as `.sortedKeys` has them.
    private static func write(_ p: PinholeInfo, to out: inout [UInt8]) {
        key("created", first: true, &out); string(p.created, &out)
        key("expires_in", &out); number(p.expires_in, &out)
        key("family", &out); string(p.family.rawValue, &out)
        key("initiator", &out); string(p.initiator, &out)
        key("mode", &out); string(p.mode.rawValue, &out)
        key("port", &out); out += Array(String(p.port).utf8)
        key("responder", &out); string(p.responder, &out)
        key("service", &out); string(p.service, &out)
        key("session", &out)
        key("client", first: true, &out); string(p.session.client, &out)
        key("client_port", &out); out += Array(String(p.session.client_port).utf8)
        key("server", &out); string(p.session.server, &out)
        key("server_port", &out); out += Array(String(p.session.server_port).utf8)
        out += Array("}}".utf8)
    }

    /// `,"name":`, or `{"name":` opening an object.
    private static func key(_ name: String, first: Bool = false, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: first ? "{" : ","))
        string(name, &out)
        out.append(UInt8(ascii: ":"))
    }

    /// A JSON string as JSONEncoder escapes it: `"` and `\`, `/` as `\/`,
    /// the named control escapes, the other control characters as `\u00XX`;
    /// everything else as UTF-8.
    static func string(_ s: String, _ out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [0x5c, b]
            case UInt8(ascii: "\\"): out += [0x5c, b]
            case UInt8(ascii: "/"): out += [0x5c, b]
            case 0x08: out += [0x5c, UInt8(ascii: "b")]
            case 0x0c: out += [0x5c, UInt8(ascii: "f")]
            case 0x0a: out += [0x5c, UInt8(ascii: "n")]
            case 0x0d: out += [0x5c, UInt8(ascii: "r")]
            case 0x09: out += [0x5c, UInt8(ascii: "t")]
            case 0..<0x20: out += Array(#"\u00"#.utf8) + [hex[Int(b >> 4)], hex[Int(b & 0xf)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A finite number: whole ones without a fraction (`30`, as JSONEncoder
    /// writes them), others in Swift's shortest round-tripping form (`29.998`).
    static func number(_ d: Double, _ out: inout [UInt8]) {
        if d == d.rounded(), abs(d) < 1e15 {
            out += Array(String(Int64(d)).utf8)
        } else {
            out += Array(d.description.utf8)
        }
    }
}
