@testable import PinholeNetfilter
import PinholeCore
import XCTest

final class ElementCommentTests: XCTestCase {
    func testRoundTripAndNftLayout() {
        let bytes = ElementComment.encode("ab")
        XCTAssertEqual(bytes, [0, 3, 0x61, 0x62, 0])
        XCTAssertEqual(ElementComment.decode(bytes), "ab")
    }

    func testLongCommentsAreCappedAtNftsLimit() {
        let bytes = ElementComment.encode(String(repeating: "x", count: 500))
        XCTAssertEqual(Int(bytes[1]), ElementComment.maxBytes)
        XCTAssertEqual(ElementComment.decode(bytes)?.count, ElementComment.maxBytes - 1)
    }

    func testOtherTLVsAndMalformedData() {
        XCTAssertEqual(ElementComment.decode([7, 1, 9] + ElementComment.encode("c")), "c")
        XCTAssertNil(ElementComment.decode([0, 9, 0x61]), "length past the end")
        XCTAssertNil(ElementComment.decode([]))
        XCTAssertNil(ElementComment.decode([5, 0]))
    }
}

/// What a restart needs from a comment (the session) survives nft's 127-byte
/// cap at the longest inputs: a 32-byte service name (the policy's limit)
/// and the longest IPv6 address texts.
final class ElementCommentAdoptionTests: XCTestCase {
    static let longestName = "public-ftp-for-partners-eu-west1"
    /// 39 characters: no group shortens (the longest text form of an IPv6 address).
    static let longestServer = IPAddress("2001:db8:1234:5678:9abc:def0:1234:5678")!
    static let longestClient = IPAddress("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff")!

    func testCoreAndNetfilterAgreeOnTheCap() {
        XCTAssertEqual(Pinhole.maxElementCommentBytes, ElementComment.maxBytes - 1, "the NUL takes the last byte")
    }

    func testLongestSessionAndServiceRoundTripThroughTheKernelFormatAndAreAdopted() {
        let (server, client, name) = (Self.longestServer, Self.longestClient, Self.longestName)
        XCTAssertEqual("\(server)".count, 38)
        XCTAssertEqual("\(IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")!)".count, 39, "the longest text form")
        let policy = Policy(services: [Service(name: name, servers: [IPPrefix(address: server, length: 128)!])])
        let now = Instant(nanoseconds: 1_000_000_000)
        for (clientPort, port, mode) in [(UInt16(65_535), UInt16(65_535), PinholeMode.passive), (1, 1024, .passive)] {
            var inspector = Inspector(policy: policy)
            _ = inspector.resync(dump: [ConntrackEvent(kind: .existing, source: client, destination: server, sourcePort: clientPort,
                                                       destinationPort: 21, tcpState: .established)], now: now)
            let session = ConnectionKey(client: client, clientPort: clientPort, server: server, serverPort: 21)
            let key = PinholeKey(initiator: client, responder: server, port: port)
            let written = Pinhole(key: key, service: name, mode: mode, session: session, created: now,
                                  expires: now.adding(milliseconds: 30_000)).elementComment
            XCTAssertLessThanOrEqual(written.utf8.count, Pinhole.maxElementCommentBytes, written)
            XCTAssert(written.hasPrefix("pinholed \(session) public-ftp"), "session first, then the service: \(written)")
            let stored = ElementComment.decode(ElementComment.encode(written))
            XCTAssertEqual(stored, written, "nothing more is cut on the way through the kernel")
            _ = inspector.adopt(elements: [KernelElement(key: key, expiresInMs: 20_000, comment: stored)], now: now)
            XCTAssertEqual(inspector.pinholes[key]?.session, session, "session \(session): its pinhole is adopted after a restart")
            XCTAssertEqual(inspector.pinholes[key]?.service, name, "the service comes from the policy, not the comment")
        }
    }

    func testOnlyTheServiceNameIsEverCut() {
        let session = ConnectionKey(client: IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")!, clientPort: 65_535,
                                    server: IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")!, serverPort: 65_535)
        let p = Pinhole(key: PinholeKey(initiator: session.client, responder: session.server, port: 65_535),
                        service: Self.longestName, mode: .passive, session: session,
                        created: Instant(nanoseconds: 0), expires: Instant(nanoseconds: 1))
        let c = p.elementComment
        XCTAssertEqual("pinholed \(session) ".utf8.count, 106, "the longest possible session text")
        XCTAssertEqual(c, "pinholed \(session) " + String(Self.longestName.prefix(127 - 106)))
        XCTAssertEqual(Pinhole.session(inElementComment: c), session)
        let short = Pinhole(key: p.key, service: "lab", mode: .passive, session: session, created: p.created, expires: p.expires)
        XCTAssertEqual(short.elementComment, "pinholed \(session) lab", "nothing cut when it fits")
    }
}
