import XCTest
import Glibc
@testable import PinholeNetfilter
@testable import PinholeCore

/// Root: `RulesetBuilder`'s copy rules for client segments with the reader's
/// batching, on real TCP in a fresh namespace. Client segments wait in the
/// kernel unless they can open or close a pinhole; a server segment flushes
/// them, in order. (Server segments here are copied only when they carry
/// data, so the server's own ACKs cannot flush the batch mid-test.)
final class NflogBatchingTests: XCTestCase {
    typealias F = NamespaceFixture
    static let port: UInt16 = 2121
    static let group: UInt16 = 9
    /// Long enough that "not yet" and "at once" cannot be confused.
    static let flushCentiseconds: UInt32 = 100

    func testClientCopiesWaitForTheServerOrAnImmediateCommand() throws {
        try F.skipUnlessRoot()
        try F.run { _ in
            let policy = Policy(nflogGroup: Self.group, services: [
                Service(name: "t", servers: [IPPrefix("\(F.serverV4)/32")!], controlPort: Self.port),
            ])
            let copy = RulesetBuilder.copyCommandRules(policy).map { "        \($0)" }.joined(separator: "\n")
            _ = try RulesetInstaller().run("""
            table inet nflogbatch {
                chain copy_command {
            \(copy)
                }
                chain out {
                    type filter hook output priority 0;
                    ct state established tcp dport \(Self.port) jump copy_command
                    ct state established tcp sport \(Self.port) @ih,0,8 0x32 log group \(Self.group) queue-threshold 1
                }
            }
            """)
            let reader = try NflogReader(group: Self.group, queueThreshold: RulesetBuilder.batchedCopies,
                                         flushCentiseconds: Self.flushCentiseconds)
            for (client, server) in [(F.clientV4, F.serverV4), (F.clientV6, F.serverV6)] {
                try Self.conversation(reader, client: client, server: server)
            }
        }
    }

    /// The copies' TCP payloads as text, in arrival order.
    static func read(_ reader: NflogReader) throws -> [String] {
        var texts: [String] = []
        _ = try reader.drain { p in
            if case .segment(let s) = PacketDecoder.decode(p.payload), !s.payload.isEmpty {
                texts.append(String(decoding: s.payload, as: UTF8.self))
            }
        }
        return texts
    }

    static func conversation(_ reader: NflogReader, client: String, server: String) throws {
        let listener = try TestSocket.listen(server, port)
        defer { close(listener) }
        let c = try TestSocket.connect(from: client, to: server, port)
        defer { close(c) }
        let s = try TestSocket.accept(listener)
        defer { close(s) }
        let fd = reader.fileDescriptor
        func waitingOnly(_ what: String) throws {
            XCTAssertFalse(TestSocket.readable(fd, within: 300), "\(what) (\(client)): batched, not sent yet")
        }
        func atOnce(_ what: String) throws -> [String] {
            XCTAssertTrue(TestSocket.readable(fd, within: 300), "\(what) (\(client)): sent at once")
            return try read(reader)
        }
        TestSocket.send(s, "220 hello\r\n")
        _ = try atOnce("a server segment")
        TestSocket.send(c, "NOOP\r\n")
        try waitingOnly("NOOP")
        TestSocket.send(s, "200 ok\r\n")
        let flushed = try atOnce("the reply")
        XCTAssertEqual(flushed.first, "NOOP\r\n", "the command comes first, with its reply: \(flushed)")
        XCTAssertEqual(flushed.last, "200 ok\r\n")
        TestSocket.send(c, "port 198,51,100,2,200,10\r\n")
        XCTAssertTrue(try atOnce("lower-case port").contains("port 198,51,100,2,200,10\r\n"))
        TestSocket.send(c, "EPRT |1|198.51.100.2|51210|\r\n")
        XCTAssertTrue(try atOnce("EPRT").contains("EPRT |1|198.51.100.2|51210|\r\n"))
        TestSocket.send(c, "QUIT\r\n")
        try waitingOnly("QUIT")
        XCTAssertTrue(TestSocket.readable(fd, within: Int32(flushCentiseconds) * 10 + 1000), "QUIT: sent by the flush timer")
        XCTAssertEqual(try read(reader).first, "QUIT\r\n")
        shutdown(c, Int32(SHUT_WR))
        XCTAssertTrue(TestSocket.readable(fd, within: 300), "the client's FIN is sent at once")
        _ = try read(reader)
    }
}
