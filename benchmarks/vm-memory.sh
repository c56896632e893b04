# Sourced by the benchmark scripts: steadies page-cache costs on virtual machines.
#
# VMs with free page reporting (virtio-balloon) hand freed memory back to the host at once;
# whichever tool next writes into the page cache then pays the host's page faults (measured on
# this project's machine: ~3 s per GB, varying run to run, more than a restore itself costs).
# Where allowed (root, /sys writable), reporting is paused until the script exits, and
# `vm_prefault MiB` faults that much page cache in once, so every contender writes into the
# same warm memory. Elsewhere both are no-ops. The caller's EXIT trap must call vm_restore.
VM_PR=/sys/module/page_reporting/parameters/page_reporting_order
VM_OLD_PR=""
if [ -w "$VM_PR" ]; then
  VM_OLD_PR=$(cat "$VM_PR")
  echo 11 > "$VM_PR" 2>/dev/null || VM_OLD_PR=""
fi
vm_restore() { [ -z "$VM_OLD_PR" ] || echo "$VM_OLD_PR" > "$VM_PR" 2>/dev/null || true; }
vm_prefault() { # MiB, in folder
  [ -n "$VM_OLD_PR" ] || return 0
  echo "free page reporting paused for this run (was order $VM_OLD_PR); pre-faulting $1 MiB of page cache" >&2
  dd if=/dev/zero of="$2/.prefault" bs=1M count="$1" status=none && rm -f "$2/.prefault"
}
