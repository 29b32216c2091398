"""DACS and its mean teacher: EMA exactness, ClassMix masks, the quality weight, the strong
augmentation, the pixel-weighted loss, and a UDA train step with DACS alone and with patch
alignment."""
import pytest
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict

from mmseg.registry import MODELS
from mmseg_uda.engine.export import segmentor_weights
from mmseg_uda.models.adaptation.class_mix import (blur_kernel_size, class_mix_masks,
                                                   color_jitter, confidence_weight,
                                                   gaussian_blur, hsv_to_rgb, one_mix,
                                                   rgb_to_hsv, strong_transform)
from mmseg_uda.models.adaptation.dacs import weighted_segmentation_losses
from tests.conftest import make_batch, tiny_model_cfg

NUM_CLASSES = 4


def dacs_cfg(**kwargs) -> dict:
    return dict(dacs=dict(type='DACS', **kwargs))


def build(adaptations=None, warmup_iters=0):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(adaptations=adaptations or dacs_cfg(),
                                        warmup_iters=warmup_iters))
    model.init_weights()
    return model


def optimizers(model) -> OptimWrapperDict:
    wrappers = dict(generator=OptimWrapper(torch.optim.SGD(
        [p for p in model.generator.parameters() if p.requires_grad], lr=0.01)))
    if len(model.discriminators):
        wrappers['discriminator'] = OptimWrapper(
            torch.optim.Adam(model.discriminators.parameters(), lr=1e-3))
    return OptimWrapperDict(**wrappers)


def test_ema_update_exact():
    """α_n = min(1 - 1/(n+1), α): 0.5, then α = 0.6 from the second update on."""
    teacher = MODELS.build(dict(type='EMATeacher', alpha=0.6))
    student = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 1), torch.nn.BatchNorm2d(3))
    teacher.bind(student)
    assert all(not p.requires_grad for p in teacher.model.parameters())
    with torch.no_grad():
        student[1].running_mean.fill_(2.0)
    teacher.start(student)
    assert bool(teacher.started) and int(teacher.updates) == 0
    assert torch.equal(teacher.model[1].running_mean, student[1].running_mean)
    expected = [p.detach().clone() for p in student.parameters()]
    for step, alpha in enumerate((0.5, 0.6, 0.6)):
        with torch.no_grad():
            for p in student.parameters():
                p.add_(float(step + 1))
            student[1].running_mean.fill_(-1.0)  # buffers are not averaged
        expected = [alpha * e + (1 - alpha) * p for e, p in zip(expected, student.parameters())]
        assert teacher.update(student) == pytest.approx(alpha)
        for mine, want in zip(teacher.model.parameters(), expected):
            torch.testing.assert_close(mine, want, rtol=0, atol=1e-6)
    assert int(teacher.updates) == 3
    assert torch.equal(teacher.model[1].running_mean, torch.full((3, ), 2.0))


def test_ema_teacher_bad_alpha_and_unbound_update():
    with pytest.raises(ValueError, match='alpha must be in'):
        MODELS.build(dict(type='EMATeacher', alpha=1.0))
    teacher = MODELS.build(dict(type='EMATeacher'))
    teacher.bind(torch.nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match='before start'):
        teacher.update(torch.nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match='differ in their parameters'):
        teacher.start(torch.nn.Conv2d(2, 2, 1))


@pytest.mark.parametrize('num_present', [4, 5])
def test_class_mix_masks_select_exactly_the_chosen_classes(num_present):
    """Each mask is the union of the pixels of (n + n % 2) / 2 of the image's n classes."""
    torch.manual_seed(1)
    labels = torch.randint(0, num_present, (6, 9, 11))
    labels[:, 0, :num_present] = torch.arange(num_present)  # every class present
    labels[0, 1, 0] = 255  # the ignore label counts as a class, as in DACS and DAFormer
    masks = class_mix_masks(labels)
    assert masks.shape == (6, 1, 9, 11) and masks.dtype == torch.float32
    for label, mask in zip(labels, masks[:, 0].bool()):
        present = torch.unique(label)
        chosen = torch.unique(label[mask])
        assert len(chosen) == (len(present) + len(present) % 2) // 2
        assert torch.equal(mask, torch.isin(label, chosen))  # all of their pixels, only them


