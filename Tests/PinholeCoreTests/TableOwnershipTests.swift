import PinholeCore
import XCTest

final class TableOwnershipTests: XCTestCase {
    /// pinholed's own table, as `nft list table` prints it with pinholes in
    /// it (multi-line elements, comments with braces) and the xt queue rule.
    static let own = """
    table inet pinhole {
    \tcounter syn_unqueued {
    \t\tpackets 12 bytes 480
    \t}
    \tcounter syn_source_limited { packets 0 bytes 0 }
    \tset syn_sources4 {
    \t\ttype ipv4_addr
    \t\tsize 65536
    \t\tflags dynamic,timeout
    \t\ttimeout 1m
    \t\telements = { 198.51.100.66 limit rate over 1000/second burst 200 packets expires 59s996ms }
    \t}
    \tset syn_sources6 {
    \t\ttype ipv6_addr
    \t\tflags dynamic,timeout
    \t}
    \tset pinholes4 {
    \t\ttype ipv4_addr . ipv4_addr . inet_service
    \t\tsize 1048576
    \t\tflags dynamic,timeout
    \t\telements = { 198.51.100.2 . 203.0.113.10 . 50000 timeout 30s expires 29s comment "pinholed 198.51.100.2:40000->203.0.113.10:21 a{b",
    \t\t\t     198.51.100.3 . 203.0.113.10 . 50001 timeout 30s expires 28s comment "}" }
    \t}
    \tset pinholes6 {
    \t\ttype ipv6_addr . ipv6_addr . inet_service
    \t\tflags dynamic,timeout
    \t}
    \tchain tap_prerouting {
    \t\ttype filter hook prerouting priority -150; policy accept;
    \t\tct state established ip daddr 203.0.113.10 tcp dport 21 jump copy
    \t}
    \tchain tap_output { type filter hook output priority -150; policy accept; }
    \tchain tap_postrouting {
    \t\ttype filter hook postrouting priority srcnat + 50; policy accept;
    \t\tct state established ip saddr 203.0.113.10 tcp sport 21 jump copy
    \t}
    \tchain tap_input { type filter hook input priority srcnat + 50; policy accept; }
    \tchain enforce_prerouting {
    \t\ttype filter hook prerouting priority dstnat - 20; policy accept;
    \t}
    \tchain copy {
    \t\ttcp flags & (syn | fin | rst) != 0 log group 2121 queue-threshold 1 accept
    \t}
    \tchain pinhole_check {
    \t\tupdate @syn_sources4 { ip saddr limit rate over 1000/second burst 200 packets } counter name "syn_source_limited" drop
    \t\tcounter name "syn_unqueued" drop comment "no pinhole"
    \t}
    \tchain syn_guard {
    \t\tlimit rate 2000/second burst 200 packets counter packets 0 bytes 0 queue num 2121
    \t}
    }
    """

    func testPinholedsOwnTableHoldsNothingForeign() {
        XCTAssertEqual(TableOwnership.foreignObjects(inListing: Self.own), [])
    }

    /// A table of an earlier version, with the chains it checked data
    /// connections in, is pinholed's too (the script deletes them).
    func testFormerChainsAreOurs() {
        let old = Self.own.replacingOccurrences(of: "\tchain copy {", with: """
        \tchain enforce_forward {
        \t\ttype filter hook forward priority filter - 10; policy accept;
        \t}
        \tchain enforce_input { type filter hook input priority filter - 10; policy accept; }
        \tchain copy {
        """)
        XCTAssertEqual(TableOwnership.foreignObjects(inListing: old), [])
    }

    func testEverythingElseIsNamed() {
        let host = Self.own.replacingOccurrences(of: "\tchain copy {", with: """
        \tcounter ssh { packets 0 bytes 0 }
        \tchain input {
        \t\ttype filter hook input priority 0; policy drop;
        \t}
        \tset allowed {
        \t\ttype ipv4_addr
        \t}
        \tct helper ftp-standard {
        \t\ttype "ftp" protocol tcp
        \t}
        \tchain copy {
        """)
        XCTAssertEqual(TableOwnership.foreignObjects(inListing: host),
                       ["counter ssh", "chain input", "set allowed", "ct helper ftp-standard"])
    }

    func testOwnNamesOfAnotherKindAreForeign() {
        XCTAssertEqual(TableOwnership.foreignObjects(inListing: "table inet t {\n\tmap pinholes4 {\n\t}\n\tset copy {\n\t}\n\tchain syn_unqueued {\n\t}\n\tcounter syn_sources4 {\n\t}\n}\n"),
                       ["map pinholes4", "set copy", "chain syn_unqueued", "counter syn_sources4"])
    }
}
