import XCTest
import Foundation
@testable import PinholeNetfilter
import PinholeCore

/// Root: SYNs held in NFQUEUE inside a fresh namespace; our verdict decides.
final class QueueReaderTests: XCTestCase {
    typealias F = NamespaceFixture

    func testHeldSynIsReleasedByAcceptAndDiscardedByDrop() throws {
        try F.skipUnlessRoot()
        try F.run { namespace in
            // This kernel lacks CONFIG_NFT_QUEUE (nft's `queue` statement fails with ENOENT); the
            // xtables NFQUEUE target through nft_compat works, so the test queues with iptables-nft.
            for port in ["2300", "2301"] {
                try F.sh(["ip", "netns", "exec", namespace, "iptables-nft", "-A", "OUTPUT", "-d", F.serverV4, "-p", "tcp",
                          "--syn", "--dport", port, "-j", "NFQUEUE", "--queue-num", "5"])
            }
            let queue = try QueueReader(queue: 5)
            let listener = try TestSocket.listen(F.serverV4, 2300)
            defer { close(listener) }
            let listener2 = try TestSocket.listen(F.serverV4, 2301)
            defer { close(listener2) }

            for (port, verdict) in [(UInt16(2300), Verdict.accept), (UInt16(2301), Verdict.drop)] {
                let fd = try TestSocket.startConnect(from: F.clientV4, to: F.serverV4, port)
                defer { close(fd) }
                var held: [QueuedPacket] = []
                for _ in 0..<20 where held.isEmpty {
                    guard TestSocket.readable(queue.fileDescriptor, within: 50) else { continue }
                    _ = try queue.drain { held.append($0); return verdict }
                }
                let syn = try XCTUnwrap(held.first, "SYN to \(F.serverV4):\(port) was queued")
                XCTAssertEqual(held.count, 1)
                XCTAssertEqual(syn.payload.first.map { $0 >> 4 }, 4)
                XCTAssertEqual(Array(syn.payload[16..<20]), IPAddress(F.serverV4)!.bytes)
                let ihl = Int(syn.payload[0] & 0x0f) * 4
                XCTAssertEqual(UInt16(syn.payload[ihl + 2]) << 8 | UInt16(syn.payload[ihl + 3]), port, "TCP destination port")
                XCTAssertEqual(syn.payload[ihl + 13] & 0x12, 0x02, "SYN without ACK")
                XCTAssertLessThanOrEqual(syn.payload.count, 128, "copy range")
                if verdict == .accept {
                    XCTAssertTrue(TestSocket.connected(fd, within: 1000), "accepted SYN completes the handshake")
                } else {
                    XCTAssertFalse(TestSocket.connected(fd, within: 300), "dropped SYN does not connect")
                }
            }
        }
    }

    /// `.later` leaves the SYN queued in the kernel; `send(_:id:)` decides it afterwards.
    func testLaterVerdictHoldsTheSynUntilSent() throws {
        try F.skipUnlessRoot()
        try F.run { namespace in
            try F.sh(["ip", "netns", "exec", namespace, "iptables-nft", "-A", "OUTPUT", "-d", F.serverV4, "-p", "tcp",
                      "--syn", "--dport", "2302", "-j", "NFQUEUE", "--queue-num", "6"])
            let queue = try QueueReader(queue: 6)
            let listener = try TestSocket.listen(F.serverV4, 2302)
            defer { close(listener) }
            let fd = try TestSocket.startConnect(from: F.clientV4, to: F.serverV4, 2302)
            defer { close(fd) }
            var held: [QueuedPacket] = []
            for _ in 0..<20 where held.isEmpty {
                guard TestSocket.readable(queue.fileDescriptor, within: 50) else { continue }
                _ = try queue.drain { held.append($0); return .later }
            }
            let syn = try XCTUnwrap(held.first, "SYN to \(F.serverV4):2302 was queued")
            XCTAssertFalse(TestSocket.connected(fd, within: 300), "no verdict yet: the SYN waits in the queue")
            try queue.send(.accept, id: syn.id)
            XCTAssertTrue(TestSocket.connected(fd, within: 1000), "the late accept completes the handshake")
        }
    }
}
