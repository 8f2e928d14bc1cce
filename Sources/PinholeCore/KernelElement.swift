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
    /// nft keeps at most 127 bytes of an element comment (128 with its NUL).
    public static let maxElementCommentBytes = 127

    /// What `nft list set` shows as the element's comment:
    /// `pinholed 198.51.100.2:40000->203.0.113.10:21 lab`. The session, which
    /// a restart needs to adopt the element, comes first and always fits
    /// (at most 9 + 96 bytes); the service name, there for people, comes last
    /// and is the only part ever cut (two 39-character IPv6 addresses and a
    /// 32-byte name would make 138).
    public var elementComment: String {
        var text = "pinholed \(session) \(service)"
        while text.utf8.count > Pinhole.maxElementCommentBytes { text.removeLast() }  // whole characters
        return text
    }

    /// The control session an element comment names: the word that parses as
    /// one, wherever it is (before this format the session came last).
    public static func session(inElementComment comment: String) -> ConnectionKey? {
        let words = comment.split(separator: " ")
        guard words.first == "pinholed" else { return nil }
        return words.dropFirst().lazy.compactMap { ConnectionKey(parsing: $0) }.first
    }
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
