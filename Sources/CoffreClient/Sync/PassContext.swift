import Foundation

/// Everything one pass works with: the remote, the index, the folder, the keys and the
/// pipelines, plus its counters and progress. Shared by the phases of the pass and by the
/// transfers they run in parallel.
struct PassContext: Sendable {
    let remote: any SyncRemote
    let index: SyncIndex
    let root: SyncRoot
    let keyring: VaultKeyring
    let sealer: FileSealer
    /// One opener per key generation held (the key commitment check uses its convergence key).
    let openers: [UInt32: FileOpener]
    let configuration: SyncConfiguration
    let counters = TransferCounters()
    let progress: ProgressTracker

    var editor: LocalTreeEditor { LocalTreeEditor(root: root) }
    var faultHook: SyncFaultHook? { configuration.faultHook }

    var conflictNamer: ConflictNamer {
        ConflictNamer(deviceName: configuration.deviceName, timeZone: configuration.timeZone)
    }

    var uploader: BlobUploader {
        BlobUploader(remote: remote, index: index, counters: counters, concurrency: configuration.transferConcurrency)
    }

    var downloader: FileDownloader {
        FileDownloader(
            remote: remote, index: index, root: root, keyring: keyring, openers: openers, counters: counters,
            faultHook: faultHook)
    }

    /// A sealer of local content under the newest key generation; with `uploading`, the blobs
    /// the server lacks are sent as they are sealed.
    func contentSealer(uploading: Bool) -> ContentSealer {
        ContentSealer(
            root: root, generation: keyring.newest, sealer: sealer, uploader: uploading ? uploader : nil, faultHook: faultHook)
    }
}
