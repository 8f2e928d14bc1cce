/// A pinhole set element as a dump shows it.
public struct KernelElement: Sendable, Equatable {
    public var key: PinholeKey
    /// Milliseconds until the kernel drops it; nil if the set has no timeouts.
    public var expiresInMs: UInt64?
    /// The element's comment (nft's userdata): pinholed writes the owning
    /// session there, so a restart adopts exactly its own pinholes.
    public var comment: String?

    public init(key: PinholeKey, expiresInMs: UInt64?, comment: String? = nil) {
        self.key = key
        self.expiresInMs = expiresInMs
        self.comment = comment
    }
}

extension Pinhole {
    /// What `nft list set` shows as the element's comment:
    /// `pinholed lab 198.51.100.2:40000->203.0.113.10:21`.
    public var elementComment: String { "pinholed \(service) \(session)" }
}

extension ConnectionKey {
    /// Parses `description` back: `a.b.c.d:p->e.f.g.h:q` or `[v6]:p->[v6]:q`.
    public init?(parsing text: Substring) {
        let sides = text.split(separator: "->", omittingEmptySubsequences: false)
        guard sides.count == 2, let c = ConnectionKey.endpoint(sides[0]), let s = ConnectionKey.endpoint(sides[1]),
              c.0.family == s.0.family else { return nil }
        self.init(client: c.0, clientPort: c.1, server: s.0, serverPort: s.1)
    }

    private static func endpoint(_ text: Substring) -> (IPAddress, UInt16)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        let portText = text[text.index(after: colon)...]
        guard portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = UInt16(portText), let addr = IPAddress(String(host)) else { return nil }
        return (addr, port)
    }
}
