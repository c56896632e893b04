import RestoreCore
import FleetDeploy

extension KubeGateAdapter: FleetWaiter, FleetRoller {}

/// The fleet status gates `fleet deploy` and `fleet scale` wait with, and the roller `--roll`
/// uses, for the cluster helm talks to (`--kubeconfig`, `--context`, else $KUBECONFIG, the pod's
/// service account, ~/.kube/config). Without Kubernetes API access both are nil and the commands
/// say they cannot wait.
func fleetGates(kubeconfig: String?, context: String?) -> (waiter: (any FleetWaiter)?, roller: (any FleetRoller)?) {
    let (adapter, reason) = KubeGateAdapter.make(kubeconfig: kubeconfig, context: context)
    if let reason { writeStderr("fleet: no Kubernetes API access from here (\(reason)); helm runs, but the pods cannot be waited for\n") }
    return (adapter, adapter)
}
