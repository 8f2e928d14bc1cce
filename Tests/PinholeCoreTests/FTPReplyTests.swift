import XCTest
@testable import PinholeCore

final class FTPReplyTests: XCTestCase {
    typealias F = CoreFixtures

    /// Each line read by a fresh reader (no multi-line context).
    private func single(_ text: String) -> FTPReply {
        var reader = FTPReplyReader()
        return reader.read(F.bytes(text))
    }

    /// Lines read in sequence by one reader.
    private func sequence(_ texts: [String]) -> [FTPReply] {
        var reader = FTPReplyReader()
        return texts.map { reader.read(F.bytes($0)) }
    }

    func testValidPassiveReplies() {
        let v4 = F.v4("198.51.100.2")
        let table: [(String, FTPReply)] = [
            ("227 Entering Passive Mode (198,51,100,2,24,57).", .enteringPassive(v4, 6201)),          // vsftpd
            ("227 Entering passive mode (198,51,100,2,24,57).", .enteringPassive(v4, 6201)),          // pyftpdlib
            ("227 Entering Passive Mode (198,51,100,2,24,57)", .enteringPassive(v4, 6201)),
            ("227 =198,51,100,2,24,57", .enteringPassive(v4, 6201)),
            ("227 Entering Passive Mode 198,51,100,2,24,57", .enteringPassive(v4, 6201)),
            ("227 Entering Passive Mode 198,51,100,2,24,57.", .enteringPassive(v4, 6201)),
            ("227 OK (198,051,100,002,024,057)", .enteringPassive(v4, 6201)),
            ("227 (0,0,0,0,0,1)", .enteringPassive(F.v4("0.0.0.0"), 1)),
            ("227 (255,255,255,255,255,255)", .enteringPassive(F.v4("255.255.255.255"), 65535)),
            ("229 Entering Extended Passive Mode (|||6446|)", .enteringExtendedPassive(6446)),
            ("229 Entering extended passive mode (|||6446|).", .enteringExtendedPassive(6446)),
            ("229 (!!!1!)", .enteringExtendedPassive(1)),
            ("229 (|||65535|)", .enteringExtendedPassive(65535)),
            ("229 (|||00080|)", .enteringExtendedPassive(80)),
            ("229 ()))6446))", .enteringExtendedPassive(6446)),  // ")" is a legal delimiter
            ("229 (~~~2121~)", .enteringExtendedPassive(2121)),
        ]
        for (text, expected) in table { XCTAssertEqual(single(text), expected, text.debugDescription) }
    }

    func testOtherFinalReplies() {
        let table: [(String, Int)] = [
            ("220 (vsFTPd 3.0.3)", 220), ("230 Login successful.", 230), ("150 Here comes the directory listing.", 150),
            ("226 Transfer complete.", 226), ("200", 200), ("421 ", 421), ("550 No such file", 550),
            ("500 '227 Entering Passive Mode (198,51,100,2,24,57)': command not understood", 500),
            ("501 229 (|||6446|)", 501), ("228 (198,51,100,2,24,57)", 228), ("230 =1,2,3,4,5,6", 230),
        ]
        for (text, code) in table { XCTAssertEqual(single(text), .otherFinal(code: code), text.debugDescription) }
    }

