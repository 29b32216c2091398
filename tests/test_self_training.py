"""Pseudo-label re-training: Hung et al.'s confidence-map self-training and the CBST
pseudo-label loss, alone and composed with patch and output-space alignment."""
import pytest
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict

from mmseg.registry import MODELS
from mmseg_uda.models.adaptation.self_training import (confident_argmax, masked_adversarial_loss,
                                                       one_hot_labels, pseudo_label_loss)
from tests.conftest import make_batch, output_space_cfg, tiny_model_cfg

NUM_CLASSES = 4


def self_training_cfg(**kwargs) -> dict:
    return dict(type='AdversarialSelfTraining', disc_input_size='logits',
                discriminator=dict(type='ConvDiscriminator', channels=(8, 16)), **kwargs)


def patch_cfg() -> dict:
    return dict(type='PatchAlignment', modes=torch.rand(5, 4 * NUM_CLASSES), patch_size=8,
                num_modes=5, hidden_channels=8, discriminator=dict(type='FCDiscriminator'))


def optimizers(model) -> OptimWrapperDict:
    return OptimWrapperDict(
        generator=OptimWrapper(torch.optim.SGD(model.generator.parameters(), lr=0.01)),
        discriminator=OptimWrapper(torch.optim.Adam(model.discriminators.parameters(), lr=1e-3)))


def test_masked_pixels_get_no_gradient():
    """Crafted logits and confidence map: pixels below T get neither label nor gradient; the
    others are trained towards their own arg-max."""
    logits = torch.tensor([[[[2.0, 0.0], [0.0, 1.0]], [[0.0, 3.0], [1.5, 0.0]],
                            [[0.0, 0.0], [0.0, 0.0]]]], requires_grad=True)  # (1, 3, 2, 2)
    confidence = torch.logit(torch.tensor([[[[0.9, 0.1], [0.5, 0.19]]]]))  # sigmoid = these
    labels = confident_argmax(logits, confidence, threshold=0.2)
    assert labels.tolist() == [[[0, 255], [1, 255]]]
    loss = pseudo_label_loss(logits, labels)
    loss.backward()
    grad = logits.grad[0].abs().sum(0)
    assert grad[0, 1] == 0 and grad[1, 1] == 0  # masked: no gradient at all
    assert grad[0, 0] > 0 and grad[1, 0] > 0
    # the mean is over the two kept pixels
    expected = torch.nn.functional.cross_entropy(
        logits.detach()[0].permute(1, 2, 0)[[0, 1], [0, 0]], torch.tensor([0, 1]))
    assert torch.allclose(loss, expected)


def test_nothing_confident_is_zero_with_gradient_path():
    logits = torch.randn(1, 3, 4, 4, requires_grad=True)
    labels = confident_argmax(logits, torch.full((1, 1, 4, 4), -10.0), threshold=0.2)
    loss = pseudo_label_loss(logits, labels)
    loss.backward()
    assert loss.item() == 0 and logits.grad.abs().sum() == 0


def test_one_hot_and_masked_discriminator_loss():
    labels = torch.tensor([[[0, 2], [255, 1]]])
    one_hot, valid = one_hot_labels(labels, 3)
    assert one_hot[0, :, 1, 0].tolist() == [0, 0, 0]  # ignored pixel: all zero
    assert one_hot[0, :, 0, 1].tolist() == [0, 0, 1]
    pred = torch.zeros(1, 1, 2, 2)
    changed = pred.clone()
    changed[0, 0, 1, 0] = 50.0  # only at the ignored pixel
    assert torch.equal(masked_adversarial_loss(pred, 'source', valid),
                       masked_adversarial_loss(changed, 'source', valid))
    assert not torch.equal(masked_adversarial_loss(pred, 'source', None),
                           masked_adversarial_loss(changed, 'source', None))


