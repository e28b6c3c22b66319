#!/bin/sh
# memhp-check reproducer: profile v3.4, world default, 4 steps
# violates status_change_nid [offline:MEM_GOING_OFFLINE]: status_change_nid=1, expected -1
#
# For a test VM configured as world default, booted with memhp_test_vm on the kernel command line;
# it refuses to run elsewhere unless --force is given: offlining memory on a real machine is not harmless.
# HOST: lines are QEMU monitor commands (QMP, then HMP) for whoever drives the VM.
# Kernel command line of the VM: memhp_test_vm (and, on kernels from 4.7 on, memhp_default_state=offline: the model onlines nothing by itself)
# Environment: MEMHP_SYSFS_ROOT (default /sys), MEMHP_CMDLINE (default /proc/cmdline),
# MEMHP_HOST_WAIT (seconds to wait after a HOST: step when stdin is not a terminal).
# Exit: 0 every result as the model predicts, 1 a mismatch, 2 refused or bad usage.

set -u
SYSFS=${MEMHP_SYSFS_ROOT:-/sys}
MEM=$SYSFS/devices/system/memory
INJ=$SYSFS/kernel/debug/notifier-error-inject/memory/actions
CMDLINE=${MEMHP_CMDLINE:-/proc/cmdline}
HOST_WAIT=${MEMHP_HOST_WAIT:-30}
force=0
for arg in "$@"; do
    case $arg in
    --force) force=1 ;;
    -h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "$0: unknown argument $arg (expected --force or --help)" >&2; exit 2 ;;
    esac
done

case " $(cat "$CMDLINE" 2>/dev/null) " in
*" memhp_test_vm "*) ;;
*)
    if [ "$force" != 1 ]; then
        echo "$0: refusing to run: the kernel command line ($CMDLINE) lacks memhp_test_vm." >&2
        echo "$0: this script offlines and ejects memory; run it in a test VM booted with memhp_test_vm, or pass --force." >&2
        exit 2
    fi ;;
esac

failed=0
memhp_errno() {
    case $1 in
    *"Invalid argument"*) echo EINVAL ;;
    *"Device or resource busy"*) echo EBUSY ;;
    *"Cannot allocate memory"*|*"Out of memory"*) echo ENOMEM ;;
    *"Operation not permitted"*) echo EPERM ;;
    *"No such device"*) echo ENODEV ;;
    *"Interrupted system call"*) echo EINTR ;;
    *"Resource temporarily unavailable"*|*"Try again"*) echo EAGAIN ;;
    *"Permission denied"*) echo EACCES ;;
    *"File exists"*) echo EEXIST ;;
    *"No such file or directory"*|*"nonexistent"*|*"can't create"*) echo ENOENT ;;
    *"No space left on device"*) echo ENOSPC ;;
    *) echo "EIO($1)" ;;
    esac
}
# memhp_write STEP FILE FORMAT EXPECTED: one write(2) of printf FORMAT's bytes to $MEM/FILE.
# dd makes the write (one block, one write(2)) because it reports the errno's text, which the
# shells' printf does not (dash says "I/O error" whatever the errno).
memhp_write() {
    if err=$(printf "$3" | dd of="$MEM/$2" bs=65536 count=1 2>&1); then
        got=ok
    else
        got=-$(memhp_errno "$err")
    fi
    memhp_compare "$1" "write $2" "$got" "$4"
}
memhp_compare() {
    if [ "$4" = "?" ]; then
        echo "step $1: $2 -> $3 (the trace ends before it returns)"
    elif [ "$3" = "$4" ]; then
        echo "step $1: $2 -> $3, as the model predicts"
    else
        echo "step $1: $2 -> $3, MISMATCH: the model predicts $4"
        failed=1
    fi
}
# one read(2) of at most a page, as sysfs hands out its files
memhp_cat() {
    dd if="$1" bs=4096 count=1 2>/dev/null || echo unreadable
}
# memhp_state STEP BLOCK EXPECTED: compare memoryN/state (or "absent") with the model
memhp_state() {
    if [ -d "$MEM/$2" ]; then got=$(memhp_cat "$MEM/$2/state"); else got=absent; fi
    memhp_compare "$1" "$2/state" "$got" "$3"
}
memhp_read() {
    got=$(memhp_cat "$MEM/$2")
    memhp_compare "$1" "read $2" "$got" "$3"
}
memhp_inject() {
    err=$( { printf '%s' "$3" > "$INJ/$2/error"; } 2>&1 ) || {
        echo "step $1: cannot set $INJ/$2/error ($err): load notifier-error-inject and memory-notifier-error-inject"
        failed=1
    }
}
memhp_host() {
    echo "step $1: HOST: $2"
    shift 2
    for line in "$@"; do echo "HOST: $line"; done
    if [ -t 0 ]; then
        printf 'press Enter once the host has done it: '
        read -r _
    else
        sleep "$HOST_WAIT"
    fi
}

# step 1: fw: hot-add memory16 (ACPI)
memhp_host 1 'hot-add memory16: a 256 MiB pc-dimm at 0x100000000 on node 1' '{"execute": "object-add", "arguments": {"qom-type": "memory-backend-ram", "id": "memhp-mem16", "size": 268435456}}' '{"execute": "device_add", "arguments": {"driver": "pc-dimm", "id": "memhp-dimm16", "memdev": "memhp-mem16", "node": 1, "addr": 4294967296}}' '(HMP) object_add memory-backend-ram,id=memhp-mem16,size=256M' '(HMP) device_add pc-dimm,id=memhp-dimm16,memdev=memhp-mem16,node=1,addr=0x100000000'
memhp_state 2 memory16 'offline'

