import Foundation
import SnapshotCore

/// An access key pair (and session token) for S3. `description` never shows the secret.
public struct AWSCredentials: Sendable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// Where these came from (`environment`, `shared credentials file … profile default`, `--credentials-dir …`).
    public var source: String

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, source: String = "explicit") {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.source = source
    }

    public var description: String {
        "access key \(accessKeyID) from \(source)\(sessionToken == nil ? "" : " (with session token)")"
    }
}

/// Finds S3 credentials, in this order:
/// 1. `--credentials-dir DIR` (a mounted Kubernetes Secret): files `access-key-id`,
///    `secret-access-key`, optional `session-token` (also accepted: `AWS_ACCESS_KEY_ID`,
///    `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, and `accessKeyId`/`secretAccessKey`/`sessionToken`);
/// 2. the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`;
/// 3. the AWS shared credentials file (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`),
///    profile `--profile`, `AWS_PROFILE` or `default`.
public enum CredentialResolver {
    static let dirNames: [(id: String, secret: String, token: String)] = [
        ("access-key-id", "secret-access-key", "session-token"),
        ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"),
        ("accessKeyId", "secretAccessKey", "sessionToken"),
        ("access_key_id", "secret_access_key", "session_token"),
    ]

    public static func resolve(options: StoreOptions,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AWSCredentials {
        let c = try find(options: options, environment: environment)
        options.log?("S3 credentials: \(c)")
        return c
    }

    static func find(options: StoreOptions, environment env: [String: String]) throws -> AWSCredentials {
        if let dir = options.credentialsDir {
            for names in dirNames {
                guard let id = readSecretFile(dir + "/" + names.id) else { continue }
                guard let secret = readSecretFile(dir + "/" + names.secret) else {
                    throw ChainsnapError(.auth, "\(dir) has '\(names.id)' but no '\(names.secret)'", object: dir,
                                         hint: "mount both keys of the Secret into --credentials-dir")
                }
                return AWSCredentials(accessKeyID: id, secretAccessKey: secret,
                                      sessionToken: readSecretFile(dir + "/" + names.token),
                                      source: "--credentials-dir \(dir)")
            }
            throw ChainsnapError(.auth, "no credentials found in --credentials-dir \(dir)", object: dir,
                                 hint: "expected files 'access-key-id' and 'secret-access-key' (optional 'session-token'), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
        }
        if let id = nonEmpty(env["AWS_ACCESS_KEY_ID"]) {
            guard let secret = nonEmpty(env["AWS_SECRET_ACCESS_KEY"]) else {
                throw ChainsnapError(.auth, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
                                     hint: "set both variables (from a Secret), or use --credentials-dir")
            }
            return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: nonEmpty(env["AWS_SESSION_TOKEN"]),
                                  source: "environment (AWS_ACCESS_KEY_ID)")
        }
        let file = nonEmpty(env["AWS_SHARED_CREDENTIALS_FILE"]) ?? (nonEmpty(env["HOME"]).map { $0 + "/.aws/credentials" })
        let profile = options.profile ?? nonEmpty(env["AWS_PROFILE"]) ?? "default"
        if let file, let text = try? String(contentsOfFile: file, encoding: .utf8) {
            let sections = parseINI(text)
            if let s = sections[profile], let id = nonEmpty(s["aws_access_key_id"]), let secret = nonEmpty(s["aws_secret_access_key"]) {
                return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: nonEmpty(s["aws_session_token"]),
                                      source: "shared credentials file \(file), profile \(profile)")
            }
            if options.profile != nil || env["AWS_PROFILE"] != nil {
                throw ChainsnapError(.auth, "profile '\(profile)' has no keys in \(file)", object: file,
                                     hint: "add aws_access_key_id and aws_secret_access_key to [\(profile)], or choose another profile")
            }
        }
        throw ChainsnapError(.auth, "no S3 credentials found",
                             hint: "provide them one of three ways: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (optional AWS_SESSION_TOKEN) in the environment; the AWS shared credentials file (~/.aws/credentials, profile via AWS_PROFILE or --profile); or --credentials-dir DIR holding files access-key-id and secret-access-key (a mounted Secret)")
    }

    /// Reads a one-value secret file, trimming the trailing newline; nil if missing or empty.
    public static func readSecretFile(_ path: String) -> String? {
        guard let d = FileManager.default.contents(atPath: path) else { return nil }
        return nonEmpty(String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
    }

    /// `[section]` → `key = value`, keys lowercased.
    static func parseINI(_ text: String) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                var name = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                if name.hasPrefix("profile ") { name = String(name.dropFirst(8)).trimmingCharacters(in: .whitespaces) }
                current = name
                continue
            }
            guard let c = current, let eq = line.firstIndex(of: "=") else { continue }
            let k = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let v = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            out[c, default: [:]][k] = v
        }
        return out
    }
}
