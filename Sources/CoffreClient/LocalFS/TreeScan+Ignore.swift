import Glibc

extension TreeScan {
    /// Whether the entry at NFC path `normalized`, whose last component is `nameLength` bytes
    /// long, is ignored by the scopes in force or the defaults. Its parents are known not to be
    /// ignored (the scan does not enter ignored folders), so only the entry itself is checked.
    func isIgnored(_ normalized: String, nameLength: Int, isFolder: Bool) -> Bool {
        guard ignoreRules.defaults != nil || !scopes.isEmpty else { return false }
        let utf8 = normalized.utf8
        let name = Substring(utf8.suffix(nameLength))
        // gitignore(5): lower-level files override higher-level ones; the last match wins.
        for scope in scopes.reversed() {
            let relative = Substring(utf8.dropFirst(scope.folderLength == 0 ? 0 : scope.folderLength + 1))
            if let decision = scope.file.decision(relativePath: relative, name: name, isFolder: isFolder) { return decision }
        }
        return ignoreRules.defaults?.decision(relativePath: normalized[...], name: name, isFolder: isFolder) ?? false
    }

    /// Makes `file` the deepest scope and records it in `ignoreRules`; false when it holds no
    /// pattern (no scope is needed then).
    func openScope(_ file: IgnoreFile, folderLength: Int) -> Bool {
        ignoreRules.add(file)
        guard !file.patterns.isEmpty else { return false }
        scopes.append(IgnoreScope(folderLength: folderLength, file: file))
        return true
    }

    /// Reads the `.coffreignore` of an opened folder. nil when it is absent or not a regular
    /// file (a symlinked ignore file is not used, as git does not follow a symlinked
    /// .gitignore); a failure when it cannot be read or exceeds `IgnoreFile.maximumByteCount`.
    static func loadIgnoreFile(in folder: LocalFileDescriptor, folderPath: String) -> Result<IgnoreFile?, LocalFSError> {
        // O_NONBLOCK so that a FIFO under that name cannot block the scan in open(2).
        let opened = LocalFileDescriptor.open(ReservedNames.ignoreFile, in: folder.raw, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        let file: LocalFileDescriptor
        switch opened {
        case .success(let descriptor): file = descriptor
        case .failure(let error) where error.code == ENOENT || error.code == ELOOP: return .success(nil)
        case .failure(let error): return .failure(.system(operation: "open an ignore file", code: error.code))
        }
        do throws(LocalFSError) {
            let info = try file.status(operation: "stat an ignore file")
            guard info.fileType == S_IFREG else { return .success(nil) }
            guard info.st_size <= IgnoreFile.maximumByteCount else { return .failure(.ignoreFileRejected("larger than the limit")) }
            // One byte more than announced, to notice a file that grows while being read.
            var contents = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
            var filled = 0
            while filled < contents.count {
                let count = try contents.withUnsafeMutableBytes { bytes in
                    Result { () throws(LocalFSError) in
                        try file.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[filled...]), operation: "read an ignore file")
                    }
                }.get()
                if count == 0 { break }
                filled += count
            }
            guard filled < contents.count else { return .failure(.ignoreFileRejected("changed while being read")) }
            return .success(IgnoreFile(folder: folderPath, contents: contents[..<filled]))
        } catch {
            return .failure(error)
        }
    }
}

extension SyncRoot {
    /// Starts a scan of the whole tree (see `TreeScan`). Throws only when the root itself
    /// cannot be listed or its own `.coffreignore` cannot be read.
    public func scan(options: ScanOptions = ScanOptions()) throws(LocalFSError) -> TreeScan {
        try TreeScan(root: self, options: options)
    }
}
