import CoffreProtocol
import Foundation

/// Commits of the gateway (docs/sync-engine.md, "Commits"): every entry state carries the rev
/// the request saw as `baseRev`, so a request that lost a race to another writer is refused by
/// the server's compare-and-swap — never a silent overwrite.
extension VaultDAVStorage {
    /// One entry state to commit and the node it becomes once committed.
    struct Edit {
        var node: VaultNode
        var baseRev: Int64
        var blobs: [BlobID]
    }

    /// The state of a new entry (`baseRev` 0) with a fresh id.
    func newNode(kind: EntryKind, parent: EntryID, record: EntryRecord, generation: UInt32) throws(DAVError) -> VaultNode {
        VaultNode(
            id: LocalPlanner.newEntryID(), parentID: parent, kind: kind, rev: 0, nameTag: try nameTag(record.name, parent: parent),
            deleted: false, record: record, generation: generation)
    }

    /// `node` placed under `parent` as `name` (its name tag computed for that place).
    func placed(_ node: VaultNode, under parent: EntryID, as name: String) throws(DAVError) -> VaultNode {
        var moved = node
        moved.parentID = parent
        moved.record?.name = name
        moved.nameTag = try nameTag(name, parent: parent)
        return moved
    }

    /// The tombstone of `node` (its record sealed again, as the sync engine does).
    func tombstone(of node: VaultNode) -> Edit {
        var gone = node
        gone.deleted = true
        return Edit(node: gone, baseRev: node.rev, blobs: [])
    }

    /// Checks a name before it reaches a record: the record format's rules (RFC 4918 leaves
    /// names to the server) and the names the sync keeps for itself (`ReservedNames`), which
    /// would never reach a synced folder.
    static func checkName(_ name: String) throws(DAVError) {
        do {
            try EntryRecord.validateName(name)
        } catch {
            throw DAVError.badRequest("name not valid in a vault")
        }
        guard ReservedNames.kind(of: Array(name.utf8)) == nil else { throw DAVError.forbidden("name reserved by the sync") }
    }

    /// Commits `edits` in batches of `entriesPerCommit` (in order: callers put children before
    /// their folder for deletes, folders before their children for creations) and applies the
    /// committed states to the tree. `carried` (small blobs not uploaded yet, referenced by the
    /// first batch) go with the first batch's request. Returns the seq of the last commit.
    @discardableResult
    func commit(_ edits: [Edit], carrying carried: [BlobPayload] = []) async throws -> Int64 {
        var seq: Int64 = 0
        var start = 0
        repeat {
            let batch = Array(edits[start..<min(start + Self.entriesPerCommit, edits.count)])
            seq = try await commitBatch(batch, carrying: start == 0 ? carried : [])
            start += Self.entriesPerCommit
        } while start < edits.count
        return seq
    }

    private func commitBatch(_ edits: [Edit], carrying carried: [BlobPayload]) async throws -> Int64 {
        var changes: [EntryChange] = []
        changes.reserveCapacity(edits.count)
        for edit in edits {
            guard let record = edit.node.record else { throw DAVError.storage("an entry without a readable record") }
            let sealed: [UInt8]
            do {
                sealed = try keyring.sealRecord(record, entry: edit.node.id, parent: edit.node.parentID, generation: edit.node.generation)
            } catch {
                throw DAVError.storage("sealing a record failed")
            }
            changes.append(EntryChange(
                entryId: edit.node.id, baseRev: edit.baseRev, parentId: edit.node.parentID, kind: edit.node.kind,
                nameTag: edit.node.nameTag, deleted: edit.node.deleted, record: Base64Bytes(sealed), blobs: edit.blobs))
        }
        let outcome: RemoteCommitOutcome
        do {
            let request = CommitRequest(commitId: LocalPublisher.newCommitID(), changes: changes)
            outcome = try await carried.isEmpty ? remote.commit(request) : remote.commit(request, carrying: carried)
        } catch {
            throw Self.remoteFailure(error, "the server refused the commit")
        }
        switch outcome {
        case .committed(let receipt):
            tree.withLock { tree in
                for edit in edits {
                    var node = edit.node
                    node.rev = receipt.seq
                    tree.apply(node)
                }
            }
            return receipt.seq
        case .rejected(let rejection):
            // The tree was behind: catch up so the client's next request sees the winner.
            try? await refresh()
            throw Self.error(for: rejection)
        }
    }

    /// The WebDAV answer to a refused commit: a lost race is 412 (RFC 9110 §13.1.1, the
    /// state the request was based on is gone); a parent gone or not a folder is 409
    /// (RFC 4918 §9.7.1, §9.3.1).
    static func error(for rejection: CommitRejection) -> DAVError {
        for conflict in rejection.conflicts {
            switch conflict.reason {
            case .parentMissing, .parentDeleted, .parentNotFolder: return .conflict("the parent collection changed")
            case .cycle: return .conflict("a collection cannot move into itself")
            case .folderNotEmpty: return .conflict("the collection changed meanwhile")
            case .missingBlobs: return .storage("the server lacks blobs of this content")
            case .alreadyExists, .staleRev, .notFound, .kindChanged, .nameTaken: continue
            }
        }
        return .preconditionFailed
    }

    /// A failed call to the server: 507 when the account's quota is the reason (RFC 4918
    /// §11.5), else 500 with `text` (never the server's own words, which could hold anything).
    static func remoteFailure(_ error: any Error, _ text: String) -> DAVError {
        if let error = error as? APIClientError, error.code == .quotaExceeded { return .insufficientStorage("quota exceeded") }
        return .storage(text)
    }

    private func nameTag(_ name: String, parent: EntryID) throws(DAVError) -> NameTag {
        do {
            return try keyring.nameTag(name, parent: parent)
        } catch {
            throw DAVError.storage("computing a name tag failed")
        }
    }

    /// Nanoseconds since the epoch, now.
    static var now: Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000_000) }
}
