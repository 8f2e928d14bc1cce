/// FTP text the fuzzer splices into segments: whole commands and replies,
/// pieces of them, and lines built around a chosen address and port.
enum FTPFragments {
    static let dictionary: [[UInt8]] = [
        "PASV\r\n", "EPSV\r\n", "EPSV ALL\r\n", "EPSV 2\r\n", "USER anonymous\r\n", "RETR f\r\n",
        "227 Entering Passive Mode (203,0,113,10,195,80).\r\n",
        "227 Entering Passive Mode (203,0,113,10,195,81).\r\n",
        "227 (203,0,113,10,4,0)\r\n", "227 (203,0,113,10,0,21)\r\n", "227 =203,0,113,11,195,80\r\n",
        "229 Entering Extended Passive Mode (|||50001|)\r\n", "229 (|||50001|)\r\n", "229 (|||1023|)\r\n",
        "PORT 198,51,100,2,195,80\r\n", "PORT 198,51,100,2,195,81\r\n", "PORT 198,51,100,200,195,80\r\n",
        "EPRT |1|198.51.100.2|50000|\r\n", "EPRT |2|2001:db8::2|50002|\r\n", "EPRT |1|203.0.113.10|50000|\r\n",
        "227-", "229-", "227-Entering\r\n", "227 ", "\r\n", "\n", "\r", "\0",
        "200 PORT command successful\r\n", "150 Opening data connection\r\n", "226 Transfer complete\r\n",
        "425 Can't open data connection\r\n", "500 Unknown command\r\n", "220 Welcome\r\n",
        "230 Logged in\r\n", "331 Password required\r\n",
        "227-Multi\r\n227 Entering Passive Mode (203,0,113,10,195,80).\r\n",
        String(repeating: "A", count: 520) + "\r\n",
    ].map { Array($0.utf8) }

    /// `227 Entering Passive Mode (a,b,c,d,h,l).` for an IPv4 address.
    static func passive(_ address: IPAddress, _ port: UInt16) -> [UInt8] {
        Array("227 Entering Passive Mode (\(commaAddress(address)),\(port >> 8),\(port & 0xff)).\r\n".utf8)
    }

    static func extendedPassive(_ port: UInt16) -> [UInt8] {
        Array("229 Entering Extended Passive Mode (|||\(port)|)\r\n".utf8)
    }

    static func port(_ address: IPAddress, _ port: UInt16) -> [UInt8] {
        Array("PORT \(commaAddress(address)),\(port >> 8),\(port & 0xff)\r\n".utf8)
    }

    static func extendedPort(_ address: IPAddress, _ port: UInt16) -> [UInt8] {
        Array("EPRT |\(address.family == .ipv4 ? 1 : 2)|\(address)|\(port)|\r\n".utf8)
    }

    /// `a,b,c,d`; an IPv6 address gives its last four bytes (a wrong-family forgery).
    private static func commaAddress(_ a: IPAddress) -> String {
        a.bytes.suffix(4).map(String.init).joined(separator: ",")
    }
}
