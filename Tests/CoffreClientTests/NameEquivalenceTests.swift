import Testing
@testable import CoffreClient

@Suite struct NameEquivalenceTests {
    @Test func convertsBetweenNormalizationForms() {
        let composed = "Caf\u{E9}"
        let decomposed = "Cafe\u{301}"
        #expect(Array(NameEquivalence.nfc(decomposed).utf8) == Array(composed.utf8))
        #expect(Array(NameEquivalence.nfd(composed).utf8) == Array(decomposed.utf8))
        #expect(NameEquivalence.isNFC(composed))
        #expect(!NameEquivalence.isNFC(decomposed))
        #expect(NameEquivalence.isNFC("plain ascii"))
        // Hangul syllables compose too.
        #expect(Array(NameEquivalence.nfc("\u{1100}\u{1161}").unicodeScalars) == ["\u{AC00}"])
    }

    /// `nfcUTF8` (name tags, records) takes ASCII as is and still composes anything else, also
    /// a combining mark that follows an ASCII letter.
    @Test func nfcBytesKeepASCIIAndComposeTheRest() {
        let ascii = String(decoding: Array(UInt8(1)...UInt8(127)), as: UTF8.self)
        #expect(ascii.nfcUTF8 == Array(ascii.utf8))
        #expect("Cafe\u{301}.txt".nfcUTF8 == Array("Caf\u{E9}.txt".utf8))
        #expect("a\u{30A}".nfcUTF8 == Array("\u{E5}".utf8))
        #expect("\u{1100}\u{1161}".nfcUTF8 == Array("\u{AC00}".utf8))
        #expect("".nfcUTF8.isEmpty)
    }

    @Test func tellsNormalizationOnlyDifferences() {
        #expect(NameEquivalence.differOnlyInNormalization("Cafe\u{301}", "Caf\u{E9}"))
        #expect(!NameEquivalence.differOnlyInNormalization("Caf\u{E9}", "Caf\u{E9}"))
        #expect(!NameEquivalence.differOnlyInNormalization("cafe", "Cafe"))
    }

    @Test func detectsCaseOnlyRenamesWithFullCaseFolding() {
        #expect(NameEquivalence.differOnlyInCase("Report.txt", "report.TXT"))
        #expect(NameEquivalence.differOnlyInCase("Stra\u{DF}e", "STRASSE"))  // ß folds to ss
        #expect(NameEquivalence.differOnlyInCase("\u{3A3}\u{3BF}\u{3C6}\u{3AF}\u{3B1}\u{3C2}", "\u{3C3}\u{3BF}\u{3C6}\u{3AF}\u{3B1}\u{3C3}"))  // final sigma
        #expect(NameEquivalence.differOnlyInCase("CAFE\u{301}", "caf\u{E9}"))  // case and form at once
        #expect(!NameEquivalence.differOnlyInCase("report.txt", "report.txt"))
        #expect(!NameEquivalence.differOnlyInCase("Cafe\u{301}", "Caf\u{E9}"))  // only the form differs
        #expect(!NameEquivalence.differOnlyInCase("report.txt", "report.md"))
    }

    @Test func groupsPathsThatCollideOnCaseInsensitiveFileSystems() {
        let groups = NameEquivalence.caseCollisions(among: [
            "docs/Readme.md", "docs/README.md", "notes.txt", "docs/readme.MD", "Cafe\u{301}", "caf\u{E9}", "Caf\u{E9}",
            "notes.txt",
        ])
        #expect(groups == [["docs/Readme.md", "docs/README.md", "docs/readme.MD"], ["Cafe\u{301}", "caf\u{E9}"]])
        #expect(NameEquivalence.caseCollisions(among: ["a", "b", "a"]).isEmpty)
    }
}
