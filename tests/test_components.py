"""Heads, discriminators, losses and base configs: shapes, values, paper settings."""
import os.path as osp
import re

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmseg.registry import MODELS
from mmseg_uda.models.losses import adversarial_loss, domain_confusion_loss
from mmseg_uda.testing import build_optim_wrappers
from tests.conftest import REPO


def test_deeplabv2_head_sums_all_four_branches():
    head = MODELS.build(dict(type='DeepLabV2Head', in_channels=8, in_index=0, num_classes=5))
    head.init_weights()
    assert [b.dilation for b in head.aspp] == [(6, 6), (12, 12), (18, 18), (24, 24)]
    assert not hasattr(head, 'conv_seg')
    x = torch.randn(2, 8, 20, 30)
    out = head([x])
    assert out.shape == (2, 5, 20, 30)
    expected = sum(b(x) for b in head.aspp)
    assert torch.allclose(out, expected, atol=1e-6)
    # every branch contributes (AdaptSegNet's reference code returns after the first)
    assert not torch.allclose(out, head.aspp[0](x), atol=1e-4)
    assert all(abs(b.weight.std().item() - 0.01) < 0.003 for b in head.aspp)


def test_deeplabv2_r101_base_config():
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/models/deeplabv2_r101.py'))
    seg_cfg = cfg.model.segmentor
    assert seg_cfg.backbone.depth == 101 and seg_cfg.backbone.bn_mode == 'frozen_affine'
    assert seg_cfg.backbone.norm_cfg.requires_grad is False
    assert seg_cfg.decode_head.dilations == (6, 12)  # AdaptSegNet's effective classifier
    assert seg_cfg.auxiliary_head.in_index == 2
    assert seg_cfg.auxiliary_head.loss_decode.loss_weight == 0.1
    seg_cfg.backbone.init_cfg = None  # no weights download in tests
    model = MODELS.build(seg_cfg)  # the plain EncoderDecoder the adaptation configs wrap
    feats = model.extract_feat(torch.zeros(1, 3, 64, 64))
    assert [f.shape[-1] for f in feats] == [17, 9, 9, 9]  # output stride 8, ceil-mode stem pool
    assert all(not p.requires_grad for n, p in model.backbone.named_parameters() if 'bn' in n)
    plain_sched = Config.fromfile(
        osp.join(REPO, 'configs/_base_/schedules/plain/adaptsegnet_150k.py'))
    sched = Config.fromfile(osp.join(REPO, 'configs/_base_/schedules/adaptsegnet_150k.py'))
    assert sched.optim_wrapper.generator == plain_sched.optim_wrapper  # the UDA one wraps it
    optim = build_optim_wrappers(plain_sched, model)
    lrs = {g['lr'] for g in optim.optimizer.param_groups}
    assert lrs == {2.5e-4, 2.5e-3}  # heads at 10x
    head_ids = {id(p) for p in model.decode_head.parameters()}
    for group in optim.optimizer.param_groups:
        if any(id(p) in head_ids for p in group['params']):
            assert group['lr'] == 2.5e-3


def test_conv_discriminator_shape():
    disc = MODELS.build(dict(type='ConvDiscriminator', in_channels=19))
    assert [m.out_channels for m in disc.modules() if isinstance(m, torch.nn.Conv2d)] == [
        64, 128, 256, 512, 1]
    assert all(m.kernel_size == (4, 4) and m.stride == (2, 2) for m in disc.modules()
               if isinstance(m, torch.nn.Conv2d))
    assert disc(torch.randn(2, 19, 64, 128)).shape == (2, 1, 2, 4)


