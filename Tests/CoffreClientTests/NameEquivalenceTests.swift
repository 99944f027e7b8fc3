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
