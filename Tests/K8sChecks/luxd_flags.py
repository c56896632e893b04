"""luxd's own rules for its flags, so the chart checks catch what luxd would reject at start.

Each rule cites where luxd enforces it (github.com/luxfi/node, read through the project's code
search; file and function named per rule). `validate(args, config)` takes the luxd argument list
as the supervisor starts it (`--key=value` or `--key value`) and the parsed config.json, and
returns a list of problems (empty = luxd would accept the combination).
"""
import re

# config/keys.go: the flag keys luxd registers (the const block of *Key names), plus the chain
# tracking keys of config/spec/flags.go (allFlags: "track-chains", "track-all-chains").
KNOWN = set("""
http-write-timeout dev data-dir config-file config-file-content config-file-content-type version version-json
genesis-file genesis-file-content genesis-db genesis-db-type genesis-block-limit upgrade-file upgrade-file-content
network-id lp-support lp-object tx-fee create-asset-tx-fee create-subnet-tx-fee transform-subnet-tx-fee
create-blockchain-tx-fee add-primary-network-validator-fee add-primary-network-delegator-fee add-subnet-validator-fee
add-subnet-delegator-fee uptime-requirement min-validator-stake max-validator-stake min-delegator-stake
min-delegation-fee min-stake-duration max-stake-duration stake-max-consumption-rate stake-min-consumption-rate
stake-minting-period stake-supply-cap db-type db-read-only db-dir db-config-file db-config-file-content
p-chain-db-type x-chain-db-type c-chain-db-type public-ip public-ip-resolution-frequency public-ip-resolution-service
http-host http-port http-tls-enabled http-tls-key-file http-tls-key-file-content http-tls-cert-file
http-tls-cert-file-content http-allowed-origins http-allowed-hosts http-shutdown-timeout http-shutdown-wait
http-read-timeout http-read-header-timeout http-idle-timeout state-sync-ips state-sync-ids bootstrap-ips
bootstrap-ids skip-bootstrap enable-automining staking-host staking-port staking-ephemeral-cert-enabled
staking-tls-key-file staking-tls-key-file-content staking-tls-cert-file staking-tls-cert-file-content
staking-ephemeral-signer-enabled staking-signer-key-file staking-signer-key-file-content sybil-protection-enabled
sybil-protection-disabled-weight network-initial-timeout network-minimum-timeout network-maximum-timeout
network-maximum-inbound-timeout network-timeout-halflife network-timeout-coefficient network-health-min-conn-peers
network-health-max-time-since-msg-received network-health-max-time-since-msg-sent
network-health-max-portion-send-queue-full network-health-max-send-fail-rate
network-health-max-outstanding-request-duration network-peer-list-num-validator-ips
network-peer-list-pull-gossip-frequency network-peer-list-bloom-reset-frequency network-initial-reconnect-delay
network-read-handshake-timeout network-ping-timeout network-ping-frequency network-max-reconnect-delay
network-compression-type network-max-clock-difference network-allow-private-ips network-require-validator-to-connect
network-peer-read-buffer-size network-peer-write-buffer-size network-tcp-proxy-enabled network-tcp-proxy-read-timeout
network-tls-key-log-file-unsafe network-inbound-connection-throttling-cooldown
network-inbound-connection-throttling-max-conns-per-sec network-outbound-connection-throttling-rps
network-outbound-connection-timeout benchlist-fail-threshold benchlist-duration benchlist-min-failing-duration
log-dir log-level log-display-level log-format log-rotater-max-size log-rotater-max-files log-rotater-max-age
log-rotater-compress-enabled log-disable-display-plugin-logs consensus-sample-size consensus-quorum-size
consensus-virtuous-commit-threshold consensus-rogue-commit-threshold consensus-preference-quorum-size
consensus-confidence-quorum-size consensus-commit-threshold consensus-concurrent-repolls consensus-optimal-processing
consensus-max-processing consensus-max-time-processing partial-sync-primary-network track-subnets api-admin-enabled
api-info-enabled api-keystore-enabled api-metrics-enabled api-health-enabled meter-vms-enabled
consensus-app-concurrency consensus-shutdown-timeout consensus-frontier-poll-frequency proposervm-use-current-height
fd-limit index-enabled index-allow-incomplete router-health-max-drop-rate router-health-max-outstanding-requests
health-check-frequency health-check-averager-halflife plugin-dir bootstrap-beacon-connection-timeout
bootstrap-max-time-get-ancestors bootstrap-ancestors-max-containers-sent bootstrap-ancestors-max-containers-received
chain-data-dir chain-config-dir chain-config-content import-chain-data subnet-config-dir subnet-config-content
profile-dir profile-continuous-enabled profile-continuous-freq profile-continuous-max-files
throttler-inbound-at-large-alloc-size throttler-inbound-validator-alloc-size throttler-inbound-node-max-at-large-bytes
throttler-inbound-node-max-processing-msgs throttler-inbound-bandwidth-refill-rate
throttler-inbound-bandwidth-max-burst-size throttler-inbound-cpu-max-recheck-delay
throttler-inbound-disk-max-recheck-delay throttler-inbound-cpu-validator-alloc
throttler-inbound-cpu-max-non-validator-usage throttler-inbound-cpu-max-non-validator-node-usage
system-tracker-frequency system-tracker-processing-halflife system-tracker-cpu-halflife system-tracker-disk-halflife
system-tracker-disk-required-available-space system-tracker-disk-warning-threshold-available-space
throttler-inbound-disk-validator-alloc throttler-inbound-disk-max-non-validator-usage
throttler-inbound-disk-max-non-validator-node-usage throttler-outbound-at-large-alloc-size
throttler-outbound-validator-alloc-size throttler-outbound-node-max-at-large-bytes uptime-metric-freq vm-aliases-file
vm-aliases-file-content chain-aliases-file chain-aliases-file-content tracing-enabled tracing-endpoint
tracing-insecure tracing-sample-rate tracing-exporter-type tracing-headers process-context-file poa-mode-enabled
poa-single-node-mode poa-min-block-time poa-authorized-nodes force-ignore-checksum
track-chains track-all-chains
""".split())

