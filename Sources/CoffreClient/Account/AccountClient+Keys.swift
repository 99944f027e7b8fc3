import CoffreCrypto
import CoffreProtocol

/// Key derivation and the account's key pairs, with the refusals that protect against a lying
/// server (DESIGN §6, "Hardening").
extension AccountClient {
    /// Derives authKey and kek; parameters below `policy` are a downgrade and are refused
    /// before any work is done.
    static func derive(_ password: String, _ parameters: KDFParameters, policy: KDFPolicy) throws(AccountError) -> AccountKeys {
        do {
            return try AccountKeys.derive(password: password, parameters: parameters, policy: policy)
        } catch {
            if case .kdfParametersRefused(let reason) = error { throw .kdfDowngrade(reason: reason) }
            throw .crypto(error.description)
        }
    }

    /// New X25519 and Ed25519 key pairs, the private keys wrapped under `keys`' kek.
    static func newKeyMaterial(wrappedWith keys: AccountKeys) throws(AccountError) -> AccountKeyMaterial {
        do {
            let agreement = try X25519.PrivateKey()
            let signing = try Ed25519.PrivateKey()
            return AccountKeyMaterial(
                x25519PublicKey: agreement.publicKey.rawRepresentation, ed25519PublicKey: signing.publicKey.rawRepresentation,
                wrappedX25519PrivateKey: try keys.wrap(agreement), wrappedEd25519PrivateKey: try keys.wrap(signing))
        } catch let error as CryptoError {
            throw .crypto(error.description)
        } catch let error as CryptoFormatError {
            throw .crypto(error.description)
        } catch {
            throw .crypto("key generation failed")
        }
    }

    /// Opens both wrapped private keys with `keys`' kek and checks that they belong to the
    /// public keys next to them, so the server cannot hand out keys of its own. Keys that do
    /// not open throw `unopenable`: the caller knows whether that means a wrong password or a
    /// tampering server.
    @discardableResult
    static func openPrivateKeys(
        _ material: AccountKeyMaterial, with keys: AccountKeys, unopenable: AccountError
    ) throws(AccountError) -> (agreement: X25519.PrivateKey, signing: Ed25519.PrivateKey) {
        let agreement: X25519.PrivateKey
        let signing: Ed25519.PrivateKey
        do {
            agreement = try keys.unwrapAgreementKey(material.wrappedX25519PrivateKey.bytes)
            signing = try keys.unwrapSigningKey(material.wrappedEd25519PrivateKey.bytes)
        } catch {
            throw unopenable
        }
        guard agreement.publicKey.rawRepresentation == material.x25519PublicKey.bytes,
            signing.publicKey.rawRepresentation == material.ed25519PublicKey.bytes
        else { throw .keysRejected(reason: "the private keys do not belong to the account's public keys") }
        return (agreement, signing)
    }
}
