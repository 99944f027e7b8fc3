import CoffreCrypto
import CoffreProtocol
import Foundation

/// Validation of request fields, before anything touches the database. Every failure is an
/// `APIError` that names the field and the rule, never the value.
enum AccountRequestChecks {
    static func userName(_ text: String, field: String = "userName") throws(APIError) -> UserName {
        if let problem = UserName.problem(with: text) { throw .invalidUserName("\(field): \(problem)") }
        guard let name = UserName(rawValue: text) else { throw .invalidUserName("\(field): invalid") }
        return name
    }

    static func authKey(_ value: Base64Bytes, field: String) throws(APIError) -> [UInt8] {
        guard value.count == AccountRules.authKeyByteCount else {
            throw .invalidField(field, "must be \(AccountRules.authKeyByteCount) bytes")
        }
        return value.bytes
    }

    /// The KDF parameters a client may store: at least the test-only floor, at most what the
    /// client accepts (RFC 7914 §2 constraints and the 1 GiB memory ceiling of `Scrypt`).
    static func kdf(_ value: ScryptParameters) throws(APIError) -> ScryptParameters {
        guard value.salt.count == ScryptParameters.saltByteCount else {
            throw .invalidKDFParameters("kdf.salt must be \(ScryptParameters.saltByteCount) bytes")
        }
        let floor = AccountRules.minimumKDFCost
        guard value.n >= floor.n, value.r >= floor.r, value.p >= floor.p,
            value.p <= AccountRules.maximumKDFParallelism
        else {
            throw .invalidKDFParameters(
                "kdf must have n ≥ \(floor.n), r ≥ \(floor.r), 1 ≤ p ≤ \(AccountRules.maximumKDFParallelism)")
        }
        do {
            try Scrypt.Parameters(n: value.n, r: value.r, p: value.p).validate()
        } catch {
            throw .invalidKDFParameters("kdf: \(error)")
        }
        return value
    }

    static func keyMaterial(_ keys: AccountKeyMaterial) throws(APIError) -> AccountKeyMaterial {
        try publicKey(keys.x25519PublicKey, field: "keys.x25519PublicKey")
        try publicKey(keys.ed25519PublicKey, field: "keys.ed25519PublicKey")
        try wrappedKey(keys.wrappedX25519PrivateKey, field: "keys.wrappedX25519PrivateKey")
        try wrappedKey(keys.wrappedEd25519PrivateKey, field: "keys.wrappedEd25519PrivateKey")
        return keys
    }

    static func wrappedKeys(_ keys: WrappedPrivateKeys) throws(APIError) -> WrappedPrivateKeys {
        try wrappedKey(keys.x25519, field: "wrappedPrivateKeys.x25519")
        try wrappedKey(keys.ed25519, field: "wrappedPrivateKeys.ed25519")
        return keys
    }

    private static func publicKey(_ value: Base64Bytes, field: String) throws(APIError) {
        guard value.count == AccountKeyMaterial.publicKeyByteCount else {
            throw .invalidField(field, "must be \(AccountKeyMaterial.publicKeyByteCount) bytes")
        }
    }

    private static func wrappedKey(_ value: Base64Bytes, field: String) throws(APIError) {
        guard (1...AccountKeyMaterial.maximumWrappedKeyByteCount).contains(value.count) else {
            throw .invalidField(field, "must be 1 to \(AccountKeyMaterial.maximumWrappedKeyByteCount) bytes")
        }
    }

    /// A device or token label: NFC (UAX #15), 1–128 bytes of UTF-8, no control characters.
    static func label(_ text: String, field: String) throws(APIError) -> String {
        let normalized = text.precomposedStringWithCanonicalMapping
        let count = normalized.utf8.count
        guard count >= 1, count <= AccountRules.maximumLabelBytes else {
            throw .invalidField(field, "must be 1 to \(AccountRules.maximumLabelBytes) bytes of UTF-8")
        }
        // Control and format characters (bidi overrides, zero-width spaces) make a label display
        // as something else; U+200D (zero-width joiner) stays allowed for emoji sequences.
        let hidden = normalized.unicodeScalars.contains { scalar in
            let category = scalar.properties.generalCategory
            return category == .control || (category == .format && scalar.value != 0x200D)
        }
        guard !hidden else {
            throw .invalidField(field, "must not contain control or format characters")
        }
        guard normalized.trimmingCharacters(in: .whitespacesAndNewlines) == normalized else {
            throw .invalidField(field, "must not start or end with spaces")
        }
        return normalized
    }

    /// A non-empty set of scopes without repeats.
    static func scopes(_ list: [Scope]) throws(APIError) -> Set<Scope> {
        let set = Set(list)
        guard !set.isEmpty else { throw .invalidField("scopes", "must name at least one scope") }
        guard set.count == list.count else { throw .invalidField("scopes", "must not repeat a scope") }
        return set
    }

    static func inviteValidity(_ seconds: Int64?) throws(APIError) -> Int64 {
        guard let seconds else { return AccountRules.defaultInviteValiditySeconds }
        guard AccountRules.inviteValidityRange.contains(seconds) else {
            throw .invalidField(
                "inviteValidSeconds",
                "must be \(AccountRules.inviteValidityRange.lowerBound) to \(AccountRules.inviteValidityRange.upperBound)")
        }
        return seconds
    }

    static func quota(_ bytes: Int64?, field: String = "quotaBytes") throws(APIError) -> Int64? {
        if let bytes, bytes < 0 { throw .invalidField(field, "must be 0 or more (null = unlimited)") }
        return bytes
    }
}