def test_adaptation_losses_and_start(message_hub_iter):
    """adversarial_losses: the self-training loss only from self_training_start on, its
    gradient only at confident pixels; source adversarial loss over labelled pixels."""
    ad = MODELS.build(dict(self_training_cfg(self_training_start=5), num_classes=3))
    logits = torch.randn(2, 3, 6, 6, requires_grad=True)
    conf = torch.full((2, 1, 6, 6), 5.0)
    conf[:, :, :3] = -5.0  # top half not confident
    preds = dict(pred=conf, logits=logits)
    message_hub_iter(4)
    assert set(ad.adversarial_losses(preds)) == {'loss_adv_tgt'}
    message_hub_iter(5)
    losses = ad.adversarial_losses(preds)
    assert set(losses) == {'loss_adv_tgt', 'loss_self_training', 'self_training_ratio'}
    assert losses['self_training_ratio'].item() == pytest.approx(0.5)
    losses['loss_self_training'].backward()
    assert logits.grad[:, :, :3].abs().sum() == 0 and logits.grad[:, :, 3:].abs().sum() > 0
    src = ad.adversarial_losses(dict(pred=conf, valid=torch.ones(2, 6, 6, dtype=torch.bool)),
                                domain='source')
    assert set(src) == {'loss_adv_src'}


def test_bad_settings():
    with pytest.raises(ValueError, match='confidence_threshold'):
        MODELS.build(dict(self_training_cfg(confidence_threshold=1.5), num_classes=3))
    with pytest.raises(ValueError, match='loss_weight_self_training'):
        MODELS.build(dict(self_training_cfg(loss_weight_self_training=-1), num_classes=3))


def test_composes_with_patch_and_output_space(message_hub_iter):
    """One model with all three adaptations: each logs its losses, every discriminator and
    the segmentor move, and the self-training loss is trained."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(
        NUM_CLASSES, adaptations=dict(ps=self_training_cfg(confidence_threshold=0.0),
                                      patch=patch_cfg(), **output_space_cfg()),
        warmup_iters=0))
    model.init_weights()
    optim = optimizers(model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    message_hub_iter(0)
    log_vars = model.train_step(dict(source=make_batch(h=64, w=64, num_classes=NUM_CLASSES),
                                     target=make_batch(h=64, w=64, labels=False, seed=1)), optim)
    for key in ('adv.ps.loss_adv_src', 'adv.ps.loss_adv_tgt', 'adv.ps.loss_self_training',
                'adv.patch.loss_adv', 'adv.output.loss_adv_logits', 'src.patch.loss_cluster',
                'disc.src.ps.loss_d_label', 'disc.src.ps.loss_d_pred', 'disc.tgt.ps.loss_d_pred',
                'disc.tgt.patch.loss_d', 'disc.tgt.output.loss_d_logits'):
        assert key in log_vars and torch.isfinite(log_vars[key]), key
    assert log_vars['adv.ps.self_training_ratio'].item() == 1.0  # T = 0 keeps every pixel
    moved = {k.split('.')[1] for k, v in model.state_dict().items()
             if k.startswith('discriminators.') and not torch.equal(before[k], v)}
    assert moved == {'ps', 'patch', 'output'}


def test_pseudo_label_training_reads_target_labels(message_hub_iter):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(
        NUM_CLASSES, adaptations=dict(pseudo=dict(type='PseudoLabelTraining'),
                                      ps=self_training_cfg()), warmup_iters=0))
    model.init_weights()
    optim = optimizers(model)
    message_hub_iter(0)
    target = make_batch(h=64, w=64, num_classes=NUM_CLASSES, seed=1)
    for sample in target['data_samples']:
        sample.gt_sem_seg.data[:, :32] = 255  # left out of the pseudo labels
    log_vars = model.train_step(
        dict(source=make_batch(h=64, w=64, num_classes=NUM_CLASSES), target=target), optim)
    assert torch.isfinite(log_vars['tgt.pseudo.loss_pseudo'])
    assert log_vars['tgt.pseudo.loss_pseudo'] > 0
    with pytest.raises(KeyError, match='target_pseudo_labels'):
        model.train_step(dict(source=make_batch(h=64, w=64, num_classes=NUM_CLASSES),
                              target=make_batch(h=64, w=64, labels=False)), optim)
