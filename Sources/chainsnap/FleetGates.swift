import FleetDeploy

/// The fleet status gates `fleet deploy` and `fleet scale` wait with, and the roller `--roll`
/// uses. None in this build: the commands then say that waiting is not available yet. The
/// lead wires the `Fleet` module's gates in here when it lands.
func fleetGates() -> (waiter: (any FleetWaiter)?, roller: (any FleetRoller)?) {
    (nil, nil)
}
