/// Volume snapshots: chunking, packing, manifests, restore, verify, prune.
public enum SnapshotsModule {}
