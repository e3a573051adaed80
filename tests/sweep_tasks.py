"Lab tasks for tests/test_sweep.py: the spiral made slow, so that a test can kill a worker or interrupt a sweep mid-run."
import os, time
from pathlib import Path
from lr_tutor.engine import Spiral

class SleepySpiral(Spiral):
    """The spiral (same data, same runs), but each trial sleeps `delay` seconds first, and, while `flags/stall`
    exists, writes its worker's pid to `flags/pid` and waits there to be killed."""
    name = 'sleepy_spiral'
    def __init__(self, flags, delay=0.):
        super().__init__()
        self.flags, self.delay = str(flags), delay
    def batches(self, seed, n_steps):
        flags = Path(self.flags)
        if (flags / 'stall').exists():
            (flags / 'pid').write_text(str(os.getpid()))
            for _ in range(3000):
                if not (flags / 'stall').exists(): break
                time.sleep(.1)
        time.sleep(self.delay)
        return super().batches(seed, n_steps)
