import XCTest
import Glibc
@testable import PinholeNetfilter
import PinholeCore

/// Root: pinholed's own tap rules (`RulesetBuilder.script`) on real TCP in a
/// fresh namespace. Segments with data or a SYN, FIN or RST are copied, a
/// NUL first byte included; pure ACKs are not.
final class CopyRulesTests: XCTestCase {
    typealias F = NamespaceFixture
    static let port: UInt16 = 2121
    static let group: UInt16 = 11

    func testDataAndControlFlagsAreCopiedPureAcksAreNot() throws {
        try F.skipUnlessRoot()
        try F.run { _ in
            let servers = [IPPrefix("\(F.serverV4)/32")!, IPPrefix("\(F.serverV6)/128")!]
            let policy = Policy(nflogGroup: Self.group, services: [
                Service(name: "t", servers: servers, controlPort: Self.port, enforce: false),
            ])
            _ = try RulesetInstaller().run(RulesetBuilder.script(for: policy))
            let reader = try NflogReader(group: Self.group)
            for (client, server) in [(F.clientV4, F.serverV4), (F.clientV6, F.serverV6)] {
                let segments = try Self.conversation(reader, client: client, server: server)
                let texts = Set(segments.map { String(decoding: $0.payload, as: UTF8.self) })
                for text in ["220 hi\r\n", "NOOP\r\n", "200 ok\r\n", "\u{0}x\r\n"] {
                    XCTAssertTrue(texts.contains(text), "\(client): \(text.debugDescription) copied; got \(texts)")
                }
                XCTAssertTrue(segments.contains { $0.flags.contains(.syn) }, "\(client): the SYN/ACK is copied")
                XCTAssertTrue(segments.contains { $0.flags.contains(.fin) }, "\(client): FINs are copied")
                let pureAcks = segments.filter { $0.payload.isEmpty && $0.flags.isDisjoint(with: [.syn, .fin, .rst]) }
                XCTAssertEqual(pureAcks.count, 0, "\(client): no pure ACK is copied: \(pureAcks)")
            }
        }
    }

    /// A short control conversation with pure ACKs in it (each side waits for
    /// the other's data), then an orderly close; every copy that arrived.
    static func conversation(_ reader: NflogReader, client: String, server: String) throws -> [TCPSegment] {
        let listener = try TestSocket.listen(server, port)
        defer { close(listener) }
        let c = try TestSocket.connect(from: client, to: server, port)
        let s = try TestSocket.accept(listener)
        var buf = [UInt8](repeating: 0, count: 256)
        for (from, to, text) in [(s, c, "220 hi\r\n"), (c, s, "NOOP\r\n"), (s, c, "200 ok\r\n"), (c, s, "\u{0}x\r\n")] {
            TestSocket.send(from, text)
            _ = recv(to, &buf, buf.count, 0)
            usleep(50_000)  // long enough for the receiver's ACK to go out alone
        }
        close(c)
        close(s)
        var segments: [TCPSegment] = []
        for _ in 0..<10 where TestSocket.readable(reader.fileDescriptor, within: 100) {
            _ = try reader.drain { p in
                if case .segment(let seg) = PacketDecoder.decode(p.payload) { segments.append(seg) }
            }
        }
        return segments
    }
}
