import CoffreProtocol
import HTTPServer

/// The blob GET/HEAD on the lean fast lane (`HTTPFastLane`): answered from the bytes of the
/// request in the read buffer when the bearer token is in `TokenAuthenticator`'s cache (by its
/// SHA-256), the user's membership in `VaultReaderCache` and the blob in `SmallBlobCache`.
/// The same checks as the route's attempt (`SyncAPI.blobRoutes`), over bytes instead of a
/// request: no `HTTPFields`, no strings, no route lookup, no heap allocation. Anything else —
/// a path that is not exactly `/v1/vaults/<32 hex>/blobs/<64 hex>`, a token or membership not
/// cached, a blob not kept — is declined and goes through the router, which answers it (401,
/// 404, the file) and fills the caches.
struct BlobFastLane: HTTPFastLane {
    let authenticator: TokenAuthenticator
    let blobs: BlobLayer

    var routePattern: String { SyncPath.blobPattern }

    func response(for request: HTTPFastLaneRequest) -> HTTPPreparedResponse? {
        guard let (vault, blob) = Self.identifiers(in: request.path), let authorization = request.authorization,
            let session = authenticator.cachedReader(authorization: authorization)
        else { return nil }
        return blobs.cachedSmallBlobResponse(blob, in: vault, user: session.userID)
    }

    private static let vaultsPrefix: StaticString = "/v1/vaults/"
    private static let blobsInfix: StaticString = "/blobs/"

    /// Vault and blob of a blob path in its one canonical spelling (lowercase hex, nothing
    /// percent-encoded: `SyncPath`); nil for any other path, which the router then reads.
    static func identifiers(in path: UnsafeRawBufferPointer) -> (VaultID, BlobID)? {
        let prefix = vaultsPrefix.utf8CodeUnitCount
        let infix = blobsInfix.utf8CodeUnitCount
        let vaultEnd = prefix + 32
        let blobStart = vaultEnd + infix
        guard path.count == blobStart + BlobID.hexCount,
            matches(path, at: 0, vaultsPrefix), matches(path, at: vaultEnd, blobsInfix),
            let vault = VaultID(hexUTF8: UnsafeRawBufferPointer(rebasing: path[prefix..<vaultEnd])),
            let blob = BlobID(hexUTF8: UnsafeRawBufferPointer(rebasing: path[blobStart...]))
        else { return nil }
        return (vault, blob)
    }

    private static func matches(_ bytes: UnsafeRawBufferPointer, at offset: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
            .elementsEqual(UnsafeRawBufferPointer(start: literal.utf8Start, count: count))
    }
}
