/// RLP block streams, bundles, export from and import into nodes.
public enum ChainDataModule {}