def test_discriminator_dict_applies_each_discriminator_to_its_key():
    from mmseg_uda.models.discriminators import DiscriminatorDict
    conv = MODELS.build(dict(type='ConvDiscriminator', in_channels=3, channels=(4, )))
    fc = MODELS.build(dict(type='FCDiscriminator', in_channels=5, channels=(4, )))
    inner = DiscriminatorDict(dict(logits=conv, modes=fc))
    outer = DiscriminatorDict(dict(ad=inner))
    reps = dict(logits=torch.randn(1, 3, 8, 8), modes=torch.randn(1, 5, 2, 2),
                other=torch.randn(1))
    out = outer(dict(ad=reps, unused={}))
    assert sorted(out) == ['ad'] and sorted(out['ad']) == ['logits', 'modes']
    assert torch.equal(out['ad']['logits'], conv(reps['logits']))
    assert torch.equal(out['ad']['modes'], fc(reps['modes']))
    # the keys of a plain nn.ModuleDict: checkpoints of earlier versions load unchanged
    plain = torch.nn.ModuleDict(dict(ad=torch.nn.ModuleDict(dict(logits=conv, modes=fc))))
    assert list(outer.state_dict()) == list(plain.state_dict())
    with pytest.raises(KeyError, match=r"no input for \['modes'\]; inputs have \['logits'\]"):
        inner(dict(logits=reps['logits']))


@pytest.mark.parametrize('cfg', [
    dict(type='OutputSpaceAdaptation'),
    dict(type='PatchAlignment', patch_size=4, modes=torch.zeros(2, 16), num_modes=2),
    dict(type='GlobalFeatureAlignment', in_channels=8),
    dict(type='AdversarialSelfTraining'),
])
def test_every_adversarial_adaptation_rejects_an_unknown_gan_type_at_build(cfg):
    with pytest.raises(ValueError, match=rf"{cfg['type']} loss_adv: gan_type must be one of "
                       r"\('bce', 'ls'\), got 'hinge'"):
        MODELS.build(dict(cfg, num_classes=4, gan_type='hinge'))


@pytest.mark.parametrize('cfg, older', [
    (dict(type='OutputSpaceAdaptation'), dict(loss_weights=(0.1, ))),
    (dict(type='PatchAlignment', patch_size=4, modes=torch.zeros(2, 16), num_modes=2),
     dict(gan_type='ls')),
    (dict(type='GlobalFeatureAlignment', in_channels=8), dict(loss_weight=0.5)),
])
def test_loss_adv_config_replaces_the_older_arguments(cfg, older):
    loss_adv = dict(type='DomainConfusionLoss' if 'Global' in cfg['type'] else 'AdversarialLoss',
                    gan_type='ls', loss_weight=0.25)
    built = MODELS.build(dict(cfg, num_classes=4, loss_adv=loss_adv))
    loss = next(m for m in built.modules() if type(m).__name__ == loss_adv['type'])
    assert (loss.gan_type, loss.loss_weight) == ('ls', 0.25)
    with pytest.raises(ValueError, match=rf"{cfg['type']} takes loss_adv or the arguments it "
                       rf"replaces \(.*\), not both; got loss_adv=.* and {re.escape(repr(older))}"):
        MODELS.build(dict(cfg, num_classes=4, loss_adv=loss_adv, **older))
    with pytest.raises(TypeError, match=rf"{cfg['type']} loss_adv must build AdversarialLoss "
                       r"modules \(or subclasses\), got \['CrossEntropyLoss'\]"):
        MODELS.build(dict(cfg, num_classes=4, loss_adv=dict(type='CrossEntropyLoss')))


def test_output_space_loss_adv_per_level():
    levels = ('logits', 'aux_logits')
    cfg = dict(type='OutputSpaceAdaptation', num_classes=4, levels=levels)
    per_level = MODELS.build(dict(cfg, loss_adv=[
        dict(type='AdversarialLoss', loss_weight=0.001),
        dict(type='AdversarialLoss', gan_type='ls', loss_weight=0.0002)]))
    assert [(per_level.adversarial_loss_of(lv).gan_type,
             per_level.adversarial_loss_of(lv).loss_weight) for lv in levels] == [
                 ('bce', 0.001), ('ls', 0.0002)]
    preds = dict(logits=torch.randn(1, 1, 2, 2), aux_logits=torch.randn(1, 1, 2, 2))
    losses = per_level.adversarial_losses(preds)
    assert torch.isclose(losses['loss_adv_aux_logits'],
                         0.0002 * adversarial_loss(preds['aux_logits'], 'source', 'ls'))
    disc = per_level.discriminator_losses(preds, domain='target')
    assert torch.isclose(disc['loss_d_aux_logits'],
                         0.5 * adversarial_loss(preds['aux_logits'], 'target', 'ls'))
    shared = MODELS.build(dict(cfg, loss_adv=dict(type='AdversarialLoss', loss_weight=0.5)))
    assert shared.adversarial_loss_of('aux_logits').loss_weight == 0.5
    with pytest.raises(ValueError, match=r"loss_adv must give one config per level "
                       r"\('logits', 'aux_logits'\), got 1"):
        MODELS.build(dict(cfg, loss_adv=[dict(type='AdversarialLoss')]))