NODE_ID = re.compile(r"^NodeID-[1-9A-HJ-NP-Za-km-z]+$")
ADDR_PORT = re.compile(r"^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):\d{1,5}$")
# config/spec/flags.go (allFlags, "public-ip-resolution-service" Constraints.Enum).
RESOLVERS = {"opendns", "ifconfigco", "ifconfigme"}
# config/spec/flags.go (allFlags, "log-level" Constraints.Enum).
LOG_LEVELS = {"verbo", "debug", "trace", "info", "warn", "error", "fatal", "off"}


def parse_args(args):
    """{key: value} from luxd's command-line flags; a repeated key is a problem of its own."""
    flags, problems, i = {}, [], 0
    while i < len(args):
        a = args[i]
        if not a.startswith("--"):
            problems.append("argument %r is not a --flag (luxd takes no positional arguments)" % a)
            i += 1
            continue
        if "=" in a:
            k, v = a[2:].split("=", 1)
        elif i + 1 < len(args) and not args[i + 1].startswith("--"):
            k, v = a[2:], args[i + 1]
            i += 1
        else:
            k, v = a[2:], "true"
        if k in flags:
            problems.append("--%s given twice" % k)
        flags[k] = v
        i += 1
    return flags, problems


def validate(args, config=None, mounted=None):
    """Problems luxd would report for these flags and this config.json (viper merges both: a key
    set in either place counts as set). `mounted`: folders that are mounted volumes in the
    container, to check that file flags point into one."""
    flags, problems = parse_args(args)
    config = config or {}
    for k in sorted(flags):
        if k not in KNOWN:
            problems.append("unknown flag --%s (config/keys.go has no such key)" % k)
    for k in sorted(config):
        if k not in KNOWN:
            problems.append("unknown config.json key %r (config/keys.go has no such key)" % k)
    both = set(config) & set(flags)
    for k in sorted(both):
        if str(config[k]).lower() != str(flags[k]).lower():
            problems.append("%s is set in config.json (%r) and on the command line (%r); the flag wins, which hides the config" % (k, config[k], flags[k]))
    merged = dict((k, str(v)) for k, v in config.items())
    merged.update(flags)
    is_set = lambda k: k in merged  # viper's IsSet

    def pair(a, b, where):
        if is_set(a) and not is_set(b):
            problems.append('set "%s" but didn\'t set "%s" (%s)' % (a, b, where))

    # config/config.go getBootstrapConfig: ips without ids (and ids without ips) are rejected,
    # and the two lists must have the same length; each IP parses (ips.ParseAddrPort), each ID
    # parses (ids.NodeIDFromString).
    for a, b in (("bootstrap-ips", "bootstrap-ids"), ("bootstrap-ids", "bootstrap-ips")):
        pair(a, b, "config/config.go getBootstrapConfig")
    for ipk, idk, fn in (("bootstrap-ips", "bootstrap-ids", "getBootstrapConfig"),
                         ("state-sync-ips", "state-sync-ids", "getStateSyncConfig")):
        ips_ = [x.strip() for x in merged.get(ipk, "").split(",") if x.strip()]
        ids_ = [x.strip() for x in merged.get(idk, "").split(",") if x.strip()]
        if len(ips_) != len(ids_) and (is_set(ipk) or is_set(idk)):
            problems.append("%d %s but %d %s (config/config.go %s: the counts must match)" % (len(ips_), ipk, len(ids_), idk, fn))
        for x in ips_:
            if not ADDR_PORT.match(x):
                problems.append("%s entry %r is not IP:PORT (config/config.go %s, ips.ParseAddrPort)" % (ipk, x, fn))
        for x in ids_:
            if not NODE_ID.match(x):
                problems.append("%s entry %r is not a NodeID-… (config/config.go %s, ids.NodeIDFromString)" % (idk, x, fn))

    # config/config.go getIPConfig: "only one of --public-ip and --public-ip-resolution-service".
    if merged.get("public-ip") and merged.get("public-ip-resolution-service"):
        problems.append("both --public-ip and --public-ip-resolution-service (config/config.go getIPConfig: only one can be given)")
    svc = merged.get("public-ip-resolution-service")
    if svc and svc not in RESOLVERS:
        problems.append("public-ip-resolution-service %r is not one of %s (config/spec/flags.go)" % (svc, sorted(RESOLVERS)))
    if merged.get("public-ip") and not re.match(r"^[0-9a-fA-F.:]+$", merged["public-ip"]):
        problems.append("public-ip %r is not an IP address" % merged["public-ip"])

    # config/config.go getStakingTLSCert: key content without cert content (or the reverse) is an error.
    for a, b in (("staking-tls-key-file-content", "staking-tls-cert-file-content"),
                 ("staking-tls-cert-file-content", "staking-tls-key-file-content")):
        pair(a, b, "config/config.go getStakingTLSCert")
    # config/config.go getStakingTLSCertFromFile: once either file flag is set, both files must
    # exist ("couldn't find staking key/certificate"); the other one's default lies in the data dir,
    # so giving only one of them leaves the pod with half an identity.
    for a, b in (("staking-tls-key-file", "staking-tls-cert-file"), ("staking-tls-cert-file", "staking-tls-key-file")):
        pair(a, b, "config/config.go getStakingTLSCertFromFile")
    # config/config.go getStakingTLSCert / getStakingSigner: an ephemeral cert or signer ignores the files.
    for eph, files in (("staking-ephemeral-cert-enabled", ("staking-tls-key-file", "staking-tls-cert-file")),
                       ("staking-ephemeral-signer-enabled", ("staking-signer-key-file",))):
        if merged.get(eph, "false").lower() == "true" and any(is_set(f) for f in files):
            problems.append("--%s with %s: the files are ignored (config/config.go)" % (eph, ", ".join(files)))
    # config/config.go getStakingSigner: a set --staking-signer-key-file that does not exist is
    # errMissingStakingSigningKeyFile; file flags must point into a mounted volume.
    if mounted is not None:
        for k in ("staking-tls-key-file", "staking-tls-cert-file", "staking-signer-key-file"):
            p = merged.get(k)
            if p and not any(p.startswith(m.rstrip("/") + "/") for m in mounted):
                problems.append("--%s=%s is not inside a mounted volume (config/config.go: a set file that is missing is an error)" % (k, p))

    # config/spec/flags.go: log-level enum.
    lvl = merged.get("log-level")
    if lvl and lvl.lower() not in LOG_LEVELS:
        problems.append("log-level %r is not one of %s (config/spec/flags.go)" % (lvl, sorted(LOG_LEVELS)))
    # config/config.go getStakingConfig: sybil protection off needs a positive weight.
    if merged.get("sybil-protection-enabled", "true").lower() == "false" and merged.get("sybil-protection-disabled-weight", "100") in ("0", ""):
        problems.append("sybil protection disabled with weight 0 (config/config.go getStakingConfig)")
    return problems