def test_class_mix_draws_every_half_uniformly():
    """Over many draws each of 4 classes is chosen in about half of the masks."""
    torch.manual_seed(0)
    labels = torch.arange(4).repeat_interleave(4).view(1, 4, 4).repeat(2000, 1, 1)
    masks = class_mix_masks(labels)[:, 0].bool()
    share = torch.stack([masks[:, c, 0].float().mean() for c in range(4)])
    torch.testing.assert_close(share, torch.full((4, ), 0.5), rtol=0, atol=0.04)


def test_one_mix_images_labels_weights():
    mask = torch.tensor([[[[1., 0.], [0., 1.]]]])
    src, tgt = torch.ones(1, 3, 2, 2), torch.zeros(1, 3, 2, 2)
    assert torch.equal(one_mix(mask, src, tgt)[0, 2], mask[0, 0])
    labels = one_mix(mask, torch.full((1, 2, 2), 7), torch.full((1, 2, 2), 3))
    assert labels.dtype == torch.int64 and labels.tolist() == [[[7, 3], [3, 7]]]
    weight = one_mix(mask, torch.ones(1, 2, 2), torch.full((1, 2, 2), 0.25))
    assert weight.tolist() == [[[1.0, 0.25], [0.25, 1.0]]]
    with pytest.raises(ValueError, match=r'\(1, 3, 2, 2\) and \(1, 3, 2, 3\)'):
        one_mix(mask, src, torch.zeros(1, 3, 2, 3))


def test_confidence_weight_is_the_share_above_threshold():
    logits = torch.zeros(2, 3, 4, 5)
    logits[:, 1] = 10.0  # p = 0.99991 > 0.968 ...
    logits[0, :, 0, :] = 0.0  # ... except 5 uniform pixels (p = 1/3) of the 40
    logits[1, 2, 3, 4] = 20.0
    labels, weight = confidence_weight(logits, 0.968)
    assert labels[1, 3, 4] == 2 and labels[1, 0, 0] == 1
    torch.testing.assert_close(weight, torch.full((2, 4, 5), 35 / 40))
    _, cropped = confidence_weight(logits, 0.968, ignore_top=1, ignore_bottom=2)
    assert cropped[:, 0].sum() == 0 and cropped[:, 2:].sum() == 0
    assert torch.all(cropped[:, 1] == 35 / 40)


def test_hsv_round_trip_and_jitter_strength_zero_is_identity():
    torch.manual_seed(0)
    rgb = torch.rand(2, 3, 5, 6)
    torch.testing.assert_close(hsv_to_rgb(rgb_to_hsv(rgb)), rgb, rtol=0, atol=1e-5)
    torch.testing.assert_close(color_jitter(rgb, 0.0), rgb, rtol=0, atol=1e-5)
    jittered = color_jitter(rgb, 0.2)
    assert jittered.shape == rgb.shape and 0 <= jittered.min() and jittered.max() <= 1
    assert not torch.allclose(jittered, rgb, atol=1e-3)


def test_gaussian_blur_kernel_and_constant_images():
    assert [blur_kernel_size(s) for s in (512, 1024, 64, 8)] == [51, 103, 7, 1]
    flat = torch.full((1, 3, 64, 48), 0.3)
    torch.testing.assert_close(gaussian_blur(flat, 1.0), flat)
    img = torch.zeros(1, 1, 64, 64)
    img[0, 0, 32, 32] = 1.0
    out = gaussian_blur(img, 1.0)
    assert out.shape == img.shape
    torch.testing.assert_close(out.sum(), torch.tensor(1.0))
    # separable Gaussian: the centre row's profile is exp(-x^2 / 2) normalised over 7 taps
    taps = torch.exp(-torch.arange(-3., 4.) ** 2 / 2)
    taps = taps / taps.sum()
    torch.testing.assert_close(out[0, 0, 32, 29:36], taps * taps[3])


def test_strong_transform_off_is_identity_and_keeps_normalisation():
    mean = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)
    images = (torch.rand(2, 3, 16, 16) * 255 - mean) / std
    assert torch.equal(strong_transform(images, mean, std, jitter_probability=1.0, blur=False),
                       images)
    torch.manual_seed(0)
    out = strong_transform(images, mean, std, jitter_probability=0.0, blur=False)
    plain = out * std + mean
    assert out.shape == images.shape and plain.min() >= -1e-3 and plain.max() <= 255 + 1e-3


