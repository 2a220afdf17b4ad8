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
        .library(
            name: "PlainSightStages", targets: ["Capture", "Decoding", "Flows", "PatternFiles", "Scanning", "Inspection", "Findings", "Pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Certificate signatures (self-signed, chain validation), hashes, JA3/JA4.
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // Policy files under Patterns/.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CBrotli", pkgConfig: "libbrotlidec", providers: [.apt(["libbrotli-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
        .target(name: "Capture", dependencies: ["CPcap"]),
        .target(name: "Decoding"),
        .target(name: "Flows", dependencies: ["Decoding"]),
        // Reading the rule and policy files under Patterns/ (YAML with file:line errors).
        .target(name: "PatternFiles", dependencies: [.product(name: "Yams", package: "Yams")]),
        // The content scanner: PCRE2 rules from Patterns/content behind a literal prefilter, and validators.
        .target(name: "Scanning", dependencies: ["CPCRE2", "PatternFiles"]),
        .target(name: "Inspection", dependencies: ["Decoding", "Flows", "Scanning", "CZlib", "CBrotli", "CZstd"]),
        .target(
            name: "Findings",
            dependencies: [
                "Flows", "Inspection", "Scanning", "PatternFiles",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ]),
        .target(name: "Reporting", dependencies: ["Decoding", "Flows", "Inspection", "Findings"]),
        // The nightly assessment: JSON Lines in, inventory, baseline and diff, reports out.
        .target(
            name: "Assessment",
            dependencies: ["Decoding", "Findings", "PatternFiles", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "Pipeline",
            dependencies: ["Capture", "Decoding", "Flows", "Inspection", "Findings", "Reporting"]),
        .executableTarget(
            name: "plainsight",
            dependencies: ["Pipeline", "Capture", "Inspection", "Reporting", "Findings", "Scanning", "PatternFiles", "Assessment",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Helpers shared by the test targets (seeded randomness).
        .target(name: "TestSupport", dependencies: ["Flows", "Inspection"], path: "Tests/TestSupport"),
        // brotli's encoder, only for the tests that compress bodies (the product links the decoder alone).
        .systemLibrary(
            name: "CBrotliEncoder", path: "Tests/CBrotliEncoder", pkgConfig: "libbrotlienc", providers: [.apt(["libbrotli-dev"])]),
        .testTarget(name: "DecodingTests", dependencies: ["Decoding", "TestSupport"]),
        .testTarget(name: "FlowsTests", dependencies: ["Decoding", "Flows", "TestSupport"]),
        .testTarget(name: "ScanningTests", dependencies: ["Scanning", "TestSupport"]),
        .testTarget(
            name: "InspectionTests", dependencies: ["Inspection", "Scanning", "TestSupport", "CZlib", "CZstd", "CBrotliEncoder"]),
        .testTarget(
            name: "ReportingTests", dependencies: ["Reporting", "Findings", "Decoding", "Flows", "Inspection", "TestSupport"]),
        .testTarget(
            name: "FindingsTests",
            dependencies: ["Findings", "Inspection", "Scanning", "Decoding", "Flows", "PatternFiles", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "AssessmentTests", dependencies: ["Assessment", "Findings", "TestSupport"]),
        .testTarget(
            name: "FuzzRegressionTests",
            dependencies: ["Decoding", "Flows", "Scanning", "Inspection", "Findings", "Reporting", "TestSupport"]),
        .testTarget(
            name: "EndToEndTests",
            // Depends on the executable so `swift test` builds the binary the tests run.
            dependencies: ["plainsight", "Pipeline", "Capture", "Reporting", "Findings"],
            exclude: ["Fixtures"]),
    ]
)
