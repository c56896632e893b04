internal import CCurl

/// TLS settings of one request beyond the system CA store: a private CA given as PEM bytes,
/// a client certificate and key (file or PEM bytes), or no verification at all (a kubeconfig's
/// `insecure-skip-tls-verify`). Key bytes are handed to libcurl in memory, never written to disk.
public struct HTTPTLS: Sendable {
    /// CA certificates (PEM) to trust for this request.
    public var caPEM: [UInt8]?
    public var clientCertFile: String?
    public var clientCertPEM: [UInt8]?
    public var clientKeyFile: String?
    public var clientKeyPEM: [UInt8]?
    /// Skip server certificate verification.
    public var insecure: Bool

    public init(caPEM: [UInt8]? = nil, clientCertFile: String? = nil, clientCertPEM: [UInt8]? = nil,
                clientKeyFile: String? = nil, clientKeyPEM: [UInt8]? = nil, insecure: Bool = false) {
        self.caPEM = caPEM
        self.clientCertFile = clientCertFile
        self.clientCertPEM = clientCertPEM
        self.clientKeyFile = clientKeyFile
        self.clientKeyPEM = clientKeyPEM
        self.insecure = insecure
    }

    /// Sets the options on an easy handle (reset handles from the pool carry none of them).
    func apply(to h: UnsafeMutableRawPointer) {
        if let ca = caPEM { _ = ca.withUnsafeBytes { ccurl_easy_setopt_blob(h, CURLOPT_CAINFO_BLOB, $0.baseAddress, $0.count) } }
        if let f = clientCertFile { _ = ccurl_easy_setopt_string(h, CURLOPT_SSLCERT, f) }
        if let c = clientCertPEM { _ = c.withUnsafeBytes { ccurl_easy_setopt_blob(h, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count) } }
        if clientCertFile != nil || clientCertPEM != nil { _ = ccurl_easy_setopt_string(h, CURLOPT_SSLCERTTYPE, "PEM") }
        if let f = clientKeyFile { _ = ccurl_easy_setopt_string(h, CURLOPT_SSLKEY, f) }
        if let k = clientKeyPEM { _ = k.withUnsafeBytes { ccurl_easy_setopt_blob(h, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count) } }
        if clientKeyFile != nil || clientKeyPEM != nil { _ = ccurl_easy_setopt_string(h, CURLOPT_SSLKEYTYPE, "PEM") }
        if insecure {
            _ = ccurl_easy_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 0)
            _ = ccurl_easy_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 0)
        }
    }
}
