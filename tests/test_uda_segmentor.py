"""UDASegmentor: construction checks, the alternating train step, delegation, export."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapperDict

from mmseg.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from mmseg_uda.models.segmentors import unwrap
from tests.conftest import make_batch, output_space_cfg, tiny_model_cfg


def build(adaptations=None, warmup_iters=0, aux=True, **kwargs):
    torch.manual_seed(0)
    model = MODELS.build(dict(tiny_model_cfg(adaptations=adaptations, warmup_iters=warmup_iters,
                                             aux=aux), **kwargs))
    model.init_weights()
    return model


def wrappers(model, seg_lr=0.01, d_lr=1e-3):
    cfg = dict(segmentor=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=seg_lr)),
               discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=d_lr)))
    return OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type='UDAOptimWrapperConstructor', optim_wrapper_cfg=cfg))(model)


def uda_batch(seed=0):
    return dict(source=make_batch(seed=seed), target=make_batch(labels=False, seed=seed + 1))


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def changed(before, module):
    return {k for k, v in module.state_dict().items() if not torch.equal(before[k], v)}


def test_rejects_non_encoder_decoder():
    cfg = tiny_model_cfg()
    cfg['segmentor'] = dict(type='CascadeEncoderDecoder', num_stages=2,
                            backbone=cfg['segmentor']['backbone'],
                            decode_head=[cfg['segmentor']['decode_head']] * 2)
    with pytest.raises(TypeError, match='CascadeEncoderDecoder'):
        MODELS.build(cfg)


def test_adaptation_needing_missing_output_fails_at_build():
    with pytest.raises(ValueError, match="aux_logits.*no auxiliary_head"):
        build(output_space_cfg(levels=('logits', 'aux_logits'), weights=(1e-3, 2e-4)), aux=False)


def test_output_space_validates_arguments():
    with pytest.raises(ValueError, match='one weight per level'):
        build(output_space_cfg(levels=('logits', 'aux_logits'), weights=(1e-3, )))
    with pytest.raises(ValueError, match='gan_type'):
        build(output_space_cfg(gan_type='wgan'))
    with pytest.raises(ValueError, match='disc_input_size'):
        build(output_space_cfg(disc_input_size='half'))


def test_warmup_is_source_only_and_skips_target_forward(message_hub_iter):
    model = build(output_space_cfg(), warmup_iters=5)
    optim = wrappers(model)
    domains = []
    gen = unwrap(model.generator)
    hook = gen.register_forward_pre_hook(lambda m, args: domains.append(args[2]))
    disc_before = snapshot(model.discriminators)
    seg_before = snapshot(model.segmentor)
    message_hub_iter(4)
    log_vars = model.train_step(uda_batch(), optim)
    hook.remove()
    assert domains == ['source']
    assert not changed(disc_before, model.discriminators)
    assert changed(seg_before, model.segmentor)
    assert set(log_vars) == {'src.loss', 'src.decode.loss_ce', 'src.decode.acc_seg',
                             'src.aux.loss_ce', 'src.aux.acc_seg', 'nonfinite_steps'}


def test_adaptation_step_updates_both_and_logs_prefixed(message_hub_iter):
    model = build(output_space_cfg(levels=('logits', 'aux_logits'), weights=(1e-3, 2e-4)),
                  warmup_iters=5)
    optim = wrappers(model)
    assert isinstance(optim, OptimWrapperDict) and set(optim.keys()) == {
        'segmentor', 'discriminator'}
    disc_before, seg_before = snapshot(model.discriminators), snapshot(model.segmentor)
    message_hub_iter(5)
    log_vars = model.train_step(uda_batch(), optim)
    assert changed(disc_before, model.discriminators) == set(disc_before)
    assert changed(seg_before, model.segmentor)
    for key in ('adv.output.loss_adv_logits', 'adv.output.loss_adv_aux_logits',
                'disc.src.output.loss_d_logits', 'disc.tgt.output.loss_d_aux_logits'):
        assert key in log_vars, sorted(log_vars)
    assert all(k.split('.')[0] in ('src', 'tgt', 'adv', 'disc', 'nonfinite_steps')
               for k in log_vars)
    # the adversarial loss is the weighted BCE towards "source"
    assert 0 < log_vars['adv.output.loss_adv_logits'].item() < 1e-3 * 10


def test_generator_step_leaves_discriminator_gradients_empty(message_hub_iter):
    model = build(output_space_cfg(), warmup_iters=0)
    optim = wrappers(model)
    seen = {}
    step = optim['segmentor'].step

    def spy():
        seen['d_grads'] = [p.grad for p in model.discriminators.parameters()]
        seen['g_grad'] = sum(p.grad.abs().sum() for p in model.generator.parameters()
                             if p.grad is not None)
        step()

    optim['segmentor'].step = spy
    message_hub_iter(0)
    model.train_step(uda_batch(), optim)
    assert all(g is None or not g.any() for g in seen['d_grads'])
    assert seen['g_grad'] > 0


def test_adversarial_gradient_reaches_segmentor(message_hub_iter):
    """With λadv large, the target-side loss alone moves the segmentor."""
    model = build(output_space_cfg(weights=(1.0, )), warmup_iters=0)
    gen = unwrap(model.generator)
    batch = uda_batch()
    tgt = model.data_preprocessor(batch['target'], True)
    losses, reps = gen(tgt['inputs'], tgt['data_samples'], 'target')
    preds = model.discriminators(reps)
    loss = gen.adaptations['output'].adversarial_losses(preds['output'])['loss_adv_logits']
    loss.backward()
    grads = [p.grad for p in gen.segmentor.decode_head.parameters()]
    assert all(g is not None and g.abs().sum() > 0 for g in grads)


def test_nonfinite_loss_skips_update_then_stops(message_hub_iter):
    model = build(output_space_cfg(), warmup_iters=0, max_nonfinite_steps=2)
    optim = wrappers(model)
    batch = uda_batch()
    batch['source']['inputs'][0] = batch['source']['inputs'][0].float() * float('nan')
    before = snapshot(model)
    message_hub_iter(3)
    log_vars = model.train_step(batch, optim)
    assert log_vars['nonfinite_steps'].item() == 1
    assert not changed(before, model)
    with pytest.raises(FloatingPointError, match='2 consecutive'):
        model.train_step(batch, optim)
    # a finite step resets the count
    model._nonfinite_steps = 0
    assert model.train_step(uda_batch(), optim)['nonfinite_steps'].item() == 0


def test_source_only_accepts_plain_batches(message_hub_iter):
    model = build()
    optim = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='UDAOptimWrapperConstructor',
        optim_wrapper_cfg=dict(
            segmentor=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01)),
            discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)))))(model)
    assert set(optim.keys()) == {'segmentor'}
    before = snapshot(model.segmentor)
    log_vars = model.train_step(make_batch(), optim)
    assert changed(before, model.segmentor) and 'src.loss' in log_vars


def test_optimizer_constructor_errors():
    model = build(output_space_cfg())
    seg_only = dict(segmentor=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01)))
    with pytest.raises(KeyError, match='no "discriminator" entry'):
        OPTIM_WRAPPER_CONSTRUCTORS.build(dict(type='UDAOptimWrapperConstructor',
                                              optim_wrapper_cfg=seg_only))(model)
    with pytest.raises(KeyError, match='unknown entries'):
        OPTIM_WRAPPER_CONSTRUCTORS.build(dict(type='UDAOptimWrapperConstructor',
                                              optim_wrapper_cfg=dict(seg_only, generator={})))


def test_inference_is_the_plain_segmentor():
    model = build(output_space_cfg())
    model.eval()
    batch = make_batch(n=1)
    ours = model.test_step(copy.deepcopy(batch))[0].pred_sem_seg.data
    plain = model.segmentor.test_step(copy.deepcopy(batch))[0].pred_sem_seg.data
    assert torch.equal(ours, plain)
    logits = model(model.data_preprocessor(batch)['inputs'], mode='tensor')
    assert logits.shape[1] == 4


def test_exported_checkpoint_loads_into_stock_segmentor(tmp_path):
    from mmseg_uda.engine.export import export_segmentor
    model = build(output_space_cfg())
    model.eval()
    path = tmp_path / 'uda.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict(iter=3)), path)
    ckpt = export_segmentor(str(path))
    assert ckpt['meta'] == dict(iter=3)
    assert not any(k.startswith(('generator', 'discriminators')) for k in ckpt['state_dict'])
    plain = MODELS.build(tiny_model_cfg()['segmentor'])
    plain.load_state_dict(ckpt['state_dict'], strict=True)
    plain.eval()
    batch = make_batch(n=1)
    assert torch.equal(plain.test_step(copy.deepcopy(batch))[0].pred_sem_seg.data,
                       model.test_step(copy.deepcopy(batch))[0].pred_sem_seg.data)
    torch.save(ckpt, tmp_path / 'plain.pth')
    with pytest.raises(KeyError, match='no UDASegmentor weights'):
        export_segmentor(str(tmp_path / 'plain.pth'))
