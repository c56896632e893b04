import KubeClient
import NodeRPC
import SnapshotCore

/// Where `k8s volume-snapshot` reads the node's head (`eth_blockNumber`, then that block's hash):
/// the node's RPC URL, or a pod's node through the API server's pod proxy.
public enum HeadSource: Sendable, Equatable {
    case rpc(url: String, path: String)
    /// `port` nil: the pod's container port named http.
    case pod(name: String, port: Int?, path: String)

    /// The source as the dry run names it.
    public var description: String {
        switch self {
        case .rpc(let url, _): url
        case .pod(let name, _, _): "pod \(name) through the pod proxy"
        }
    }

    /// The reader `VolumeSnapshotTaker.run` calls; a pod's port is looked up now, so a pod without
    /// one fails before any snapshot is made.
    public func reader(kube: KubeClient, namespace: String) async throws -> @Sendable () async throws -> BlockHead {
        switch self {
        case .rpc(let url, let path):
            return { try await NodeClient(endpoints: NodeEndpoints(baseURL: url, rpcPath: path), timeout: 30).headToRecord(height: nil, blockHash: nil) }
        case .pod(let name, let port, let path):
            let port = try await kube.nodeHTTPPort(namespace: namespace, pod: name, override: port)
            return { try await PodProxyHead(kube: kube, namespace: namespace, pod: name, port: port, rpcPath: path).read() }
        }
    }
}
