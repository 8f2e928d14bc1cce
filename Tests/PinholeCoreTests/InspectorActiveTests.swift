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
