"""FCNs in the Wild: class-size statistics, constrained MIL loss, global feature alignment (GA)
and category-specific adaptation (CA)."""
import json
import logging
import math
import os
import os.path as osp
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg_uda.class_stats import (ClassSizeAccumulator, ClassSizeStats, class_size_stats,
                                   load_class_size_stats)
from mmseg_uda.models.adaptation import CategoryAdaptation
from mmseg_uda.models.adaptation.category_adaptation import resize_scores, valid_cells
from mmseg_uda.models.adaptation.global_alignment import GlobalFeatureAlignment
from mmseg_uda.models.discriminators.feature_discriminator import FeatureDiscriminator
from mmseg_uda.models.losses.adversarial_loss import domain_confusion_loss
from mmseg_uda.models.losses import constrained_mil as cmil_module
from mmseg_uda.models.losses.constrained_mil import (ConstrainedMILLoss, constrained_mil,
                                                     constrained_mil_loss,
                                                     solve_latent_distribution)
from mmseg_uda.models.segmentors import unwrap
from tests.conftest import tiny_model_cfg
from tests.test_uda_segmentor import build, changed, snapshot, uda_batch, wrappers

CLASSES = ('road', 'car', 'sky', 'bus')


# ---------------------------------------------------------------- class-size statistics
def test_class_size_stats_match_numpy_percentiles():
    skewed = [1.0] + [0.01] * 19  # mean above the 90th percentile
    fractions = [[0.1, 0.2, 0.3, 0.4, 0.5], [], [0.05], skewed]
    stats = class_size_stats(fractions)
    for c in (0, 2, 3):
        values = np.asarray(fractions[c])
        assert stats['alpha'][c] == pytest.approx(np.percentile(values, 10))
        assert stats['delta'][c] == pytest.approx(values.mean())
        assert stats['gamma'][c] == pytest.approx(np.percentile(values, 90))
    assert stats['alpha'][0] == pytest.approx(0.14) and stats['gamma'][0] == pytest.approx(0.46)
    assert (stats['alpha'][1], stats['delta'][1], stats['gamma'][1]) == (0.0, 0.0, 1.0)
    assert stats['delta'][3] > stats['gamma'][3]  # legitimate: only alpha <= gamma is checked
    ClassSizeStats(list(CLASSES), stats['alpha'], stats['delta'], stats['gamma'],
                   [5, 0, 1, 20], num_images=20)
    with pytest.raises(ValueError, match=r'class 1.*\(0, 1\].*1\.5'):
        class_size_stats([[0.2], [0.3, 1.5]])


