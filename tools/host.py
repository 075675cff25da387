"""Which CPU this is, for telling whether a notebook's saved outputs can be repeated here
bit for bit. Standard library only: tools/execute.py imports it inside every framework's
environment.

With single-threaded kernels and pinned instruction sets (tools/kernel.env), a notebook
re-executes identically on another machine with the same CPU model. Across CPU models it
did not always: PyTorch and TensorFlow figures differed in the last bits on an Intel
Xeon of model 207 from those of the hosts that made the earlier reference (MXNet's did
not), and training grows such differences into printed digits. So every executed
notebook records the CPU it ran on, and `make test` compares exactly only where it runs
on that same model (tools/nbval_run.py).
"""

from __future__ import annotations

import platform
from pathlib import Path


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """'<vendor> family <f> model <m>: <name>' of the first CPU, e.g. 'GenuineIntel
    family 6 model 207: Intel(R) Xeon(R) Processor'; the platform's processor string
    where /proc/cpuinfo does not exist (not Linux)."""
    if not cpuinfo.is_file():
        return platform.processor() or platform.machine() or "unknown"
    fields: dict[str, str] = {}
    for line in cpuinfo.read_text().splitlines():
        if not line.strip():
            break  # the end of the first processor's block
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    vendor = fields.get("vendor_id", fields.get("CPU implementer", "unknown"))
    family = fields.get("cpu family", fields.get("CPU architecture", "?"))
    model = fields.get("model", fields.get("CPU part", "?"))
    name = fields.get("model name", platform.machine() or "unknown")
    return f"{vendor} family {family} model {model}: {name}"


def same_cpu_model(a: str | None, b: str | None) -> bool:
    """Whether two `cpu_model` strings name the same model (the names may differ in how
    a hypervisor reports them; vendor, family and model decide)."""
    if not a or not b:
        return False
    return a.split(":", 1)[0] == b.split(":", 1)[0]
