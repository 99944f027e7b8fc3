import CoffreProtocol

/// The keys of one vault, every generation the caller holds, with the ciphers derived from each
/// (docs/format.md, "Vault keys"). New content is sealed under the newest generation. A record
/// carries no generation number, so one is opened by trying the generations newest first: a
/// wrong key fails the GCM tag. An entry's record is always sealed again under the generation
/// its chunks were made with, because the chunks' key commitment uses that generation's
/// `convergence` key.
struct VaultKeyring: Sendable {
    /// The ciphers of one generation.
    struct Generation: Sendable {
        let number: UInt32
        let records: RecordCipher
        let chunks: ChunkCipher
        let names: NameTagger
        let chunker: Chunker
    }

    /// Newest first; never empty.
    let generations: [Generation]

    /// A keyring of `keys` (any order, at least one, all of vault `vaultID`). `parameters`
    /// sets the chunk sizes (production outside tests).
    init(keys: [VaultKey], vaultID: VaultID, parameters: ChunkingParameters = .production) throws(SyncClientError) {
        guard !keys.isEmpty else { throw .missingVaultKey(generation: 1) }
        var generations: [Generation] = []
        do {
            let vault = try OpaqueID(bytes: vaultID.bytes)
            for key in keys.sorted(by: { $0.generation > $1.generation }) {
                guard key.vaultID == vault else { throw SyncClientError.missingVaultKey(generation: Int64(key.generation)) }
                let subkeys = try key.subkeys()
                generations.append(Generation(
                    number: key.generation,
                    records: RecordCipher(metaKey: subkeys.meta, vaultID: vault),
                    chunks: ChunkCipher(convergenceKey: subkeys.convergence),
                    names: NameTagger(nametagKey: subkeys.nametag),
                    chunker: try Chunker(key: subkeys.chunker, parameters: parameters)))
            }
        } catch let error as SyncClientError {
            throw error
        } catch let error as CryptoFormatError {
            throw .crypto(operation: "derive the vault subkeys", underlying: error)
        } catch {
            throw .crypto(operation: "derive the chunker", underlying: .malformed(structure: "chunker key", reason: "\(error)"))
        }
        self.generations = generations
    }

    /// The generation new content is sealed under.
    var newest: Generation { generations[0] }

    /// The generation numbered `number`, if held.
    func generation(_ number: UInt32) -> Generation? {
        generations.first { $0.number == number }
    }

    /// Opens a record fetched for `entry` (of `kind`, under `parent`): the record and the
    /// generation that opened it (`RecordSessions.open`). For many records, one
    /// `recordSessions()` makes each generation's key schedule once.
    func openRecord(
        _ sealed: [UInt8], entry: EntryID, parent: EntryID, kind: EntryKind
    ) throws(CryptoFormatError) -> (EntryRecord, Generation) {
        try recordSessions().open(sealed, entry: entry, parent: parent, kind: kind)
    }

    /// Seals `record` for `entry` under `parent` with the generation numbered `number`.
    func sealRecord(
        _ record: EntryRecord, entry: EntryID, parent: EntryID, generation number: UInt32
    ) throws(SyncClientError) -> [UInt8] {
        try recordSessions().seal(record, entry: entry, parent: parent, generation: number)
    }

    /// The name tag of `name` under `parent`, with the newest generation's key (so siblings
    /// created from now on are compared under one key).
    func nameTag(_ name: String, parent: EntryID) throws(SyncClientError) -> NameTag {
        do throws(CryptoFormatError) {
            let bytes = try newest.names.tag(name: name, parentID: try OpaqueID(bytes: parent.bytes))
            guard let tag = NameTag(bytes: bytes) else {
                throw CryptoFormatError.malformed(structure: "name tag", reason: "not 32 bytes")
            }
            return tag
        } catch {
            throw .crypto(operation: "compute a name tag", underlying: error)
        }
    }
}

extension EntryKind {
    /// The record format's kind for this wire kind.
    var recordKind: EntryRecord.Kind {
        switch self {
        case .file: return .file
        case .folder: return .folder
        case .symlink: return .symlink
        }
    }
}
