import Foundation
import Testing

@testable import Scanning

/// Review of `secret.saml-assertion` (cb26cf3): an assertion escaped in a
/// JSON string failed on the commit; IdP output that is found, and text that
/// is not an assertion.
@Suite(.serialized) struct SAMLReviewRuleBugs {
    /// Its own scanner: a scanner's regexes keep their match data, so one
    /// scanner is not scanned from two suites running in parallel.
    static let scanner: ContentScanner = try! ContentScanner(ContentRuleSet.load(patterns: BuiltInRuleTests.patterns))

    static func found(_ text: String) -> [String] {
        let r = scanner.rules.firstIndex { $0.id == "secret.saml-assertion" }!
        return scanner.matches(Array(text.utf8)).filter { $0.rule == r }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    /// An assertion inside a JSON string: quotes escaped `\"`. The SP's debug
    /// log of the XML (Spring Security / OpenSAML at DEBUG, OneLogin toolkits)
    /// shipped as JSON events to a collector over plain HTTP (Elasticsearch
    /// `_bulk`, Splunk HEC on 8088, Loki). Other rules in secrets.yaml take
    /// `\\?"` for that reason (the GCP key's `private_key_id`); this one
    /// requires `ID="`, so nothing is found.
    @Test func anAssertionInAJSONStringIsFound() {
        let event = #"{"@timestamp":"2026-12-07T09:14:02.311Z","level":"DEBUG","logger":"org.opensaml.saml.saml2.binding.decoding.impl.HTTPPostDecoder","message":"Decoded SAML message: <saml2p:Response><saml2:Assertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_5c1e9a7f3b2d4e6a8c0f1b3d5e7a9c2e\" IssueInstant=\"2026-12-07T09:14:02.117Z\" Version=\"2.0\"><saml2:Issuer>https://idp.corp.internal</saml2:Issuer>"}"#
        #expect(Self.found(event) == ["_5c1e9a7f3b2d4e6a8c0f1b3d5e7a9c2e"])
    }
}

extension SAMLReviewRuleBugs {
    /// Start tags as IdPs write them (attribute order, prefixes, default
    /// namespace, single quotes, attributes on their own lines, SAML 1.1).
    @Test func identityProvidersOutputIsFound() {
        let tags = [
            // AD FS / Entra ID: ID first, default namespace last
            #"<Assertion ID="_d5ec7a9b-8d8f-4b44-8c94-5812eb8e2a4c" IssueInstant="2026-12-07T09:30:49.178Z" Version="2.0" xmlns="urn:oasis:names:tc:SAML:2.0:assertion"><Issuer>"#,
            // Okta
            #"<saml2:Assertion ID="id53948512547914231409542" IssueInstant="2026-12-07T09:30:49.178Z" Version="2.0" xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema">"#,
            // Keycloak
            #"<saml:Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="ID_6a1b1c1f-7a7c-4a43-9e5e-2f1d9b7c3e11" IssueInstant="2026-12-07T09:30:49.178Z" Version="2.0">"#,
            // SimpleSAMLphp: namespaces, then Version before IssueInstant
            #"<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="_d71a3a8e9fcc45c9e9d248ef7049393fc8f04e5f75" Version="2.0" IssueInstant="2014-07-17T01:01:48Z">"#,
            // PingFederate-style id with dots
            #"<saml:Assertion ID="Ma4OGY7sdhF0dWeZEVaGXZ4LClR.q" IssueInstant="2026-12-07T09:30:49.123Z" Version="2.0" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">"#,
            // single quotes, one attribute per line
            "<saml2:Assertion\n\txmlns:saml2='urn:oasis:names:tc:SAML:2.0:assertion'\n\tID='_5c1e9a7f3b2d4e6a8c0f'\n\tIssueInstant='2026-12-07T09:14:02Z'\n\tVersion='2.0'>",
            // AD FS WS-Trust / WS-Federation, SAML 1.1
            #"<saml:Assertion MajorVersion="1" MinorVersion="1" AssertionID="_9f5d1a3e-4b6c-4d7e-8f90-a1b2c3d4e5f6" Issuer="http://adfs.corp/adfs/services/trust" IssueInstant="2026-12-07T09:14:02.117Z" xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion">"#,
            // 600 bytes of namespace declarations before the ID
            "<saml2:Assertion " + (0..<10).map { #"xmlns:n\#($0)="urn:example:namespace:declaration:number:\#($0):pad""# }.joined(separator: " ")
                + #" ID="_5c1e9a7f3b2d4e6a8c0f" IssueInstant="2026-12-07T09:14:02Z" Version="2.0">"#,
        ]
        for tag in tags {
            #expect(SAMLReviewRuleBugs.found(tag).count == 1, "\(tag)")
        }
    }

    /// Text that names assertions but holds none.
    @Test func notAssertions() {
        let texts = [
            "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
            #"{"type":"webauthn.get","assertion":{"id":"AbCdEf0123456789","response":{"authenticatorData":"SZYN5YgO"}}}"#,
            #"<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp/acs" index="0" ID="_acs0000001" IssueInstant="x"/>"#,
            #"<samlp:AssertionIDRequest ID="_a0b1c2d3e4f5a6b7" IssueInstant="2026-12-07T09:14:02Z" Version="2.0">"#,
            "java.lang.AssertionError: expected:<Assertion ID=\"_5c1e9a7f3b2d4e6a\"> but was:<null>",
        ]
        for text in texts {
            #expect(SAMLReviewRuleBugs.found(text).isEmpty, "\(text)")
        }
    }
}
