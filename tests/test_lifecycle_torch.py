"""PyTorch through a training run's life cycle: `ScheduleLR` inside torch's own compositions (`SequentialLR`,
`ChainedScheduler`) resumed from a checkpoint before, at and after their milestones, as `LambdaLR` does in the same
place; a tensor learning rate stays a tensor; a compiled optimizer step is not recompiled."""
import io, re
import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as tls
from lr_tutor.schedules import one_cycle, cosine, warmup

SPE, LR = 5, 1e-2
S = cosine(LR, 0., 2)                     # 10 steps
N = S.n_batches(SPE)

def ours(o): return S.to_torch(o, SPE)
def lambda_lr(o): return tls.LambdaLR(o, lambda k: S(min(k, N) / SPE) / LR)     # the peer: the same curve as a LambdaLR

def compositions(inner):
    "The reproductions of the issue, with `inner(o)` in the place of the schedule: (name, make(o), steps)."
    return [
        ('SequentialLR([LinearLR, s], [2])', lambda o: tls.SequentialLR(o, [tls.LinearLR(o, .1, total_iters=2), inner(o)], [2]), 2 + N),
        ('SequentialLR([s, ExponentialLR], [N])', lambda o: tls.SequentialLR(o, [inner(o), tls.ExponentialLR(o, .8)], [N]), N + 4),
        ('SequentialLR([s, ConstantLR], [N])', lambda o: tls.SequentialLR(o, [inner(o), tls.ConstantLR(o, .05, total_iters=3)], [N]), N + 4),
        ('ChainedScheduler([s, ExponentialLR])', lambda o: tls.ChainedScheduler([inner(o), tls.ExponentialLR(o, .9)]), N),
        ('ChainedScheduler([ExponentialLR, s])', lambda o: tls.ChainedScheduler([tls.ExponentialLR(o, .9), inner(o)]), N),
    ]

def optimizer(lr=LR, **kw):
    torch.manual_seed(0)
    return torch.optim.SGD([torch.nn.Parameter(torch.randn(3))], lr=lr, momentum=.9, **kw)

def run(make, steps, resume_at=None, lr=LR):
    "The rate of every step; with `resume_at`, saved there and resumed into a fresh optimizer and scheduler."
    opt = optimizer(lr); sch = make(opt); seen = []
    for k in range(steps):
        if k == resume_at:
            buf = io.BytesIO(); torch.save({'opt': opt.state_dict(), 'sched': sch.state_dict()}, buf); buf.seek(0)
            ck = torch.load(buf, weights_only=True)
            opt = optimizer(lr); sch = make(opt)
            opt.load_state_dict(ck['opt']); sch.load_state_dict(ck['sched'])
        seen.append(float(opt.param_groups[0]['lr']))
        assert float(sch.get_last_lr()[0]) == seen[-1]
        opt.param_groups[0]['params'][0].grad = torch.ones(3); opt.step(); sch.step()
    return np.array(seen)

def largest_resume_difference(inner):
    worst = 0.
    for name, make, steps in compositions(inner):
        full = run(make, steps)
        for k in sorted({1, 2, 3, N - 1, N, N + 1} & set(range(1, steps))):
            worst = max(worst, float(np.max(np.abs(run(make, steps, k) - full) / full)))
    return worst

def test_compositions_resume_exactly_as_lambda_lr_does():
    peer, mine = largest_resume_difference(lambda_lr), largest_resume_difference(ours)
    print(f'largest relative difference, resumed vs uninterrupted: LambdaLR {peer:.3g}, ScheduleLR {mine:.3g}')
    assert peer == 0 and mine == 0

def test_compositions_follow_the_schedule_as_lambda_lr_does():
    for (name, make, steps), (_, peer, _) in zip(compositions(ours), compositions(lambda_lr)):
        np.testing.assert_allclose(run(make, steps), run(peer, steps), rtol=1e-12, err_msg=name)

def test_sequential_lr_starts_the_schedule_at_its_milestone():
    opt = optimizer()
    seq = tls.SequentialLR(opt, [tls.LinearLR(opt, .1, total_iters=2), ours(opt)], [2])
    lrs = []
    for _ in range(2 + N): lrs.append(opt.param_groups[0]['lr']); opt.step(); seq.step()
    np.testing.assert_array_equal(lrs[2:], S.at_batches(SPE))
    sch = seq._schedulers[1]
    assert sch.last_epoch == N and sch._get_closed_form_lr() == sch.get_lr()

