import XCTest
@testable import PinholeCore

final class FTPCommandTests: XCTestCase {
    typealias F = CoreFixtures

    private func check(_ table: [(String, FTPCommand)], file: StaticString = #filePath, line: UInt = #line) {
        for (text, expected) in table {
            XCTAssertEqual(FTPCommand.parse(F.bytes(text)), expected, "line \(text.debugDescription)", file: file, line: line)
        }
    }

    func testValidCommands() {
        let v4 = F.v4("198.51.100.2")
        check([
            ("PASV", .pasv), ("pasv", .pasv), ("PaSv", .pasv),
            ("EPSV", .epsv), ("epsv 1", .epsv), ("EPSV 2", .epsv),
            ("EPSV ALL", .epsvAll), ("epsv all", .epsvAll), ("EPSV aLl", .epsvAll),
            ("PORT 198,51,100,2,24,57", .port(v4, 6201)),
            ("port 198,51,100,2,24,57", .port(v4, 6201)),
            ("PORT 198,051,100,002,024,057", .port(v4, 6201)),  // leading zeros within three digits
            ("PORT 0,0,0,0,0,1", .port(F.v4("0.0.0.0"), 1)),
            ("PORT 255,255,255,255,255,255", .port(F.v4("255.255.255.255"), 65535)),
            ("EPRT |1|198.51.100.2|6275|", .eprt(v4, 6275)),
            ("eprt |2|2001:db8::2|5282|", .eprt(IPAddress("2001:db8::2")!, 5282)),
            ("EPRT !2!2001:DB8::2!5282!", .eprt(IPAddress("2001:db8::2")!, 5282)),
            ("EPRT |2|::ffff:198.51.100.2|1|", .eprt(IPAddress("::ffff:198.51.100.2")!, 1)),
            ("EPRT |1|198.51.100.2|65535|", .eprt(v4, 65535)),
            ("EPRT |1|198.51.100.2|00080|", .eprt(v4, 80)),
        ])
    }

    func testOtherCommands() {
        check([
            ("USER anonymous", .other), ("PASS x", .other), ("CWD /pub", .other), ("SIZE file", .other),
            ("QUIT", .other), ("TYPE I", .other), ("", .other), ("PASVX", .other), ("PORTAL 1,2,3,4,5,6", .other),
            (" PASV", .other), ("\tPORT 1,2,3,4,5,6", .other), ("EPR", .other), ("RETRX file", .other), (" RETR x", .other),
            ("\u{ff}\u{fe}garbage", .other),
        ])
    }

    /// The commands that use the data connection a PORT/EPRT set up.
    func testTransferCommands() {
        check([
            ("RETR file", .transfer), ("retr file", .transfer), ("LIST", .transfer), ("LIST -la /pub", .transfer),
            ("NLST", .transfer), ("MLSD", .transfer), ("STOR up.bin", .transfer), ("STOU", .transfer),
            ("APPE log", .transfer), ("STOR PORT 1,2,3,4,5,6", .transfer),
        ])
    }

