// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "OpenDTI",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "DTICore", targets: ["DTICore"]),
        .library(name: "DTIFormats", targets: ["DTIFormats"]),
        .executable(name: "dti", targets: ["dti"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/vapor/vapor", from: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver", from: "2.14.0"),
        .package(url: "https://github.com/vapor/leaf", from: "4.5.2"),
        .package(url: "https://github.com/vapor/leaf-kit", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // The domain and every computation. Foundation only: no I/O.
        .target(name: "DTICore"),
        // Reading and writing files: framework YAML, CSV/TSV, tables, JSON.
        .target(
            name: "DTIFormats",
            dependencies: ["DTICore", .product(name: "Yams", package: "Yams"), .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        // Multipart bodies read as they stream (our parser; ADR 0013): no Vapor, so it is fuzzed on its own.
        .target(
            name: "DTIMultipart",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // The web application: Vapor, Fluent models and migrations, Leaf views.
        .target(
            name: "DTIServer",
            dependencies: [
                "DTICore", "DTIFormats", "DTIMultipart",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "LeafKit", package: "leaf-kit"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            resources: [.copy("Resources")]
        ),
        // The command line: argument parsing only.
        .executableTarget(
            name: "dti",
            dependencies: [
                "DTICore", "DTIFormats", "DTIServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer targets for the readers of untrusted input (docs/SECURITY.md, fuzz/run.sh).
        .executableTarget(
            name: "dti-fuzz",
            dependencies: ["DTICore", "DTIFormats", "DTIMultipart"],
            path: "fuzz/Sources/dti-fuzz"
        ),
        // In-process recompute benchmark (see docs/PERFORMANCE.md).
        .executableTarget(
            name: "dti-bench",
            dependencies: ["DTICore", "DTIFormats"],
            path: "bench/Sources/dti-bench"
        ),
        // Vapor's own floor for kept bytes, beside nginx (bench/web/floor.py).
        .executableTarget(
            name: "vapor-floor",
            dependencies: [.product(name: "Vapor", package: "vapor")],
            path: "bench/Sources/vapor-floor"
        ),
        .testTarget(name: "DTICoreTests", dependencies: ["DTICore"]),
        .testTarget(name: "DTIFormatsTests", dependencies: ["DTICore", "DTIFormats", .product(name: "Yams", package: "Yams")]),
        .testTarget(
            name: "DTIServerTests",
            dependencies: ["DTIServer", .product(name: "VaporTesting", package: "vapor"), .product(name: "Yams", package: "Yams")]
        ),
        .testTarget(
            name: "DTICLITests",
            dependencies: ["dti", "DTIFormats"],
            resources: []
        ),
    ]
)