    /// Every entry looks like a passive reply but must not open anything.
    func testHardeningTable() {
        let malformed: [String] = [
            // bare or empty
            "227", "229", "227 ", "229 ", "227 Entering Passive Mode", "229 Entering Extended Passive Mode",
            // field counts and trailing junk inside the parens
            "227 (198,51,100,2,24)", "227 (198,51,100,2,24,57,1)", "227 (1,2,3,4,5,6,7)", "227 (1,2,3,4,5,6x)",
            "227 (1,2,3,4,5,6", "227 (1,2,3,4,5,6,)", "227 (,1,2,3,4,5,6)", "227 (1,2,3,4,,5,6)",
            // octet/port ranges and port 0
            "227 (256,51,100,2,24,57)", "227 (198,51,100,2,256,1)", "227 (198,51,100,2,0,0)", "227 (1,2,3,1000,5,6)",
            // negative, spaces, too many digits
            "227 (-198,51,100,2,24,57)", "227 (198,51,100,2,24,-57)", "227 (198, 51,100,2,24,57)",
            "227 ( 198,51,100,2,24,57)", "227 (198,51,100,2,24,57 )", "227 (198,51,100,2,24,0057)",
            "227 (99999999999999999999,1,1,1,1,1)", "227 (198,51,100,2,24,99999999999999999999)",
            // paren-less variants with junk around
            "227 =198,51,100,2,24,57x", "227 -198,51,100,2,24,57", "227 Mode 7 (198,51,100,2,24,57)",
            "227 Mode:198,51,100,2,24,57", "227 (x) 198,51,100,2,24,57", "227 =198,51,100,2,24,57,",
            "227 Entering Passive Mode [198,51,100,2,24,57]",
            // 229 ports
            "229 (|||0|)", "229 (|||65536|)", "229 (|||999999|)", "229 (||||)", "229 (|||-1|)", "229 (||| 6446|)",
            "229 (|||99999999999999999999|)",
            // 229 delimiters: mixed, digit, missing, wrong structure
            "229 (|!|6446|)", "229 (|||6446!)", "229 (111644461)", "229 (6446)", "229 |||6446|", "229 (|||6446|",
            "229 (|||6446)", "229 (||6446|)", "229 (||||6446|)", "229 (|1|6446|)", "229 (|||6446||)",
            "229 ( |||6446|)", "229 (   6446 )", "229 (\u{7f}\u{7f}\u{7f}6446\u{7f})",
            "229 (|2|2001:db8::2|6446|)",
            // code glued to text
            "227Entering Passive Mode (198,51,100,2,24,57)", "2270 (198,51,100,2,24,57)", "229x(|||6446|)",
        ]
        for text in malformed { XCTAssertEqual(single(text), .malformed(.malformed), text.debugDescription) }
    }

    func testNonReplyLinesAreNeverInterpreted() {
        for text in ["", " 227 (198,51,100,2,24,57)", "hello", "22 short", "600 (198,51,100,2,24,57)",
                     "099 x", "\u{ff}\u{fe}\u{01}", "abc (1,2,3,4,5,6)", "2a7 (1,2,3,4,5,6)"] {
            XCTAssertEqual(single(text), .continuation, text.debugDescription)
        }
    }

    func testNulByteIsRefused() {
        for text in ["227 Entering Passive Mode (198,51,100,2,24,57)\0", "220 hi\0there", "229 (|||6446|)\0"] {
            XCTAssertEqual(single(text), .malformed(.nulByte), text.debugDescription)
            XCTAssertTrue(single(text).isFinal, "a final reply line answers its command, NUL or not")
        }
        // A NUL line that is no final reply answers nothing.
        for text in ["\0", "hello\0", "220-hi\0", "220x\0", "500\0", "150 Opening\0", "150\0"] {
            XCTAssertEqual(single(text), .refusedText(.nulByte), text.debugDescription)
            XCTAssertFalse(single(text).isFinal, text.debugDescription)
        }
        // Inside a multi-line reply too, without breaking the reply structure.
        XCTAssertEqual(sequence(["220-a", "b\0", "220 c", "227 (198,51,100,2,24,57)"]),
                       [.continuation, .refusedText(.nulByte), .otherFinal(code: 220),
                        .enteringPassive(F.v4("198.51.100.2"), 6201)])
        XCTAssertEqual(sequence(["220-a\0", "b", "220 c"]), [.refusedText(.nulByte), .continuation, .otherFinal(code: 220)])
        XCTAssertEqual(sequence(["150-a", "150 b\0", "226 ok"]), [.continuation, .refusedText(.nulByte), .otherFinal(code: 226)],
                       "a multi-line 1xx closed with a NUL answers nothing either")
        XCTAssertEqual(sequence(["220-a", "220 c\0", "227 (198,51,100,2,24,57)"]),
                       [.continuation, .malformed(.nulByte), .enteringPassive(F.v4("198.51.100.2"), 6201)],
                       "a NUL in the closing line still closes the reply")
    }

