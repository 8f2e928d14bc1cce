// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "nft-pinhole",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "pinholed", targets: ["pinholed"]),
        .executable(name: "pinholectl", targets: ["pinholectl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // C headers and the few shims Swift cannot import; the only C in the package.
        .target(
            name: "CNetfilter",
            linkerSettings: [
                .linkedLibrary("nftables"),
                .linkedLibrary("nftnl"),
                .linkedLibrary("mnl"),
                // Not libnfnetlink: libnetfilter_conntrack.so names it itself, and
                // linking it here made the .deb depend on it for no symbol of ours.
                .linkedLibrary("netfilter_conntrack"),
            ]
        ),
        // Pure Swift, no C, no I/O: addresses, policy model, packet decoding,
        // reassembly, FTP parsing, sessions, reconciliation.
        .target(name: "PinholeCore"),
        // YAML -> policy model, with FILE:LINE:COLUMN errors.
        .target(name: "PinholeConfig", dependencies: ["PinholeCore", "Yams"]),
        // The only module that imports CNetfilter: netlink sockets, nft batches,
        // NFLOG, NFQUEUE and conntrack.
        .target(name: "PinholeNetfilter", dependencies: ["CNetfilter", "PinholeCore"]),
        // Wiring: event loop, control socket, signals.
        .target(
            name: "PinholeDaemon",
            dependencies: [
                "PinholeCore", "PinholeConfig", "PinholeNetfilter",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The two command lines, as libraries: one binary runs either (below).
        .target(
            name: "PinholedCLI",
            dependencies: [
                "PinholeDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "PinholectlCLI",
            dependencies: [
                "PinholeCore", "PinholeConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // pinholed runs pinholectl when called by that name (the Debian
        // package's /usr/bin/pinholectl is a symlink to it), so the package
        // carries the statically linked runtime once.
        .executableTarget(name: "pinholed", dependencies: ["PinholedCLI", "PinholectlCLI"]),
        .executableTarget(name: "pinholectl", dependencies: ["PinholectlCLI"]),
        .testTarget(name: "PinholeCoreTests", dependencies: ["PinholeCore"]),
        .testTarget(name: "PinholeConfigTests", dependencies: ["PinholeConfig", "PinholeCore"]),
        .testTarget(name: "PinholeNetfilterTests", dependencies: ["PinholeNetfilter", "PinholeCore"]),
        // Control socket server and pinholectl, without root or a kernel.
        .testTarget(
            name: "PinholeControlTests",
            dependencies: ["PinholeDaemon", "PinholeCore", "PinholeNetfilter", "PinholectlCLI", "PinholedCLI"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
