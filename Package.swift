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
    ],
    targets: [
        // The domain and every computation. Foundation only: no I/O.
        .target(name: "DTICore"),
        // Reading and writing files: framework YAML, CSV/TSV, tables, JSON.
        .target(
            name: "DTIFormats",
            dependencies: ["DTICore", .product(name: "Yams", package: "Yams")]
        ),
        // The command line: argument parsing only.
        .executableTarget(
            name: "dti",
            dependencies: [
                "DTICore", "DTIFormats",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // In-process recompute benchmark (see docs/PERFORMANCE.md).
        .executableTarget(
            name: "dti-bench",
            dependencies: ["DTICore", "DTIFormats"],
            path: "bench/Sources/dti-bench"
        ),
        .testTarget(name: "DTICoreTests", dependencies: ["DTICore"]),
        .testTarget(name: "DTIFormatsTests", dependencies: ["DTICore", "DTIFormats"]),
        .testTarget(
            name: "DTICLITests",
            dependencies: ["dti"],
            resources: []
        ),
    ]
)
