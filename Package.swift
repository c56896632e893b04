// swift-tools-version: 6.0
// chainsnap: snapshots and chain data for blockchain node fleets on Kubernetes.
//
// Dependencies point one way: the `chainsnap` command → feature modules
// (Snapshots, ChainData, NodeRPC) → Stores/Transfer → Codecs → SnapshotCore.
// Each C library is imported by exactly one Swift module.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "chainsnap",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "chainsnap", targets: ["chainsnap"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // C libraries, bound as system libraries (module.modulemap + shim.h).
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Plain values: content ids, manifests, sizes, path rules. No I/O, no C.
        .target(name: "SnapshotCore", swiftSettings: strict),
        // zstd, lz4, SHA-256, HMAC, Keccak-256, and the positional-I/O file handle.
        .target(name: "Codecs", dependencies: ["CZstd", "CLZ4", "CCrypto", "CZlib", "SnapshotCore"], swiftSettings: strict),
        // libcurl easy/multi wrapper, parallel ranged downloader, retry policy.
        .target(name: "Transfer", dependencies: ["CCurl", "SnapshotCore"], swiftSettings: strict),
        // ObjectStore and its file://, https://, s3:// implementations.
        .target(name: "Stores", dependencies: ["SnapshotCore", "Codecs", "Transfer"], swiftSettings: strict),
        // Chunking, packing, manifests, restore, verify, prune, archive restore.
        .target(name: "Snapshots", dependencies: ["SnapshotCore", "Codecs", "Stores", "Transfer"], swiftSettings: strict),
        // The node's JSON-RPC client and the supervisor.
        .target(name: "NodeRPC", dependencies: ["SnapshotCore", "Transfer"], swiftSettings: strict),
        // RLP stream reader, bundles, export and import.
        .target(name: "ChainData", dependencies: ["SnapshotCore", "Codecs", "Stores", "Transfer", "NodeRPC"], swiftSettings: strict),
        // Fleet files and LuxNetwork documents mapped to chart values; helm upgrade --install per network.
        .target(name: "FleetDeploy", dependencies: ["SnapshotCore", .product(name: "Yams", package: "Yams")], swiftSettings: strict),
        .executableTarget(
            name: "chainsnap",
            dependencies: [
                "SnapshotCore", "Codecs", "Stores", "Snapshots", "ChainData", "NodeRPC", "Transfer", "FleetDeploy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // Helpers shared by the tests: temp folders, tree comparison, child processes, servers.
        .target(name: "TestSupport", dependencies: ["Codecs"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "SnapshotCoreTests", dependencies: ["SnapshotCore"], swiftSettings: strict),
        .testTarget(name: "CodecsTests", dependencies: ["Codecs", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "TransferTests", dependencies: ["Transfer", "Codecs", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "StoresTests", dependencies: ["Stores", "Codecs", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "SnapshotsTests", dependencies: ["Snapshots", "Stores", "Codecs", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "NodeRPCTests", dependencies: ["NodeRPC", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ChainDataTests", dependencies: ["ChainData", "Codecs", "Stores", "NodeRPC", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "FleetDeployTests", dependencies: ["FleetDeploy", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "Codecs"], swiftSettings: strict),
    ]
)
