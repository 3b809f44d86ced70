import JobwatchConfig
import NIOSSL

/// A TLS handshake failure said in the operator's terms (which check failed, what to change), in one line:
/// BoringSSL's own text is long, names source files and, for an address, says "<none>".
struct PostgresTLSProblem {
    let message: String

    /// nil: `underlying` is no TLS failure.
    init?(_ underlying: (any Error)?, url: PostgresURL) {
        guard let underlying else { return nil }
        let authorities = url.sslRootCertificate.map { "sslrootcert=\($0)" } ?? "the system's trust store"
        let mode = "sslmode=\(url.sslMode.rawValue)"
        if let extra = underlying as? NIOSSLExtraError, extra == .failedToValidateHostname {
            message =
                "the server's certificate does not name \(url.host) (\(mode)); connect by a name or address its "
                + "certificate carries, or give the server a certificate for \(url.host)"
            return
        }
        let text = String(describing: underlying)
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            message =
                "the server's certificate is not signed by an authority in \(authorities) (\(mode)), or has "
                + "expired; give the PEM file of the authority that signed it in sslrootcert="
            return
        }
        guard underlying is NIOSSLError || underlying is BoringSSLError || underlying is NIOSSLExtraError else {
            return nil
        }
        let reason = text.split(separator: "\n").first.map { String($0.prefix(200)) } ?? "-"
        message = "the TLS handshake failed (\(mode)): \(reason); check the server's ssl settings and the sslmode"
    }
}