def test_default_adaptation_losses_per_key():
    from mmseg_uda.models.adaptation import BaseAdaptation

    class TwoKeys(BaseAdaptation):
        loss_names_by_key = True

    preds = dict(a=torch.tensor([0.5, -1.0]), b=torch.tensor([2.0]))
    two = TwoKeys(loss_adv=dict(type='AdversarialLoss', gan_type='ls', loss_weight=0.1))
    losses = two.discriminator_losses(preds, domain='target')
    assert sorted(losses) == ['loss_d_a', 'loss_d_b']
    assert torch.isclose(losses['loss_d_a'], 0.5 * adversarial_loss(preds['a'], 'target', 'ls'))
    adv = two.adversarial_losses(preds)
    assert sorted(adv) == ['loss_adv_a', 'loss_adv_b']
    assert torch.isclose(adv['loss_adv_b'], 0.1 * adversarial_loss(preds['b'], 'source', 'ls'))
    one = BaseAdaptation(loss_adv=dict(type='AdversarialLoss'))
    disc = one.discriminator_losses(dict(a=preds['a']), 'source')
    assert list(disc) == ['loss_d']
    assert torch.isclose(disc['loss_d'], 0.5 * adversarial_loss(preds['a'], 'source'))
    assert list(one.adversarial_losses(dict(a=preds['a']))) == ['loss_adv']
    assert list(BaseAdaptation().state_dict()) == list(one.state_dict()) == []
    with pytest.raises(RuntimeError, match='BaseAdaptation has a discriminator but no loss_adv'):
        BaseAdaptation().discriminator_losses(preds, 'source')


def test_adversarial_losses():
    pred = torch.tensor([[0.3, -1.2]])
    assert torch.isclose(adversarial_loss(pred, 'source'),
                         F.binary_cross_entropy_with_logits(pred, torch.ones_like(pred)))
    assert torch.isclose(adversarial_loss(pred, 'target', 'ls'), (pred ** 2).mean())
    assert torch.isclose(domain_confusion_loss(pred), 0.5 * (adversarial_loss(pred, 'source')
                                                             + adversarial_loss(pred, 'target')))
    # confusion is minimised when the classifier is maximally uncertain
    assert domain_confusion_loss(torch.zeros(3)) < domain_confusion_loss(torch.full((3, ), 2.))
    with pytest.raises(ValueError, match='gan_type'):
        adversarial_loss(pred, 'source', 'hinge')
    # a domain is 'source' or 'target': the short log-key forms and the former bools are refused
    for wrong in ('src', True, False):
        with pytest.raises(ValueError, match=rf"domain must be one of \('source', 'target'\), "
                                             rf'got {wrong!r}'):
            adversarial_loss(pred, wrong)
    loss = MODELS.build(dict(type='AdversarialLoss', loss_weight=0.5))
    assert loss.loss_name == 'loss_adv'
    assert torch.isclose(loss(pred, 'source'), 0.5 * adversarial_loss(pred, 'source'))
    with pytest.raises(ValueError, match='loss_'):
        MODELS.build(dict(type='AdversarialLoss', loss_name='adv'))
    with pytest.raises(ValueError, match='loss_weight must be >= 0, got -1'):
        MODELS.build(dict(type='AdversarialLoss', loss_weight=-1))
    confusion = MODELS.build(dict(type='DomainConfusionLoss', gan_type='ls', loss_weight=0.5))
    assert confusion.loss_name == 'loss_confusion'
    assert torch.isclose(confusion(pred), 0.5 * domain_confusion_loss(pred, 'ls'))
