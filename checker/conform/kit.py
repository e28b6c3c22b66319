"""The boot kit of ``memhp conform``: a Debian 6.1 kernel and an initramfs with the guest agent.

Builds, once, in a cache folder outside the repository (``$MEMHP_CACHE/kit``, default
``~/.cache/memhp/kit``): the kernel image package that ``linux-image-amd64`` depends on, fetched
with ``apt-get download`` and unpacked with ``dpkg -x`` (never installed: nothing goes to the
host's /boot), its two notifier-error-inject modules and the virtio-serial modules (the agent's
line to the host), busybox from ``busybox-static``, the static
helper ``mhwrite`` (one write(2), the exact errno) and the agent (``guest/agent.sh``) packed into
an initramfs. A random marker token is baked into the agent and the helper; the kernel command
line must carry it or they refuse to run. The kit is rebuilt when the guest sources change.

Leaves out: kernels other than Debian's 6.1 packages, and any network access but apt's.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable

from spec.errors import MemhpError

GUEST_FILES = ("agent.sh", "mhwrite.c")
#: modules the agent needs (their dependencies, read from each module's modinfo, come along).
MODULES = ("memory-notifier-error-inject", "virtio_pci", "virtio_console")
#: host tools: (what is needed, how to check it, the Debian package).
HOST_NEEDS = (
    ("qemu-system-x86_64", "qemu-system-x86"),
    ("cpio", "cpio"),
    ("gcc", "gcc"),
)


class KitError(MemhpError):
    """The kit cannot be built (a missing package, a failed download or build step)."""


@dataclass(frozen=True)
class Kit:
    root: Path
    vmlinuz: Path
    initrd: Path
    marker: str  # "memhp_conform=<token>"
    kernel_release: str


def cache_dir() -> Path:
    env = os.environ.get("MEMHP_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "memhp"


def missing_packages() -> list[str]:
    """Debian packages the kit (and the run) needs that this machine lacks."""
    out = [pkg for tool, pkg in HOST_NEEDS if shutil.which(tool) is None]
    if not _static_busybox():
        out.append("busybox-static")
    if not any(Path(d, "libc.a").exists() for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib")):
        out.append("libc6-dev")
    if shutil.which("dpkg") is None or shutil.which("apt-get") is None:
        out.append("dpkg apt")
    return out


def _static_busybox() -> Path | None:
    p = Path("/bin/busybox")
    if not p.is_file():
        return None
    try:
        with p.open("rb") as f:
            head = f.read(1 << 20)
    except OSError:
        return None
    # a dynamically linked ELF names its interpreter (PT_INTERP: /lib64/ld-linux...)
    return None if b"/lib64/ld-linux" in head or b"ld-linux-x86-64" in head else p


def require_packages() -> None:
    miss = missing_packages()
    if miss:
        raise KitError("memhp conform needs Debian packages that are missing: run "
                       f"`apt-get install -y {' '.join(miss)}`")


def _run(cmd: list[str], cwd: Path | None = None, what: str = "") -> str:
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise KitError(f"{what or cmd[0]}: {e}") from None
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-1:] or ["no output"]
        raise KitError(f"{what or ' '.join(cmd)} failed (exit {r.returncode}): {tail[0]}")
    return r.stdout


def kernel_package() -> str:
    """The versioned image package ``linux-image-amd64`` depends on (e.g. linux-image-6.1.0-50-amd64)."""
    out = _run(["apt-cache", "depends", "linux-image-amd64"], what="apt-cache depends linux-image-amd64")
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Depends:") and "linux-image-" in line:
            return line.split()[-1]
    raise KitError("apt-cache knows no linux-image-amd64 dependency: run `apt-get update` "
                   "(the kit needs Debian's 6.1 kernel image package)")


def _sources_digest() -> str:
    h = hashlib.sha256()
    for name in GUEST_FILES:
        h.update(resources.files("checker.conform").joinpath("guest", name).read_bytes())
    return h.hexdigest()[:16]


def build_kit(log: Callable[[str], None] = lambda s: None, cache: Path | None = None) -> Kit:
    """The kit, built or reused. Raises KitError with the command that fixes the problem."""
    require_packages()
    root = (cache or cache_dir()) / "kit"
    stamp = root / "kit.json"
    if stamp.exists():
        try:
            meta = json.loads(stamp.read_text())
            kit = Kit(root, Path(meta["vmlinuz"]), Path(meta["initrd"]), meta["marker"], meta["release"])
            if meta.get("sources") == _sources_digest() and kit.vmlinuz.exists() and kit.initrd.exists():
                return kit
        except (OSError, ValueError, KeyError):
            pass
    root.mkdir(parents=True, exist_ok=True)
    kdir = root / "kernel"
    vmlinuz = next(iter(sorted(kdir.glob("boot/vmlinuz-*"))), None) if kdir.exists() else None
    if vmlinuz is None:
        pkg = kernel_package()
        debs = root / "debs"
        debs.mkdir(exist_ok=True)
        log(f"kit: apt-get download {pkg}")
        _run(["apt-get", "download", pkg], cwd=debs,
             what=f"apt-get download {pkg} (is the Debian mirror reachable? try `apt-get update`)")
        deb = next(iter(sorted(debs.glob(f"{pkg}_*.deb"))), None)
        if deb is None:
            raise KitError(f"apt-get download {pkg} left no .deb in {debs}")
        log(f"kit: dpkg -x {deb.name}")
        shutil.rmtree(kdir, ignore_errors=True)
        _run(["dpkg", "-x", str(deb), str(kdir)], what="dpkg -x")
        vmlinuz = next(iter(sorted(kdir.glob("boot/vmlinuz-*"))), None)
        if vmlinuz is None:
            raise KitError(f"{deb}: no boot/vmlinuz-* inside")
        rel = vmlinuz.name[len("vmlinuz-"):]
        _trim(kdir, rel, module_closure(kdir / "lib" / "modules" / rel / "kernel", MODULES))
    release = vmlinuz.name[len("vmlinuz-"):]
    mods = module_closure(kdir / "lib" / "modules" / release / "kernel", MODULES)
    marker = "memhp_conform=" + secrets.token_hex(8)
    initrd = root / f"initramfs-{marker.split('=')[1]}.cpio.gz"  # a running guest keeps its own
    log("kit: building the initramfs (busybox, mhwrite, agent, injector modules)")
    _build_initramfs(root, initrd, marker, mods)
    meta = {"vmlinuz": str(vmlinuz), "initrd": str(initrd), "marker": marker,
            "release": release, "sources": _sources_digest()}
    stamp.write_text(json.dumps(meta, indent=1) + "\n")
    return Kit(root, vmlinuz, initrd, marker, release)


def module_closure(base: Path, roots: tuple[str, ...]) -> list[Path]:
    """The modules ``roots`` need, dependencies first (``depends=`` of each module's modinfo;
    they differ between builds of the same kernel series)."""
    paths: dict[str, Path] = {}
    for p in base.rglob("*.ko"):
        paths.setdefault(p.stem.replace("-", "_"), p)
    order: list[Path] = []

    def visit(name: str, stack: tuple[str, ...]) -> None:
        key = name.replace("-", "_")
        p = paths.get(key)
        if p is None:
            raise KitError(f"{base}: no module {name}.ko (the kit needs the memory notifier error "
                           "injector and virtio-serial as modules)")
        if p in order or key in stack:
            return
        if p.suffix != ".ko":
            raise KitError(f"{p}: compressed modules are not supported (busybox insmod needs .ko)")
        for dep in _depends(p):
            visit(dep, stack + (key,))
        order.append(p)

    for r in roots:
        visit(r, ())
    return order


def _depends(ko: Path) -> list[str]:
    data = ko.read_bytes()
    i = data.find(b"\0depends=")
    if i < 0:
        return []
    j = data.index(b"\0", i + 1)
    text = data[i + len(b"\0depends="):j].decode("ascii", "replace")
    return [d for d in text.split(",") if d]


def _trim(kdir: Path, release: str, keep_modules: list[Path]) -> None:
    """Keep only what the kit uses of the unpacked package: the image, its config and the
    modules the agent loads (the rest is about 460 MB)."""
    base = kdir / "lib" / "modules" / release / "kernel"
    keep = set(keep_modules)
    for p in sorted(base.rglob("*"), reverse=True):
        if p.is_file() and p not in keep:
            p.unlink()
        elif p.is_dir() and not any(p.iterdir()):
            p.rmdir()
    shutil.rmtree(kdir / "usr", ignore_errors=True)


def _build_initramfs(root: Path, out: Path, marker: str, mods: list[Path]) -> None:
    stage = root / "initramfs"
    shutil.rmtree(stage, ignore_errors=True)
    for d in ("bin", "lib", "proc", "sys", "dev", "tmp"):
        (stage / d).mkdir(parents=True)
    guest = resources.files("checker.conform").joinpath("guest")
    src = root / "mhwrite.c"
    src.write_bytes(guest.joinpath("mhwrite.c").read_bytes())
    _run(["gcc", "-static", "-O2", "-Wall", f'-DMEMHP_MARKER="{marker}"', "-o",
          str(stage / "bin" / "mhwrite"), str(src)], what="gcc -static mhwrite.c")
    busybox = _static_busybox()
    assert busybox is not None
    shutil.copy2(busybox, stage / "bin" / "busybox")
    init = guest.joinpath("agent.sh").read_text().replace("@MARKER@", marker)
    (stage / "init").write_text(init)
    _run([str(busybox), "sh", "-n", str(stage / "init")], what="busybox sh -n agent.sh")
    (stage / "init").chmod(0o755)
    for m in mods:
        shutil.copy2(m, stage / "lib" / m.name)
    (stage / "lib" / "modules.load").write_text("".join(m.stem + "\n" for m in mods))
    names = sorted(str(p.relative_to(stage)) for p in stage.rglob("*"))
    data = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=stage,
                          input=("\n".join(names) + "\n").encode(), capture_output=True, timeout=120)
    if data.returncode != 0:
        raise KitError(f"cpio failed: {data.stderr.decode(errors='replace').strip()}")
    tmp = out.with_suffix(".tmp")
    with gzip.open(tmp, "wb", compresslevel=6) as f:
        f.write(data.stdout)
    tmp.replace(out)
