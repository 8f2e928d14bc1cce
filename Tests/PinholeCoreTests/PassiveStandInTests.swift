import PinholeCore
import XCTest

/// `passiveStandIn`: the pinhole the daemon builds, and never opens, to run
/// the pinhole path once between a PASV/EPSV and its reply (Daemon+Warmup).
final class PassiveStandInTests: XCTestCase {
    /// Everything the element carries (set, comment, timeout) must be what
    /// the reply's pinhole will carry, or the warm-up runs a different path.
    func testItIsThePinholeTheReplyOpensButForItsPort() {
        for (request, reply, family) in [("EPSV\r\n", "229 Entering Extended Passive Mode (|||50042|)\r\n", "v4"),
                                         ("PASV\r\n", "227 Entering Passive Mode (203,0,113,10,195,90)\r\n", "v4"),
                                         ("EPSV\r\n", "229 Entering Extended Passive Mode (|||50042|)\r\n", "v6")] {
            var i = Inspector(policy: TestPolicy.make())
            var c = family == "v4" ? FTPConversation() : FTPConversation(client: "2001:db8:1::2", server: "2001:db8:2::10")
            _ = c.handshake(&i)
            _ = c.client(&i, request)
            guard let standIn = i.passiveStandIn(now: c.now) else { return XCTFail("no stand-in after \(request)") }
            XCTAssertEqual(standIn.key.port, 0)
            XCTAssertTrue(i.pinholes.isEmpty, "building it opened nothing")
            let opened = c.server(&i, reply).opened
            XCTAssertEqual(opened.count, 1, reply)
            guard let real = opened.first else { continue }
            var expected = real
            expected.key.port = 0
            XCTAssertEqual(standIn, expected, "\(request) over \(family)")
            XCTAssertEqual(standIn.elementComment, real.elementComment)
            XCTAssertEqual(standIn.key.elementKey.count, real.key.elementKey.count)
        }
    }

    func testNoneBeforeARequestOnceAnsweredOrWithoutItsSession() {
        var (i, c) = FTPConversation.started()
        XCTAssertNil(i.passiveStandIn(now: c.now), "nothing asked yet")
        _ = c.client(&i, "TYPE I\r\n")
        XCTAssertNil(i.passiveStandIn(now: c.now), "not a passive request")
        _ = c.server(&i, "200 Switching to Binary mode.\r\n")
        _ = c.client(&i, "EPSV\r\n")
        XCTAssertNotNil(i.passiveStandIn(now: c.now))
        _ = c.server(&i, "229 Entering Extended Passive Mode (|||50000|)\r\n")
        XCTAssertNil(i.passiveStandIn(now: c.now), "answered: its pinhole is real now")
        _ = c.client(&i, "PASV\r\n")
        _ = c.server(&i, "425 Cannot open data connection.\r\n")
        XCTAssertNil(i.passiveStandIn(now: c.now), "refused by the server")
        _ = c.client(&i, "PASV\r\n")
        XCTAssertNotNil(i.passiveStandIn(now: c.now))
        _ = i.reload(policy: Policy(services: []))
        XCTAssertEqual(i.sessionCount, 0)
        XCTAssertNil(i.passiveStandIn(now: c.now), "its session is gone")
    }

    func testItFollowsTheLatestRequest() {
        var i = Inspector(policy: TestPolicy.make())
        var a = FTPConversation(clientPort: 40_000)
        var b = FTPConversation(clientPort: 40_001)
        _ = a.handshake(&i)
        _ = b.handshake(&i)
        _ = a.client(&i, "EPSV\r\n")
        XCTAssertEqual(i.passiveStandIn(now: a.now)?.session, a.key)
        _ = b.client(&i, "PASV\r\n")
        XCTAssertEqual(i.passiveStandIn(now: b.now)?.session, b.key)
    }
}