def random_labels(n=6, h=10, w=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = []
    for i in range(n):
        label = torch.randint(0, 3, (h, w), generator=g)  # class 3 never occurs
        label[: i % 3] = 255  # some ignored rows
        labels.append(label)
    return labels


def test_streaming_accumulator_equals_batch_statistics():
    labels = random_labels()
    acc = ClassSizeAccumulator(CLASSES, dataset='toy')
    for i, label in enumerate(labels):  # numpy, torch and (1, H, W) inputs
        acc.update(label.numpy() if i % 2 else label[None] if i % 3 == 0 else label)
    expected = [[(label == c).sum().item() / label.numel() for label in labels
                 if (label == c).any()] for c in range(len(CLASSES))]
    for got, want in zip(acc.fractions(), expected):
        np.testing.assert_allclose(got, want)
    stats = acc.compute()
    batch = class_size_stats(expected)
    for name in ('alpha', 'delta', 'gamma'):
        np.testing.assert_allclose(getattr(stats, name), batch[name])
    assert stats.class_images == [len(f) for f in expected] and stats.class_images[3] == 0
    assert stats.num_images == len(labels) and stats.dataset == 'toy'
    # the converters' label_stats.json content gives the same statistics
    label_stats = dict(dataset='toy', classes=list(CLASSES), ignore_index=255, images={
        f'{i}.png': dict(height=10, width=12,
                         pixels=[(label == c).sum().item() for c in range(len(CLASSES))])
        for i, label in enumerate(labels)})
    assert ClassSizeAccumulator.from_label_stats(label_stats).compute() == stats
    with pytest.raises(ValueError, match=r'\(H, W\)'):
        acc.update(torch.zeros(2, 3, 4))


def test_stats_save_load_and_validation(tmp_path):
    acc = ClassSizeAccumulator(CLASSES, dataset='toy')
    for label in random_labels():
        acc.update(label)
    stats = acc.compute()
    path = str(tmp_path / 'class_stats.json')
    stats.save(path)
    loaded = load_class_size_stats(path, classes=CLASSES)
    assert loaded == stats and loaded.num_classes == 4
    assert torch.allclose(loaded.tensors()['delta'], torch.tensor(stats.delta))
    with pytest.raises(ValueError, match=r"classes \['road'.*'bus'\].*\['road', 'truck'\]"):
        load_class_size_stats(path, classes=['road', 'truck'])

    def corrupt(**changes):
        content = json.load(open(path))
        content.update(changes)
        bad = str(tmp_path / 'bad.json')
        json.dump(content, open(bad, 'w'))
        return bad

    with pytest.raises(ValueError, match=r"class 'road': alpha .*0\.9 exceeds gamma .*0\.5"):
        load_class_size_stats(corrupt(alpha=[0.9, 0, 0, 0], gamma=[0.5, 1, 1, 1]))
    with pytest.raises(ValueError, match=r"delta of class 'car' must be in \[0, 1\], got 1\.2"):
        load_class_size_stats(corrupt(delta=[0.1, 1.2, 0.1, 0.0]))
    with pytest.raises(ValueError, match='gamma has 3 values for 4 classes'):
        load_class_size_stats(corrupt(gamma=[1, 1, 1]))
    with pytest.raises(ValueError, match='num_classes 5'):
        load_class_size_stats(corrupt(num_classes=5))
    with pytest.raises(ValueError, match='not a class-size statistics file'):
        load_class_size_stats(corrupt(format='label_stats'))


# ---------------------------------------------------------------- constrained MIL
def peaked_log_probs(n=3, c=5, h=12, w=16, scale=3.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.log_softmax(torch.randn(n, c, h, w, generator=g) * scale, dim=1)


def kl_q_p(log_q, log_p):
    """Mean over pixels of KL(Q ‖ P)."""
    return (log_q.exp() * (log_q - log_p)).sum(1).mean()


def test_solver_meets_upper_bounds_and_lower_bounds_up_to_slack():
    log_p = peaked_log_probs()
    frac_p = log_p.exp().mean(dim=(2, 3))
    lower = torch.tensor([0.30, 0.25, 0.0, 0.05, 0.0])
    upper = torch.tensor([0.40, 0.30, 0.05, 1.0, 0.10])
    on = torch.ones(3, 5, dtype=torch.bool)
    on[1, 4] = False  # unconstrained class of one image
    tol = 1e-4
    sol = solve_latent_distribution(log_p, lower, upper, on, slack_weight=3.0, tol=tol)
    assert sol.residual <= tol and sol.num_iters < 100
    q = sol.log_q.exp()
    assert torch.allclose(q.sum(1), torch.ones(3, 12, 16), atol=1e-5)
    assert torch.allclose(sol.fractions, q.mean(dim=(2, 3)), atol=1e-6)
    assert (sol.fractions[on] <= upper.expand(3, 5)[on] + tol).all()
    met = sol.fractions >= lower - tol
    at_slack = sol.lambda_lower >= 3.0 - 1e-6
    assert (met | at_slack)[on].all()
    assert ((sol.lambda_upper > 1e-3) <= ((sol.fractions - upper).abs() < 1e-3)).all()
    assert (sol.lambda_lower[~on] == 0).all() and (sol.lambda_upper[~on] == 0).all()
    assert not torch.allclose(sol.fractions, frac_p, atol=1e-2)  # the bounds did bind


def test_feasible_prediction_is_its_own_latent_distribution():
    logits = peaked_log_probs(scale=1.0).clone().requires_grad_(True)
    frac = torch.softmax(logits, 1).mean(dim=(2, 3))
    lower, upper = frac.min(0).values - 0.02, frac.max(0).values + 0.02
    sol = solve_latent_distribution(torch.log_softmax(logits, 1), lower, upper,
                                    torch.ones(3, 5, dtype=torch.bool))
    assert sol.num_iters == 0
    assert kl_q_p(sol.log_q, torch.log_softmax(logits, 1)).item() == pytest.approx(0, abs=1e-7)
    result = constrained_mil(logits, torch.zeros(5), lower, upper)
    assert result.present.all()  # every class is the argmax somewhere: none suppressed
    assert result.solution.num_iters == 0
    assert result.loss.item() == pytest.approx(0, abs=1e-6)  # KL(Q ‖ P), not the entropy
    result.loss.backward()
    assert logits.grad.abs().max().item() < 1e-6


def test_infeasible_constraints_give_finite_loss():
    logits = (peaked_log_probs(scale=8.0) * 1.0).requires_grad_(True)
    alpha = torch.zeros(5)
    lower = torch.full((5, ), 0.4)  # sums to 2 > 1: relaxed through the slack
    upper = torch.full((5, ), 0.9)
    loss = constrained_mil_loss(logits, alpha, lower, upper, slack_weight=2.0)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()
    sol = solve_latent_distribution(torch.log_softmax(logits.detach(), 1), lower, upper,
                                    torch.ones(3, 5, dtype=torch.bool), slack_weight=2.0)
    assert (sol.lambda_lower == 2.0).all()
    # upper bounds that cannot all hold (sum 0.5 < 1) only grow the dual variables
    sol = solve_latent_distribution(torch.log_softmax(logits.detach(), 1), torch.zeros(5),
                                    torch.full((5, ), 0.1), torch.ones(3, 5, dtype=torch.bool),
                                    num_iters=50)
    assert torch.isfinite(sol.log_q).all() and torch.isfinite(sol.lambda_upper).all()
    assert torch.allclose(sol.log_q.exp().sum(1), torch.ones(3, 12, 16), atol=1e-5)


def test_large_classes_get_scaled_gradients():
    logits = peaked_log_probs(scale=2.0)
    alpha = torch.tensor([0.3, 0.05, 0.0, 0.2, 0.0])  # classes 0 and 3 are large
    delta = torch.tensor([0.5, 0.3, 0.0, 0.0, 0.0])
    gamma = torch.tensor([0.6, 0.4, 1.0, 0.05, 1.0])
    grads = []
    for grad_scale in (1.0, 0.1):
        x = logits.clone().requires_grad_(True)
        constrained_mil_loss(x, alpha, delta, gamma, large_class_grad_scale=grad_scale).backward()
        grads.append(x.grad)
    plain, scaled = grads
    assert plain.abs().sum() > 0
    assert torch.allclose(scaled[:, [0, 3]], 0.1 * plain[:, [0, 3]], atol=1e-8)
    assert torch.equal(scaled[:, [1, 2, 4]], plain[:, [1, 2, 4]])


def presence_logits():
    """(1, 3, 8, 8) logits: class 0 is the argmax on 63 pixels, class 1 on one pixel (d_1 = 1/64)
    and class 2 on none, although it holds about 1 % of the probability mass everywhere."""
    logits = torch.zeros(1, 3, 8, 8)
    logits[:, 1] = -4.6
    logits[:, 2] = -4.6
    logits[0, 1, 0, 0] = 5.0
    return logits


def test_presence_is_decided_on_the_argmax_map():
    """Hoffman et al. 2016, Sec. 3.2: d_c = fraction of pixels with argmax c, present if
    d_c > 0.1·α_c. The soft fraction (class 2: about 0.01 > 0.1·0.001) must not count."""
    logits = presence_logits()
    assert torch.softmax(logits, 1)[0, 2].mean() > 0.009
    delta, gamma = torch.tensor([0.0, 0.3, 0.3]), torch.tensor([1.0, 0.5, 0.5])
    for alpha1, present1 in ((0.2, False), (0.1, True)):  # 0.1·α_1 vs d_1 = 0.0156
        alpha = torch.tensor([0.0, alpha1, 0.001])
        result = constrained_mil(logits, alpha, delta, gamma, suppress_absent=False)
        assert result.present.tolist() == [[True, present1, False]]
        x = logits.clone().requires_grad_(True)
        constrained_mil_loss(x, alpha, delta, gamma, suppress_absent=False).backward()
        # a present class 1 is raised towards δ_1 (gradient (P - Q) / pixels); absent, nothing
        # binds and Q = P
        grad = x.grad.abs().max().item()
        assert grad > 1e-4 if present1 else grad < 1e-8
    # masked pixels do not count: with the class-1 pixel masked, class 1 is absent
    mask = torch.ones(1, 8, 8, dtype=torch.bool)
    mask[0, 0, 0] = False
    result = constrained_mil(logits, torch.zeros(3), delta, gamma, mask=mask)
    assert result.present.tolist() == [[True, False, False]]


def test_absent_classes_are_suppressed_by_default():
    """The constrained CNN's zero constraint: a class that is not present gets Q = 0 (and its
    logits are pushed down); with suppress_absent=False it is unconstrained (Q = P)."""
    logits = presence_logits().requires_grad_(True)
    alpha = torch.zeros(3)
    delta, gamma = torch.zeros(3), torch.ones(3)  # bounds that never bind
    log_p = torch.log_softmax(logits.detach(), 1)
    result = constrained_mil(logits, alpha, delta, gamma)
    assert result.present.tolist() == [[True, True, False]]
    q = result.solution.log_q.exp()
    assert (q[:, 2] == 0).all()
    probs = log_p.exp()
    kept = probs[:, :2] / probs[:, :2].sum(1, keepdim=True)
    assert torch.allclose(q[:, :2], kept, atol=1e-6)  # present classes keep P's proportions
    assert result.loss.item() == pytest.approx(
        -torch.log1p(-probs[:, 2]).mean().item(), rel=1e-5)  # KL(Q ‖ P) = -log(1 - P_2)
    result.loss.backward()
    assert torch.allclose(logits.grad, (probs - q) / 64, atol=1e-8)
    assert (logits.grad[:, 2] > 0).all()
    off = constrained_mil(logits.detach(), alpha, delta, gamma, suppress_absent=False)
    assert torch.allclose(off.solution.log_q, log_p, atol=1e-6)
    assert off.loss.item() == pytest.approx(0, abs=1e-6)
    # no class present at all (every pixel masked): unconstrained, not an empty distribution
    none = constrained_mil(logits.detach(), alpha, delta, gamma,
                           mask=torch.zeros(1, 8, 8, dtype=torch.bool))
    assert not none.present.any() and torch.isfinite(none.solution.log_q).all()
    assert none.loss.item() == 0
    with pytest.raises(ValueError, match='every class of image 0 is suppressed'):
        solve_latent_distribution(log_p, delta, gamma, torch.zeros(1, 3, dtype=torch.bool),
                                  zero=torch.ones(1, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match='class 2 of image 0 is both suppressed'):
        solve_latent_distribution(log_p, delta, gamma, torch.ones(1, 3, dtype=torch.bool),
                                  zero=torch.tensor([[False, False, True]]))


def test_single_remaining_class_is_the_latent_distribution():
    """Only class 0 present: Q is class 0 everywhere and its bounds (an upper bound γ_0 = 0.5 it
    cannot meet) are not enforced, so the solve is immediate, not an unconverged one."""
    logits = torch.zeros(2, 3, 4, 4)
    logits[:, 0] = 3.0
    delta, gamma = torch.tensor([0.1, 0.1, 0.1]), torch.tensor([0.5, 0.5, 0.5])
    result = constrained_mil(logits, torch.zeros(3), delta, gamma)
    assert result.present.tolist() == [[True, False, False]] * 2
    sol = result.solution
    assert sol.converged and sol.num_iters == 0 and sol.residual == 0
    assert torch.equal(sol.log_q.exp()[:, 0], torch.ones(2, 4, 4))
    log_p0 = torch.log_softmax(logits, 1)[:, 0]
    assert result.loss.item() == pytest.approx(-log_p0.mean().item(), rel=1e-6)


def test_logged_loss_is_kl_of_latent_to_prediction():
    """loss_cmil = mean_i KL(Q_i ‖ P_i) with binding bounds; its gradient is (P − Q)/N."""
    logits = peaked_log_probs(scale=2.0).requires_grad_(True)
    alpha = torch.zeros(5)
    delta = torch.tensor([0.5, 0.0, 0.0, 0.0, 0.0])
    gamma = torch.tensor([1.0, 0.05, 1.0, 1.0, 1.0])
    result = constrained_mil(logits, alpha, delta, gamma, large_class_grad_scale=1.0)
    assert result.present.all()
    log_p = torch.log_softmax(logits.detach(), 1)
    kl = kl_q_p(result.solution.log_q, log_p)
    assert kl.item() > 1e-3 and result.loss.item() == pytest.approx(kl.item(), rel=1e-5)
    result.loss.backward()
    q = result.solution.log_q.exp()
    assert torch.allclose(logits.grad, (log_p.exp() - q) / (12 * 16 * 3), atol=1e-7)


def test_masked_pixels_are_ignored():
    logits = peaked_log_probs(n=2, scale=2.0)
    alpha = torch.zeros(5)
    delta = torch.tensor([0.3, 0.0, 0.0, 0.0, 0.0])
    gamma = torch.tensor([1.0, 0.1, 1.0, 1.0, 1.0])
    padded = torch.cat([logits, torch.randn(2, 5, 12, 6) * 20], dim=3).requires_grad_(True)
    mask = torch.zeros(2, 12, 22, dtype=torch.bool)
    mask[..., :16] = True
    crop = logits.clone().requires_grad_(True)
    loss_pad = constrained_mil_loss(padded, alpha, delta, gamma, mask=mask)
    loss_crop = constrained_mil_loss(crop, alpha, delta, gamma)
    assert loss_pad.item() == pytest.approx(loss_crop.item(), rel=1e-5)
    (loss_pad + loss_crop).backward()
    assert padded.grad[..., 16:].abs().max() == 0
    assert torch.allclose(padded.grad[..., :16], crop.grad, atol=1e-7)
    with pytest.raises(ValueError, match=r'mask must have shape \(2, 12, 22\)'):
        constrained_mil_loss(padded, alpha, delta, gamma, mask=mask[:, :, :16])


def test_constrained_mil_module():
    loss = MODELS.build(dict(type='ConstrainedMILLoss', alpha=[0.0] * 5, delta=[0.1] * 5,
                             gamma=[0.5] * 5, loss_weight=0.5))
    assert isinstance(loss, ConstrainedMILLoss) and loss.loss_name == 'loss_cmil'
    logits = peaked_log_probs()
    expected = constrained_mil_loss(logits, torch.zeros(5), torch.full((5, ), 0.1),
                                    torch.full((5, ), 0.5))
    assert loss(logits).item() == pytest.approx(0.5 * expected.item())
    with pytest.raises(ValueError, match=r'gamma\[2\] must be in \[0, 1\], got 1\.5'):
        ConstrainedMILLoss([0.0] * 3, [0.1] * 3, [1.0, 1.0, 1.5])
    with pytest.raises(ValueError, match='loss_name'):
        ConstrainedMILLoss([0.0], [0.1], [1.0], loss_name='cmil')
    with pytest.raises(ValueError, match=r'delta must have shape \(5,\)'):
        constrained_mil_loss(logits, torch.zeros(5), torch.zeros(4), torch.ones(5))


# ---------------------------------------------------------------- global feature alignment
def ga_cfg(**kwargs):
    return dict(ga=dict(type='GlobalFeatureAlignment', in_channels=64, loss_weight=1.0,
                        discriminator=dict(type='FeatureDiscriminator', channels=(16, 16)),
                        **kwargs))


def test_feature_discriminator_keeps_resolution():
    x = torch.randn(2, 8, 5, 7)
    for kernel_size, act in ((1, 'leaky_relu'), (3, 'relu')):
        disc = FeatureDiscriminator(8, channels=(4, ), kernel_size=kernel_size, act=act)
        assert disc(x).shape == (2, 1, 5, 7)
    with pytest.raises(ValueError, match='kernel_size .* got 5'):
        FeatureDiscriminator(8, kernel_size=5)
    with pytest.raises(ValueError, match=r'in_channels=8\) got features of shape \(2, 4, 5, 7\)'):
        FeatureDiscriminator(8)(torch.randn(2, 4, 5, 7))


def test_global_alignment_loss_is_domain_confusion():
    ga = GlobalFeatureAlignment(num_classes=4, in_channels=8, loss_weight=0.5)
    zero = {ga.rep_key: torch.zeros(2, 1, 3, 3)}
    assert ga.adversarial_losses(zero)['loss_confusion_tgt'].item() == pytest.approx(
        0.5 * math.log(2))
    # symmetric in the classifier's logit and minimal at 0: not an inverted-label loss
    pos, neg = ({ga.rep_key: torch.full((2, 1, 3, 3), v)} for v in (3.0, -3.0))
    assert ga.adversarial_losses(pos, domain='source')['loss_confusion_src'].item() == \
        pytest.approx(ga.adversarial_losses(neg)['loss_confusion_tgt'].item())
    assert ga.adversarial_losses(pos)['loss_confusion_tgt'] > 0.5 * math.log(2)
    assert torch.equal(ga.adversarial_losses(pos)['loss_confusion_tgt'],
                       0.5 * domain_confusion_loss(pos[ga.rep_key]))
    d_src = ga.discriminator_losses(pos, 'source')['loss_d']
    assert d_src.item() == pytest.approx(0.5 * F.softplus(torch.tensor(-3.0)).item())


def test_global_alignment_validates_features():
    ga = GlobalFeatureAlignment(num_classes=4, in_channels=64, in_index=2)
    feats = (torch.zeros(1, 16, 4, 4), torch.zeros(1, 32, 4, 4), torch.zeros(1, 64, 4, 4))
    with pytest.raises(ValueError, match=r'in_channels=64\): feature level 2 has shape'):
        ga(dict(features=feats[:2] + (torch.zeros(1, 48, 4, 4), )), [], 'target')
    with pytest.raises(IndexError, match='in_index=2 is out of range for 2'):
        ga(dict(features=feats[:2]), [], 'target')
    assert ga(dict(features=feats), [], 'source')[1][ga.rep_key] is feats[2]


def test_global_alignment_train_step(message_hub_iter):
    model = build(ga_cfg(), warmup_iters=2)
    optim = wrappers(model)
    # the representation key is part of the checkpoint layout: discriminators.ga.features.*
    assert GlobalFeatureAlignment.rep_key == 'features'
    disc = unwrap(model.discriminators)['ga']['features']
    disc.layers[-1].weight.data.zero_()
    disc.layers[-1].bias.data.zero_()  # the classifier outputs 0 everywhere

    before = snapshot(model.discriminators)
    message_hub_iter(1)
    log_vars = model.train_step(uda_batch(), optim)
    assert not changed(before, model.discriminators)
    assert not any(k.startswith(('adv.', 'disc.')) for k in log_vars)

    seg_before = snapshot(model.segmentor)
    message_hub_iter(2)
    log_vars = model.train_step(uda_batch(seed=3), optim)
    for key in ('adv.ga.loss_confusion_src', 'adv.ga.loss_confusion_tgt', 'disc.src.ga.loss_d',
                'disc.tgt.ga.loss_d'):
        assert key in log_vars, sorted(log_vars)
    # confusion on the instances of both domains, the source part inside the source step
    assert log_vars['adv.ga.loss_confusion_src'].item() == pytest.approx(math.log(2), abs=1e-6)
    assert log_vars['adv.ga.loss_confusion_tgt'].item() == pytest.approx(math.log(2), abs=1e-6)
    assert log_vars['src.loss'].item() == pytest.approx(
        sum(v.item() for k, v in log_vars.items()
            if k.startswith('src.') and 'loss' in k and k != 'src.loss')
        + log_vars['adv.ga.loss_confusion_src'].item(), rel=1e-5)
    assert log_vars['disc.src.ga.loss_d'].item() == pytest.approx(0.5 * math.log(2), abs=1e-6)
    assert changed(before, model.discriminators)
    assert changed(seg_before, model.segmentor)


def test_confusion_gradient_reaches_the_backbone():
    model = build(ga_cfg(), warmup_iters=0)
    gen = unwrap(model.generator)
    tgt = model.data_preprocessor(uda_batch()['target'], True)
    _, reps = gen.domain_forward(tgt['inputs'], tgt['data_samples'], 'target')
    preds = model.discriminators(reps)
    gen.adaptations['ga'].adversarial_losses(preds['ga'])['loss_confusion_tgt'].backward()
    last_stage = gen.segmentor.backbone.layer4
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in last_stage.parameters())
    assert all(p.grad is None for p in gen.segmentor.decode_head.parameters())


# ---------------------------------------------------------------- category adaptation (CA)
def write_stats(path, classes=CLASSES, alpha=(0.3, 0.0, 0.0, 0.0), delta=(0.6, 0.0, 0.0, 0.0),
                gamma=(0.9, 0.1, 0.1, 0.1)):
    """A class-size statistics file; the defaults bind on a near-uniform 4-class prediction."""
    ClassSizeStats(list(classes), list(alpha), list(delta), list(gamma), [10] * len(classes),
                   num_images=10, dataset='toy').save(str(path))
    return str(path)


def ca_cfg(stats_file, **kwargs):
    return dict(ca=dict(type='CategoryAdaptation', stats_file=stats_file, **kwargs))


def test_category_adaptation_train_step_before_and_after_warmup(tmp_path, message_hub_iter):
    model = build(ca_cfg(write_stats(tmp_path / 'stats.json'), classes=CLASSES), warmup_iters=2)
    assert not model.with_discriminators
    optim = wrappers(model)
    assert set(optim.keys()) == {'generator'}  # no discriminator, none optimised
    message_hub_iter(1)
    log_vars = model.train_step(uda_batch(), optim)
    assert not any(k.startswith(('tgt.', 'adv.', 'disc.')) for k in log_vars), sorted(log_vars)
    message_hub_iter(2)
    log_vars = model.train_step(uda_batch(seed=3), optim)
    assert set(k for k in log_vars if k.startswith(('tgt.', 'adv.', 'disc.'))) == {
        'tgt.loss', 'tgt.ca.loss_cmil', 'tgt.ca.cmil_residual', 'tgt.ca.cmil_steps',
        'tgt.ca.cmil_present'}
    # the solver's values are logged, not optimised: the target loss is loss_cmil alone
    assert log_vars['tgt.loss'].item() == pytest.approx(log_vars['tgt.ca.loss_cmil'].item())
    assert log_vars['tgt.ca.cmil_present'] >= 1 and log_vars['tgt.ca.cmil_steps'] >= 0
    assert torch.isfinite(log_vars['tgt.ca.loss_cmil']) and log_vars['tgt.ca.loss_cmil'] > 0
    assert log_vars['nonfinite_steps'].item() == 0


def test_cmil_changes_segmentor_updates_only_after_warmup(tmp_path, message_hub_iter):
    """CA with weight 1 vs weight 0 (same initialisation, same batches): identical updates during
    warm-up, different ones after it, through the decode head and the backbone."""
    stats = write_stats(tmp_path / 'stats.json')
    for it, differs in ((0, False), (1, True)):
        states = []
        for weight in (1.0, 0.0):
            model = build(ca_cfg(stats, loss_weight=weight), warmup_iters=1)
            message_hub_iter(it)
            model.train_step(uda_batch(), wrappers(model))
            states.append(snapshot(model.segmentor))
        diff = {k for k in states[0] if not torch.equal(states[0][k], states[1][k])}
        assert bool(diff) == differs, (it, sorted(diff)[:5])
        if differs:
            assert any(k.startswith('decode_head.') for k in diff)
            assert any(k.startswith('backbone.layer4.') and k.endswith('weight') for k in diff)
            assert not any(k.startswith('auxiliary_head.') for k in diff)


def test_global_plus_category_adaptation_train_step(tmp_path, message_hub_iter):
    model = build(dict(ga_cfg(), **ca_cfg(write_stats(tmp_path / 'stats.json'))),
                  warmup_iters=1)
    optim = wrappers(model)
    assert set(unwrap(model.discriminators)) == {'ga'}
    disc_before = snapshot(model.discriminators)
    message_hub_iter(0)
    log_vars = model.train_step(uda_batch(), optim)
    assert not any(k.startswith(('tgt.', 'adv.', 'disc.')) for k in log_vars)
    assert not changed(disc_before, model.discriminators)
    message_hub_iter(1)
    log_vars = model.train_step(uda_batch(seed=5), optim)
    for key in ('tgt.ca.loss_cmil', 'adv.ga.loss_confusion_src', 'adv.ga.loss_confusion_tgt',
                'disc.src.ga.loss_d', 'disc.tgt.ga.loss_d'):
        assert key in log_vars and torch.isfinite(log_vars[key]), (key, sorted(log_vars))
    assert changed(disc_before, model.discriminators)


def test_category_adaptation_with_output_space_adaptation(tmp_path, message_hub_iter):
    from tests.conftest import output_space_cfg
    model = build(dict(output_space_cfg(), **ca_cfg(write_stats(tmp_path / 'stats.json'))))
    message_hub_iter(0)
    log_vars = model.train_step(uda_batch(), wrappers(model))
    assert {'tgt.ca.loss_cmil', 'adv.output.loss_adv_logits'} <= set(log_vars), sorted(log_vars)


def test_category_adaptation_rejects_bad_stats_files(tmp_path):
    good = write_stats(tmp_path / 'good.json')
    other = write_stats(tmp_path / 'other.json', classes=('road', 'car', 'sky', 'truck'))
    with pytest.raises(ValueError, match=r"classes \['road', 'car', 'sky', 'truck'\].*model "
                       r"uses classes \['road', 'car', 'sky', 'bus'\]"):
        build(ca_cfg(other, classes=CLASSES))
    with pytest.raises(ValueError, match=r"good\.json' holds 4 classes .* num_classes=3"):
        MODELS.build(tiny_model_cfg(num_classes=3, adaptations=ca_cfg(good)))
    with pytest.raises(ValueError, match=r"good\.json holds statistics for classes .*'bus'\], "
                       r"but the model uses classes \['sky', 'building'"):
        build(ca_cfg(good, classes='CamVidDataset'))
    with pytest.raises(ValueError, match="classes='NoSuchDataset' is neither"):
        build(ca_cfg(good, classes='NoSuchDataset'))
    content = json.load(open(good))
    content.update(alpha=[0.3, 0.0, 0.5, 0.0], gamma=[0.9, 0.1, 0.2, 0.1])  # alpha > gamma
    json.dump(content, open(tmp_path / 'order.json', 'w'))
    with pytest.raises(ValueError, match=r"order\.json: class 'sky': alpha .*0\.5 exceeds gamma "
                       r".*0\.2.*recompute it with `python tools/compute_class_stats\.py"):
        build(ca_cfg(str(tmp_path / 'order.json')))
    missing = str(tmp_path / 'missing.json')
    # a missing file builds (a checkpoint may hold the statistics) but cannot train
    ca = build(ca_cfg(missing, source_config='configs/x.py')).generator.adaptations['ca']
    with pytest.raises(FileNotFoundError,
                       match=re.escape(f'`python tools/compute_class_stats.py configs/x.py --out '
                                       f'{missing}`')):
        ca.check_file_state()
    with pytest.raises(ValueError, match='at most one of output_size and output_stride'):
        build(ca_cfg(good, output_size=8, output_stride=4))


def test_fcn_wild_camvid_config_names_the_stats_command():
    """The shipped GA+CA config's missing-file error is the exact command of its header."""
    from tests.conftest import REPO
    cfg = Config.fromfile(osp.join(REPO, 'configs/fcn_wild/camvid_day2dusk_ga_ca.py'))
    ca = cfg.model.adaptations.ca
    assert ca.stats_file == 'work_dirs/class_stats/camvid_day.json'
    ca.stats_file = '/nonexistent/camvid_day.json'
    model = MODELS.build(cfg.model)  # builds without the file; training stops before iter 1
    with pytest.raises(FileNotFoundError) as err:
        model.generator.adaptations['ca'].check_file_state()
    command = re.search(r'`python (tools/compute_class_stats\.py \S+ --out \S+)`',
                        str(err.value))
    assert command, str(err.value)
    script, config, _, out = command.group(1).split()
    assert osp.samefile(osp.join(os.getcwd(), config) if not osp.isabs(config) else config,
                        osp.join(REPO, 'configs/fcn_wild/camvid_day2dusk_ga_ca.py'))
    assert out == '/nonexistent/camvid_day.json'


def test_infeasible_class_constraints_give_finite_loss_and_gradients(tmp_path):
    # lower bounds summing to 2.4 and upper bounds summing to 0.4: neither can hold
    stats = write_stats(tmp_path / 'bad.json', alpha=(0.0, ) * 4, delta=(0.6, ) * 4,
                        gamma=(0.1, ) * 4)
    model = build(ca_cfg(stats))
    gen = unwrap(model.generator)
    tgt = model.data_preprocessor(uda_batch()['target'], True)
    losses, reps = gen.domain_forward(tgt['inputs'], tgt['data_samples'], 'target')
    assert reps == {'ca': {}}
    losses['ca.loss_cmil'].backward()
    assert torch.isfinite(losses['ca.loss_cmil'])
    grads = [p.grad for p in gen.segmentor.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_category_adaptation_ignores_source_and_padding(tmp_path):
    ca = CategoryAdaptation(num_classes=4, stats_file=write_stats(tmp_path / 's.json'))
    logits = torch.randn(2, 4, 6, 8, requires_grad=True)
    samples = [SegDataSample(metainfo=dict(img_shape=(48, 64))),
               SegDataSample(metainfo=dict(img_shape=(24, 40)))]  # padded to 48x64
    outputs = dict(logits=logits, input_shape=(48, 64))
    assert ca(outputs, samples, 'source') == ({}, {})
    mask = valid_cells(samples, (48, 64), (6, 8), logits.device)
    assert mask[0].all() and mask[1].sum() == 3 * 5 and mask[1, :3, :5].all()
    loss = ca(outputs, samples, 'target')[0]['loss_cmil']
    expected = constrained_mil_loss(logits, ca.loss.alpha, ca.loss.delta, ca.loss.gamma, mask)
    assert loss.item() == pytest.approx(expected.item())
    loss.backward()
    assert logits.grad[1, :, 3:].abs().max() == 0 and logits.grad[1, :, :, 5:].abs().max() == 0


def test_downsampled_constraint_grid_preserves_class_fractions(tmp_path):
    stats = write_stats(tmp_path / 's.json')
    logits = torch.randn(2, 4, 8, 12) * 3
    fine = torch.ones(2, 8, 12, dtype=torch.bool)
    fine[1, 4:] = False  # the bottom half of image 1 is padding
    coarse = resize_scores(logits, (4, 6), fine)
    probs = torch.softmax(logits, 1)
    for i, rows in ((0, 8), (1, 4)):
        np.testing.assert_allclose(coarse[i, :, :rows // 2].exp().mean((1, 2)),
                                   probs[i, :, :rows].mean((1, 2)), rtol=1e-5)
    assert torch.allclose(coarse.exp().sum(1)[0], torch.ones(4, 6), atol=1e-5)
    assert resize_scores(logits, (8, 12), fine) is logits
    assert resize_scores(logits, (16, 24), fine).shape == (2, 4, 16, 24)
    for kwargs, grid in ((dict(output_stride=16), (4, 6)), (dict(output_size=(2, 3)), (2, 3)),
                         ({}, (8, 12))):
        ca = CategoryAdaptation(num_classes=4, stats_file=stats, **kwargs)
        assert ca.constraint_grid((64, 96), (8, 12)) == grid
        x = logits.clone().requires_grad_(True)
        loss = ca(dict(logits=x, input_shape=(64, 96)), [SegDataSample()] * 2,
                  'target')[0]['loss_cmil']
        loss.backward()
        assert torch.isfinite(loss) and x.grad.abs().sum() > 0


def test_solver_state_is_logged_and_non_convergence_warned(tmp_path, monkeypatch):
    """cmil_residual / cmil_steps are the solve's; a solve that stops before ``tol`` warns, the
    1st and 10th time (not every time)."""
    warnings = []
    monkeypatch.setattr(cmil_module, 'print_log',
                        lambda msg, **kwargs: warnings.append((msg, kwargs.get('level'))))
    stats = write_stats(tmp_path / 's.json')
    logits = torch.randn(2, 4, 6, 8) * 3
    outputs = dict(logits=logits, input_shape=(48, 64))
    samples = [SegDataSample(metainfo=dict(img_shape=(48, 64)))] * 2
    converged = CategoryAdaptation(num_classes=4, stats_file=stats)
    losses = converged(outputs, samples, 'target')[0]
    log_p = torch.log_softmax(logits, 1)
    present = cmil_module.class_presence(log_p, converged.loss.alpha,
                                         torch.full((2, 1, 6, 8), 1 / 48), 0.1)
    sol = solve_latent_distribution(log_p, converged.loss.delta, converged.loss.gamma, present,
                                    zero=~present)
    assert sol.converged and sol.num_iters > 0
    assert losses['cmil_steps'].item() == sol.num_iters
    assert losses['cmil_residual'].item() == pytest.approx(sol.residual, abs=1e-9)
    assert losses['cmil_present'].item() == present.sum(1).float().mean().item()
    assert not warnings
    capped = CategoryAdaptation(num_classes=4, stats_file=stats, num_iters=1)
    for _ in range(12):
        losses = capped(outputs, samples, 'target')[0]
    assert losses['cmil_steps'].item() == 1 and losses['cmil_residual'].item() > 1e-4
    assert capped.loss.unconverged_solves == 12
    assert len(warnings) == 2 and all(level == logging.WARNING for _, level in warnings)
    assert 'stopped after 1 steps with residual' in warnings[0][0]
    assert '10 unconverged solve(s)' in warnings[1][0]


def test_category_adaptation_loss_cmil_config_replaces_the_older_arguments(tmp_path):
    stats = write_stats(tmp_path / 's.json')
    solver = dict(loss_weight=0.5, present_threshold=0.2, num_iters=7, suppress_absent=False)
    older = CategoryAdaptation(num_classes=4, stats_file=stats, **solver)
    built = CategoryAdaptation(num_classes=4, stats_file=stats,
                               loss_cmil=dict(type='ConstrainedMILLoss', **solver))
    assert built.loss.solver_cfg == older.loss.solver_cfg
    assert built.loss.solver_cfg['num_iters'] == 7 and built.loss.loss_weight == 0.5
    assert list(built.state_dict()) == list(older.state_dict()) == [
        'loss.alpha', 'loss.delta', 'loss.gamma']
    logits = torch.randn(2, 4, 6, 6)
    assert torch.equal(built.loss(logits), older.loss(logits))
    with pytest.raises(ValueError, match=r'CategoryAdaptation takes loss_cmil or the arguments '
                       r'it replaces \(loss_weight, .*, tol\), not both; .* and '
                       r"\{'num_iters': 7\}"):
        CategoryAdaptation(num_classes=4, stats_file=stats, num_iters=7,
                           loss_cmil=dict(type='ConstrainedMILLoss'))
    with pytest.raises(ValueError, match=r"loss_cmil must not set \['alpha'\]: α, δ, γ come "
                       'from stats_file'):
        CategoryAdaptation(num_classes=4, stats_file=stats,
                           loss_cmil=dict(type='ConstrainedMILLoss', alpha=[0.1] * 4))
    with pytest.raises(TypeError, match=r'CategoryAdaptation loss_cmil: AdversarialLoss\.'
                       r"__init__\(\) got an unexpected keyword argument 'alpha'"):
        CategoryAdaptation(num_classes=4, stats_file=stats,
                           loss_cmil=dict(type='AdversarialLoss'))
    with pytest.raises(ValueError, match='CategoryAdaptation loss_cmil: .*loss_weight must be '
                       '>= 0, got -1'):
        CategoryAdaptation(num_classes=4, stats_file=stats, loss_weight=-1)
