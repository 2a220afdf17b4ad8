// swift-tools-version: 6.0
// PlainSight: a passive network-traffic auditor.
// One module per pipeline stage; each imports only the stages to its left:
//   Capture -> Decoding -> Flows -> Inspection -> Findings -> Reporting,
// with Pipeline driving them per packet and `plainsight` (the CLI) wiring options.
import PackageDescription

let package = Package(
    name: "PlainSight",
    products: [
        .executable(name: "plainsight", targets: ["plainsight"]),
        // The stages as libraries, for the fuzz targets and benchmarks (separate packages).
        .library(name: "PlainSightStages", targets: ["Capture", "Decoding", "Flows", "Inspection", "Pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .target(name: "Capture", dependencies: ["CPcap"]),
        .target(name: "Decoding"),
        .target(name: "Flows", dependencies: ["Decoding"]),
        .target(name: "Inspection", dependencies: ["Decoding", "Flows"]),
        .target(name: "Findings", dependencies: ["Flows", "Inspection"]),
        .target(name: "Reporting", dependencies: ["Decoding", "Flows", "Inspection", "Findings"]),
        .target(
            name: "Pipeline",
            dependencies: ["Capture", "Decoding", "Flows", "Inspection", "Findings", "Reporting"]),
        .executableTarget(
            name: "plainsight",
            dependencies: ["Pipeline", "Capture", "Inspection", "Reporting", "Findings",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Helpers shared by the test targets (seeded randomness).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "DecodingTests", dependencies: ["Decoding", "TestSupport"]),
        .testTarget(name: "FlowsTests", dependencies: ["Decoding", "Flows", "TestSupport"]),
        .testTarget(name: "InspectionTests", dependencies: ["Inspection", "TestSupport"]),
        .testTarget(
            name: "ReportingTests", dependencies: ["Reporting", "Findings", "Decoding", "Flows", "Inspection", "TestSupport"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["Decoding", "Flows", "Inspection", "Reporting"]),
        .testTarget(
            name: "EndToEndTests",
            // Depends on the executable so `swift test` builds the binary the tests run.
            dependencies: ["plainsight", "Pipeline", "Capture", "Reporting", "Findings"]),
    ]
)
