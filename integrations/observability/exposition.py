"""The Prometheus text exposition format (version 0.0.4), written by hand: a few gauges need no client library."""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Gauge:
    name: str
    help: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, **labels) -> None:
        self.samples.append(({key: str(val) for key, val in labels.items()}, float(value)))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"  # The exposition format's spelling; a gauge whose value is unknown says so.
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def render(gauges: Iterable[Gauge]) -> str:
    lines: list[str] = []
    for gauge in gauges:
        lines.append(f"# HELP {gauge.name} {gauge.help}")
        lines.append(f"# TYPE {gauge.name} gauge")
        for labels, value in gauge.samples:
            label_text = ",".join(f'{key}="{_escape(val)}"' for key, val in sorted(labels.items()))
            lines.append(f"{gauge.name}{{{label_text}}} {_number(value)}" if label_text else f"{gauge.name} {_number(value)}")
    return "\n".join(lines) + "\n"
