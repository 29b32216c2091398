"""The example of docs/adding_an_adaptation.md, taken from the page, trains in UDASegmentor."""
import os.path as osp
import re

import pytest
import torch
import torch.nn.functional as F

from mmseg.registry import MODELS
from tests.conftest import REPO, make_batch, tiny_model_cfg
from tests.test_uda_segmentor import wrappers

PAGE = osp.join(REPO, 'docs', 'adding_an_adaptation.md')


def uda_batch(seed=0):
    """64x64 images: 8x8 logits, enough for the example's 3-layer discriminator."""
    return dict(source=make_batch(h=64, w=64, seed=seed),
                target=make_batch(h=64, w=64, labels=False, seed=seed + 1))


def code_blocks():
    with open(PAGE) as f:
        return re.findall(r'```python\n(.*?)```', f.read(), flags=re.S)


@pytest.fixture
def example():
    """The page's adaptation class, registered as the page registers it, and its config."""
    module_code, config_code = code_blocks()
    namespace = {}
    exec(compile(module_code, PAGE, 'exec'), namespace)  # registers EntropyAlignment
    config = {}
    exec(compile(config_code, PAGE, 'exec'), config)
    try:
        yield namespace['EntropyAlignment'], config['model']['adaptations']
    finally:
        MODELS._module_dict.pop('EntropyAlignment')


def test_the_example_trains_after_the_warmup(example, message_hub_iter):
    cls, adaptations = example
    assert adaptations.pop('_delete_') is True
    model = MODELS.build(tiny_model_cfg(adaptations=adaptations, warmup_iters=1))
    advent = model.generator.adaptations['advent']
    assert isinstance(advent, cls)
    assert (advent.loss_adv.gan_type, advent.loss_adv.loss_weight) == ('bce', 0.001)
    assert all(k.startswith('discriminators.advent.entropy.') for k in
               model.state_dict() if k.startswith('discriminators.'))
    optim = wrappers(model)
    message_hub_iter(0)
    log_vars = model.train_step(uda_batch(), optim)
    assert not any(k.startswith(('adv.', 'disc.', 'tgt.')) for k in log_vars), sorted(log_vars)
    disc_before = {k: v.clone() for k, v in model.discriminators.state_dict().items()}
    message_hub_iter(1)
    log_vars = model.train_step(uda_batch(seed=2), optim)
    assert {'adv.advent.loss_adv', 'disc.src.advent.loss_d', 'disc.tgt.advent.loss_d'} <= \
        set(log_vars), sorted(log_vars)
    assert all(torch.isfinite(v) for v in log_vars.values())
    assert any(not torch.equal(v, disc_before[k])
               for k, v in model.discriminators.state_dict().items())


def test_the_example_representation_is_the_self_information(example):
    cls, _ = example
    advent = cls(num_classes=3)
    logits = torch.randn(2, 3, 4, 5)
    losses, reps = advent({'logits': logits, 'input_shape': (32, 40)}, [], 'target')
    p = F.softmax(logits, dim=1)
    assert losses == {} and torch.allclose(reps['entropy'], -p * torch.log(p))
