/// A client command line, as far as pinholes are concerned.
public enum FTPCommand: Sendable, Equatable {
    /// "PASV"
    case pasv
    /// "EPSV", "EPSV 1", "EPSV 2" (case-insensitive verb)
    case epsv
    /// "EPSV ALL"
    case epsvAll
    /// "PORT h1,h2,h3,h4,p1,p2"
    case port(IPAddress, UInt16)
    /// "EPRT |1|198.51.100.2|6275|" or "EPRT |2|2001:db8::2|5282|"
    case eprt(IPAddress, UInt16)
    /// RETR, STOR, STOU, APPE, LIST, NLST or MLSD: a command that uses the
    /// data connection the last PORT/EPRT or PASV/EPSV set up.
    case transfer
    /// Any other command (USER, CWD, QUIT, ..., or junk): never opens anything.
    case other
    /// A PORT/EPRT/PASV/EPSV line that is not strictly valid (.malformed), or any line
    /// with a NUL byte (.nulByte).
    case malformed(Refusal)

    private static let space: UInt8 = 0x20

    /// Parses one line without its CRLF. Verbs are case-insensitive; the verb and its
    /// argument are separated by exactly one space, and nothing may trail the argument.
    public static func parse(_ line: [UInt8]) -> FTPCommand {
        if line.contains(0) { return .malformed(.nulByte) }
        let verbEnd = line.firstIndex(of: space) ?? line.endIndex
        let verb = line[..<verbEnd]
        let argument: ArraySlice<UInt8>? = verbEnd < line.endIndex ? line[(verbEnd + 1)...] : nil

        if FTPNumbers.equalsIgnoringCase(verb, "PASV") {
            return argument == nil ? .pasv : .malformed(.malformed)
        }
        if FTPNumbers.equalsIgnoringCase(verb, "EPSV") {
            guard let argument else { return .epsv }
            if argument.elementsEqual("1".utf8) || argument.elementsEqual("2".utf8) { return .epsv }
            if FTPNumbers.equalsIgnoringCase(argument, "ALL") { return .epsvAll }
            return .malformed(.malformed)
        }
        if FTPNumbers.equalsIgnoringCase(verb, "PORT") {
            guard let argument, let (address, port) = FTPNumbers.hostPort(argument) else {
                return .malformed(.malformed)
            }
            return .port(address, port)
        }
        if FTPNumbers.equalsIgnoringCase(verb, "EPRT") {
            guard let argument, let (address, port) = parseEPRT(argument) else { return .malformed(.malformed) }
            return .eprt(address, port)
        }
        if transferVerbs.contains(where: { FTPNumbers.equalsIgnoringCase(verb, $0) }) { return .transfer }
        return .other
    }

    static let transferVerbs = ["RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD"]

    /// RFC 2428: <d><af><d><address><d><port><d>, af 1 (IPv4) or 2 (IPv6), the address
    /// strictly of that family.
    private static func parseEPRT(_ argument: ArraySlice<UInt8>) -> (IPAddress, UInt16)? {
        guard let fields = FTPNumbers.delimitedFields(argument, count: 3) else { return nil }
        let family: IPFamily
        switch Array(fields[0]) {
        case [0x31]: family = .ipv4
        case [0x32]: family = .ipv6
        default: return nil
        }
        // Address text is hex digits, dots and colons; refuse anything else before
        // building a String (no zone ids, no non-ASCII).
        let addressText = fields[1]
        guard !addressText.isEmpty, addressText.count <= 45,
              addressText.allSatisfy({ isAddressCharacter($0) }),
              let address = IPAddress(String(decoding: addressText, as: UTF8.self)),
              address.family == family,
              let port = FTPNumbers.port(fields[2])
        else { return nil }
        return (address, port)
    }

    private static func isAddressCharacter(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x46, 0x61...0x66, 0x2e, 0x3a: return true
        default: return false
        }
    }
}
