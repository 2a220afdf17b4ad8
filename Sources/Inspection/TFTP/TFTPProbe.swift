extension Probes {
    /// TFTP (RFC 1350 §5, options RFC 2347): a read or write request —
    /// opcode 1 or 2, a printable file name, NUL, a mode (`netascii`, `octet`, `mail`,
    /// any case), NUL, then option pairs — on any port. The transfer itself
    /// runs between two new ports: its first DATA packet (opcode 3, block 1,
    /// at most 512 data bytes), an ACK of block 0 or 1 (exactly 4 bytes; the
    /// answer to a write request or an option acknowledgement), an OACK
    /// (opcode 6) or an ERROR (opcode 5, code 0–8, a NUL-terminated message
    /// filling the datagram) are recognised too. TFTP carries no credential:
    /// the exposure is the transfer itself (`cleartext.tftp`).
    static let tftp = AnalyzerDescriptor(
        name: "tftp", app: .tftp, portHints: [69],
        probeToServer: { bytes, _ in tftpPacket(bytes) },
        probeToClient: { bytes, _ in tftpPacket(bytes) },
        transport: .udp)

    static let tftpModes: [StaticString] = ["netascii", "octet", "mail"]

    static func tftpPacket(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        guard bytes.count >= 4, bytes[0] == 0 else { return .noMatch }
        let block = Int(bytes[2]) << 8 | Int(bytes[3])
        switch bytes[1] {
        case 1, 2:
            var fields = NULFields(UnsafeRawBufferPointer(rebasing: bytes[2...]))
            // The file name may be empty (a server's default file); the mode decides.
            guard let name = fields.next(), name.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }),
                let mode = fields.next(), bytes.last == 0
            else { return .noMatch }
            return tftpModes.contains { mode.count == $0.utf8CodeUnitCount && hasCaseInsensitivePrefix(mode, $0) == .match }
                ? .match : .noMatch
        case 3:
            return block == 1 && bytes.count <= 4 + 512 ? .match : .noMatch
        case 4:
            return block <= 1 && bytes.count == 4 ? .match : .noMatch
        case 5:
            guard block <= 8, bytes.last == 0, bytes.count >= 5 else { return .noMatch }
            return bytes.nul(from: 4) == bytes.count - 1 ? .match : .noMatch
        case 6:
            // OACK: option NUL value NUL pairs.
            guard bytes.last == 0, let first = bytes.nul(from: 2), first > 2 else { return .noMatch }
            return .match
        default:
            return .noMatch
        }
    }
}
