import CoffreProtocol
import Foundation

/// One retained revision of a file, decrypted.
public struct FileRevision: Sendable, Equatable {
    /// The revision (the seq of the commit that wrote it).
    public let rev: Int64
    /// When it was committed.
    public let committedAt: Date
    /// True when this revision deleted the entry.
    public let deleted: Bool
    /// Its name then; nil when its record cannot be opened.
    public let name: String?
    /// Its size and mtime then (files).
    public let size: UInt64?
    public let modificationTime: Date?
}

/// One entry in the trash, decrypted.
public struct TrashedEntry: Sendable, Equatable {
    /// The entry (to restore it).
    public let entryID: EntryID
    /// Its kind.
    public let kind: EntryKind
    /// Its name; nil when its record cannot be opened.
    public let name: String?
    /// The folder it was in, as a path in this sync folder ("" for the top level); nil when
    /// that folder is not synced here.
    public let folder: String?
    /// The revision that deleted it.
    public let deletedAt: Int64
}

/// History, restore and trash (DESIGN §7: "Restore is a client commit pointing at an old
/// revision's record and blobs"). Restores commit to the vault; the next pass brings the
/// result into the folder, like any remote change.
extension SyncEngine {
    /// Revisions fetched per history request.
    static let historyPageSize = 1_000

    /// The retained revisions of the synced entry at `path` (relative to the folder, as on
    /// disk), newest first.
    public func history(of path: String) async throws -> [FileRevision] {
        guard let entry = try await index.syncedEntry(atPath: path) else { throw SyncClientError.noSuchEntry }
        let records = try await keyring().recordSessions()
        return try await revisions(of: entry.id).map { revision in
            let record = try? records.open(
                revision.record.bytes, entry: entry.id, parent: revision.parentId, kind: revision.kind
            ).0
            return FileRevision(
                rev: revision.rev, committedAt: Date(timeIntervalSince1970: TimeInterval(revision.committedAt)),
                deleted: revision.deleted, name: record?.name, size: record.map { $0.size },
                modificationTime: record.map { Date(timeIntervalSince1970: TimeInterval($0.modificationTime) / 1e9) })
        }
    }

    /// Brings back revision `rev` of the synced file at `path`: in place (the entry's current
    /// name and folder, its content and attributes from then), or as a new entry at
    /// `destination` (a path in a synced folder, not taken).
    public func restore(_ path: String, revision rev: Int64, to destination: String? = nil) async throws {
        guard let entry = try await index.syncedEntry(atPath: path) else { throw SyncClientError.noSuchEntry }
        guard let revision = try await revisions(of: entry.id).first(where: { $0.rev == rev && !$0.deleted }) else {
            throw SyncClientError.noSuchRevision
        }
        let current = try await index.remoteEntries([entry.id])[entry.id]
        if let destination {
            let (parent, name) = try await placeInSyncedFolder(destination)
            try await commitRestore(
                revision, of: entry.id, as: LocalPlanner.newEntryID(), baseRev: 0, parent: parent, name: name)
        } else {
            try await commitRestore(
                revision, of: entry.id, as: entry.id, baseRev: current?.rev ?? entry.rev, parent: entry.parentID,
                name: entry.attributes.name)
        }
    }

    /// The trash: entries deleted and still retained, most recently deleted first.
    public func trash() async throws -> [TrashedEntry] {
        let records = try await keyring().recordSessions()
        let synced = try await index.syncedEntries()
        var entries: [TrashedEntry] = []
        var before: Int64?
        repeat {
            let page: TrashPage
            do {
                page = try await remote.trash(before: before, limit: Self.historyPageSize)
            } catch {
                throw SyncClientError.remote(operation: "read the trash", underlying: error)
            }
            for state in page.entries {
                let record = try? records.open(state.record.bytes, entry: state.entryId, parent: state.parentId, kind: state.kind).0
                let folder = state.parentId.isRoot ? "" : synced[state.parentId].map(\.path)
                entries.append(TrashedEntry(entryID: state.entryId, kind: state.kind, name: record?.name, folder: folder, deletedAt: state.rev))
            }
            before = page.nextBefore
        } while before != nil
        return entries
    }

