import CSystemShims
import Glibc

/// Dead properties of `DirectoryDAVStorage`: one side file per resource, named like the
/// resource, in the `.coffre-dav-props` folder of the directory holding it (the root's own in
/// the root's side folder). A moved folder takes its members' side files along; the resource's
/// own side file is moved, copied and removed with it.
///
/// File format (all integers little-endian u32): magic `CDP1`, count, then per property the
/// namespace, the local name and the value, each as length + UTF-8 bytes. Read back as hostile
/// input: bounded, UTF-8 checked, names and values re-validated as XML.
extension DirectoryDAVStorage {
    static let propertyMagic: [UInt8] = Array("CDP1".utf8)

    /// The directory holding the side folder for `path`, and the side file's name.
    func propertyLocation(of path: DAVPath) throws(DAVError) -> (LocalFileDescriptor, String) {
        guard let parentPath = path.parent else { return (root, Self.rootPropertiesName) }
        guard let parent = try openDirectory(parentPath) else { throw .notFound }
        return (parent, path.name)
    }

    func readProperties(of path: DAVPath) throws(DAVError) -> [DAVPropertyName: DAVPropertyValue] {
        let (directory, name) = try propertyLocation(of: path)
        return try readProperties(named: name, in: directory)
    }

    func readProperties(named name: String, in directory: LocalFileDescriptor) throws(DAVError) -> [DAVPropertyName: DAVPropertyValue] {
        switch LocalFileDescriptor.openFolder(Self.propertiesFolder, in: directory.raw) {
        case .success(let folder): return try Self.readPropertyFile(name, in: folder)
        case .failure(let error) where error.code == ENOENT: return [:]
        case .failure(let error): throw Self.systemError("open properties folder", error.code)
        }
    }

    /// Replaces the side file atomically (temporary file + rename); removes it when empty.
    func writeProperties(_ properties: [DAVPropertyName: DAVPropertyValue], of path: DAVPath) throws(DAVError) {
        let (directory, name) = try propertyLocation(of: path)
        guard !properties.isEmpty else { return try Self.removePropertyFile(name, in: directory) }
        let folder = try Self.propertyFolder(in: directory, create: true)!
        let temporary = "\(Self.reservedPrefix)-tmp-\(instanceTag)"
        let file: LocalFileDescriptor
        switch LocalFileDescriptor.open(temporary, in: folder.raw, flags: O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: 0o600) {
        case .success(let fd): file = fd
        case .failure(let error): throw Self.systemError("create properties file", error.code)
        }
        try Self.writeAll(Self.encode(properties), to: file)
        let (result, code) = retryingOnInterrupt { renameat(folder.raw, temporary, folder.raw, name) }
        guard result == 0 else { throw Self.systemError("rename properties file", code) }
    }

    /// The side folder in `directory`; created when asked, else nil when missing.
    static func propertyFolder(in directory: LocalFileDescriptor, create: Bool) throws(DAVError) -> LocalFileDescriptor? {
        switch LocalFileDescriptor.openFolder(propertiesFolder, in: directory.raw) {
        case .success(let folder): return folder
        case .failure(let error) where error.code == ENOENT:
            guard create else { return nil }
            let (result, code) = retryingOnInterrupt { mkdirat(directory.raw, propertiesFolder, 0o700) }
            guard result == 0 || code == EEXIST else { throw systemError("create properties folder", code) }
            return try propertyFolder(in: directory, create: false)
        case .failure(let error): throw systemError("open properties folder", error.code)
        }
    }

    static func readPropertyFile(_ name: String, in folder: LocalFileDescriptor) throws(DAVError) -> [DAVPropertyName: DAVPropertyValue] {
        let file: LocalFileDescriptor
        switch LocalFileDescriptor.open(name, in: folder.raw, flags: O_RDONLY | O_NOFOLLOW) {
        case .success(let fd): file = fd
        case .failure(let error) where error.code == ENOENT: return [:]
        case .failure(let error): throw systemError("open properties file", error.code)
        }
        let limit = DAVPropertyLimits.maximumBytes + 16 * DAVPropertyLimits.maximumCount + 8
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        do {
            while true {
                let count = try chunk.withUnsafeMutableBytes { buffer in try file.read(into: buffer, operation: "read properties") }
                if count == 0 { break }
                guard bytes.count + count <= limit else { throw DAVError.storage("properties file too large") }
                bytes.append(contentsOf: chunk[0..<count])
            }
        } catch let error as DAVError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
        return try decode(bytes)
    }

    static func removePropertyFile(_ name: String, in directory: LocalFileDescriptor) throws(DAVError) {
        guard let folder = try propertyFolder(in: directory, create: false) else { return }
        let (result, code) = retryingOnInterrupt { unlinkat(folder.raw, name, 0) }
        guard result == 0 || code == ENOENT else { throw systemError("remove properties file", code) }
    }

    static func movePropertyFile(_ name: String, in directory: LocalFileDescriptor, to newName: String, in newDirectory: LocalFileDescriptor) throws(DAVError) {
        guard let folder = try propertyFolder(in: directory, create: false), case .success = folder.statusOfChild(name) else { return }
        let destination = try propertyFolder(in: newDirectory, create: true)!
        let (result, code) = retryingOnInterrupt { renameat(folder.raw, name, destination.raw, newName) }
        guard result == 0 else { throw systemError("move properties file", code) }
    }

    static func copyPropertyFile(_ name: String, in directory: LocalFileDescriptor, to newName: String, in newDirectory: LocalFileDescriptor) throws(DAVError) {
        guard let folder = try propertyFolder(in: directory, create: false), case .success = folder.statusOfChild(name) else { return }
        let destination = try propertyFolder(in: newDirectory, create: true)!
        try copyFile(name, in: folder, to: newName, in: destination)
    }

    static func encode(_ properties: [DAVPropertyName: DAVPropertyValue]) -> [UInt8] {
        var bytes = propertyMagic
        func append(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        func append(_ text: String) {
            append(UInt32(text.utf8.count))
            bytes.append(contentsOf: text.utf8)
        }
        append(UInt32(properties.count))
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            append(name.namespace)
            append(name.name)
            append(value.xml)
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) throws(DAVError) -> [DAVPropertyName: DAVPropertyValue] {
        let corrupt = DAVError.storage("properties file is corrupt")
        guard bytes.starts(with: propertyMagic) else { throw corrupt }
        var offset = propertyMagic.count
        func number() throws(DAVError) -> Int {
            guard bytes.count - offset >= 4 else { throw corrupt }
            let value = bytes[offset..<(offset + 4)].reversed().reduce(0) { $0 << 8 | Int($1) }
            offset += 4
            return value
        }
        func text() throws(DAVError) -> String {
            let count = try number()
            guard count <= bytes.count - offset, let text = String(validating: bytes[offset..<(offset + count)], as: UTF8.self) else { throw corrupt }
            offset += count
            return text
        }
        let count = try number()
        guard count <= DAVPropertyLimits.maximumCount else { throw corrupt }
        var properties: [DAVPropertyName: DAVPropertyValue] = [:]
        for _ in 0..<count {
            let name = DAVPropertyName(namespace: try text(), name: try text())
            let value = DAVPropertyValue(fragment: try text())
            // The value is written into responses as is: it must still be a well-formed fragment.
            guard DAVXMLParser.isName(name.name), (try? DAVXMLParser.parse(Array("<v>\(value.xml)</v>".utf8))) != nil else { throw corrupt }
            properties[name] = value
        }
        guard offset == bytes.count else { throw corrupt }
        return properties
    }
}
