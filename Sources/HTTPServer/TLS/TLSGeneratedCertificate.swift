/// A certificate and its private key as PEM text, from `TLSCertificateGenerator`.
public struct TLSGeneratedCertificate: Sendable {
    /// The certificate ("-----BEGIN CERTIFICATE-----").
    public let certificatePEM: String
    /// The unencrypted PKCS#8 private key ("-----BEGIN PRIVATE KEY-----"); store it with mode 0600.
    public let privateKeyPEM: String
    /// SHA-256 fingerprint of the certificate, the value a client pins.
    public let fingerprintSHA256: [UInt8]
}
