import Testing

@testable import Scanning

@Suite struct EmailValidatorTests {
    @Test(arguments: ["alice@corp.acme-widgets.io", "j.doe+invoices@mail.northwind.co.uk", "o'brien@shop.de",
                      "UPPER.Case@Acme-Corp.COM", "x@a1.bc", "user@xn--80ak6aa92e.xn--p1ai", "a@myexample.com",
                      "a@example.company", "a@testing.org", "first_last-99@sub.domain.travel",
                      "~!#$%&'*+-/=?^_`{|}@weird.chars.net"])
    func accepted(_ address: String) {
        #expect(Validator.email.accepts(address))
    }

    /// RFC 2606 / RFC 6761: example.com/.net/.org and below, and the .example, .test, .invalid and
    /// .localhost TLDs, in any case.
    @Test(arguments: ["user@example.com", "USER@EXAMPLE.ORG", "a@example.net", "a@mail.example.net",
                      "a@corp.example", "a@foo.test", "a@host.invalid", "a@app.localhost", "a@Deep.Sub.Example.Com"])
    func reservedDomainsAreRefused(_ address: String) {
        #expect(!Validator.email.accepts(address))
    }

    @Test(arguments: ["a..b@x.io", ".a@x.io", "a.@x.io", "a@-x.io", "a@x-.io", "a@x", "a@x.c", "a@x.c0m",
                      "a@@x.io", "a@b@x.io", "a b@x.io", "@x.io", "a@", "a@x..io", "a@.x.io", "a@x.io.",
                      "\"quoted\"@x.io", "a@x_y.io", "a@x.io\n", "a@[192.0.2.1]", "a(b)@x.io", "a@x.xn--"])
    func malformedAreRefused(_ address: String) {
        #expect(!Validator.email.accepts(address))
    }

    @Test func lengthLimits() {
        let local64 = String(repeating: "a", count: 64)
        #expect(Validator.email.accepts(local64 + "@x.io"))
        #expect(!Validator.email.accepts(local64 + "a@x.io"))
        let label63 = String(repeating: "b", count: 63)
        #expect(Validator.email.accepts("a@" + label63 + ".io"))
        #expect(!Validator.email.accepts("a@" + label63 + "b.io"))
        // 254 bytes in all is the most; 255 is refused.
        let domain = [label63, label63, label63, String(repeating: "c", count: 57), "io"].joined(separator: ".")
        #expect(Validator.email.accepts("a@" + domain))
        #expect(("a@" + domain).utf8.count == 254)
        #expect(!Validator.email.accepts("ab@" + domain))
    }
}
