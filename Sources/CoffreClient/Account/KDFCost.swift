import CoffreCrypto
import CoffreProtocol

/// Which scrypt cost a command uses (`--kdf-cost`): the client picks the parameters when it
/// creates or changes a password, and checks the server's against the same policy at login.
///
/// `test` exists only so tests run in milliseconds. It is never the default, and a client
/// that was not given `--kdf-cost test` refuses a server answering test parameters: that is
/// exactly what a downgrade attack would look like.
public enum KDFCost: String, Sendable, CaseIterable {
    /// N = 2^17, r = 8, p = 1 (128 MiB): every real account.
    case standard
    /// TESTS ONLY: N = 2^10, r = 8, p = 1 (1 MiB), about 128 times cheaper to guess.
    case test

    /// The floor for the server's parameters at login.
    public var policy: KDFPolicy {
        self == .test ? .testingOnly : .standard
    }

    /// Fresh parameters with a new random salt, for a new account or password.
    func newParameters() throws(AccountError) -> KDFParameters {
        do {
            let salt = try KDFParameters.randomSalt()
            return KDFParameters(cost: policy.minimum, salt: salt)
        } catch {
            throw .crypto(error.description)
        }
    }
}

extension KDFParameters {
    /// The parameters of a wire `ScryptParameters` (not yet checked: see `KDFPolicy`).
    public init(wire: ScryptParameters) {
        self.init(cost: Scrypt.Parameters(n: wire.n, r: wire.r, p: wire.p), salt: wire.salt.bytes)
    }

    /// The wire form.
    public var wire: ScryptParameters {
        ScryptParameters(n: cost.n, r: cost.r, p: cost.p, salt: salt)
    }
}
