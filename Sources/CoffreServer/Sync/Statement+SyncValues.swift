import CoffreProtocol
import SQLiteStore

/// Binding ids in place, without allocating an array per value (the commit loop binds several
/// per entry).
extension Statement {
    /// Binds the 16 bytes of `id` to the 1-based parameter `index`.
    func bind<Purpose>(_ id: OpaqueIdentifier<Purpose>, at index: Int) throws(SQLiteError) {
        try id.withUnsafeBytes { (bytes) throws(SQLiteError) in try bind(bytes, at: index) }
    }
}