@pytest.mark.parametrize('scheduler_first', [True, False])
def test_a_tensor_rate_stays_a_tensor_through_load_state_dict(scheduler_first):
    for make in (ours, lambda_lr):
        opt = optimizer(torch.tensor(LR)); sch = make(opt)
        for _ in range(3): opt.step(); sch.step()
        state = {'opt': opt.state_dict(), 'sched': sch.state_dict()}
        opt2 = optimizer(torch.tensor(LR))
        if scheduler_first: sch2 = make(opt2); opt2.load_state_dict(state['opt'])
        else: opt2.load_state_dict(state['opt']); sch2 = make(opt2)
        lr_object = opt2.param_groups[0]['lr']
        sch2.load_state_dict(state['sched'])
        g = opt2.param_groups[0]['lr']
        assert isinstance(g, torch.Tensor) and g is lr_object, (make, type(g))
        if make is ours or scheduler_first: assert float(g) == float(opt.param_groups[0]['lr'])

def test_a_compiled_optimizer_step_with_a_tensor_rate_is_not_recompiled():
    import torch._dynamo
    torch._dynamo.reset()
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.Adam(model.parameters(), lr=torch.tensor(LR), betas=(torch.tensor(.9), torch.tensor(.99)))
    sch = one_cycle(LR, 2).to_torch(opt, SPE, cycle_momentum=False)
    compiles = []
    def backend(gm, inputs): compiles.append(gm); return gm.forward
    step = torch.compile(opt.step, backend=backend)
    x = torch.randn(8, 3)
    for k in range(2 * SPE):
        model(x).pow(2).mean().backward(); step(); opt.zero_grad(); sch.step()
        if k == 4:   # and a resume, mid-run
            sch.load_state_dict(sch.state_dict())
    assert isinstance(opt.param_groups[0]['lr'], torch.Tensor)
    assert len(compiles) == 1, f'{len(compiles)} compilations'

DDP = '''
import os, sys, torch, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from lr_tutor.schedules import one_cycle

S, SPE, K = one_cycle(1e-2, 2), 4, 3             # 8 steps, resumed after 3

def make():
    torch.manual_seed(0)
    model = DDP(torch.nn.Linear(3, 1))
    opt = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=.9)
    return model, opt, S.to_torch(opt, SPE)

def train(rank, model, opt, sch, steps):
    g = torch.Generator().manual_seed(rank)
    x = torch.randn(S.n_batches(SPE), 4, 3, generator=g)       # each rank its own shard
    lrs = []
    for k in steps:
        lrs.append((opt.param_groups[0]['lr'], opt.param_groups[0]['momentum']))
        opt.zero_grad(); model(x[k]).pow(2).mean().backward(); opt.step(); sch.step()
    return lrs

def worker(rank, folder):
    import lr_tutor.adapters                     # in the workers only: the launcher needs no fastai
    dist.init_process_group('gloo', init_method=f'file://{folder}/store', rank=rank, world_size=2)
    n = S.n_batches(SPE)
    model, opt, sch = make()
    full = train(rank, model, opt, sch, range(n))
    full_w = [p.detach().clone() for p in model.parameters()]
    model, opt, sch = make()
    first = train(rank, model, opt, sch, range(K))
    if rank == 0: torch.save({'model': model.module.state_dict(), 'opt': opt.state_dict(), 'sched': sch.state_dict()}, f'{folder}/ck.pt')
    dist.barrier()
    ck = torch.load(f'{folder}/ck.pt', weights_only=True)
    model, opt, sch = make()
    model.module.load_state_dict(ck['model']); opt.load_state_dict(ck['opt']); sch.load_state_dict(ck['sched'])
    rest = train(rank, model, opt, sch, range(K, n))
    same_w = all(torch.equal(p, q) for p, q in zip(model.parameters(), full_w))
    print(f'rank {rank}: resumed == uninterrupted: rates {first + rest == full}, weights {same_w}', flush=True)
    dist.destroy_process_group()

if __name__ == '__main__':
    torch.multiprocessing.spawn(worker, args=(sys.argv[1],), nprocs=2)
'''

def test_ddp_on_cpu_resumes_from_a_rank_0_checkpoint(tmp_path):
    import os, subprocess, sys
    from pathlib import Path
    (tmp_path / 'ddp.py').write_text(DDP)
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join(filter(None, [root, os.environ.get('PYTHONPATH')])), 'OMP_NUM_THREADS': '1'}
    r = subprocess.run([sys.executable, str(tmp_path / 'ddp.py'), str(tmp_path)], capture_output=True, text=True,
                       env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    # the two ranks print to one pipe, so their lines can interleave: read the reports wherever they stand
    reports = sorted(re.findall(r'rank \d: resumed == uninterrupted: rates (?:True|False), weights (?:True|False)', r.stdout))
    assert reports == [f'rank {i}: resumed == uninterrupted: rates True, weights True' for i in (0, 1)], r.stdout
