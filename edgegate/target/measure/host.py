"""Where and when a measurement ran: the machine, the load on it, the date (for ``sources:``)."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what the platform module says."""
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine() -> str:
    """``AMD EPYC, 2 CPUs, Linux 6.1 x86_64 (host)``: the CPU, its count, the OS and host name."""
    return (f"{cpu_model()}, {os.cpu_count() or 1} CPUs, {platform.system()} {platform.release()}"
            f" {platform.machine()} ({platform.node() or 'unknown host'})")


def load_average(loadavg: Path = Path("/proc/loadavg")) -> str:
    """The 1, 5 and 15 minute load averages (``/proc/loadavg``), or 'unknown'."""
    try:
        return " ".join(loadavg.read_text(encoding="utf-8").split()[:3])
    except OSError:
        return "unknown"


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