def test_weighted_losses_match_the_heads_and_zero_weight_gives_no_gradient():
    model = build()
    seg = model.segmentor
    inputs = torch.randn(2, 3, 32, 48)
    outputs = model.generator.segmentor_outputs(inputs, True)
    batch = make_batch(2, 32, 48)
    labels = torch.stack([s.gt_sem_seg.data[0] for s in batch['data_samples']])
    ones = weighted_segmentation_losses(seg, outputs, labels, torch.ones(2, 32, 48))
    plain = model.generator.segmentation_losses(outputs, batch['data_samples'])
    assert set(ones) == set(plain)
    for key in plain:
        torch.testing.assert_close(ones[key], plain[key])
    half = weighted_segmentation_losses(seg, outputs, labels, torch.full((2, 32, 48), 0.5))
    torch.testing.assert_close(half['decode.loss_ce'], 0.5 * plain['decode.loss_ce'])
    logits = outputs['logits'].detach().requires_grad_()
    weight = torch.ones(2, 32, 48)
    weight[1] = 0
    weighted_segmentation_losses(seg, dict(logits=logits), labels,
                                 weight)['decode.loss_ce'].backward()
    assert logits.grad[1].abs().sum() == 0 and logits.grad[0].abs().sum() > 0


def test_dacs_train_step_no_plain_target_pass_and_ema(message_hub_iter, monkeypatch):
    model = build(warmup_iters=2)
    dacs = model.generator.adaptations.dacs
    assert all(not p.requires_grad for p in dacs.teacher.parameters())
    optim = optimizers(model)
    calls = []
    original = type(model.generator).segmentor_outputs

    def counting(self, inputs, need_aux):
        calls.append(tuple(inputs.shape))
        return original(self, inputs, need_aux)

    monkeypatch.setattr(type(model.generator), 'segmentor_outputs', counting)
    message_hub_iter(1)  # warm-up: the source only, no teacher
    model.train_step(dict(source=make_batch(), target=None), optim)
    assert len(calls) == 1 and not bool(dacs.teacher.started)
    message_hub_iter(2)
    calls.clear()
    log_vars = model.train_step(dict(source=make_batch(), target=make_batch(labels=False)), optim)
    assert len(calls) == 2  # the source and the mixed images; no student pass on the target
    assert 'tgt.dacs.mix.decode.loss_ce' in log_vars and 'tgt.loss' in log_vars
    assert 0 <= float(log_vars['tgt.dacs.mix.pseudo_weight']) <= 1
    assert bool(dacs.teacher.started) and int(dacs.teacher.updates) == 1
    # teacher = 0.5 copy + 0.5 stepped student; the student moved, so they differ
    student = dict(model.segmentor.named_parameters())
    moved = [n for n, p in dacs.teacher.model.named_parameters()
             if not torch.equal(p, student[n])]
    assert moved
    # checkpoint: the teacher and its counters are saved, the export leaves them out
    state = model.state_dict()
    assert int(state['generator.adaptations.dacs.teacher.updates']) == 1
    assert any(k.startswith('generator.adaptations.dacs.teacher.model.') for k in state)
    exported = segmentor_weights(state, 'ckpt.pth')
    assert not any('teacher' in k for k in exported)
    assert set(exported) == set(model.segmentor.state_dict())
    fresh = build(warmup_iters=2)
    fresh.load_state_dict(state)
    assert bool(fresh.generator.adaptations.dacs.teacher.started)
    assert int(fresh.generator.adaptations.dacs.teacher.updates) == 1


def test_dacs_with_patch_alignment_runs_the_target_pass(message_hub_iter):
    patch = dict(type='PatchAlignment', modes=torch.rand(5, 4 * NUM_CLASSES), patch_size=8,
                 num_modes=5, hidden_channels=8, discriminator=dict(type='FCDiscriminator'))
    model = build(dict(dacs_cfg(), patch=patch))
    optim = optimizers(model)
    message_hub_iter(0)
    log_vars = model.train_step(dict(source=make_batch(), target=make_batch(labels=False)), optim)
    assert 'tgt.dacs.mix.decode.loss_ce' in log_vars
    assert any(k.startswith('adv.patch') for k in log_vars)
    assert any(k.startswith('disc.tgt.patch') for k in log_vars)
    assert int(model.generator.adaptations.dacs.teacher.updates) == 1


