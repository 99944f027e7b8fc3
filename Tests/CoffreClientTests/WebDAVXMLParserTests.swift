import CoffreClient
import Testing

@Suite("WebDAV XML parser")
struct WebDAVXMLParserTests {
    func parse(_ text: String, limits: DAVXMLParser.Limits = DAVXMLParser.Limits()) throws -> DAVXMLElement {
        try DAVXMLParser.parse(Array(text.utf8), limits: limits)
    }

    @Test func resolvesNamespacesDefaultAndPrefixed() throws {
        let root = try parse("""
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment --><D:propfind xmlns:D="DAV:" xmlns="urn:x"><D:prop><name a="1"/><D:getetag/></D:prop></D:propfind>
            """)
        #expect(root.name == .dav("propfind"))
        let prop = try #require(root.davChild("prop"))
        #expect(prop.elements.map(\.name) == [DAVXMLName(namespace: "urn:x", name: "name"), .dav("getetag")])
        #expect(prop.elements[0].attributes == [DAVXMLAttribute(name: DAVXMLName(namespace: "", name: "a"), value: "1")])
    }

    @Test func decodesReferencesAndCDATA() throws {
        let root = try parse("<a>&lt;&amp;&gt;&quot;&apos;&#65;&#x1F600;<![CDATA[<raw & text>]]></a>")
        #expect(root.text == "<&>\"'A😀<raw & text>")
    }

    @Test func refusesBillionLaughs() {
        let laughs = """
            <?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
            <lolz>&lol2;</lolz>
            """
        #expect(throws: DAVError.badRequest("document type declarations are not accepted")) { try parse(laughs) }
    }

    @Test func refusesExternalEntitiesAndUndefinedReferences() {
        let external = """
            <?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><d>&xxe;</d>
            """
        #expect(throws: DAVError.self) { try parse(external) }
        #expect(throws: DAVError.badRequest("undefined entity reference")) { try parse("<d>&xxe;</d>") }
        #expect(throws: DAVError.self) { try parse("<d>&#0;</d>") }
        #expect(throws: DAVError.self) { try parse("<d>&#xD800;</d>") }
        #expect(throws: DAVError.self) { try parse("<d>&#99999999999;</d>") }
    }

    @Test func boundsNestingElementsAndSize() throws {
        let deep = String(repeating: "<a>", count: 40) + String(repeating: "</a>", count: 40)
        #expect(throws: DAVError.badRequest("XML nested too deeply")) { try parse(deep) }
        let wide = "<r>" + String(repeating: "<p/>", count: 25_000) + "</r>"
        #expect(throws: DAVError.badRequest("too many XML elements")) { try parse(wide) }
        let huge = "<r>" + String(repeating: "x", count: (1 << 20) + 1) + "</r>"
        #expect(throws: DAVError.badRequest("XML body too large")) { try parse(huge) }
        var small = DAVXMLParser.Limits()
        small.maximumAttributes = 2
        #expect(throws: DAVError.self) { try parse("<r a='1' b='2' c='3'/>", limits: small) }
        #expect(throws: DAVError.self) { try parse("<" + String(repeating: "n", count: 600) + "/>") }
    }

    @Test(arguments: [
        "", "   ", "<a>", "<a></b>", "<a><b></a></b>", "<a/><b/>", "text<a/>", "<a b=1/>", "<a b='1' b='2'/>", "<x:a/>",
        "<a xmlns:x=''/>", "<a>\u{1}</a>", "<a b='<'/>", "<a><!ELEMENT x ANY></a>", "<?xml version='1.0' encoding='ISO-8859-1'?><a/>",
        "<a:/>", "<:a/>", "<1a/>", "<a>]]></a><a/>", "<a><![CDATA[x</a>",
    ])
    func refusesMalformedDocuments(_ text: String) {
        #expect(throws: DAVError.self) { try parse(text) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: DAVError.badRequest("XML is not UTF-8")) { try DAVXMLParser.parse([0x3C, 0x61, 0x3E, 0xFF, 0x3C, 0x2F, 0x61, 0x3E]) }
    }

    @Test func propertyValuesKeepTheirNamespacesWhenWrittenBack() throws {
        let property = try parse("<p:x xmlns:p='urn:p' xmlns:q='urn:q'>t<q:y q:at='v&amp;' plain='&lt;'><z xmlns=''/></q:y>\r</p:x>")
        let value = DAVXMLWriter.propertyValue(of: property)
        var writer = DAVXMLWriter()
        writer.property(property.name, value: value, inheritedNamespace: nil)
        let reparsed = try DAVXMLParser.parse(writer.bytes)
        #expect(reparsed == property)
    }

    @Test func namesAreChecked() {
        #expect(DAVXMLParser.isName("getetag") && DAVXMLParser.isName("a-b.c_d") && DAVXMLParser.isName("ü"))
        #expect(!DAVXMLParser.isName("") && !DAVXMLParser.isName("a:b") && !DAVXMLParser.isName("1a") && !DAVXMLParser.isName("a b"))
        #expect(!DAVXMLParser.isName("a<"))
    }
}
