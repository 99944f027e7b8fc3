import Testing
@testable import CoffreClient

@Suite struct IgnoreRulesTests {
    /// Rules made of one root ignore file, without the built-in defaults.
    static func rules(_ text: String, in folder: String = "") -> IgnoreRules {
        var rules = IgnoreRules(includingDefaults: false)
        rules.add(IgnoreFile(folder: folder, contents: Array(text.utf8)))
        return rules
    }

    // Examples from https://git-scm.com/docs/gitignore, "PATTERN FORMAT" and "EXAMPLES".
    @Test func trailingSlashMatchesFoldersOnlyAtAnyDepthUnlessAnchoredByAnInnerSlash() {
        let frotz = Self.rules("doc/frotz/\n")
        #expect(frotz.isIgnored("doc/frotz", isFolder: true))
        #expect(!frotz.isIgnored("a/doc/frotz", isFolder: true))
        #expect(!frotz.isIgnored("doc/frotz", isFolder: false))
        let any = Self.rules("frotz/\n")
        #expect(any.isIgnored("frotz", isFolder: true))
        #expect(any.isIgnored("a/frotz", isFolder: true))
        #expect(!any.isIgnored("a/frotz", isFolder: false))
        #expect(any.isIgnored("a/frotz/inside.txt", isFolder: false))  // below an ignored folder
    }

    @Test func nameWithoutSlashMatchesAtAnyLevel() {
        let rules = Self.rules("hello.*\n")
        #expect(rules.isIgnored("hello.txt", isFolder: false))
        #expect(rules.isIgnored("a/b/hello.c", isFolder: false))
        #expect(rules.isIgnored("hello.d", isFolder: true))
        #expect(!rules.isIgnored("hello", isFolder: false))
        #expect(!rules.isIgnored("say-hello.txt", isFolder: false))
    }

    @Test func starDoesNotCrossSlashes() {
        let rules = Self.rules("foo/*\n")
        #expect(rules.isIgnored("foo/test.json", isFolder: false))
        #expect(rules.isIgnored("foo/bar", isFolder: true))
        // "but it does not match foo/bar/hello.c" — except through its ignored parent foo/bar,
        // so check the pattern itself:
        let pattern = try! #require(IgnorePattern(line: "foo/*"))
        #expect(!pattern.matches(relativePath: "foo/bar/hello.c", name: "hello.c", isFolder: false))
        let html = Self.rules("Documentation/*.html\n")
        #expect(html.isIgnored("Documentation/git.html", isFolder: false))
        #expect(!html.isIgnored("Documentation/ppc/ppc.html", isFolder: false))
        #expect(!html.isIgnored("tools/perf/Documentation/perf.html", isFolder: false))
    }

    @Test func leadingSlashAnchorsToTheIgnoreFilesFolder() {
        let rules = Self.rules("/*.c\n")
        #expect(rules.isIgnored("cat-file.c", isFolder: false))
        #expect(!rules.isIgnored("mozilla-sha1/sha1.c", isFolder: false))
        let nested = Self.rules("/build\n", in: "app")
        #expect(nested.isIgnored("app/build", isFolder: true))
        #expect(!nested.isIgnored("build", isFolder: true))
        #expect(!nested.isIgnored("app/src/build", isFolder: true))
    }