# step 3: fw: eject memory16 (ACPI)
memhp_host 3 'eject memory16: device_del of its pc-dimm' '{"execute": "device_del", "arguments": {"id": "memhp-dimm16"}}' '(HMP) device_del memhp-dimm16' 'then, after the DEVICE_DELETED event: object-del memhp-mem16 (HMP object_del memhp-mem16)'

[ "$failed" = 0 ] && echo "every result as the model predicts" || echo "some results differ from the model"
exit "$failed"

# ----- memhp-trace/1 begin -----
# {
#  "schema": "memhp-trace/1",
#  "profile": "v3.4",
#  "world": {
#   "name": "default",
#   "profile": "v3.4",
#   "description": "64-bit x86, 128 MiB sections, two per block. Node 0 boots with memory0 (spans ZONE_DMA and ZONE_DMA32, unmovable pages) and memory1 (ZONE_DMA32, last 32 MiB a hole); node 1 has a CPU and no memory; memory16 and memory17 (4 GiB, sections 32-35) are ACPI memory devices absent until hot-add. Callbacks: slub (priority 1), tier (0, registered first), inject (0, last).",
#   "section_size_mib": 128,
#   "sections_per_block": 2,
#   "writers": 1,
#   "texts": [
#    "online",
#    "offline",
#    "online_kernel",
#    "online_movable",
#    "o",
#    "bogus",
#    ""
#   ],
#   "online_texts": [
#    "0",
#    "1",
#    "2"
#   ],
#   "migration": [
#    "ok",
#    "-EBUSY",
#    "-EINTR",
#    "-EAGAIN"
#   ],
#   "movable_node": false,
#   "reads": false,
#   "inject_errors": {},
#   "nodes": [
#    {
#     "id": 0,
#     "cpus": true
#    },
#    {
#     "id": 1,
#     "cpus": true
#    }
#   ],
#   "blocks": [
#    {
#     "id": 0,
#     "nodes": [
#      0
#     ],
#     "zones": [
#      "DMA",
#      "DMA32"
#     ],
#     "boot": "online",
#     "hole_pages": 0,
#     "unmovable": true,
#     "missing_sections": [],
#     "hotplug": false
#    },
#    {
#     "id": 1,
#     "nodes": [
#      0
#     ],
#     "zones": [
#      "DMA32"
#     ],
#     "boot": "online",
#     "hole_pages": 8192,
#     "unmovable": false,
#     "missing_sections": [],
#     "hotplug": false
#    },
#    {
#     "id": 16,
#     "nodes": [
#      1
#     ],
#     "zones": [],
#     "boot": "absent",
#     "hole_pages": 0,
#     "unmovable": false,
#     "missing_sections": [],
#     "hotplug": true
#    },
#    {
#     "id": 17,
#     "nodes": [
#      1
#     ],
#     "zones": [],
#     "boot": "absent",
#     "hole_pages": 0,
#     "unmovable": false,
#     "missing_sections": [],
#     "hotplug": true
#    }
#   ],
#   "callbacks": [
#    {
#     "name": "tier",
#     "priority": 0,
#     "kind": "choice",
#     "answers": [
#      "NOTIFY_OK",
#      "NOTIFY_BAD",
#      "NOTIFY_STOP"
#     ]
#    },
#    {
#     "name": "slub",
#     "priority": 1,
#     "kind": "slub",
#     "answers": []
#    },
#    {
#     "name": "inject",
#     "priority": 0,
#     "kind": "choice",
#     "answers": [
#      "0",
#      "-ENOMEM",
#      "-EBUSY"
#     ]
#    }
#   ]
#  },
#  "steps": [
#   {
#    "action": {
#     "kind": "hotadd",
#     "thread": "fw",
#     "block": "memory16"
#    },
#    "obs": {
#     "point": "wait:mem_hotplug_mutex",
#     "thread": "fw"
#    }
#   },
#   {
#    "action": {
#     "kind": "step",
#     "thread": "fw"
#    },
#    "obs": {
#     "point": "ret",
#     "thread": "fw",
#     "ret": 0,
#     "node_changes": [
#      "node1 online"
#     ]
#    }
#   },
#   {
#    "action": {
#     "kind": "hotremove",
#     "thread": "fw",
#     "block": "memory16"
#    },
#    "obs": {
#     "point": "wait:mem_hotplug_mutex",
#     "thread": "fw"
#    }
#   },
#   {
#    "action": {
#     "kind": "step",
#     "thread": "fw"
#    },
#    "obs": {
#     "point": "call",
#     "thread": "fw",
#     "calls": [
#      {
#       "event": "MEM_GOING_OFFLINE",
#       "callback": "slub",
#       "start_pfn": 1048576,
#       "nr_pages": 65536,
#       "status_change_nid": 1,
#       "ret": 1,
#       "allocatable": false
#      }
#     ]
#    }
#   }
#  ],
#  "violation": {
#   "invariant": "status_change_nid",
#   "cause": "offline:MEM_GOING_OFFLINE",
#   "message": "status_change_nid=1, expected -1"
#  }
# }
# ----- memhp-trace/1 end -----
