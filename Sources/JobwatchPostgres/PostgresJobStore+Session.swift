import PostgresNIO

extension PostgresJobStore {
    /// The TLS protocol version of a pooled session as the server sees it (`pg_stat_ssl`), nil for a plain
    /// TCP session: what `sslmode` gave, checked at the other end.
    package func sessionTLSVersion() async throws -> String? {
        let found = try await rows("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        guard let row = found.first, try row["ssl"].decode(Bool.self) else { return nil }
        return try row["version"].decode(String?.self) ?? "TLS"
    }
}
