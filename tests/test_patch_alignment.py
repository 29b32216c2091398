"""Patch-level alignment (Tsai et al., ICCV 2019): label statistics, modes file, head,
discriminator, and the adaptation inside UDASegmentor's train step."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg_uda.patch_modes import (assign_modes, load_patch_modes, patch_histograms,
                                   save_patch_modes)
from mmseg_uda.models.adaptation.patch_alignment import (PatchAlignment, crop_to_patch_grid,
                                                         labelled_fraction, patch_cluster_loss)
from mmseg_uda.models.adaptation.patch_cluster_head import PatchClusterHead
from mmseg_uda.models.discriminators.fc_discriminator import FCDiscriminator
from mmseg_uda.models.segmentors import unwrap
from tests.conftest import make_batch, output_space_cfg, tiny_model_cfg
from tests.test_uda_segmentor import build, changed, snapshot, uda_batch, wrappers

C = 4  # classes of the tiny model
K = 6  # patch modes in the tests
D = 2 * 2 * C
IGNORE = 255


def random_labels(n, h, w, seed=0, ignore_frac=0.3):
    g = torch.Generator().manual_seed(seed)
    label = torch.randint(0, C, (n, h, w), generator=g)
    label[torch.rand(n, h, w, generator=g) < ignore_frac] = IGNORE
    label[:, :5, :6] = IGNORE  # an all-ignore block: whole patches/cells without labels
    return label


def reference_histograms(label, patch_size, grid, min_labelled=0.0):
    """Slow loop over images, patches and cells (cells split as numpy.array_split does)."""
    ph, pw = patch_size
    n, h, w = label.shape
    gh, gw = h // ph, w // pw
    hist = np.zeros((n, gh, gw, grid[0] * grid[1] * C), np.float32)
    valid = np.zeros((n, gh, gw), bool)
    for i in range(n):
        for py in range(gh):
            for px in range(gw):
                patch = label[i, py * ph:(py + 1) * ph, px * pw:(px + 1) * pw].numpy()
                labelled = (patch != IGNORE).sum()
                valid[i, py, px] = labelled > 0 and labelled >= min_labelled * patch.size
                cells = [c for rows in np.array_split(patch, grid[0], axis=0)
                         for c in np.array_split(rows, grid[1], axis=1)]
                for j, cell in enumerate(cells):
                    kept = cell[cell != IGNORE]
                    if kept.size:
                        counts = np.bincount(kept, minlength=C)
                        hist[i, py, px, j * C:(j + 1) * C] = counts / kept.size
    return torch.from_numpy(hist), torch.from_numpy(valid)


def random_modes(seed=0):
    return torch.rand(K, D, generator=torch.Generator().manual_seed(seed))


def patch_cfg(**kwargs):
    cfg = dict(type='PatchAlignment', modes=random_modes(), patch_size=12, num_modes=K,
               hidden_channels=16, discriminator=dict(type='FCDiscriminator', channels=(16, 32)))
    cfg.update(kwargs)
    return cfg


# ---------------------------------------------------------------------------- label statistics
@pytest.mark.parametrize('patch_size,grid', [((4, 4), (2, 2)), ((5, 7), (2, 2)), (6, (2, 2)),
                                             ((8, 6), (3, 2)), ((17, 23), (2, 2))])
def test_patch_histograms_match_reference_loop(patch_size, grid):
    label = random_labels(2, 17, 23)  # not divisible by most patch sizes: remainder cropped
    hist, valid = patch_histograms(label, patch_size, C, IGNORE, grid)
    ph, pw = (patch_size, patch_size) if isinstance(patch_size, int) else patch_size
    ref_hist, ref_valid = reference_histograms(label, (ph, pw), grid)
    assert hist.shape == ref_hist.shape and valid.shape == ref_valid.shape
    torch.testing.assert_close(hist, ref_hist)
    assert torch.equal(valid, ref_valid)


def test_min_labelled_fraction_drops_mostly_ignored_patches():
    label = torch.zeros(4, 8, dtype=torch.long)
    label[:, :4] = IGNORE
    label[0, 0] = 1  # left patch: 1 of 16 pixels labelled; right patch: all labelled
    assert patch_histograms(label, 4, C)[1].tolist() == [[True, True]]
    torch.testing.assert_close(labelled_fraction(label[None, :, :7], (4, 3)),
                               torch.tensor([[[1 / 12, 2 / 3]]]))
    # PatchAlignment gives the left patch no Γ target (default: at least half of it labelled)
    adaptation = PatchAlignment(C, 4, modes=random_modes(), num_modes=K)
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=label[None])
    targets = adaptation.patch_targets([sample], (4, 8))
    assert targets[0, 0, 0] == IGNORE and targets[0, 0, 1] < K
    loose = PatchAlignment(C, 4, modes=random_modes(), num_modes=K, min_labelled_fraction=0)
    assert (loose.patch_targets([sample], (4, 8)) < K).all()
    with pytest.raises(ValueError, match='min_labelled_fraction must be in'):
        PatchAlignment(C, 4, modes=random_modes(), num_modes=K, min_labelled_fraction=-0.1)


def test_all_ignore_patches_invalid_and_cells_zero():
    label = torch.zeros(8, 8, dtype=torch.long)
    label[:4, :4] = IGNORE  # top-left patch: all ignore
    label[4:6, 4:6] = IGNORE  # top-left cell of the bottom-right patch: all ignore
    hist, valid = patch_histograms(label.numpy(), 4, C, IGNORE)  # numpy, 2-D
    assert hist.shape == (2, 2, D) and valid.tolist() == [[False, True], [True, True]]
    assert not hist[0, 0].any()
    assert not hist[1, 1, :C].any() and hist[1, 1, C:].view(3, C)[:, 0].eq(1).all()
    assert torch.equal(assign_modes(hist, random_modes(), valid)[0, 0], torch.tensor(IGNORE))


def test_patch_histograms_errors():
    with pytest.raises(ValueError, match=r'label values? \[?7'):
        patch_histograms(torch.full((4, 4), 7), 2, C)
    with pytest.raises(ValueError, match=r'patch_size \(8, 8\) is larger.*\(4, 6\)'):
        patch_histograms(torch.zeros(4, 6, dtype=torch.long), 8, C)
    with pytest.raises(ValueError, match=r'grid \(3, 3\)'):
        patch_histograms(torch.zeros(4, 4, dtype=torch.long), 2, C, grid=3)


def test_assign_modes_matches_brute_force():
    hist, valid = patch_histograms(random_labels(3, 16, 24, seed=1), 4, C, IGNORE)
    modes = random_modes(seed=2)
    assigned = assign_modes(hist, modes, valid, IGNORE)
    assert assigned.dtype == torch.long and assigned.shape == valid.shape
    for idx in np.ndindex(*valid.shape):
        if not valid[idx]:
            assert assigned[idx] == IGNORE
            continue
        dists = [float(((hist[idx] - m)**2).sum()) for m in modes]
        assert assigned[idx] == int(np.argmin(dists))
    assert (~valid).any() and valid.any()
    with pytest.raises(ValueError, match=r'modes must be \(K, 16\).*\(6, 5\)'):
        assign_modes(hist, torch.rand(K, 5))


# ---------------------------------------------------------------------------- modes file
def write_modes(path, num_classes=C, k=K, patch_size=(12, 12), grid=(2, 2)):
    classes = [f'c{i}' for i in range(num_classes)]
    save_patch_modes(str(path), torch.rand(k, grid[0] * grid[1] * num_classes), classes,
                     patch_size, grid, dataset='synthetic', seed=0)
    return str(path)


def test_load_patch_modes_roundtrip(tmp_path):
    path = write_modes(tmp_path / 'modes.pth')
    modes = load_patch_modes(path, C, 12, (2, 2), K)
    assert modes.shape == (K, D)
    assert set(torch.load(path, weights_only=True)) == {
        'modes', 'classes', 'num_classes', 'patch_size', 'grid', 'k', 'dataset', 'seed'}


@pytest.mark.parametrize('field,written,pattern', [
    ('num_classes', dict(num_classes=5), 'num_classes=5 but the config has num_classes=4'),
    ('k', dict(k=7), r'K \(num_modes\)=7 but the config has K \(num_modes\)=6'),
    ('patch_size', dict(patch_size=(16, 16)),
     r'patch_size=\(16, 16\) but the config has patch_size=\(12, 12\)'),
    ('grid', dict(grid=(3, 3)), r'grid=\(3, 3\) but the config has grid=\(2, 2\)'),
])
def test_load_patch_modes_mismatch_names_both_values(tmp_path, field, written, pattern):
    path = write_modes(tmp_path / f'{field}.pth', **written)
    with pytest.raises(ValueError, match=pattern) as err:
        load_patch_modes(path, C, 12, (2, 2), K)
    assert 'tools/build_patch_modes.py' in str(err.value)
    # the same error when the adaptation is built from a config
    with pytest.raises(ValueError, match=pattern):
        MODELS.build(tiny_model_cfg(adaptations=dict(patch=patch_cfg(modes=None,
                                                                      modes_file=path))))


def test_missing_modes_file_names_build_command(tmp_path):
    path = str(tmp_path / 'none.pth')
    with pytest.raises(FileNotFoundError,
                       match=f'python tools/build_patch_modes.py CONFIG --out {path}'):
        load_patch_modes(path, C, 12, (2, 2), K)


def test_patch_alignment_argument_errors():
    with pytest.raises(ValueError, match='exactly one of modes_file and modes'):
        PatchAlignment(C, 12, num_modes=K)
    with pytest.raises(ValueError, match=r'\(6, 16\), got \(6, 12\)'):
        PatchAlignment(C, 12, modes=torch.rand(K, 12), num_modes=K)
    with pytest.raises(ValueError, match='gan_type'):
        PatchAlignment(C, 12, modes=random_modes(), num_modes=K, gan_type='wgan')


# ---------------------------------------------------------------------------- head, discriminator
@pytest.mark.parametrize('pooling,grid,first_kernel', [('cell', (2, 2), (2, 2)),
                                                       ('cell', (3, 2), (3, 2)),
                                                       ('patch', (2, 2), (1, 1))])
def test_patch_cluster_head_shapes(pooling, grid, first_kernel):
    head = PatchClusterHead(C, K, hidden_channels=16, grid=grid, pooling=pooling)
    convs = [m for m in head.convs if isinstance(m, torch.nn.Conv2d)]
    assert [tuple(c.weight.shape) for c in convs] == [(16, C, *first_kernel), (K, 16, 1, 1)]
    assert convs[0].stride == first_kernel
    assert head(torch.randn(2, C, 12, 12), (2, 3)).shape == (2, K, 2, 3)
    assert head(torch.randn(1, C, 3, 6), (2, 4)).shape == (1, K, 2, 4)
    with pytest.raises(ValueError, match='4-channel logits'):
        head(torch.randn(1, 3, 4, 4), (2, 2))
    with pytest.raises(ValueError, match="pooling must be one of.*'pixel'"):
        PatchClusterHead(C, K, pooling='pixel')


def mirrored_patch_logits():
    """Confident logits of two 2x2-cell patches, side by side (one logit cell per descriptor
    cell): class 0 | class 1 over class 0 | class 1, and its mirror image class 1 | class 0
    over class 1 | class 0. Same class proportions, different layout, so different modes."""
    left = torch.tensor([[0, 1], [0, 1]])
    label = torch.cat([left, 1 - left], dim=1)  # (2, 4): two patches
    return 10 * torch.nn.functional.one_hot(label, C).permute(2, 0, 1)[None].float()


def test_default_head_separates_mirrored_patches():
    """Γ gives mirrored patches different modes: the default head learns to tell them apart,
    the pooled-per-patch head cannot (its inputs, hence its outputs, are identical)."""
    logits, targets = mirrored_patch_logits(), torch.tensor([[[0, 1]]])
    torch.manual_seed(0)
    pooled = PatchClusterHead(C, K, hidden_channels=16, pooling='patch')
    out = pooled(logits, (1, 2))
    torch.testing.assert_close(out[..., 0], out[..., 1], rtol=0, atol=1e-6)
    head = PatchClusterHead(C, K, hidden_channels=16)
    optimizer = torch.optim.Adam(head.parameters(), lr=0.05)
    for _ in range(20):
        optimizer.zero_grad()
        loss = patch_cluster_loss(head(logits, (1, 2)), targets)
        loss.backward()
        optimizer.step()
    assert torch.equal(head(logits, (1, 2)).argmax(1), targets)
    assert patch_cluster_loss(head(logits, (1, 2)), targets) < 0.1


def test_crop_to_patch_grid_drops_the_remainder():
    logits = torch.randn(1, C, 4, 6)  # a 32x48 input at output stride 8
    cropped, grid = crop_to_patch_grid(logits, (32, 48), (12, 12))
    assert grid == (2, 4) and cropped.shape[-2:] == (3, 6)
    cropped, grid = crop_to_patch_grid(logits, (32, 48), (16, 16))
    assert grid == (2, 3) and cropped.shape[-2:] == (4, 6)


def test_fc_discriminator_layers_and_per_location_output():
    disc = FCDiscriminator(K)
    convs = [m for m in disc.layers if isinstance(m, torch.nn.Conv2d)]
    assert [tuple(c.weight.shape) for c in convs] == [(256, K, 1, 1), (512, 256, 1, 1),
                                                       (1, 512, 1, 1)]
    assert [m.negative_slope for m in disc.layers if isinstance(m, torch.nn.LeakyReLU)] == [
        0.2, 0.2]
    x = torch.softmax(torch.randn(2, K, 3, 5), dim=1)
    out = disc(x)
    assert out.shape == (2, 1, 3, 5)
    torch.testing.assert_close(out[:, :, 1:2, 3:4], disc(x[:, :, 1:2, 3:4]))


# ---------------------------------------------------------------------------- Γ and Ld
def test_patch_targets_ignore_preprocessor_padding():
    model = build(dict(patch=patch_cfg(patch_size=8)))
    samples = []
    for h, w in ((32, 48), (16, 24)):  # the second is padded to 32x48 by the preprocessor
        sample = SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, C, (1, h, w)))
        samples.append(sample)
    batch = dict(inputs=[torch.zeros(3, 32, 48, dtype=torch.uint8),
                         torch.zeros(3, 16, 24, dtype=torch.uint8)], data_samples=samples)
    data = model.data_preprocessor(batch, True)
    assert data['inputs'].shape[-2:] == (32, 48)
    adaptation = unwrap(model.generator).adaptations['patch']
    targets = adaptation.patch_targets(data['data_samples'], (32, 48))
    assert targets.shape == (2, 4, 6)
    assert (targets[0] < K).all() and (targets[1, :2, :3] < K).all()
    assert (targets[1, 2:] == IGNORE).all() and (targets[1, :, 3:] == IGNORE).all()
    # an unpadded smaller label is padded with ignore the same way
    small = SegDataSample()
    small.gt_sem_seg = PixelData(data=samples[1].gt_sem_seg.data)
    assert torch.equal(adaptation.patch_targets([small], (32, 48))[0], targets[1])


def test_patch_cluster_loss_ignores_invalid_patches():
    logits = torch.randn(1, K, 2, 2, requires_grad=True)
    targets = torch.tensor([[[1, IGNORE], [IGNORE, 3]]])
    expected = torch.nn.functional.cross_entropy(
        logits.permute(0, 2, 3, 1)[targets != IGNORE], targets[targets != IGNORE])
    torch.testing.assert_close(patch_cluster_loss(logits, targets), expected)
    none_valid = patch_cluster_loss(logits, torch.full((1, 2, 2), IGNORE))
    assert none_valid.item() == 0
    none_valid.backward()


def test_cluster_loss_value_and_gradients():
    model = build(dict(patch=patch_cfg(loss_weight_cluster=0.5)))
    gen = unwrap(model.generator)
    adaptation = gen.adaptations['patch']
    src = model.data_preprocessor(make_batch(), True)
    losses, reps = gen.domain_forward(src['inputs'], src['data_samples'], 'source')
    # Ld = λd · CE(H(O), Γ(Ys)), Γ from the reference loops; 32x48 input, 12x12 patches: a 2x4
    # grid covering 24x48 pixels, i.e. 3x6 of the 4x6 logits (output stride 8)
    with torch.no_grad():
        logits = gen.segmentor_outputs(src['inputs'], False)['logits']
        labels = torch.stack([s.gt_sem_seg.data[0] for s in src['data_samples']])
        hist, valid = reference_histograms(labels, (12, 12), (2, 2),
                                           adaptation.min_labelled_fraction)
        targets = assign_modes(hist, adaptation.modes, valid)
        expected = 0.5 * torch.nn.functional.cross_entropy(
            adaptation.head(logits[..., :3, :6], (2, 4)), targets)
    torch.testing.assert_close(losses['patch.loss_cluster'], expected)
    rep = reps['patch'][PatchAlignment.rep_key]
    assert rep.shape == (2, K, 2, 4)
    torch.testing.assert_close(rep.sum(1), torch.ones(2, 2, 4))
    losses['patch.loss_cluster'].backward()
    for module in (gen.adaptations['patch'].head, gen.segmentor.decode_head):
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())
    tgt = model.data_preprocessor(make_batch(labels=False, seed=3), True)
    tgt_losses, tgt_reps = gen.domain_forward(tgt['inputs'], tgt['data_samples'], 'target')
    assert not any(k.startswith('patch.') for k in tgt_losses)
    assert tgt_reps['patch'][PatchAlignment.rep_key].shape == (2, K, 2, 4)


def test_adversarial_and_discriminator_labels():
    adaptation = PatchAlignment(C, 12, modes=random_modes(), num_modes=K)
    says_source = {adaptation.rep_key: torch.full((2, 1, 2, 3), 8.0)}
    assert adaptation.adversarial_losses(says_source)['loss_adv'] < 0.0005 * 1e-3
    assert adaptation.discriminator_losses(says_source, 'source')['loss_d'] < 1e-3
    assert adaptation.discriminator_losses(says_source, 'target')['loss_d'] > 1
    ls = PatchAlignment(C, 12, modes=random_modes(), num_modes=K, gan_type='ls')
    torch.testing.assert_close(ls.discriminator_losses(says_source, 'target')['loss_d'],
                               torch.tensor(0.5 * 64))


# ---------------------------------------------------------------------------- train step
def test_train_step_before_and_after_warmup(message_hub_iter):
    model = build(dict(patch=patch_cfg()), warmup_iters=2)
    optim = wrappers(model)
    head = unwrap(model.generator).adaptations['patch'].head
    disc = model.discriminators['patch']
    # the representation key is part of the checkpoint layout: discriminators.patch.modes.*
    assert PatchAlignment.rep_key == 'modes' and isinstance(disc['modes'], FCDiscriminator)

    message_hub_iter(1)  # warm-up: source segmentation loss only
    head_before, disc_before = snapshot(head), snapshot(disc)
    log_vars = model.train_step(uda_batch(), optim)
    assert not any('patch' in k for k in log_vars), sorted(log_vars)
    assert not changed(head_before, head) and not changed(disc_before, disc)

    seen = {}
    seg_step, disc_step = optim['generator'].step, optim['discriminator'].step

    def seg_spy():
        seen['disc_grads'] = [p.grad for p in disc.parameters()]
        seg_step()

    def disc_spy():
        seen['gen_grads'] = [p.grad for p in model.generator.parameters()]
        disc_step()

    optim['generator'].step, optim['discriminator'].step = seg_spy, disc_spy
    message_hub_iter(2)  # adaptation
    log_vars = model.train_step(uda_batch(seed=5), optim)
    for key in ('src.patch.loss_cluster', 'adv.patch.loss_adv', 'disc.src.patch.loss_d',
                'disc.tgt.patch.loss_d'):
        assert key in log_vars, sorted(log_vars)
    assert 0 < log_vars['src.patch.loss_cluster'].item() < 0.01 * 10
    assert 0 < log_vars['adv.patch.loss_adv'].item() < 0.0005 * 10
    assert changed(head_before, head) == set(head_before)
    assert changed(disc_before, disc) == set(disc_before)
    # D is frozen in the generator step, and the D step never reaches the generator
    assert all(g is None or not g.any() for g in seen['disc_grads'])
    assert all(g is None or not g.any() for g in seen['gen_grads'])


def test_combined_with_output_space_adaptation(message_hub_iter):
    adaptations = dict(output_space_cfg(), patch=patch_cfg())
    model = build(adaptations)
    optim = wrappers(model)
    assert set(model.discriminators) == {'output', 'patch'}
    before = snapshot(model.discriminators)
    message_hub_iter(0)
    log_vars = model.train_step(uda_batch(), optim)
    for key in ('src.patch.loss_cluster', 'adv.output.loss_adv_logits', 'adv.patch.loss_adv',
                'disc.src.output.loss_d_logits', 'disc.tgt.patch.loss_d'):
        assert key in log_vars, sorted(log_vars)
    assert changed(before, model.discriminators) == set(before)


def test_ablations_skip_the_unused_parts(message_hub_iter, monkeypatch):
    """λadv = 0 (Ls + Ld) builds no discriminator; λd = 0 never computes Γ(Ys)."""
    ld_only = build(dict(patch=patch_cfg(loss_weight_adv=0.0)))
    assert 'patch' not in model_discriminators(ld_only)
    message_hub_iter(0)
    log_vars = ld_only.train_step(uda_batch(), wrappers(ld_only))
    assert 'src.patch.loss_cluster' in log_vars
    assert not any(k.startswith('adv.') or k.startswith('disc.') for k in log_vars)

    adv_only = build(dict(patch=patch_cfg(loss_weight_cluster=0.0)))
    patch = unwrap(adv_only.generator).adaptations['patch']
    monkeypatch.setattr(patch, 'patch_targets',
                        lambda *a: pytest.fail('Γ(Ys) computed although λd = 0'))
    log_vars = adv_only.train_step(uda_batch(), wrappers(adv_only))
    assert 'src.patch.loss_cluster' not in log_vars
    assert {'adv.patch.loss_adv', 'disc.tgt.patch.loss_d'} <= set(log_vars)


def model_discriminators(model):
    return set(unwrap(model.discriminators))


def _ld_gradients(**kwargs):
    """Ld's value and its gradients on H and on the segmentor's decode head, one source batch
    through a model built with seed 0 (same weights for every ``kwargs``)."""
    torch.manual_seed(0)
    model = build(dict(patch=patch_cfg(loss_weight_cluster=0.01, **kwargs)))
    gen = unwrap(model.generator)
    src = model.data_preprocessor(make_batch(), True)
    losses, _ = gen.domain_forward(src['inputs'], src['data_samples'], 'source')
    losses['patch.loss_cluster'].backward()
    grads = lambda module: torch.cat([p.grad.flatten() for p in module.parameters()])  # noqa
    return (losses['patch.loss_cluster'].detach(), grads(gen.adaptations['patch'].head),
            grads(gen.segmentor.decode_head))


def test_head_loss_weight_scales_only_the_heads_gradient():
    """head_loss_weight w: H's gradient from Ld is w / λd times the paper's, the segmentor's
    and the logged value unchanged."""
    loss, head_grad, seg_grad = _ld_gradients()
    loss_w, head_grad_w, seg_grad_w = _ld_gradients(head_loss_weight=1.0)
    assert head_grad.abs().sum() > 0 and seg_grad.abs().sum() > 0
    torch.testing.assert_close(loss_w, loss)
    torch.testing.assert_close(head_grad_w, 100.0 * head_grad)
    torch.testing.assert_close(seg_grad_w, seg_grad)
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match='head_loss_weight must be > 0'):
            PatchAlignment(C, 12, modes=random_modes(), num_modes=K, head_loss_weight=bad)
    with pytest.raises(ValueError, match='head_loss_weight needs Ld'):
        PatchAlignment(C, 12, modes=random_modes(), num_modes=K, loss_weight_cluster=0,
                       head_loss_weight=1.0)
