import Foundation

/// `metadata` of any object (the fields chainsnap reads).
public struct ObjectMeta: Codable, Sendable, Equatable {
    public var name: String
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var creationTimestamp: String?
    public var deletionTimestamp: String?

    public init(name: String, namespace: String? = nil, labels: [String: String]? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
    }
}

/// A list's metadata (`continue` token for paging).
public struct ListMeta: Codable, Sendable {
    public var resourceVersion: String?
    public var `continue`: String?
}

/// One page of a list answer: its items and the token for the next page.
public protocol KubeListPage: Decodable, Sendable {
    associatedtype Item: Sendable
    var metadata: ListMeta? { get }
    var items: [Item] { get }
}

/// A pod, reduced to what fleet commands look at.
public struct Pod: Decodable, Sendable {
    public struct Spec: Decodable, Sendable {
        public var containers: [Container]
        public var initContainers: [Container]?
    }

    public struct Container: Decodable, Sendable {
        public struct Port: Decodable, Sendable {
            public var name: String?
            public var containerPort: Int
        }
        public var name: String
        public var image: String?
        public var args: [String]?
        public var ports: [Port]?
    }

    public struct Status: Decodable, Sendable {
        public var phase: String?
        public var conditions: [Condition]?
        public var initContainerStatuses: [ContainerStatus]?
        public var containerStatuses: [ContainerStatus]?
    }

    public struct Condition: Decodable, Sendable {
        public var type: String
        public var status: String
    }

    public struct ContainerStatus: Decodable, Sendable {
        public struct State: Decodable, Sendable {
            public struct Waiting: Decodable, Sendable { public var reason: String? }
            public struct Running: Decodable, Sendable { public var startedAt: String? }
            public struct Terminated: Decodable, Sendable {
                public var exitCode: Int
                public var reason: String?
            }
            public var waiting: Waiting?
            public var running: Running?
            public var terminated: Terminated?
        }
        public var name: String
        public var ready: Bool
        public var restartCount: Int?
        public var image: String?
        public var state: State?
    }

    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    public var name: String { metadata.name }
    public var uid: String { metadata.uid ?? "" }
    public var phase: String { status?.phase ?? "Unknown" }
    public var isTerminating: Bool { metadata.deletionTimestamp != nil }

    /// The `Ready` condition is True.
    public var isReady: Bool {
        status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } ?? false
    }

    /// The container port named `name` (`http`), searching every container.
    public func port(named name: String) -> Int? {
        for c in spec.containers {
            if let p = c.ports?.first(where: { $0.name == name }) { return p.containerPort }
        }
        return nil
    }

    /// The init container still running (or waiting), if the pod is initialising.
    public var runningInitContainer: ContainerStatus? {
        status?.initContainerStatuses?.first { $0.state?.terminated == nil }
    }

    /// The StatefulSet ordinal (`luxd-3` → 3).
    public var ordinal: Int? {
        guard let dash = name.lastIndex(of: "-") else { return nil }
        return Int(name[name.index(after: dash)...])
    }
}

/// `GET …/pods`.
public struct PodList: KubeListPage {
    public var metadata: ListMeta?
    public var items: [Pod]
}

/// A StatefulSet: one network.
public struct StatefulSet: Decodable, Sendable {
    public struct Spec: Decodable, Sendable {
        public struct Selector: Decodable, Sendable { public var matchLabels: [String: String]? }
        public struct Strategy: Decodable, Sendable { public var type: String? }
        public var replicas: Int?
        public var selector: Selector
        public var updateStrategy: Strategy?
    }
    public struct Status: Decodable, Sendable {
        public var replicas: Int?
        public var readyReplicas: Int?
        public var currentRevision: String?
        public var updateRevision: String?
    }
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    /// `matchLabels` as a label selector string (`app=luxd,network=mainnet`).
    public var labelSelector: String {
        (spec.selector.matchLabels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}

/// `GET …/statefulsets`.
public struct StatefulSetList: KubeListPage {
    public var metadata: ListMeta?
    public var items: [StatefulSet]
}

/// A ConfigMap (chainsnap writes only `chainsnap-recovery`).
public struct ConfigMap: Codable, Sendable {
    public var apiVersion: String? = "v1"
    public var kind: String? = "ConfigMap"
    public var metadata: ObjectMeta
    public var data: [String: String]?

    public init(metadata: ObjectMeta, data: [String: String]?) {
        self.metadata = metadata
        self.data = data
    }
}

/// An event about an object (scheduling failures, image pulls, OOM kills).
public struct Event: Decodable, Sendable {
    public struct Involved: Decodable, Sendable {
        public var kind: String?
        public var name: String?
        public var uid: String?
    }
    public var involvedObject: Involved
    public var reason: String?
    public var message: String?
    public var type: String?
    public var lastTimestamp: String?
    public var count: Int?
}

/// `GET …/events`.
public struct EventList: KubeListPage {
    public var metadata: ListMeta?
    public var items: [Event]
}

/// A pod's volume claim (`data-luxd-N`).
public struct PersistentVolumeClaim: Decodable, Sendable {
    public struct Status: Decodable, Sendable {
        public var phase: String?
        public var capacity: [String: String]?
    }
    public var metadata: ObjectMeta
    public var status: Status?
}

/// `GET …/persistentvolumeclaims`.
public struct PersistentVolumeClaimList: KubeListPage {
    public var metadata: ListMeta?
    public var items: [PersistentVolumeClaim]
}
