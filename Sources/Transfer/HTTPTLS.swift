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
    func apply(to easy: CurlEasy) throws {
        if let ca = caPEM { try easy.set(CURLOPT_CAINFO_BLOB, blob: ca) }
        if let f = clientCertFile { try easy.set(CURLOPT_SSLCERT, f) }
        if let c = clientCertPEM { try easy.set(CURLOPT_SSLCERT_BLOB, blob: c) }
        if clientCertFile != nil || clientCertPEM != nil { try easy.set(CURLOPT_SSLCERTTYPE, "PEM") }
        if let f = clientKeyFile { try easy.set(CURLOPT_SSLKEY, f) }
        if let k = clientKeyPEM { try easy.set(CURLOPT_SSLKEY_BLOB, blob: k) }
        if clientKeyFile != nil || clientKeyPEM != nil { try easy.set(CURLOPT_SSLKEYTYPE, "PEM") }
        if insecure {
            try easy.set(CURLOPT_SSL_VERIFYPEER, 0)
            try easy.set(CURLOPT_SSL_VERIFYHOST, 0)
        }
    }
}
