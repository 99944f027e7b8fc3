import Foundation
import HTTPServer

extension CoffredProcess {
    /// Writes a new self-signed certificate for localhost and 127.0.0.1 to `directory`'s
    /// `cert.pem` and `key.pem` (replacing what is there, as an operator renewing it would)
    /// and returns it.
    @discardableResult
    static func writeSelfSignedCertificate(in directory: String) throws -> TLSGeneratedCertificate {
        let certificate = try TLSCertificateGenerator.selfSigned(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        try certificate.certificatePEM.write(toFile: directory + "/cert.pem", atomically: true, encoding: .utf8)
        try certificate.privateKeyPEM.write(toFile: directory + "/key.pem", atomically: true, encoding: .utf8)
        return certificate
    }

    /// The `--tls-cert` / `--tls-key` arguments for the files `writeSelfSignedCertificate` writes.
    static func tlsArguments(in directory: String) -> [String] {
        ["--tls-cert", directory + "/cert.pem", "--tls-key", directory + "/key.pem"]
    }
}