    /// Every entry looks like PORT/EPRT/PASV/EPSV but must not open anything.
    func testHardeningTable() {
        let bad: [String] = [
            // PASV/EPSV with arguments they do not take
            "PASV 1", "PASV ", "EPSV 3", "EPSV 0", "EPSV ALLX", "EPSV  1", "EPSV 1 ", "EPSV ", "EPSV |||1|",
            // PORT field counts
            "PORT", "PORT ", "PORT 1,2,3,4,5", "PORT 1,2,3,4,5,6,7", "PORT 1,2,3,4,5,", "PORT ,1,2,3,4,5,6",
            "PORT 1,2,3,4,,5", "PORT 1,2,3,4,5,6,",
            // ranges and port 0
            "PORT 256,1,1,1,1,1", "PORT 1,1,1,1,256,0", "PORT 1,1,1,999,1,1", "PORT 198,51,100,2,0,0",
            // digits: negative, too many, spaces, signs, junk
            "PORT -1,2,3,4,5,6", "PORT 1,2,3,4,5,-6", "PORT 1,2,3,4,5,0006", "PORT 1,2,3,4,5,99999999999999999999",
            "PORT 1, 2,3,4,5,6", "PORT 1,2,3,4,5, 6", "PORT 1,2,3,4,5,6 ", "PORT  1,2,3,4,5,6", "PORT 1,2,3,4,5,6x",
            "PORT +1,2,3,4,5,6", "PORT 1.2.3.4,5,6", "PORT (1,2,3,4,5,6)", "PORT 0x1,2,3,4,5,6", "PORT 1,2,3,4,5,6\r",
            // EPRT family and address
            "EPRT |3|198.51.100.2|6275|", "EPRT |0|198.51.100.2|6275|", "EPRT |12|198.51.100.2|6275|",
            "EPRT ||198.51.100.2|6275|", "EPRT |1|2001:db8::2|6275|", "EPRT |2|198.51.100.2|6275|",
            "EPRT |1|198.51.100.256|6275|", "EPRT |1|198.51.100|6275|", "EPRT |1|198.051.100.2|6275|",
            "EPRT |1||6275|", "EPRT |2|fe80::1%eth0|6275|", "EPRT |1| 198.51.100.2|6275|",
            "EPRT |1|example.com|6275|", "EPRT |2|2001:db8:::2|6275|",
            // EPRT port
            "EPRT |1|198.51.100.2|0|", "EPRT |1|198.51.100.2|65536|", "EPRT |1|198.51.100.2|999999|",
            "EPRT |1|198.51.100.2||", "EPRT |1|198.51.100.2|-1|", "EPRT |1|198.51.100.2|62 75|",
            "EPRT |1|198.51.100.2|99999999999999999999|",
            // EPRT delimiters: mixed, digit, missing, extra, space
            "EPRT |1!198.51.100.2|6275|", "EPRT |1|198.51.100.2|6275!", "EPRT 919198.51.100.296275",
            "EPRT 1|198.51.100.2|6275|", "EPRT |1|198.51.100.2|6275", "EPRT |1|198.51.100.2|6275||",
            "EPRT |1|198.51.100.2|6275|x", "EPRT  |1|198.51.100.2|6275|", "EPRT", "EPRT ", "EPRT |",
            "EPRT ||||", "EPRT  1 198.51.100.2 6275 ", "EPRT \u{7f}1\u{7f}198.51.100.2\u{7f}6275\u{7f}",
        ]
        for text in bad {
            XCTAssertEqual(FTPCommand.parse(F.bytes(text)), .malformed(.malformed), "line \(text.debugDescription)")
        }
    }

    func testNulByteAnywhereIsRefused() {
        for text in ["PASV\0", "PORT 1,2,3,4\0,5,6", "\0", "USER a\0b", "EPRT |1|198.51.100.2|6275|\0"] {
            XCTAssertEqual(FTPCommand.parse(F.bytes(text)), .malformed(.nulByte), text.debugDescription)
        }
    }

    /// Random bytes, and random mutations of valid commands, never trap; anything that
    /// parses as PORT/EPRT has the strictly valid form.
    func testRandomInputNeverTrapsAndAcceptedFormsRoundTrip() {
        var rng = F.SeededRNG(seed: 0xc0de_0003)
        let seeds = ["PORT 198,51,100,2,24,57", "EPRT |1|198.51.100.2|6275|", "EPRT |2|2001:db8::2|5282|", "EPSV ALL"]
        for i in 0..<30_000 {
            var line: [UInt8]
            if i % 3 == 0 {
                line = F.randomBytes(Int.random(in: 0...64, using: &rng), &rng)
            } else {
                line = F.bytes(seeds[i % seeds.count])
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let pick = Int.random(in: 0..<line.count, using: &rng)
                    line[pick] = i % 2 == 0 ? UInt8.random(in: 0x2c...0x3a, using: &rng) : UInt8.random(in: 0...255, using: &rng)
                }
            }
            switch FTPCommand.parse(line) {
            case .port(_, let port), .eprt(_, let port):
                XCTAssertNotEqual(port, 0)
                XCTAssertTrue(line.allSatisfy { $0 >= 0x20 && $0 < 0x7f }, "accepted non-printable \(line)")
            default:
                break
            }
        }
    }
}
