"""`s.to_torch(...)` in the trainers people run: Lightning's step-interval scheduler and Accelerate's
`prepare` / `save_state` / `load_state`, each resumed from a checkpoint part way through the schedule."""
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset
from lr_tutor.schedules import one_cycle

S, SPE = one_cycle(1e-2, 2), 4                   # 8 steps, 4 a epoch
def data(): return DataLoader(TensorDataset(torch.randn(4 * SPE, 3, generator=torch.Generator().manual_seed(0))), batch_size=4)

def test_lightning_step_interval_resumes_from_a_checkpoint(tmp_path):
    L = pytest.importorskip('lightning')
    class Module(L.LightningModule):
        def __init__(self):
            super().__init__(); torch.manual_seed(0); self.net = torch.nn.Linear(3, 1); self.seen = []
        def training_step(self, batch, i):
            g = self.optimizers().param_groups[0]; self.seen.append((g['lr'], g['momentum']))
            return self.net(batch[0]).pow(2).mean()
        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=1e-2, momentum=.9)
            return {'optimizer': opt, 'lr_scheduler': {'scheduler': S.to_torch(opt, SPE), 'interval': 'step'}}
    def trainer(epochs): return L.Trainer(max_epochs=epochs, accelerator='cpu', logger=False, enable_progress_bar=False,
                                          enable_model_summary=False, enable_checkpointing=False, default_root_dir=tmp_path)
    full = Module(); trainer(2).fit(full, data())
    assert [lr for lr, _ in full.seen] == list(S.at_batches(SPE)) and [m for _, m in full.seen] == list(S.momentum(np.arange(8) / SPE))
    first = Module(); t = trainer(1); t.fit(first, data()); t.save_checkpoint(tmp_path / 'ep1.ckpt')
    rest = Module(); trainer(2).fit(rest, data(), ckpt_path=tmp_path / 'ep1.ckpt')
    assert first.seen + rest.seen == full.seen
    for p, q in zip(rest.parameters(), full.parameters()): torch.testing.assert_close(p, q, rtol=0, atol=0)

def test_accelerate_prepare_save_state_load_state(tmp_path):
    accelerate = pytest.importorskip('accelerate')
    def run(steps, load=None, save=None):
        acc = accelerate.Accelerator(cpu=True)
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1); opt = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=.9)
        model, opt, dl, sch = acc.prepare(model, opt, data(), S.to_torch(opt, SPE))
        if load: acc.load_state(load)
        seen, batches = [], [b for _ in range(2) for b in dl]
        for k in steps:
            seen.append(opt.param_groups[0]['lr'])
            acc.backward(model(batches[k][0]).pow(2).mean()); opt.step(); sch.step(); opt.zero_grad()
        if save: acc.save_state(save)
        return seen, [p.detach().clone() for p in model.parameters()]
    full, w = run(range(8))
    assert full == list(S.at_batches(SPE))
    first, _ = run(range(3), save=tmp_path / 'state')
    rest, w2 = run(range(3, 8), load=tmp_path / 'state')
    assert first + rest == full
    for p, q in zip(w2, w): torch.testing.assert_close(p, q, rtol=0, atol=0)
