import PinholeCore
import XCTest

/// `expectsDataConnection`: the hint that makes pinholed spin through a
/// passive exchange instead of sleeping between the 229 and the data SYN.
final class DataConnectionHintTests: XCTestCase {
    let reply229 = "229 Entering Extended Passive Mode (|||50000|)\r\n"

    func testExpectedFromEPSVUntilThePinholeIsUsed() {
        var (i, c) = FTPConversation.started()
        XCTAssertFalse(i.expectsDataConnection(now: c.now), "a fresh session expects nothing")
        _ = c.client(&i, "EPSV\r\n")
        XCTAssertTrue(i.expectsDataConnection(now: c.now), "the 229 is on its way")
        let ev = c.server(&i, reply229)
        XCTAssertEqual(ev.opened.count, 1)
        let window = Inspector.dataConnectionWindowNanoseconds
        let soon = Instant(nanoseconds: c.now.nanoseconds + window - 1)
        XCTAssertTrue(i.expectsDataConnection(now: soon), "the new pinhole's SYN is on its way")
        _ = i.markUsed(ev.opened[0].key)
        XCTAssertFalse(i.expectsDataConnection(now: soon), "used: nothing is expected any more")
    }

    /// Thousands of pinholes nobody has used yet must not keep the daemon
    /// spinning its whole window after every event: only a new one counts.
    func testAPinholeStopsCountingAfterTheWindow() {
        var (i, c) = FTPConversation.started()
        _ = c.client(&i, "EPSV\r\n")
        let ev = c.server(&i, reply229)
        XCTAssertEqual(ev.opened.count, 1)
        let opened = c.now.nanoseconds
        let window = Inspector.dataConnectionWindowNanoseconds
        XCTAssertTrue(i.expectsDataConnection(now: Instant(nanoseconds: opened + window - 1)))
        XCTAssertFalse(i.expectsDataConnection(now: Instant(nanoseconds: opened + window)),
                       "still open, but its element is committed: its SYN needs no daemon awake")
        XCTAssertFalse(i.expectsDataConnection(now: Instant(nanoseconds: opened - 1)),
                       "a clock reading before the open is not within the window")
        XCTAssertEqual(i.pinholes.count, 1)
        // Announced again later (a refresh): expected again, for one window.
        c.now = c.now.adding(milliseconds: 5_000)
        _ = c.client(&i, "EPSV\r\n")
        _ = c.server(&i, reply229)
        XCTAssertEqual(i.counters.pinholesRefreshed, 1)
        XCTAssertTrue(i.expectsDataConnection(now: c.now))
        XCTAssertFalse(i.expectsDataConnection(now: c.now.adding(milliseconds: 2)))
    }

    func testAnsweredAndUsedNothingIsExpectedWithinTheWindow() {
        var (i, c) = FTPConversation.started()
        _ = c.client(&i, "PASV\r\n")
        let ev = c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,80)\r\n")
        XCTAssertEqual(ev.opened.count, 1)
        _ = i.markUsed(ev.opened[0].key)
        // RETR, its 150 and its 226 follow at once: none of them is a data
        // connection still to come, though the PASV is well within the window.
        _ = c.client(&i, "RETR small.txt\r\n")
        XCTAssertLessThan(c.now.nanoseconds - i.lastPassiveRequest!.nanoseconds, Inspector.passiveReplyWindowNanoseconds)
        XCTAssertFalse(i.expectsDataConnection(now: c.now))
        _ = c.server(&i, "150 Opening BINARY mode data connection.\r\n")
        XCTAssertFalse(i.expectsDataConnection(now: c.now))
        // The next PASV expects again.
        _ = c.server(&i, "226 Transfer complete.\r\n")
        _ = c.client(&i, "PASV\r\n")
        XCTAssertTrue(i.expectsDataConnection(now: c.now))
    }

    func testARefusedOrErrorReplyEndsTheExpectation() {
        var (i, c) = FTPConversation.started()
        _ = c.client(&i, "EPSV\r\n")
        // Multi-line text and a 1xx do not answer the EPSV.
        _ = c.server(&i, "229-Wait for it\r\n")
        XCTAssertTrue(i.expectsDataConnection(now: c.now), "a continuation line answers nothing")
        _ = c.server(&i, "229 done\r\n")  // closes the multi-line reply: malformed, dequeued
        XCTAssertFalse(i.expectsDataConnection(now: c.now))
        _ = c.client(&i, "EPSV\r\n")
        _ = c.server(&i, "125 hold on\r\n")
        XCTAssertTrue(i.expectsDataConnection(now: c.now), "a 1xx is preliminary: the EPSV still waits")
        _ = c.server(&i, "425 Cannot open data connection.\r\n")
        XCTAssertTrue(i.pinholes.isEmpty)
        XCTAssertFalse(i.expectsDataConnection(now: c.now), "refused by the server: no connection is coming")
        // A 229 naming a port outside data_ports is refused by us: nothing comes either.
        _ = c.client(&i, "EPSV\r\n")
        _ = c.server(&i, "229 Entering Extended Passive Mode (|||80|)\r\n")
        XCTAssertTrue(i.pinholes.isEmpty)
        XCTAssertFalse(i.expectsDataConnection(now: c.now))
    }

    func testAPASVWithoutReplyStopsCountingAfterTheWindow() {
        var (i, c) = FTPConversation.started()
        _ = c.client(&i, "PASV\r\n")
        let window = Inspector.passiveReplyWindowNanoseconds
        XCTAssertTrue(i.expectsDataConnection(now: Instant(nanoseconds: c.now.nanoseconds + window - 1)))
        XCTAssertFalse(i.expectsDataConnection(now: Instant(nanoseconds: c.now.nanoseconds + window)))
        XCTAssertFalse(i.expectsDataConnection(now: Instant(nanoseconds: c.now.nanoseconds - 1)),
                       "a clock reading before the request is not within the window")
    }

    func testOtherCommandsAndRefusedRepliesExpectNothing() {
        var (i, c) = FTPConversation.started()
        _ = c.client(&i, "TYPE I\r\n")
        _ = c.server(&i, "200 Switching to Binary mode.\r\n")
        _ = c.client(&i, "LIST\r\n")
        XCTAssertFalse(i.expectsDataConnection(now: c.now))
        // A 229 nobody asked for opens nothing, so it sets nothing up either.
        _ = c.server(&i, reply229)
        XCTAssertTrue(i.pinholes.isEmpty)
        XCTAssertFalse(i.expectsDataConnection(now: c.now))
        // A client-sent 229 is refused, not a passive request.
        _ = c.client(&i, reply229)
        XCTAssertFalse(i.expectsDataConnection(now: c.now))
    }
}
