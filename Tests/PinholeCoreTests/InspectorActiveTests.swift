import PinholeCore
import XCTest

final class InspectorActiveTests: XCTestCase {
    func testPORTOpensServerToClientPinhole() {
        var (i, c) = FTPConversation.started(TestPolicy.make(active: true))
        let ev = c.client(&i, "PORT 198,51,100,2,195,80\r\n")
        XCTAssertEqual(ev.opened.map(\.key), [PinholeKey(initiator: c.key.server, responder: c.key.client, port: 50_000)])
        XCTAssertEqual(ev.opened.first?.mode, .active)
        XCTAssertTrue(c.server(&i, "200 PORT command successful.\r\n").isEmpty)
        XCTAssertEqual(i.pinholes.count, 1)
    }

    func testEPRTOverIPv6AndFamilyMismatch() {
        var i = Inspector(policy: TestPolicy.make(active: true))
        var c = FTPConversation(client: "2001:db8:1::2", server: "2001:db8:2::10")
        _ = c.handshake(&i)
        XCTAssertEqual(c.client(&i, "EPRT |2|2001:db8:1::2|50010|\r\n").opened.map(\.key.port), [50_010])
        XCTAssertEqual(c.server(&i, "200 ok\r\n").count, 0)
        XCTAssertEqual(c.client(&i, "EPRT |1|198.51.100.2|50011|\r\n").refusals, [.familyMismatch])
    }

    func testFTPBounceIsRefused() {
        var (i, c) = FTPConversation.started(TestPolicy.make(active: true))
        XCTAssertEqual(c.client(&i, "PORT 203,0,113,99,195,80\r\n").refusals, [.addressMismatch])
        XCTAssertEqual(c.client(&i, "EPRT |1|203.0.113.99|50000|\r\n").refusals, [.addressMismatch])
        XCTAssertEqual(c.client(&i, "PORT 198,51,100,2,0,25\r\n").refusals, [.privilegedPort])
        XCTAssertTrue(i.pinholes.isEmpty)
    }

    func testServerRejectingPORTClosesItsPinhole() {
        var (i, c) = FTPConversation.started(TestPolicy.make(active: true))
        _ = c.client(&i, "PORT 198,51,100,2,195,80\r\n")
        XCTAssertEqual(c.server(&i, "500 Illegal PORT command.\r\n").closeReasons, [.rejectedByServer])
        XCTAssertTrue(i.pinholes.isEmpty)
    }

    /// A transfer command the server refuses (vsftpd: 550 to a RETR of a
    /// missing file) will not use the PORT's pinhole: vsftpd connects only
    /// once a RETR succeeds. It closes, or five such RETRs would fill the
    /// session's limit of pinholes and the next good transfer's PORT would
    /// be refused.
    func testRefusedTransferClosesThePinholeItWasToUse() {
        var (i, c) = FTPConversation.started(TestPolicy.make(active: true))
        for n in 0..<6 {
            XCTAssertEqual(c.client(&i, "PORT 198,51,100,2,195,\(80 + n)\r\n").opened.count, 1, "PORT \(n)")
            XCTAssertTrue(c.server(&i, "200 PORT command successful.\r\n").isEmpty)
            _ = c.client(&i, "RETR missing\(n)\r\n")
            XCTAssertEqual(c.server(&i, "550 Failed to open file.\r\n").closeReasons, [.rejectedByServer], "RETR \(n)")
        }
        XCTAssertTrue(i.pinholes.isEmpty)
        XCTAssertEqual(i.counters.refusedByName.values.reduce(0, +), 0, "no limit reached: \(i.counters.refusedByName)")

        // A transfer that starts (150) and ends (226) keeps its pinhole for the server's connection.
        _ = c.client(&i, "PORT 198,51,100,2,195,90\r\n")
        _ = c.server(&i, "200 ok\r\n")
        _ = c.client(&i, "RETR small.txt\r\n")
        XCTAssertTrue(c.server(&i, "150 Opening BINARY mode data connection.\r\n").isEmpty)
        XCTAssertTrue(c.server(&i, "226 Transfer complete.\r\n").isEmpty)
        XCTAssertEqual(i.pinholes.count, 1)
        // A refused transfer without a PORT of its own closes nothing.
        _ = c.client(&i, "LIST\r\n")
        XCTAssertTrue(c.server(&i, "425 Use PORT or PASV first.\r\n").closeReasons.isEmpty)
        XCTAssertEqual(i.pinholes.count, 1)
    }

    /// Pipelined: PORT and RETR in one segment, then both replies.
    func testPipelinedPortAndRefusedTransfer() {
        var (i, c) = FTPConversation.started(TestPolicy.make(active: true))
        XCTAssertEqual(c.client(&i, "PORT 198,51,100,2,195,80\r\nRETR missing\r\n").opened.count, 1)
        XCTAssertEqual(c.server(&i, "200 ok\r\n550 Failed to open file.\r\n").closeReasons, [.rejectedByServer])
        XCTAssertTrue(i.pinholes.isEmpty)
    }

    /// PASV after PORT: the next transfer is passive; its refusal does not touch the active pinhole.
    func testPassiveRequestDisarmsTheActivePinhole() {
        var (i, c) = FTPConversation.started(TestPolicy.make(passive: true, active: true))
        _ = c.client(&i, "PORT 198,51,100,2,195,80\r\n")
        _ = c.server(&i, "200 ok\r\n")
        _ = c.client(&i, "PASV\r\n")
        XCTAssertEqual(c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,81).\r\n").opened.count, 1)
        _ = c.client(&i, "RETR missing\r\n")
        XCTAssertTrue(c.server(&i, "550 Failed to open file.\r\n").closeReasons.isEmpty)
        XCTAssertEqual(i.pinholes.count, 2)
    }

    func testActiveOffRefusesPORT() {
        var (i, c) = FTPConversation.started()
        XCTAssertEqual(c.client(&i, "PORT 198,51,100,2,195,80\r\n").refusals, [.modeDisabled])
    }

    func testActiveDataConnectionMarksUsed() {
        var (i, c) = FTPConversation.started(TestPolicy.make(active: true))
        _ = c.client(&i, "PORT 198,51,100,2,195,80\r\n")
        let ev = i.handle(conntrack: ConntrackEvent(kind: .new, source: c.key.server, destination: c.key.client,
                                                    sourcePort: 20, destinationPort: 50_000, tcpState: .synSent), now: c.now)
        XCTAssertEqual(ev.closeReasons, [.used])
    }
}
