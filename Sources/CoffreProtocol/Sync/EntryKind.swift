/// What an entry is. The kind is fixed when the entry is created: the record's associated data
/// binds it (docs/format.md, "Encrypted record"), so a commit that changes it is refused.
public enum EntryKind: String, Sendable, Codable, CaseIterable {
    /// A regular file: its record lists its chunks.
    case file
    /// A folder: it can hold entries.
    case folder
    /// A symbolic link: its record holds the target.
    case symlink

    /// The code the record format uses for this kind (docs/format.md, "Record plaintext"):
    /// 1 = file, 2 = folder, 3 = symlink. The server stores this code.
    public var code: Int64 {
        switch self {
        case .file: return 1
        case .folder: return 2
        case .symlink: return 3
        }
    }

    /// The kind with record-format code `code`; nil for an unknown code.
    public init?(code: Int64) {
        switch code {
        case 1: self = .file
        case 2: self = .folder
        case 3: self = .symlink
        default: return nil
        }
    }
}
