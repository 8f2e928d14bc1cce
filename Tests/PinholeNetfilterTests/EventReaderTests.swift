import XCTest
import Foundation
@testable import PinholeNetfilter
import PinholeCore

/// Root: NFLOG and conntrack events from our own TCP connections inside a
/// fresh namespace (TEST-NET addresses on its loopback).
final class EventReaderTests: XCTestCase {
    typealias F = NamespaceFixture
    static let port: UInt16 = 2121
    /// Any ct expression turns conntrack on in a fresh namespace.
    static let conntrackOn = """
    table inet pinholetest {
        chain out {
            type filter hook output priority 0;
            ct state new counter
        }
    }
    """

    func testNflogDeliversPrefixPayloadAndHookAtOnce() throws {
        try F.skipUnlessRoot()
        try F.run { _ in
            let nft = try RulesetInstaller()
            // No queue-threshold in the rule: the reader's own NFULA_CFG_QTHRESH must make delivery immediate.
            try nft.run("""
            table inet pinholetest {
                chain out {
                    type filter hook output priority 0;
                    ip daddr \(F.serverV4) tcp dport \(Self.port) log prefix "ftpctl4" group 7
                    ip6 daddr \(F.serverV6) tcp dport \(Self.port) log prefix "ftpctl6" group 7
                }
            }
            """)
            let reader = try NflogReader(group: 7)
            for (client, server, prefix, family) in [(F.clientV4, F.serverV4, "ftpctl4", IPFamily.ipv4),
                                                     (F.clientV6, F.serverV6, "ftpctl6", IPFamily.ipv6)] {
                let listener = try TestSocket.listen(server, Self.port)
                defer { close(listener) }
                let start = DispatchTime.now()
                try TestSocket.exchange(from: client, to: server, Self.port, listener: listener, text: "USER anonymous\r\n")
                var packets: [NflogPacket] = []
                var firstArrivalMs: UInt64?
                for _ in 0..<20 where !packets.contains(where: { Self.contains($0.payload, "USER anonymous") }) {
                    guard TestSocket.readable(reader.fileDescriptor, within: 100) else { continue }
                    if firstArrivalMs == nil { firstArrivalMs = (DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1_000_000 }
                    let r = try reader.drain { packets.append($0) }
                    XCTAssertFalse(r.overflowed)
                }
                let withData = try XCTUnwrap(packets.first { Self.contains($0.payload, "USER anonymous") },
                                             "NFLOG group 7 copied \(client)->\(server):\(Self.port) with its data; got \(packets.count) packets")
                XCTAssertEqual(withData.prefix, prefix)
                XCTAssertEqual(withData.family, family)
                XCTAssertEqual(withData.hook, 3, "NF_INET_LOCAL_OUT")
                let dst = IPAddress(server)!.bytes
                if family == .ipv4 {
                    XCTAssertEqual(withData.payload.first.map { $0 >> 4 }, 4, "payload starts at the IPv4 header")
                    XCTAssertEqual(Array(withData.payload[16..<20]), dst)
                } else {
                    XCTAssertEqual(withData.payload.first.map { $0 >> 4 }, 6, "payload starts at the IPv6 header")
                    XCTAssertEqual(Array(withData.payload[24..<40]), dst)
                }
                XCTAssertTrue(packets.allSatisfy { $0.prefix == prefix }, "only our rule's packets")
                XCTAssertLessThan(try XCTUnwrap(firstArrivalMs), 500, "queue threshold 1: no 1 s batching delay")
            }
        }
    }

    func testConntrackEventsAreFilteredInKernelNewAndDestroyOnly() throws {
        try Self.withConntrackEvents(Self.serversFilter) { namespace, events in
            XCTAssertEqual(events.fileDescriptors.count, 1)

            try Self.connectBothWays()
            var seen: [ConntrackEvent] = []
            func saw(_ kind: ConntrackEvent.Kind, _ server: String) -> Bool {
                seen.contains { $0.kind == kind && $0.destination == IPAddress(server)! }
            }
            for _ in 0..<30 where !(saw(.new, F.serverV4) && saw(.new, F.serverV6)) {
                guard TestSocket.readable(events.fileDescriptors[0], within: 100) else { continue }
                let r = try events.drain { seen.append($0) }
                XCTAssertFalse(r.overflowed)
            }
            // The connections have closed (TIME_WAIT); their DESTROY comes when the entries go.
            try Self.deleteConntrackEntries(namespace)
            for _ in 0..<30 where !(saw(.destroy, F.serverV4) && saw(.destroy, F.serverV6)) {
                guard TestSocket.readable(events.fileDescriptors[0], within: 100) else { continue }
                _ = try events.drain { seen.append($0) }
            }
            for server in [F.serverV4, F.serverV6] {
                let mine = seen.filter { $0.destination == IPAddress(server)! && $0.destinationPort == Self.port }
                XCTAssertEqual(mine.map(\.kind), [.new, .destroy], "NEW then DESTROY for ->\(server):\(Self.port); saw \(seen)")
            }
            XCTAssertFalse(seen.contains { $0.kind == .update },
                           "no UPDATE events: not subscribed (the kernel would build one per state change of every connection)")
            XCTAssertFalse(seen.contains { [F.clientV4, F.clientV6].map { IPAddress($0)! }.contains($0.destination) },
                           "connections to other destinations are filtered out")
            XCTAssertEqual(events.receivedMessages, seen.count, "the kernel filter, not Swift, dropped the others")
        }
    }

    func testDumpKeepsOnlyFilteredTCPEntries() throws {
        try Self.withConntrackEvents(Self.serversFilter) { _, events in
            try Self.connectBothWays()
            let dumped = try events.dump()
            XCTAssertEqual(Set(dumped.map(\.destination)), [IPAddress(F.serverV4)!, IPAddress(F.serverV6)!],
                           "dump keeps only filtered TCP entries: \(dumped)")
            XCTAssertTrue(dumped.allSatisfy { $0.kind == .existing && $0.destinationPort == Self.port })
            XCTAssertTrue(dumped.allSatisfy { $0.tcpState?.isClosing == true }, "closed connections dump as closing: \(dumped)")
        }
    }

    /// Root: runs `body` in a fresh namespace with conntrack on, with the
    /// namespace's name and an event socket filtered by `filter`.
    static func withConntrackEvents(_ filter: ConntrackFilter,
                                    _ body: @escaping @Sendable (String, ConntrackEvents) throws -> Void) throws {
        try F.skipUnlessRoot()
        try F.run { namespace in
            try RulesetInstaller().run(conntrackOn)
            try body(namespace, try ConntrackEvents(filter: filter))
        }
    }

    /// The server addresses, v4 and v6.
    static var serversFilter: ConntrackFilter {
        ConntrackFilter(destinations: [IPPrefix("\(F.serverV4)/32")!, IPPrefix("\(F.serverV6)/128")!])
    }

    /// One short TCP connection to port 2121 of each address, v4 and v6: to the
    /// server addresses (`serversFilter`'s) and, not theirs, to the client addresses.
    static func connectBothWays() throws {
        for (from, to) in [(F.serverV4, F.clientV4), (F.clientV4, F.serverV4), (F.serverV6, F.clientV6), (F.clientV6, F.serverV6)] {
            let listener = try TestSocket.listen(to, Self.port)
            try TestSocket.exchange(from: from, to: to, Self.port, listener: listener, text: "QUIT\r\n")
            close(listener)
        }
    }

    /// `conntrack -D -p tcp` in the test's namespace: every TCP entry goes, each with a DESTROY event.
    static func deleteConntrackEntries(_ namespace: String) throws {
        try F.sh(["ip", "netns", "exec", namespace, "conntrack", "-D", "-p", "tcp"])
    }

    func testSourceOrDestinationFilterDeliversEachEventOnce() throws {
        let server = IPPrefix("\(F.serverV4)/32")!
        try Self.withConntrackEvents(ConntrackFilter(destinations: [server], sources: [server])) { _, events in
            XCTAssertEqual(events.fileDescriptors.count, 1)
            // Active mode: the server connects out to the client; one server->server (matches both);
            // one client->client (matches neither).
            for (from, to, port) in [(F.serverV4, F.clientV4, UInt16(2020)), (F.serverV4, F.serverV4, UInt16(2022)),
                                     (F.clientV4, F.clientV4, UInt16(2024))] {
                let listener = try TestSocket.listen(to, port)
                try TestSocket.exchange(from: from, to: to, port, listener: listener, text: "x")
                close(listener)
            }
            var seen: [ConntrackEvent] = []
            for _ in 0..<20 {
                var any = false
                for fd in events.fileDescriptors where TestSocket.readable(fd, within: 50) { any = true }
                if any { _ = try events.drain { seen.append($0) } }
                if seen.filter({ $0.kind == .new }).count >= 2 && !any { break }
            }
            let news = seen.filter { $0.kind == .new }
            XCTAssertEqual(news.map(\.destinationPort).sorted(), [2020, 2022], "each NEW exactly once: \(news)")
            XCTAssertEqual(events.receivedMessages, seen.count, "client->client filtered in the kernel")
        }
    }

    func testDataConnectionsBringOnlyTheirNewEvent() throws {
        let filter = ConntrackFilter(destinations: Self.serversFilter.destinations, controlPorts: [Self.port])
        try Self.withConntrackEvents(filter) { namespace, events in
            // A control connection (port 2121) and a data connection (port 50000), each v4 and v6.
            let dataPort: UInt16 = 50000
            for (client, server) in [(F.clientV4, F.serverV4), (F.clientV6, F.serverV6)] {
                for port in [Self.port, dataPort] {
                    let listener = try TestSocket.listen(server, port)
                    try TestSocket.exchange(from: client, to: server, port, listener: listener, text: "x")
                    close(listener)
                }
            }
            var seen: [ConntrackEvent] = []
            func newCount() -> Int { seen.filter { $0.kind == .new }.count }
            for _ in 0..<30 where newCount() < 4 {
                guard TestSocket.readable(events.fileDescriptor, within: 100) else { continue }
                _ = try events.drain { seen.append($0) }
            }
            // Every entry goes: the control connections' DESTROY passes, the data connections' is filtered.
            try Self.deleteConntrackEntries(namespace)
            func controlDestroyed() -> Bool {
                [F.serverV4, F.serverV6].allSatisfy { server in
                    seen.contains { $0.kind == .destroy && $0.destination == IPAddress(server)! && $0.destinationPort == Self.port }
                }
            }
            for _ in 0..<30 where !controlDestroyed() {
                guard TestSocket.readable(events.fileDescriptor, within: 100) else { continue }
                _ = try events.drain { seen.append($0) }
            }
            // The data connections' DESTROY would come in the same burst; give a straggler time to show.
            if TestSocket.readable(events.fileDescriptor, within: 200) { _ = try events.drain { seen.append($0) } }
            for server in [F.serverV4, F.serverV6].map({ IPAddress($0)! }) {
                let control = seen.filter { $0.destination == server && $0.destinationPort == Self.port }
                let data = seen.filter { $0.destination == server && $0.destinationPort == dataPort }
                XCTAssertEqual(control.map(\.kind), [.new, .destroy], "control connection to \(server): NEW and DESTROY; saw \(control)")
                XCTAssertEqual(data.map(\.kind), [.new], "data connection to \(server): its NEW only; saw \(data)")
            }
            XCTAssertEqual(events.receivedMessages, seen.count, "the kernel filter, not Swift, dropped the data connections' DESTROY")
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard haystack.count >= n.count else { return false }
        return (0...(haystack.count - n.count)).contains { Array(haystack[$0..<($0 + n.count)]) == n }
    }
}
