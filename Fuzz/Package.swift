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
        // Input cursor, named invariant checks, the frame format of the packet-level targets.
        .target(name: "FuzzSupport"),
        // Frames of one link type through one PacketDecoder (fragments, tunnels, snap length).
        .executableTarget(name: "FuzzDecoder", dependencies: [stages, "FuzzSupport"], swiftSettings: fuzzTarget),
        // Operations on a client/server pair of TCPStreams sharing one ReassemblyBudget.
        .executableTarget(name: "FuzzReassembly", dependencies: [stages, "FuzzSupport"], swiftSettings: fuzzTarget),
        // Chunks, gaps and ends per direction through AppIdentifier (all probes).
        .executableTarget(name: "FuzzIdentification", dependencies: [stages, "FuzzSupport"], swiftSettings: fuzzTarget),
        // Frames end to end through Auditor (decode, flow table, reassembly, inspection, reporting).
        .executableTarget(name: "FuzzPipeline", dependencies: [stages, "FuzzSupport"], swiftSettings: fuzzTarget),
    ]
)
