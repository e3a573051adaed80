"""The spiral trained the plain way, as a reference for `lr_tutor.engine.train`: PyTorch modules, autograd and
`torch.optim`, one step at a time. `tests/test_lab.py` checks the engine against it, and the lab benchmarks use
it as the naive anchor (retrain on every slider change)."""
import numpy as np
from lr_tutor.engine import MLP, get_task
from lr_tutor.schedules import Schedule

def torch_mlp(task, w:np.ndarray):
    "The task's `MLP` as `nn.Sequential` in float64, holding the engine's flat weights `w`."
    import torch
    sizes, layers = task.mlp.sizes, []
    for a, b in zip(sizes[:-1], sizes[1:]): layers += [torch.nn.Linear(a, b, dtype=torch.float64), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    with torch.no_grad():
        for (a, b), lin in zip(zip(task.mlp.offsets[:-1:2], task.mlp.offsets[1::2]), model[::2]):
            lin.weight.copy_(torch.from_numpy(w[a:b].reshape(lin.in_features, lin.out_features).T))
            lin.bias.copy_(torch.from_numpy(w[b:b + lin.out_features]))
    return model

def torch_train(task, schedule:Schedule, seed:int=0, optimizer:str='sgd', momentum:float=.9) -> np.ndarray:
    """The training losses of `train(task, schedule, seed, optimizer, momentum)` for an `MLP` task, computed
    the plain way: PyTorch modules, autograd and `torch.optim`, one step at a time. (Adam's bias correction
    here is PyTorch's, `1 − β1^k`: the same as `train`'s when beta1 is constant.)"""
    import torch
    task = get_task(task)
    optimizer = task.check_optimizer(optimizer)
    if optimizer not in ('sgd', 'adam'):     # the schedule-free ones: tests/test_schedule_free.py, against their package
        raise ValueError(f"torch_train runs 'sgd' and 'adam', got {optimizer!r}")
    if not isinstance(getattr(task, 'mlp', None), MLP): raise ValueError(f'torch_train needs a task with an MLP, got {task.name!r}')
    model = torch_mlp(task, task.init(seed))
    n = max(1, int(round(schedule.n_epochs * task.steps_per_epoch)))
    t = np.arange(n) / task.steps_per_epoch
    lrs, moms = schedule(t), schedule.momentum(t) if schedule.has_momentum else np.full(n, momentum)
    opt = (torch.optim.SGD(model.parameters(), lr=lrs[0], momentum=moms[0]) if optimizer == 'sgd'
           else torch.optim.Adam(model.parameters(), lr=lrs[0], betas=(moms[0], .999), eps=1e-8))
    x, onehot = (torch.from_numpy(np.ascontiguousarray(a)) for a in task.batches(seed, n))
    losses = np.empty(n)
    for k in range(n):
        for g in opt.param_groups:
            g['lr'] = float(lrs[k])
            if optimizer == 'sgd': g['momentum'] = float(moms[k])
            else: g['betas'] = (float(moms[k]), .999)
        loss = torch.nn.functional.cross_entropy(model(x[k]), onehot[k].argmax(1))
        opt.zero_grad(); loss.backward(); opt.step()
        losses[k] = loss.item()
    return losses