    @Test func doubleStarInEveryPosition() {
        let leading = Self.rules("**/foo\n")
        #expect(leading.isIgnored("foo", isFolder: false))
        #expect(leading.isIgnored("x/y/foo", isFolder: true))
        let leadingTwo = Self.rules("**/foo/bar\n")
        #expect(leadingTwo.isIgnored("foo/bar", isFolder: false))
        #expect(leadingTwo.isIgnored("a/foo/bar", isFolder: false))
        #expect(!leadingTwo.isIgnored("a/foo/x/bar", isFolder: false))
        let trailing = Self.rules("abc/**\n")
        #expect(trailing.isIgnored("abc/x", isFolder: false))
        #expect(trailing.isIgnored("abc/x/y/z", isFolder: false))
        #expect(!trailing.isIgnored("abc", isFolder: true))
        let middle = Self.rules("a/**/b\n")
        for path in ["a/b", "a/x/b", "a/x/y/b"] { #expect(middle.isIgnored(path, isFolder: false)) }
        #expect(!middle.isIgnored("a/xb", isFolder: false))
        #expect(!middle.isIgnored("b", isFolder: false))
        // "Other consecutive asterisks are considered regular asterisks."
        let other = try! #require(IgnorePattern(line: "a**b"))
        #expect(other.matches(relativePath: "axxb", name: "axxb", isFolder: false))
        #expect(!other.matches(relativePath: "ax/xb", name: "xb", isFolder: false))
        let all = Self.rules("**\n")
        #expect(all.isIgnored("anything/at/all", isFolder: false))
    }

    @Test func negationReincludesAndTheLastMatchWins() {
        let rules = Self.rules("*.html\n!foo.html\n")
        #expect(rules.isIgnored("bar.html", isFolder: false))
        #expect(!rules.isIgnored("foo.html", isFolder: false))
        let reversed = Self.rules("!foo.html\n*.html\n")
        #expect(reversed.isIgnored("foo.html", isFolder: false))
        // The documented "everything except foo/bar" example.
        let only = Self.rules("/*\n!/foo\n/foo/*\n!/foo/bar\n")
        #expect(only.isIgnored("other", isFolder: true))
        #expect(only.isIgnored("foo/baz", isFolder: false))
        #expect(!only.isIgnored("foo/bar", isFolder: true))
        #expect(!only.isIgnored("foo/bar/deep.txt", isFolder: false))
    }

    @Test func aFileBelowAnIgnoredFolderCannotBeReincluded() {
        let rules = Self.rules("logs/\n!logs/keep.txt\n")
        #expect(rules.isIgnored("logs/keep.txt", isFolder: false))
    }

    @Test func deeperIgnoreFilesOverrideShallowerOnes() {
        var rules = Self.rules("*.tmp\n")
        rules.add(IgnoreFile(folder: "keep", contents: Array("!*.tmp\n".utf8)))
        #expect(rules.isIgnored("a.tmp", isFolder: false))
        #expect(rules.isIgnored("other/a.tmp", isFolder: false))
        #expect(!rules.isIgnored("keep/a.tmp", isFolder: false))
        #expect(!rules.isIgnored("keep/deeper/a.tmp", isFolder: false))
        rules.removeFile(inFolder: "keep")
        #expect(rules.isIgnored("keep/a.tmp", isFolder: false))
    }

    @Test func commentsBlankLinesEscapesAndTrailingSpaces() {
        let rules = Self.rules("# comment\n\n\\#hash\n\\!bang\ntrail   \nspace\\ \n*.CRLF\r\n")
        #expect(!rules.isIgnored("# comment", isFolder: false))
        #expect(rules.isIgnored("#hash", isFolder: false))
        #expect(rules.isIgnored("!bang", isFolder: false))
        #expect(rules.isIgnored("trail", isFolder: false))
        #expect(!rules.isIgnored("trail   ", isFolder: false))
        #expect(rules.isIgnored("space ", isFolder: false))
        #expect(!rules.isIgnored("space", isFolder: false))
        #expect(rules.isIgnored("x.CRLF", isFolder: false))
        let escapedStar = Self.rules("a\\*b\n")
        #expect(escapedStar.isIgnored("a*b", isFolder: false))
        #expect(!escapedStar.isIgnored("axb", isFolder: false))
    }

    @Test func questionMarkAndBracketClasses() {
        let rules = Self.rules("file?.txt\n[abc]-[0-9].log\n[!x]y\n[[:upper:]][[:digit:]]\n[]]z\n")
        #expect(rules.isIgnored("file1.txt", isFolder: false))
        #expect(rules.isIgnored("fileé.txt", isFolder: false))  // one scalar, two bytes
        #expect(!rules.isIgnored("file12.txt", isFolder: false))
        #expect(rules.isIgnored("b-7.log", isFolder: false))
        #expect(!rules.isIgnored("d-7.log", isFolder: false))
        #expect(rules.isIgnored("ay", isFolder: false))
        #expect(!rules.isIgnored("xy", isFolder: false))
        #expect(rules.isIgnored("Q7", isFolder: false))
        #expect(!rules.isIgnored("q7", isFolder: false))
        #expect(rules.isIgnored("]z", isFolder: false))
        let pattern = try! #require(IgnorePattern(line: "a?b"))
        #expect(!pattern.matches(relativePath: "a/b", name: "b", isFolder: false))
    }

    @Test func invalidLinesAreReportedAndNeverMatch() {
        let file = IgnoreFile(folder: "", contents: Array("ok\n[abc\ntrailing\\\n[[:nope:]]\n# fine\n".utf8))
        #expect(file.patterns.map(\.source) == ["ok"])
        #expect(file.invalidLines == [2, 3, 4])
    }

    @Test func hostilePatternsStayLinear() {
        // Classic exponential-backtracking input: completes quickly with the NFA.
        let pattern = try! #require(IgnorePattern(line: String(repeating: "*a", count: 40) + "b"))
        let text = String(repeating: "a", count: 200)
        #expect(!pattern.matches(relativePath: text[...], name: text[...], isFolder: false))
        #expect(IgnorePattern(line: String(repeating: "x", count: IgnorePattern.maximumByteCount + 1)) == nil)
    }

    @Test func builtInDefaultsCoverTemporaryFilesAndCanBeReincluded() {
        let defaults = IgnoreRules()
        for name in ["notes.txt.swp", "draft~", ".#lock", ".DS_Store", "Thumbs.db", "desktop.ini", "movie.mkv.part",
                     "setup.exe.crdownload", "~$report.docx", "deep/.DS_Store"] {
            #expect(defaults.isIgnored(name, isFolder: false), "\(name)")
        }
        #expect(!defaults.isIgnored("notes.txt", isFolder: false))
        var reincluded = IgnoreRules()
        reincluded.add(IgnoreFile(folder: "", contents: Array("!*.part\n".utf8)))
        #expect(!reincluded.isIgnored("movie.mkv.part", isFolder: false))
    }

    @Test func reservedNamesCannotBeReincluded() {
        let rules = Self.rules("!.coffre\n!.coffre-tmp-*\n")
        #expect(rules.isIgnored(".coffre", isFolder: true))
        #expect(rules.isIgnored(".coffre/index.db", isFolder: false))
        #expect(rules.isIgnored("a/.coffre-tmp-12ab", isFolder: false))
        #expect(!rules.isIgnored(".coffreignore", isFolder: false))
    }

    @Test func matchingIsInNFCWhateverTheFormOfPatternOrPath() {
        let rules = Self.rules("Cafe\u{301}/\nre\u{301}sume\u{301}.*\n")
        #expect(rules.isIgnored("Caf\u{E9}", isFolder: true))
        #expect(rules.isIgnored("x/r\u{E9}sum\u{E9}.pdf", isFolder: false))
        #expect(rules.isIgnored("x/re\u{301}sume\u{301}.pdf", isFolder: false))
    }
}