def test_dacs_bad_inputs(message_hub_iter):
    with pytest.raises(ValueError, match='pseudo_threshold'):
        build(dacs_cfg(pseudo_threshold=0.0))
    with pytest.raises(ValueError, match='pseudo_weight_ignore_top'):
        build(dacs_cfg(pseudo_weight_ignore_top=-1))
    with pytest.raises(TypeError, match='must build an EMATeacher'):
        build(dacs_cfg(teacher=dict(type='FCDiscriminator', in_channels=4)))
    model = build()
    message_hub_iter(0)
    with pytest.raises(ValueError, match=r'source \(32, 48\), target \(32, 40\)'):
        model.train_step(dict(source=make_batch(), target=make_batch(w=40, labels=False)),
                         optimizers(model))


def test_mic_block_mask_ratio_and_block_size():
    """Blocks of block_size pixels, each kept with probability 1 - ratio."""
    from mmseg_uda.models.adaptation.masked_consistency import block_mask
    torch.manual_seed(0)
    mask = block_mask(torch.Size((400, 3, 128, 192)), ratio=0.7, block_size=64)
    assert mask.shape == (400, 1, 128, 192) and set(mask.unique().tolist()) <= {0.0, 1.0}
    blocks = mask[:, 0].unfold(1, 64, 64).unfold(2, 64, 64)  # (N, 2, 3, 64, 64)
    per_block = blocks.reshape(400, 2, 3, -1)
    assert torch.all(per_block.min(-1)[0] == per_block.max(-1)[0])  # constant within a block
    assert abs(float(mask.mean()) - 0.3) < 0.02
    assert torch.all(block_mask(torch.Size((2, 3, 8, 8)), 0.0, 64) == 1)


def test_mic_trains_on_masked_targets_towards_the_pseudo_labels(message_hub_iter):
    mic = dict(type='MaskedImageConsistency', mask_ratio=0.7, block_size=8, loss_weight=0.5)
    model = build(dacs_cfg(masked_consistency=mic))
    message_hub_iter(0)
    log_vars = model.train_step(dict(source=make_batch(), target=make_batch(labels=False)),
                                optimizers(model))
    assert 'tgt.dacs.masked.decode.loss_ce' in log_vars and 'tgt.dacs.mix.decode.loss_ce' in \
        log_vars
    with pytest.raises(ValueError, match='mask_ratio'):
        MODELS.build(dict(type='MaskedImageConsistency', mask_ratio=1.0))
    with pytest.raises(TypeError, match='must build a MaskedImageConsistency'):
        build(dacs_cfg(masked_consistency=dict(type='EMATeacher')))


def test_mic_loss_is_the_weighted_loss_on_the_masked_images(monkeypatch):
    """With the augmentation and the mask pinned, the masked loss is loss_weight x the pixel-
    weighted loss of the student on teacher pseudo labels."""
    from mmseg_uda.models.adaptation import masked_consistency
    model = build(dacs_cfg(masked_consistency=dict(type='MaskedImageConsistency',
                                                   loss_weight=0.5)))
    dacs = model.generator.adaptations.dacs
    monkeypatch.setattr(masked_consistency, 'strong_transform', lambda x, *a, **k: x)
    monkeypatch.setattr(masked_consistency, 'block_mask',
                        lambda shape, *a, **k: torch.ones(shape[0], 1, *shape[2:]))
    source = model.data_preprocessor(make_batch(), True)
    target = model.data_preprocessor(make_batch(labels=False, seed=1), True)
    seg = model.segmentor
    losses = dacs.extra_losses(seg, model.generator.segmentor_outputs, source, target)
    pseudo, weight = dacs.pseudo_labels(seg, target['inputs'])
    want = weighted_segmentation_losses(
        seg, model.generator.segmentor_outputs(target['inputs'], True), pseudo, weight)
    torch.testing.assert_close(losses['masked.decode.loss_ce'], 0.5 * want['decode.loss_ce'])
    torch.testing.assert_close(losses['masked.decode.acc_seg'], want['decode.acc_seg'])
