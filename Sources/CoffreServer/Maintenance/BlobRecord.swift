/// One `blobs` row as fsck and backup see it: the blob and, when its bytes are kept in the
/// database (`blob_bytes`, docs/storage-blobs.md "Two homes"), how many bytes are kept there.
struct BlobRecord: Sendable, Hashable {
    /// The blob and its recorded size.
    let blob: VaultBlob
    /// The length of its bytes in `blob_bytes`; nil when its bytes are in a file.
    let inlineBytes: Int64?
}
