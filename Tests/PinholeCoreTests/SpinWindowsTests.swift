import PinholeCore
import XCTest

/// The daemon's spin, one learned window per kind of wait.
final class SpinWindowsTests: XCTestCase {
    let us: UInt64 = 1000

    func testSpinsOnlyWithASessionOpenAndTheWholeLimitWhileADataConnectionIsExpected() {
        var w = SpinWindows(limitMicroseconds: 150)
        w.record(waited: 30 * us, after: .reply(200))  // 10 µs
        XCTAssertEqual(w.spin(after: .reply(200), sessionsOpen: true, dataConnectionExpected: false), 10 * us,
                       "the learned window")
        XCTAssertEqual(w.spin(after: .reply(200), sessionsOpen: true, dataConnectionExpected: true), 150 * us,
                       "the whole limit")
        XCTAssertEqual(w.spin(after: .command(0x5245_5452), sessionsOpen: true, dataConnectionExpected: true), 150 * us,
                       "the whole limit, whatever came last")
        XCTAssertEqual(w.spin(after: .reply(200), sessionsOpen: false, dataConnectionExpected: true), 0,
                       "no session: nothing to spin for")
        XCTAssertEqual(SpinWindows(limitMicroseconds: 0).spin(after: .other, sessionsOpen: true,
                                                              dataConnectionExpected: true), 0,
                       "a limit of 0 never spins")
    }

    /// The shape measured in a long ftplib session: the wait after a 200 is
    /// short, the wait after RETR long. One shared window grew on the first
    /// and was spun out before the second; per kind, RETR's stays at 0.
    func testEachKindLearnsItsOwnWait() {
        var w = SpinWindows(limitMicroseconds: 150)
        let retr = WaitKind(segment: segment("RETR small.txt\r\n"))
        let ok = WaitKind(segment: segment("200 Switching to Binary mode.\r\n"))
        for _ in 0..<10 {
            w.record(waited: 20 * us, after: ok)
            w.record(waited: 400 * us, after: retr)
        }
        XCTAssertEqual(w.spin(after: ok, sessionsOpen: true, dataConnectionExpected: false), 20 * us,
                       "10, 20: then a 20 µs wait is covered")
        XCTAssertEqual(w.spin(after: retr, sessionsOpen: true, dataConnectionExpected: false), 0,
                       "the wait after RETR is longer than any spin")
        XCTAssertEqual(w.spin(after: .reply(150), sessionsOpen: true, dataConnectionExpected: false), 0,
                       "a kind not seen yet does not spin")
    }

    /// A kind's window grows to the whole limit, and no further: the waits
    /// after RETR and after the 150 of a LAN transfer (70-110 µs, measured)
    /// are caught; one past the limit is not spun for.
    func testALearnedWindowGrowsToTheWholeLimit() {
        var w = SpinWindows(limitMicroseconds: 150)
        let retr = WaitKind.command(0x5245_5452)
        for _ in 0..<20 { w.record(waited: 110 * us, after: retr) }
        XCTAssertEqual(w.spin(after: retr, sessionsOpen: true, dataConnectionExpected: false), 150 * us,
                       "10, 20, 40, 80, 160 capped at 150: a 110 µs wait is covered")
        for _ in 0..<20 { w.record(waited: 145 * us, after: .conntrackEvent) }
        XCTAssertEqual(w.spin(after: .conntrackEvent, sessionsOpen: true, dataConnectionExpected: false), 150 * us)
        for _ in 0..<20 { w.record(waited: 200 * us, after: .queuedSyn) }
        XCTAssertEqual(w.spin(after: .queuedSyn, sessionsOpen: true, dataConnectionExpected: false), 0,
                       "a 200 µs wait is past the limit: not worth spinning for")
        for _ in 0..<3 { w.record(waited: 300 * us, after: retr) }
        XCTAssertEqual(w.spin(after: retr, sessionsOpen: true, dataConnectionExpected: false), 18_750,
                       "each wait past the limit halves the window: 75, 37.5, 18.75 µs")
        w.record(waited: 300 * us, after: retr)
        XCTAssertEqual(w.spin(after: retr, sessionsOpen: true, dataConnectionExpected: false), 0,
                       "under the 10 µs start step, the window is 0")
    }

