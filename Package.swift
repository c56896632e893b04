// swift-tools-version: 6.0
// chainsnap: snapshots and chain data for blockchain node fleets on Kubernetes.
//
// Dependencies point one way: the `chainsnap` command (its own flags, cross-flag checks in
// validate(), a call into a library and printing what it returns) → CommandOptions (the option
// groups several commands share) → feature modules (Fleet, NodeData, KubeManifests, Snapshots,
// Archives, ChainData, NodeRPC, …) → RestoreCore (what both restores share), Stores, Transfer →
// LocalFS (local files), Codecs → SnapshotCore (values). Snapshots and Archives are siblings: neither imports the other. Each C
// library is imported by exactly one Swift module; system calls on local files go through
// LocalFS. Decisions live in the modules, where they are tested.
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
        // YAML: kubeconfigs, fleet files and LuxNetwork documents.
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
        // zstd, lz4, gzip, SHA-256, HMAC, Keccak-256.
        .target(name: "Codecs", dependencies: ["CZstd", "CLZ4", "CCrypto", "CZlib", "SnapshotCore"], swiftSettings: strict),
        // Local files: the syscall funnel (EINTR, errno → ChainsnapError with hints), the
        // positional-I/O file handle, file-system operations, the background flusher.
        .target(name: "LocalFS", dependencies: ["SnapshotCore"], swiftSettings: strict),
        // libcurl easy/multi wrapper, parallel ranged downloader, retry policy.
        .target(name: "Transfer", dependencies: ["CCurl", "SnapshotCore"], swiftSettings: strict),
        // ObjectStore and its file://, https://, s3:// implementations; the store settings every
        // command takes (checked, and printed back as arguments); signing key files.
        .target(name: "Stores", dependencies: ["SnapshotCore", "Codecs", "LocalFS", "Transfer"], swiftSettings: strict),
        // What every restore shares: the target and its safety rules (staging, marker, space
        // check), progress reporting, and the lock and bounded-concurrency helpers.
        .target(name: "RestoreCore", dependencies: ["SnapshotCore", "LocalFS", "Transfer"], swiftSettings: strict),
        // Chunking, packing, manifests, snapshot create, restore, verify, prune.
        .target(name: "Snapshots", dependencies: ["SnapshotCore", "Codecs", "LocalFS", "Stores", "Transfer", "RestoreCore"], swiftSettings: strict),
        // Streamed `.tar`, `.tar.zst`, `.tar.lz4`, `.tar.gz` restores: format detection, tar parsing, extraction.
        .target(name: "Archives", dependencies: ["SnapshotCore", "Codecs", "LocalFS", "Stores", "Transfer", "RestoreCore"], swiftSettings: strict),
        // The node's JSON-RPC client and the supervisor: the node's start arguments (public IP,
        // bootstrap peers), the head a restore marker recorded, re-running chainsnap as a step.
        .target(name: "NodeRPC", dependencies: ["SnapshotCore", "LocalFS", "RestoreCore", "Transfer"], swiftSettings: strict),
        // RLP stream reader, bundles, export and import.
        .target(name: "ChainData", dependencies: ["SnapshotCore", "Codecs", "LocalFS", "Stores", "Transfer", "NodeRPC"], swiftSettings: strict),
        // The init container's prepare-data plan (restore / leave / clear-then-restore, with
        // reasons) as a pure value, the executor that surveys the data folder and acts on it, and
        // the run that starts `chainsnap snapshot restore` (NodeRPC's self-exec) when the plan says so.
        .target(name: "NodeData", dependencies: ["SnapshotCore", "LocalFS", "RestoreCore", "NodeRPC"], swiftSettings: strict),
        // Prometheus text exposition, job and restore metrics, the textfile writer and the
        // Pushgateway client (HTTP through Transfer). No knowledge of stores or nodes.
        .target(name: "Metrics", dependencies: ["SnapshotCore", "LocalFS", "Transfer"], swiftSettings: strict),
        // `chainsnap exporter`: per-store snapshot/bundle freshness and per-node heights, refreshed
        // in the background into a cache, served by a small HTTP/1.1 server on POSIX sockets; its --config file.
        .target(name: "Exporter", dependencies: ["SnapshotCore", "LocalFS", "Metrics", "Stores", "Snapshots", "ChainData", "NodeRPC", "Transfer"], swiftSettings: strict),
        // Kubernetes API client: kubeconfig, auth (token, client certs, exec plugins, in-cluster), objects, pod proxy.
        .target(name: "KubeClient", dependencies: ["SnapshotCore", "Transfer", .product(name: "Yams", package: "Yams")],
                swiftSettings: strict),
        // Fleet decisions (gates, lag, quorum, roll plans, recovery requests as prepare-data plan inputs),
        // the roll/recover/wait loops and the fleet status table.
        .target(name: "Fleet", dependencies: ["SnapshotCore", "KubeClient", "NodeRPC", "Transfer", "NodeData"], swiftSettings: strict),
        // Fleet files and LuxNetwork documents mapped to chart values; helm upgrade --install per network.
        .target(name: "FleetDeploy", dependencies: ["SnapshotCore", .product(name: "Yams", package: "Yams")], swiftSettings: strict),
        // Kubernetes manifests as values (YAML tree, Job settings, restore/reimport Jobs) → YAML text. No I/O.
        .target(name: "KubeManifests", dependencies: ["SnapshotCore"], swiftSettings: strict),
        // The option groups several commands share (store, source, restore request, trust, metrics,
        // Job, node, cluster, gates, helm), each with its validate() and, where a command passes it on
        // (to a subcommand it runs or a generated Job), its print-back as arguments; the usage-error,
        // exit-code and output helpers every command uses. Tested by parsing, without the binary.
        .target(name: "CommandOptions", dependencies: [
                    "SnapshotCore", "Codecs", "RestoreCore", "Stores", "Metrics", "NodeRPC", "ChainData", "NodeData", "KubeManifests",
                    "KubeClient", "Fleet", "FleetDeploy", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                ], swiftSettings: strict),
        .executableTarget(
            name: "chainsnap",
            dependencies: [
                "CommandOptions", "SnapshotCore", "Codecs", "LocalFS", "Stores", "RestoreCore", "Snapshots", "Archives", "ChainData", "NodeRPC", "Transfer", "NodeData", "KubeManifests", "Metrics", "Exporter", "KubeClient", "Fleet", "FleetDeploy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // Helpers shared by the tests: temp folders, tree comparison, child processes, servers.
        .target(name: "TestSupport", dependencies: ["Codecs"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "SnapshotCoreTests", dependencies: ["SnapshotCore"], swiftSettings: strict),
        .testTarget(name: "CodecsTests", dependencies: ["Codecs", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "TransferTests", dependencies: ["Transfer", "Codecs", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "LocalFSTests", dependencies: ["LocalFS", "SnapshotCore", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "StoresTests", dependencies: ["Stores", "LocalFS", "Codecs", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "RestoreCoreTests", dependencies: ["RestoreCore", "LocalFS", "SnapshotCore", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "SnapshotsTests", dependencies: ["Snapshots", "RestoreCore", "LocalFS", "Stores", "Codecs", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ArchivesTests", dependencies: ["Archives", "Snapshots", "RestoreCore", "LocalFS", "Stores", "Codecs", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "NodeRPCTests", dependencies: ["NodeRPC", "RestoreCore", "SnapshotCore", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ChainDataTests", dependencies: ["ChainData", "Codecs", "LocalFS", "Stores", "NodeRPC", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "NodeDataTests", dependencies: ["NodeData", "SnapshotCore", "RestoreCore", "LocalFS", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "KubeManifestsTests", dependencies: ["KubeManifests", "SnapshotCore"], swiftSettings: strict),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "Exporter", "NodeRPC", "Stores", "SnapshotCore", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "KubeClientTests", dependencies: ["KubeClient", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "FleetTests", dependencies: ["Fleet", "KubeClient", "NodeRPC", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "FleetDeployTests", dependencies: ["FleetDeploy", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "CommandOptionsTests", dependencies: ["CommandOptions", "NodeData", "Stores", "SnapshotCore", "TestSupport",
                                                             .product(name: "ArgumentParser", package: "swift-argument-parser")],
                    swiftSettings: strict),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "Codecs"], swiftSettings: strict),
    ]
)

// libFuzzer harnesses (scripts/fuzz.sh, fuzz/README.md): declared only when CHAINSNAP_FUZZ=1, so
// ordinary builds and tests never see them. Build with its own scratch path and the sanitizer:
//   CHAINSNAP_FUZZ=1 swift build --scratch-path .build-fuzz --product chainsnap-fuzz \
//       -Xswiftc -sanitize=fuzzer -Xswiftc -enable-testing
if Context.environment["CHAINSNAP_FUZZ"] == "1" {
    package.targets.append(.executableTarget(
        name: "chainsnap-fuzz",
        dependencies: ["SnapshotCore", "Codecs", "LocalFS", "Stores", "RestoreCore", "Snapshots", "Archives", "ChainData", "Transfer"],
        path: "fuzz/Sources/chainsnap-fuzz",
        swiftSettings: strict + [.unsafeFlags(["-parse-as-library"])],
        // The entry point finds libFuzzer's driver with dlsym (see Harness.swift).
        linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic-symbol=LLVMFuzzerRunDriver"])]
    ))
    package.products.append(.executable(name: "chainsnap-fuzz", targets: ["chainsnap-fuzz"]))
}
