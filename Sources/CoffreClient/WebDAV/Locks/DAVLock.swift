/// A write lock (RFC 4918 §6, §7): exclusive or shared, on one resource or a whole subtree.
public struct DAVLock: Sendable, Equatable {
    /// RFC 4918 §14.13 lockscope.
    public enum Scope: Sendable, Equatable {
        /// Only one lock may cover the resource.
        case exclusive
        /// Other shared locks may cover it too.
        case shared
    }

    /// The lock token, a `urn:uuid:` URI (RFC 4918 §6.5).
    public var token: String
    /// The resource the lock was taken on (its lock root, RFC 4918 §6.1).
    public var root: DAVPath
    /// True when the root was a collection when locked (for the `lockroot` href).
    public var rootIsCollection: Bool
    /// Exclusive or shared.
    public var scope: Scope
    /// True for `Depth: infinity` (the lock covers every member of a collection).
    public var coversMembers: Bool
    /// The `owner` element as the client sent it, serialized; nil when absent.
    public var ownerXML: [UInt8]?
    /// The timeout granted, in seconds.
    public var timeoutSeconds: Int
    /// When the lock expires, in `DAVLockManager`'s clock (seconds).
    public var expiresAt: Double

    /// True when the lock covers `path` (its root, or a member with depth infinity).
    public func covers(_ path: DAVPath) -> Bool {
        path == root || (coversMembers && root.contains(path))
    }
}
