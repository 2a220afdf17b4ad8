// swift-tools-version: 6.0
// libFuzzer targets for PlainSight: a separate package so the product never
// links the fuzzer runtime. Build and run with `Fuzz/run.sh TARGET [SECONDS]`
// (see README.md). Each target is one file defining `LLVMFuzzerTestOneInput`;
// libFuzzer supplies `main`, so the targets link only with `--sanitize=fuzzer`.
import PackageDescription

let fuzzTarget: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]
let stages = Target.Dependency.product(name: "PlainSightStages", package: "PlainSight")

let package = Package(
    name: "PlainSightFuzz",
    dependencies: [
        .package(name: "PlainSight", path: ".."),
    ],
    targets: [
        // Input cursor, named invariant checks, the frame format of the packet-level targets,
        // the TLS policy and a flow identity for the targets that run TLSAssessor.
        .target(name: "FuzzSupport", dependencies: [stages]),
        // Frames of one link type through one PacketDecoder (fragments, tunnels, snap length).
        .executableTarget(name: "FuzzDecoder", dependencies: [stages, "FuzzSupport"], swiftSettings: fuzzTarget),
        // Operations on a client/server pair of TCPStreams sharing one ReassemblyBudget.
        .executableTarget(name: "FuzzReassembly", dependencies: [stages, "FuzzSupport"], swiftSettings: fuzzTarget),
        // Chunks, gaps and ends per direction through AppIdentifier (all probes).
        .executableTarget(name: "FuzzIdentification", dependencies: [stages, "FuzzSupport"], swiftSettings: fuzzTarget),
        // Frames end to end through Auditor (decode, flow table, reassembly, inspection, reporting).
        .executableTarget(name: "FuzzPipeline", dependencies: [stages, "FuzzSupport"], swiftSettings: fuzzTarget),
        // A script of chunks, gaps and ends on one FlowInspection (identification, STARTTLS, TLS
        // handshake reassembly) under a small shared InspectionContext budget, then TLSAssessor.
        .executableTarget(name: "FuzzTLS", dependencies: [stages, "FuzzSupport"], swiftSettings: fuzzTarget),
        // A script of chunks, gaps and ends on one cleartext analyzer (HTTP, or the mail/FTP
        // login reader in one dialect) under a small budget, then CleartextAssessor.
        .executableTarget(name: "FuzzCleartext", dependencies: [stages, "FuzzSupport"], swiftSettings: fuzzTarget),
        // Header blocks through one HPACKDecoder (RFC 7541) under a small budget, and one Huffman string.
        .executableTarget(name: "FuzzHPACK", dependencies: [stages, "FuzzSupport"], swiftSettings: fuzzTarget),
        // One stream through the content scanner (built-in rules), chunked and whole.
        .executableTarget(name: "FuzzScanner", dependencies: [stages, "FuzzSupport"], swiftSettings: fuzzTarget),
        // One DER certificate through CertificateFacts, TLSAssessor and TrustStore.readPEM.
        .executableTarget(name: "FuzzCertificate", dependencies: [stages, "FuzzSupport"], swiftSettings: fuzzTarget),
        // One value through one content-scanner validator, JWTFacts, cardBrand and Entropy.
        .executableTarget(name: "FuzzValidators", dependencies: [stages, "FuzzSupport"], swiftSettings: fuzzTarget),
    ]
)
