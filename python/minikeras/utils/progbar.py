"""keras.utils.Progbar: the text progress bar of fit / evaluate / predict, printed exactly
as tf.keras 2.5 prints it:

    Epoch 1/10
    59/59 [==============================] - 1s 10ms/step - loss: 0.4663 - accuracy: 0.8730

verbose=1 redraws one line (``'\\b' * previous width + '\\r'`` when the display is
dynamic: stdout is a tty, or 'ipykernel' / 'posix' is imported, as 2.5 decides; else
each update starts a new line), at most every `interval` seconds (the final update is
always drawn); verbose=2 prints one line when the bar is finalized.  Values of names in
`stateful_metrics` are shown as given; others are averaged over the steps they were
reported for."""
import os
import sys
import time

import numpy as np

__all__ = ["Progbar"]


class Progbar:
    """Displays a progress bar.

    Args:
      target: total number of steps expected, None if unknown.
      width: progress bar width on screen.
      verbose: 0 (silent), 1 (bar), 2 (one line at the end).
      stateful_metrics: names of metrics shown as-is (not averaged over time).
      interval: minimum visual update interval in seconds.
      unit_name: display name for step counts ('step' or 'sample').
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step"):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        out = sys.stdout
        self._dynamic_display = ((hasattr(out, "isatty") and out.isatty())
                                 or "ipykernel" in sys.modules
                                 or "posix" in sys.modules
                                 or "PYCHARM_HOSTED" in os.environ)
        self._total_width = 0
        self._seen_so_far = 0
        self._values = {}          # name -> [weighted sum, weight]
        self._values_order = []
        self._start = time.time()
        self._last_update = 0
        self._time_after_first_step = None

    # -- values ------------------------------------------------------------------------------
    def _accumulate(self, current, values):
        for name, value in values or ():
            if name not in self._values_order:
                self._values_order.append(name)
            if name in self.stateful_metrics:
                self._values[name] = [value, 1]
                continue
            # steps covered by this report (at least one, so that a repeated final update
            # at the same position still counts)
            base = max(current - self._seen_so_far, 1)
            slot = self._values.get(name)
            if slot is None:
                self._values[name] = [value * base, base]
            else:
                slot[0] += value * base
                slot[1] += base
        self._seen_so_far = current

    def _average(self, name):
        total, count = self._values[name]
        return np.mean(total / max(1, count))

    def _metrics_text(self, verbose2=False):
        text = ""
        for name in self._values_order:
            text += " - %s:" % name
            avg = self._average(name)
            small = (avg <= 1e-3) if verbose2 else (abs(avg) <= 1e-3)
            text += (" %.4e" % avg) if small else (" %.4f" % avg)
        return text

    # -- drawing -----------------------------------------------------------------------------
    def _bar(self, current):
        if self.target is None:
            return "%7d/Unknown" % current
        digits = int(np.log10(self.target)) + 1
        bar = ("%" + str(digits) + "d/%d [") % (current, self.target)
        filled = int(self.width * (float(current) / self.target))
        if filled > 0:
            bar += "=" * (filled - 1)
            bar += ">" if current < self.target else "="
        bar += "." * (self.width - filled)
        return bar + "]"

    def _step_duration(self, current, now):
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_unit

    @staticmethod
    def _eta_text(eta):
        if eta > 3600:
            return "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
        if eta > 60:
            return "%d:%02d" % (eta // 60, eta % 60)
        return "%ds" % eta

    def _timing_text(self, per_unit):
        if per_unit >= 1 or per_unit == 0:
            return " %.0fs/%s" % (per_unit, self.unit_name)
        if per_unit >= 1e-3:
            return " %.0fms/%s" % (per_unit * 1e3, self.unit_name)
        return " %.0fus/%s" % (per_unit * 1e6, self.unit_name)

    def update(self, current, values=None, finalize=None):
        """Move the bar to step `current`.  values: list of (name, value) for this step.
        finalize defaults to current >= target."""
        if finalize is None:
            finalize = False if self.target is None else current >= self.target
        self._accumulate(current, values)
        now = time.time()
        info = " - %.0fs" % (now - self._start)
        out = sys.stdout
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            prev_total_width = self._total_width
            if self._dynamic_display:
                out.write("\b" * prev_total_width)
                out.write("\r")
            else:
                out.write("\n")
            bar = self._bar(current)
            self._total_width = len(bar)
            out.write(bar)
            per_unit = self._step_duration(current, now)
            if self.target is None or finalize:
                info += self._timing_text(per_unit)
            else:
                info = " - ETA: %s" % self._eta_text(per_unit * (self.target - current))
            info += self._metrics_text()
            self._total_width += len(info)
            if prev_total_width > self._total_width:
                info += " " * (prev_total_width - self._total_width)
            if finalize:
                info += "\n"
            out.write(info)
            out.flush()
        elif self.verbose == 2:
            if finalize:
                digits = int(np.log10(self.target)) + 1
                line = ("%" + str(digits) + "d/%d") % (current, self.target) + info
                line += self._metrics_text(verbose2=True)
                out.write(line + "\n")
                out.flush()
        self._last_update = now

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)

    def _update_stateful_metrics(self, stateful_metrics):
        self.stateful_metrics = self.stateful_metrics.union(stateful_metrics)
