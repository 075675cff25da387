"""Which CPU model this is. Each executed notebook records it, and `make test` compares
outputs exactly only on the model that produced them (README, "Reproducibility").
Standard library only: the runner imports it in every framework's environment.
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
