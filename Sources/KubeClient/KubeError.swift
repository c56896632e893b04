import Foundation
import SnapshotCore
import Transfer

extension ChainsnapError.Code {
    /// The API server refused because the object changed or exists (HTTP 409).
    public static let conflict = Self("conflict")
}

/// Maps Kubernetes API answers (a `Status` object and an HTTP code) to errors that name the
/// object and say what to check. Never includes request headers, so tokens cannot leak.
public enum KubeError {
    /// The `message` and `reason` of a Kubernetes `Status` body, when there is one.
    public static func status(in body: [UInt8]) -> (message: String?, reason: String?) {
        guard let obj = (try? JSONSerialization.jsonObject(with: Data(body.prefix(64 << 10)))) as? [String: Any],
              obj["kind"] as? String == "Status" else { return (nil, nil) }
        return (obj["message"] as? String, obj["reason"] as? String)
    }

    public static func error(status: Int, body: [UInt8], verb: String, object: String, connection: KubeConnection) -> ChainsnapError {
        let (message, _) = Self.status(in: body)
        let said = message.map { ": \($0)" } ?? ""
        let who = connection.userName.isEmpty ? "these credentials" : "user \"\(connection.userName)\""
        switch status {
        case 401:
            return ChainsnapError(.auth, "the API server \(connection.server) rejected the credentials (HTTP 401) while trying to \(verb) \(object)",
                                  object: object,
                                  hint: "the token or certificate of \(who) (\(connection.origin)) is wrong or expired; refresh it (your cloud CLI's get-credentials / login) or pick another --context")
        case 403:
            return ChainsnapError(.auth, "\(who) may not \(verb) \(object) (HTTP 403)\(said)", object: object,
                                  hint: "grant it through RBAC (jobs/fleet-rbac.yaml has the Role fleet commands need) or use another --context")
        case 404:
            return ChainsnapError(.notFound, "\(object) was not found (HTTP 404) while trying to \(verb) it\(said)", object: object,
                                  hint: "check -n/--namespace and the name (context namespace: \(connection.namespace); \(connection.origin))")
        case 409:
            return ChainsnapError(.conflict, "\(object) changed or already exists (HTTP 409) while trying to \(verb) it\(said)", object: object,
                                  hint: "someone else modified it at the same time; look at it and run the command again")
        case 429:
            return ChainsnapError(.http, "the API server is throttling requests (HTTP 429) while trying to \(verb) \(object)", object: object,
                                  hint: "wait a minute and run again; lower --watch frequency if you poll", retryable: true)
        case 500...599:
            return ChainsnapError(.http, "the API server failed (HTTP \(status)) while trying to \(verb) \(object)\(said)", object: object,
                                  hint: "check the control plane's health (`kubectl get --raw /readyz`) and run again", retryable: true)
        default:
            return ChainsnapError(.http, "the API server answered HTTP \(status) while trying to \(verb) \(object)\(said)", object: object)
        }
    }
}
