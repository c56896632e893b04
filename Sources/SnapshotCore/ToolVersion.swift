/// The version printed by `--version` and recorded in manifests.
public let toolVersion = "0.1.0"
