"""What each engine optimizer costs: `train_many` on the spiral, every family's start on seeds 0-2 (39 runs, one
batched program per length), with each of the task's optimizers, interleaved, best of 5; times as ratios to SGD's
measured in the same run (the anchor), so that a busy machine moves the ratios less than the times. Prints
figures; asserts nothing.
Run: OMP_NUM_THREADS=1 python benchmarks/bench_engine_optimizers.py"""
import os, platform, time
import numpy as np
from lr_tutor.engine import TASKS, train_many
from lr_tutor.lab_shell import start_schedule
from lr_tutor.schedules import FAMILIES

def main(repeat:int=5):
    task = TASKS['spiral']
    schedules = [start_schedule(name, task, 'sgd') for name in FAMILIES] * 3
    seeds = [s for s in (0, 1, 2) for _ in FAMILIES]
    times = {o: [] for o in task.optimizers}
    for _ in range(repeat):                          # interleaved: a burst of load hits every optimizer alike
        for o in times:
            t0 = time.perf_counter()
            train_many(task, schedules, seeds, optimizer=o)
            times[o].append(time.perf_counter() - t0)
    print(f'{len(schedules)} spiral runs per call, best of {repeat}, on {platform.processor() or platform.machine()}, '
          f'OMP_NUM_THREADS={os.environ.get("OMP_NUM_THREADS", "unset")}, numpy {np.__version__}, load {os.getloadavg()[0]:.1f}')
    anchor = min(times['sgd'])
    for o, ts in times.items(): print(f'{o:>20}: {min(ts):6.3f} s  {min(ts) / anchor:5.2f} x sgd')

if __name__ == '__main__': main()
