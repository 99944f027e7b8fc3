import CoffreProtocol

extension VaultKeyring {
    /// The keyring's record ciphers with their key schedules made once per generation, as
    /// needed (`RecordCipher.Session`), for the many records of one feed page or one commit
    /// batch. Not thread-safe: one per task, dropped with the page or batch.
    final class RecordSessions {
        let keyring: VaultKeyring
        private var sessions: [UInt32: RecordCipher.Session] = [:]

        init(keyring: VaultKeyring) {
            self.keyring = keyring
        }

        /// Opens a record fetched for `entry` (of `kind`, under `parent`): the record and the
        /// generation that opened it. A record carries no generation number, so the
        /// generations are tried newest first (a wrong key fails the GCM tag); throws the
        /// newest generation's error when none opens it.
        func open(
            _ sealed: [UInt8], entry: EntryID, parent: EntryID, kind: EntryKind
        ) throws(CryptoFormatError) -> (EntryRecord, Generation) {
            let entryID = try OpaqueID(bytes: entry.bytes)
            let parentID = try OpaqueID(bytes: parent.bytes)
            var first: CryptoFormatError?
            for generation in keyring.generations {
                do {
                    let record = try session(generation).open(sealed, entryID: entryID, parentID: parentID, kind: kind.recordKind)
                    return (record, generation)
                } catch .authenticationFailed(let structure) {
                    // A wrong key and an altered record look alike; try the older keys.
                    if first == nil { first = .authenticationFailed(structure: structure) }
                }
            }
            throw first ?? .authenticationFailed(structure: "entry record")
        }

        /// Seals `record` for `entry` under `parent` with the generation numbered `number`.
        func seal(_ record: EntryRecord, entry: EntryID, parent: EntryID, generation number: UInt32) throws(SyncClientError) -> [UInt8] {
            guard let generation = keyring.generation(number) else { throw .missingVaultKey(generation: Int64(number)) }
            do {
                return try session(generation).seal(
                    record, entryID: try OpaqueID(bytes: entry.bytes), parentID: try OpaqueID(bytes: parent.bytes))
            } catch {
                throw .crypto(operation: "seal an entry record", underlying: error)
            }
        }

        /// The session of `generation`, made on first use.
        private func session(_ generation: Generation) throws(CryptoFormatError) -> RecordCipher.Session {
            if let made = sessions[generation.number] { return made }
            let made = try generation.records.session()
            sessions[generation.number] = made
            return made
        }
    }

    /// Record sessions over this keyring, for one page or batch of records.
    func recordSessions() -> RecordSessions {
        RecordSessions(keyring: self)
    }
}
