/// A configuration value is missing, malformed or unsafe. `key` is the configuration key (as in
/// `config/coffred.yaml`); the message never repeats secret values.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case invalid(key: String, reason: String)
    case unreadableFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let key, let reason): return "configuration '\(key)': \(reason)"
        case .unreadableFile(let path, let reason): return "cannot read configuration file \(path): \(reason)"
        }
    }
}