    func testPassiveLineInsideAnotherMultiLineReplyIsText() {
        XCTAssertEqual(sequence([
            "150-Here it comes",
            "227 Entering Passive Mode (198,51,100,2,24,57)",
            "229 Entering Extended Passive Mode (|||6446|)",
            "150-still text",
            "150 done",
            "226 Transfer complete.",
        ]), [.continuation, .continuation, .continuation, .continuation, .otherFinal(code: 150), .otherFinal(code: 226)])
    }

    /// A multi-line 227/229 is never honoured: its closing line is refused as malformed,
    /// so it is counted and ends the PASV/EPSV it answers.
    func testMultiLinePassiveReplyIsNeverHonoured() {
        var reader = FTPReplyReader()
        XCTAssertEqual(reader.read(F.bytes("227-Entering Passive Mode (198,51,100,2,24,57)")), .continuation)
        XCTAssertEqual(reader.openMultiLineCode, 227)
        XCTAssertEqual(reader.read(F.bytes("227 Entering Passive Mode (198,51,100,2,24,57)")), .malformed(.malformed))
        XCTAssertEqual(reader.closedReplyCode, 227)
        XCTAssertNil(reader.openMultiLineCode)
        XCTAssertEqual(reader.read(F.bytes("229-x")), .continuation)
        XCTAssertNil(reader.closedReplyCode)
        XCTAssertEqual(reader.read(F.bytes("229 Entering Extended Passive Mode (|||6446|)")), .malformed(.malformed))
        XCTAssertEqual(reader.closedReplyCode, 229)
        // Afterwards single-line replies are interpreted again.
        XCTAssertEqual(reader.read(F.bytes("229 Entering Extended Passive Mode (|||6446|)")), .enteringExtendedPassive(6446))
        XCTAssertNil(reader.closedReplyCode)
    }

    func testOnlyTheSameCodeFollowedBySpaceCloses() {
        XCTAssertEqual(sequence([
            "220-Welcome",
            "220-still open",  // same code with hyphen: still open
            "220",             // bare code without space: still open
            "221 other code",  // another code: text
            " 220 leading space",
            "220 closes",
            "227 (198,51,100,2,24,57)",
        ]), [.continuation, .continuation, .continuation, .continuation, .continuation, .otherFinal(code: 220),
             .enteringPassive(F.v4("198.51.100.2"), 6201)])
    }

    func testRandomInputNeverTraps() {
        var rng = F.SeededRNG(seed: 0xbeef_0004)
        let seeds = ["227 Entering Passive Mode (198,51,100,2,24,57).", "229 Entering Extended Passive Mode (|||6446|)",
                     "227-x", "227 =1,2,3,4,5,6"]
        var reader = FTPReplyReader()
        for i in 0..<30_000 {
            var line: [UInt8]
            if i % 3 == 0 {
                line = F.randomBytes(Int.random(in: 0...64, using: &rng), &rng)
            } else {
                line = F.bytes(seeds[i % seeds.count])
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let pick = Int.random(in: 0..<line.count, using: &rng)
                    line[pick] = i % 2 == 0 ? UInt8.random(in: 0x28...0x39, using: &rng) : UInt8.random(in: 0...255, using: &rng)
                }
            }
            switch reader.read(line) {
            case .enteringPassive(_, let port), .enteringExtendedPassive(let port):
                XCTAssertNotEqual(port, 0)
                XCTAssertTrue(line.starts(with: F.bytes("227 ")) || line.starts(with: F.bytes("229 ")))
            default:
                break
            }
        }
    }
}
