#!/bin/busybox sh
# memhp conform guest agent: /init of the kit's initramfs.
#
# Refuses to run unless the kernel command line carries the kit's marker token (replaced at kit
# build), so it never touches the sysfs of a machine it was not built for. Sets up /proc, /sys,
# debugfs and the memory notifier error injector, then serves requests from the host on the
# virtio-serial port memhp.agent (ttyS0 is the kernel console), one line each: "<id> <cmd> <args>", answered by lines and
# "<id> END". Commands: P (ping), W PATH HEX (one write(2) through mhwrite), R PATH (read one
# line), S BLOCKS NODES (snapshot of the files conform compares). Reads use shell builtins only.
# Leaves out: anything but the files named here; it never writes on its own.
refuse() {
	# never power off a machine the agent was not booted on: only PID 1 of the kit's guest does
	if [ $$ = 1 ]; then
		echo "memhp agent: refusing to run: $1" >/dev/console
		/bin/busybox poweroff -f
	fi
	echo "memhp agent: refusing to run: $1" >&2
	exit 3
}
# The kernel hands unknown "name=value" parameters of its command line to init as environment
# variables: check the marker before touching anything, then again in /proc/cmdline.
[ "memhp_conform=${memhp_conform:-}" = "@MARKER@" ] || refuse "the kernel command line lacks the kit's marker"
[ $$ = 1 ] || refuse "not the init process of the kit's guest"
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
read -r cmdline </proc/cmdline
case " $cmdline " in
*" @MARKER@ "*) ;;
*) refuse "the kernel command line lacks the kit's marker" ;;
esac
/bin/busybox --install -s /bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
while read -r m; do	# the kit wrote them dependencies first
	insmod /lib/$m.ko
done </lib/modules.load
port=
tries=0
while [ -z "$port" ] && [ $tries -lt 200 ]; do
	for p in /sys/class/virtio-ports/*; do
		[ -e "$p/name" ] || continue
		read -r n <"$p/name"
		[ "$n" = memhp.agent ] && [ -e "/dev/${p##*/}" ] && port=/dev/${p##*/}
	done
	[ -n "$port" ] || sleep 0.05
	tries=$((tries + 1))
done
if [ -z "$port" ]; then
	echo "memhp agent: no virtio port memhp.agent" >/dev/console
	poweroff -f
fi
exec 0<>"$port" 1>&0 2>/dev/console  # a virtio port opens once

M=/sys/devices/system/memory
N=/sys/devices/system/node

one() {	# one line of a file, or @absent
	if [ -e "$1" ]; then
		v=
		read -r v <"$1"
		echo "$2=$v"
	fi
}

snapshot() {	# $1: blocks, comma-separated (split without a fork), $2: number of nodes
	one $M/block_size_bytes memory/block_size_bytes
	blocks=${1//,/ }
	nodes=$2
	for blk in $blocks; do
		d=$M/memory$blk
		[ -d $d ] || continue
		for f in state online valid_zones phys_index phys_device removable; do
			one $d/$f memory/memory$blk/$f
		done
		for l in $d/node*; do
			[ -L "$l" ] && echo "memory/memory$blk/${l##*/}=@link"
		done
	done
	for f in possible online has_cpu has_normal_memory has_memory; do
		one $N/$f node/$f
	done
	n=0
	while [ $n -lt "$nodes" ]; do
		if [ -d $N/node$n ]; then
			echo "node/node$n/=@dir"
			for blk in $blocks; do
				[ -L $N/node$n/memory$blk ] && echo "node/node$n/memory$blk=@link"
			done
			while read -r _n _i key val _u; do
				[ "$key" = "MemTotal:" ] && echo "meminfo/node$n=$val"
			done <$N/node$n/meminfo
		fi
		n=$((n + 1))
	done
}

echo "MEMHP-READY"
while read -r id cmd a b; do
	case "$cmd" in
	P) echo "pong" ;;
	W) /bin/mhwrite "$a" "$b" ;;
	R) if [ -e "$a" ]; then v=; read -r v <"$a"; echo "ok $v"; else echo "absent"; fi ;;
	S) snapshot "$a" "$b" ;;
	*) echo "unknown command" ;;
	esac
	echo "$id END"
done
