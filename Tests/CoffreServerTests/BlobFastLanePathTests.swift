@testable import CoffreServer
import CoffreProtocol
import Testing

/// `BlobFastLane.identifiers(in:)`: only the one canonical spelling of a blob path is read on
/// the lean fast lane; every other spelling (which the router may still accept or refuse) is
/// left to the router.
@Suite struct BlobFastLanePathTests {
    private static let vault = "00112233445566778899aabbccddeeff"
    private static let blob = String(repeating: "0123456789abcdef", count: 4)

    private static func identifiers(_ path: String) -> (VaultID, BlobID)? {
        Array(path.utf8).withUnsafeBytes { BlobFastLane.identifiers(in: $0) }
    }

    @Test func theCanonicalPathGivesBothIdentifiers() throws {
        let found = try #require(Self.identifiers("/v1/vaults/\(Self.vault)/blobs/\(Self.blob)"))
        #expect(found.0 == VaultID(hex: Self.vault) && found.1 == BlobID(hex: Self.blob))
        #expect(SyncPath.blob(found.0, found.1) == "/v1/vaults/\(Self.vault)/blobs/\(Self.blob)")
    }

    @Test(arguments: [
        "/v1/vaults/\(vault)/blobs/\(blob)/",  // trailing slash
        "/v1/vaults/\(vault)/blobs/\(blob.dropLast())",  // short id
        "/v1/vaults/\(vault)/blobs/\(blob)0",  // long id
        "/v1/vaults/\(vault.uppercased())/blobs/\(blob)",  // uppercase vault
        "/v1/vaults/\(vault)/blobs/\(blob.uppercased())",  // uppercase blob
        "/v1/vaults/\(vault)/blobs/%30\(blob.dropFirst())",  // percent-encoded
        "/v1/vaults/\(vault)/blobx/\(blob)",  // another route's shape
        "/v1/vaults/\(vault)//blobs/\(blob.dropFirst())",  // empty segment
        "/v2/vaults/\(vault)/blobs/\(blob)",
        "/v1/vaults/\(vault)/blobs/",
        "",
        "/",
    ])
    func anyOtherSpellingIsLeftToTheRouter(_ path: String) {
        #expect(Self.identifiers(path) == nil)
    }
}
