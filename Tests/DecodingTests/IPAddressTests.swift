import Testing
@testable import Decoding

@Suite("IPAddress")
struct IPAddressTests {
    /// Builds an IPv6 address from its eight 16-bit groups.
    func v6(_ g: [UInt16]) -> IPAddress {
        precondition(g.count == 8)
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<4 { high = high << 16 | UInt64(g[i]) }
        for i in 4..<8 { low = low << 16 | UInt64(g[i]) }
        return IPAddress(high: high, low: low)
    }

    @Test func ipv4IsStoredIPv4Mapped() {
        let a = IPAddress(ipv4: 0xc000_0201)
        #expect(a.high == 0)
        #expect(a.low == 0x0000_ffff_c000_0201)
        #expect(a.isIPv4)
    }

    @Test func ipv4TextIsDottedQuad() {
        #expect(IPAddress(ipv4: 0xc000_0201).description == "192.0.2.1")
        #expect(IPAddress(ipv4: 0).description == "0.0.0.0")
        #expect(IPAddress(ipv4: 0xffff_ffff).description == "255.255.255.255")
        #expect(IPAddress(ipv4: 0x0a00_00ff).description == "10.0.0.255")
    }

    @Test func ipv6IsNotIPv4() {
        #expect(!v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]).isIPv4)
        #expect(!v6([0, 0, 0, 0, 0, 0, 0, 1]).isIPv4)
        #expect(!v6([0, 0, 0, 0, 0, 0xfffe, 0xc000, 0x0201]).isIPv4)
        #expect(!v6([0, 0, 0, 1, 0, 0xffff, 0xc000, 0x0201]).isIPv4)
    }

    @Test func rfc5952CompressesTheLongestZeroRun() {
        #expect(v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]).description == "2001:db8::1")
        #expect(v6([0, 0, 0, 0, 0, 0, 0, 1]).description == "::1")
        #expect(v6([0, 0, 0, 0, 0, 0, 0, 0]).description == "::")
        #expect(v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]).description == "fe80::")
        #expect(v6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 0]).description == "2001:db8:0:0:1::")
        #expect(v6([0x2001, 0, 0, 1, 0, 0, 0, 1]).description == "2001:0:0:1::1")
    }

    @Test func rfc5952TieCompressesTheFirstRun() {
        #expect(v6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]).description == "2001:db8::1:0:0:1")
        #expect(v6([0, 0, 1, 0, 0, 1, 0, 0]).description == "::1:0:0:1:0:0")
    }

    @Test func rfc5952SingleZeroGroupIsNotCompressed() {
        #expect(v6([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1]).description == "2001:db8:0:1:1:1:1:1")
        #expect(v6([1, 0, 1, 0, 1, 0, 1, 0]).description == "1:0:1:0:1:0:1:0")
        #expect(v6([0, 1, 2, 3, 4, 5, 6, 7]).description == "0:1:2:3:4:5:6:7")
    }

    @Test func rfc5952DropsLeadingZerosAndUsesLowerCase() {
        #expect(v6([0x2001, 0x0db8, 0x00ab, 0x000c, 0xABCD, 0xEF01, 0x0010, 0x0001]).description
            == "2001:db8:ab:c:abcd:ef01:10:1")
        #expect(v6([0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff]).description
            == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
    }

    @Test func rfc5952LongerLaterRunWins() {
        #expect(v6([1, 0, 0, 1, 0, 0, 0, 1]).description == "1:0:0:1::1")
    }

    @Test func parsesDottedQuad() {
        #expect(IPAddress("192.0.2.1") == IPAddress(ipv4: 0xc000_0201))
        #expect(IPAddress("0.0.0.0") == IPAddress(ipv4: 0))
        #expect(IPAddress("255.255.255.255") == IPAddress(ipv4: 0xffff_ffff))
    }

    @Test func parsesIPv6Forms() {
        #expect(IPAddress("2001:db8::1") == v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]))
        #expect(IPAddress("::1") == v6([0, 0, 0, 0, 0, 0, 0, 1]))
        #expect(IPAddress("::") == v6([0, 0, 0, 0, 0, 0, 0, 0]))
        #expect(IPAddress("fe80::") == v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]))
        #expect(IPAddress("2001:DB8:0:0:1:0:0:1") == v6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]))
        #expect(IPAddress("2001:0db8:0000:0000:0000:0000:0000:0001") == v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]))
        #expect(IPAddress("1:2:3:4:5:6:7::") == v6([1, 2, 3, 4, 5, 6, 7, 0]))
        #expect(IPAddress("::2:3:4:5:6:7:8") == v6([0, 2, 3, 4, 5, 6, 7, 8]))
    }

    @Test func nonCanonicalInputPrintsCanonically() {
        #expect(IPAddress("2001:db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("2001:0DB8::0001")?.description == "2001:db8::1")
        #expect(IPAddress("0:0:0:0:0:0:0:0")?.description == "::")
        #expect(IPAddress("0:0:0:0:0:0:0:1")?.description == "::1")
    }

    @Test(arguments: [
        "192.0.2.1", "0.0.0.0", "255.255.255.255", "2001:db8::1", "::1", "::", "fe80::", "2001:db8::1:0:0:1",
        "2001:db8:0:1:1:1:1:1", "1:0:0:1::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "0:1:2:3:4:5:6:7",
        "2001:db8:0:0:1::",
    ])
    func canonicalTextRoundTrips(_ text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == text)
        #expect(IPAddress(address.description) == address)
    }

    @Test func everyZeroRunPositionRoundTrips() {
        // All 256 patterns of zero / non-zero groups.
        for mask in 0..<256 {
            let groups = (0..<8).map { mask >> $0 & 1 == 1 ? UInt16(0x10 + $0) : 0 }
            let address = v6(groups)
            let text = address.description
            #expect(IPAddress(text) == address, "\(groups) -> \(text)")
            #expect(!text.contains(":::"))
            #expect(text.split(separator: "::", omittingEmptySubsequences: false).count <= 2)
        }
    }

    @Test(arguments: [
        "", "1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-1", "1..2.3", "a.b.c.d", " 1.2.3.4", "1.2.3.4 ",
        ":", ":::", "1::2::3", "12345::1", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::",
        "::1:2:3:4:5:6:7:8", "g::1", "2001:db8::1%eth0", "2001:db8:::1", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:",
        "2001:db8::/32",
    ])
    func invalidStringsAreRejected(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test(
        arguments: ["+1.2.3.4", "1.2.3.+4", "-0.0.0.0", "::+1", "::-0", "+1::"])
    func signedGroupsAreRejected(_ text: String) {
        #expect(IPAddress(text) == nil)
    }
}
