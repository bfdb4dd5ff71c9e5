"""Installing what a fresh Debian or Ubuntu machine lacks, for `make run` and `make test`.

Only where it can be done without asking: apt-get on the PATH and running as root (a container, a
CI machine). Anywhere else the caller says what to install by hand. `CRISIS_SYSTEM_INSTALL=0`
turns it off.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable


def can_install() -> bool:
    if os.environ.get("CRISIS_SYSTEM_INSTALL", "1") == "0":
        return False
    return shutil.which("apt-get") is not None and os.geteuid() == 0


def apt_install(packages: list[str], say: Callable[[str], None]) -> bool:
    """Install Debian packages; True when apt-get says it succeeded. Refreshes the package lists
    once if the first attempt fails (a fresh image often has none)."""
    if not can_install():
        return False
    apt = shutil.which("apt-get")
    say(f"Installing Debian's {', '.join(packages)} …")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run([apt, "install", "-y", "-q", *packages], env=env, **quiet).returncode == 0:
        return True
    subprocess.run([apt, "update", "-q"], env=env, **quiet)
    return subprocess.run([apt, "install", "-y", "-q", *packages], env=env, **quiet).returncode == 0


# What the PDF exports need from the system: Pango (WeasyPrint draws text with it) and a font with
# Chinese in it.
DOCUMENT_PACKAGES = ["fonts-noto-cjk", "libpango-1.0-0", "libpangoft2-1.0-0"]


def documents_ready() -> bool:
    import ctypes.util
    from pathlib import Path

    return ctypes.util.find_library("pango-1.0") is not None and Path("/usr/share/fonts/opentype/noto").exists()


def ensure_document_packages(say: Callable[[str], None]) -> None:
    """Best effort, for `make run` and `make test`: without them the PDF export answers 503 and says why."""
    if not documents_ready() and not apt_install(DOCUMENT_PACKAGES, say):
        say("PDF exports need " + ", ".join(DOCUMENT_PACKAGES) + " (Debian packages); install them to enable them.")