def self_test():
    """The rules catch what they claim to (run by check_chart.py before the chart is checked)."""
    good = ["--config-file=/c.json", "--bootstrap-ips=10.0.0.1:9651", "--bootstrap-ids=NodeID-7Xhw2mDxuDS44j42TCB6U5579esbSt3Lg",
            "--public-ip=203.0.113.5", "--staking-tls-cert-file=/s/a.crt", "--staking-tls-key-file=/s/a.key"]
    cases = [
        (good, {}, None),
        (["--bootstrap-ips=10.0.0.1:9651"], {}, 'set "bootstrap-ips" but didn\'t set "bootstrap-ids"'),
        (["--bootstrap-ips=10.0.0.1:9651,10.0.0.2:9651", "--bootstrap-ids=NodeID-7Xhw2mDxuDS44j42TCB6U5579esbSt3Lg"], {}, "counts must match"),
        (["--bootstrap-ips=luxd-1:9651", "--bootstrap-ids=NodeID-7Xhw2mDxuDS44j42TCB6U5579esbSt3Lg"], {}, "not IP:PORT"),
        (["--public-ip=1.2.3.4", "--public-ip-resolution-service=opendns"], {}, "only one can be given"),
        (["--staking-tls-cert-file=/s/a.crt"], {}, 'didn\'t set "staking-tls-key-file"'),
        (["--bootstrap-flag=x"], {}, "unknown flag --bootstrap-flag"),
        ([], {"track-chainz": "x"}, "unknown config.json key"),
        (["--staking-signer-key-file=/nowhere/k"], {}, "not inside a mounted volume"),
    ]
    failures = []
    for args, cfg, want in cases:
        got = validate(args, cfg, mounted=["/s"])
        if want is None and got:
            failures.append("valid flags reported: %s" % got)
        if want is not None and not any(want in g for g in got):
            failures.append("%s: expected a problem containing %r, got %s" % (args or cfg, want, got))
    return failures
