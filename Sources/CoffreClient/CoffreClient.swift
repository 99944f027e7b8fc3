/// CoffreClient: everything that holds keys — vault keys, the chunker, encryption, the local
/// index, scanner, reconciler, transfers and the decrypting WebDAV gateway.
public enum CoffreClient {}
