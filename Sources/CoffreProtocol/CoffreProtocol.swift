/// CoffreProtocol: the wire types shared by `coffred` and its clients (Codable request and
/// response bodies), API paths and the stable error codes listed in docs/protocol.md.
public enum CoffreProtocol {
    /// Version of the HTTP API this build speaks; it prefixes every route (`/v1/...`).
    public static let apiVersion = "v1"
}