    /// Brings an entry back from the trash: its last state before the deletion, in its old
    /// folder (or `destination`, a path in a synced folder). A file whose old folder is gone
    /// too comes back at the top level.
    public func restoreFromTrash(_ entryID: EntryID, to destination: String? = nil) async throws {
        let history = try await revisions(of: entryID)
        guard let tombstone = history.first, tombstone.deleted,
            let revision = history.first(where: { !$0.deleted })
        else { throw SyncClientError.noSuchRevision }
        let keyring = try await keyring()
        guard let record = try? keyring.openRecord(revision.record.bytes, entry: entryID, parent: revision.parentId, kind: revision.kind).0
        else { throw SyncClientError.crypto(operation: "open a revision's record", underlying: .authenticationFailed(structure: "entry record")) }
        var parent = revision.parentId
        var name = record.name
        if let destination {
            (parent, name) = try await placeInSyncedFolder(destination)
        } else if !parent.isRoot, try await index.syncedEntries()[parent].map({ $0.kind == .folder && !$0.remoteDeleted }) != true {
            parent = .root
        }
        try await commitRestore(revision, of: entryID, as: entryID, baseRev: tombstone.rev, parent: parent, name: name)
    }

    // MARK: Helpers

    /// Every retained revision of `entry`, newest first.
    private func revisions(of entry: EntryID) async throws -> [RevisionInfo] {
        var revisions: [RevisionInfo] = []
        var before: Int64?
        repeat {
            let page: RevisionList
            do {
                page = try await remote.revisions(of: entry, before: before, limit: Self.historyPageSize)
            } catch {
                throw SyncClientError.remote(operation: "read an entry's history", underlying: error)
            }
            revisions += page.revisions
            before = page.nextBefore
        } while before != nil
        return revisions
    }

    /// The folder id and name for a new entry at `destination`: its folder must be synced and
    /// the name free.
    private func placeInSyncedFolder(_ destination: String) async throws -> (EntryID, String) {
        let path: LocalPath
        do {
            path = try LocalPath(destination)
        } catch {
            throw SyncClientError.restoreDestinationUnavailable("not a valid path in the folder")
        }
        var parent = EntryID.root
        if let folder = path.parent {
            guard let synced = try await index.syncedEntry(atPath: folder.onDisk), synced.kind == .folder else {
                throw SyncClientError.restoreDestinationUnavailable("its folder is not synced")
            }
            parent = synced.id
        }
        guard try await index.syncedEntry(atPath: path.onDisk) == nil else {
            throw SyncClientError.restoreDestinationUnavailable("the name is taken")
        }
        return (parent, NameEquivalence.nfc(String(path.name)))
    }

    /// Commits `revision` (of entry `source`) as entry `target` under `parent` with `name`:
    /// the old record's content sealed again for its new place, the old blobs referenced.
    private func commitRestore(
        _ revision: RevisionInfo, of source: EntryID, as target: EntryID, baseRev: Int64, parent: EntryID, name: String
    ) async throws {
        let keyring = try await keyring()
        let opened: (EntryRecord, VaultKeyring.Generation)
        do {
            opened = try keyring.openRecord(revision.record.bytes, entry: source, parent: revision.parentId, kind: revision.kind)
        } catch {
            throw SyncClientError.crypto(operation: "open a revision's record", underlying: error)
        }
        var record = opened.0
        record.name = name
        let sealed = try keyring.sealRecord(record, entry: target, parent: parent, generation: opened.1.number)
        let change = EntryChange(
            entryId: target, baseRev: baseRev, parentId: parent, kind: revision.kind,
            nameTag: try keyring.nameTag(name, parent: parent), record: Base64Bytes(sealed), blobs: revision.blobs)
        let outcome: RemoteCommitOutcome
        do {
            outcome = try await remote.commit(CommitRequest(commitId: LocalPublisher.newCommitID(), changes: [change]))
        } catch {
            throw SyncClientError.remote(operation: "commit a restore", underlying: error)
        }
        if case .rejected(let rejection) = outcome {
            let reason = rejection.conflicts.first?.reason.rawValue ?? "refused"
            throw SyncClientError.restoreDestinationUnavailable("the server refused it (\(reason))")
        }
    }
}
