import CoffreServer
import Testing

@Suite struct BlobNamespaceTests {
    @Test(arguments: ["a", "Vault_2", "vault-1", "0", "-", "_", String(repeating: "z", count: 64),
                      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"])
    func acceptsTheAllowedAlphabet(_ text: String) throws {
        #expect(try BlobNamespace(text).rawValue == text)
    }

    @Test(arguments: ["", ".", "..", "/", "a/b", "\\", "a\\b", "~", "a b", "a\tb", "a\u{0}b", "ä", "a.b", "a:b",
                      "%2e%2e", String(repeating: "z", count: 65), String(repeating: "z", count: 1 << 20)])
    func rejectsEverythingElse(_ text: String) {
        #expect(throws: BlobStoreError.invalidNamespace) { try BlobNamespace(text) }
    }

    @Test func substringsAreValidatedToo() throws {
        let path = "/v1/vaults/vault-9/blobs"
        let segment = path.split(separator: "/")[2]
        #expect(try BlobNamespace(segment).rawValue == "vault-9")
        #expect(throws: BlobStoreError.invalidNamespace) { try BlobNamespace(path.split(separator: "v")[0]) }
    }

    @Test func errorDescriptionsAreFixedTexts() {
        let errors: [BlobStoreError] = [
            .notFound, .hashMismatch, .sizeMismatch(expected: 2, actual: 1), .tooLarge(limit: 9), .diskFull,
            .invalidNamespace, .invalidID, .uploadClosed, .storeInUse, .io(operation: "fsync", detail: "EIO"),
        ]
        let texts = errors.map(\.description)
        #expect(Set(texts).count == errors.count)
        #expect(texts.allSatisfy { !$0.isEmpty })
        #expect(BlobStoreError.sizeMismatch(expected: 2, actual: 1).description.contains("expected 2"))
    }
}