    /// Made-up commands must not grow the table without bound; once it is
    /// full, new kinds share the `.other` window, and known kinds keep theirs.
    func testTheTableIsBounded() {
        var w = SpinWindows(limitMicroseconds: 150)
        w.record(waited: 20 * us, after: .reply(227))
        for i in 0..<10_000 {
            let verb = "\(Character(UnicodeScalar(65 + i % 26)!))\(Character(UnicodeScalar(65 + i / 26 % 26)!))"
                + "\(Character(UnicodeScalar(65 + i / 676 % 26)!))Z"
            w.record(waited: 1_000 * us, after: WaitKind(segment: segment("\(verb) x\r\n")))
        }
        XCTAssertLessThanOrEqual(w.windows.count, SpinWindows.maxKinds + 1)
        XCTAssertEqual(w.spin(after: .reply(227), sessionsOpen: true, dataConnectionExpected: false), 10 * us,
                       "a kind learned before the table filled keeps its window")
        for _ in 0..<5 { w.record(waited: 20 * us, after: .command(0x5858_5858)) }
        XCTAssertEqual(w.spin(after: .command(0x5959_5959), sessionsOpen: true, dataConnectionExpected: false),
                       w.windows[.other]?.nanoseconds, "a new kind, once full, spins as .other does")
        XCTAssertGreaterThan(w.windows[.other]?.nanoseconds ?? 0, 0)
    }

    private func segment(_ text: String, flags: TCPFlags = [.ack, .psh]) -> TCPSegment {
        TCPSegment(source: IPAddress("198.51.100.2")!, destination: IPAddress("203.0.113.10")!, sourcePort: 40000,
                   destinationPort: 21, sequence: 1, flags: flags, payload: Array(text.utf8))
    }
}

final class WaitKindTests: XCTestCase {
    func testReadsTheKindFromThePayloadsShape() {
        XCTAssertEqual(kind("RETR small.txt\r\n"), .command(0x5245_5452))
        XCTAssertEqual(kind("retr small.txt\r\n"), .command(0x5245_5452), "commands are case-insensitive")
        XCTAssertEqual(kind("EPSV\r\n"), kind("epsv\r\n"))
        XCTAssertEqual(kind("CWD /\r\n"), .command(0x43_5744), "a three-letter verb stops at the space")
        XCTAssertEqual(kind("R\r\n"), .command(0x52))
        XCTAssertEqual(kind("229 Entering Extended Passive Mode (|||50000|)\r\n"), .reply(229))
        XCTAssertEqual(kind("150 Here comes the data\r\n"), .reply(150))
        XCTAssertEqual(kind("999"), .reply(999))
        XCTAssertEqual(kind("22"), .otherPayload, "two digits are no reply code")
        XCTAssertEqual(kind(" continuation\r\n"), .otherPayload)
        XCTAssertEqual(kind("\u{1}\u{2}"), .otherPayload)
        XCTAssertEqual(kind("[x"), .otherPayload, "the byte before 'a' in upper case is no letter")
        XCTAssertEqual(kind("@x"), .otherPayload)
        XCTAssertEqual(kind("`x"), .otherPayload)
        XCTAssertEqual(kind("{x"), .otherPayload)
        XCTAssertEqual(kind("", flags: [.syn, .ack]), .flags(TCPFlags([.syn, .ack]).rawValue))
        XCTAssertEqual(kind("", flags: [.fin, .ack]), .flags(TCPFlags([.fin, .ack]).rawValue))
    }

    /// Any payload gets a kind; a command's key is its first (up to four)
    /// letters, upper case, and nothing after them.
    func testHostilePayloadsGetAKind() {
        var rng = CoreFixtures.SeededRNG(seed: 7)
        for n in 0..<2_000 {
            let bytes = CoreFixtures.randomBytes(n % 40, &rng)
            let k = WaitKind(segment: TCPSegment(source: IPAddress("2001:db8::2")!, destination: IPAddress("2001:db8::1")!,
                                                 sourcePort: 1, destinationPort: 21, sequence: 0, flags: [.ack],
                                                 payload: bytes))
            switch k {
            case .command(let verb):
                let letters = bytes.prefix(4).prefix { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7a }
                XCTAssertFalse(letters.isEmpty)
                XCTAssertEqual(verb, letters.reduce(0) { $0 << 8 | UInt32($1 & 0xdf) })
            case .reply(let code): XCTAssertLessThanOrEqual(code, 999)
            case .flags: XCTAssertTrue(bytes.isEmpty)
            case .otherPayload: XCTAssertFalse(bytes.isEmpty)
            case .conntrackEvent, .queuedSyn, .other: XCTFail("a segment is never \(k)")
            }
        }
    }

    private func kind(_ text: String, flags: TCPFlags = [.ack, .psh]) -> WaitKind {
        WaitKind(segment: TCPSegment(source: IPAddress("198.51.100.2")!, destination: IPAddress("203.0.113.10")!,
                                     sourcePort: 40000, destinationPort: 21, sequence: 1, flags: flags,
                                     payload: Array(text.utf8)))
    }
}
