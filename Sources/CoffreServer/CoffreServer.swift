/// CoffreServer: the server as a library — blob stores, metadata store, accounts and auth,
/// the sync engine, the admin API and configuration. `coffred` is a thin executable over it.
public enum CoffreServer {}
