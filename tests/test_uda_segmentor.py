"""UDASegmentor: construction checks, the alternating train step, delegation, export."""
import copy
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper, OptimWrapperDict, build_optim_wrapper

from mmseg.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from mmseg_uda.engine.optim_constructor import rename_former_parts
from mmseg_uda.models.segmentors import unwrap
from tests.conftest import REPO, make_batch, output_space_cfg, tiny_model_cfg


def build(adaptations=None, warmup_iters=0, aux=True, **kwargs):
    torch.manual_seed(0)
    model = MODELS.build(dict(tiny_model_cfg(adaptations=adaptations, warmup_iters=warmup_iters,
                                             aux=aux), **kwargs))
    model.init_weights()
    return model


def wrappers(model, seg_lr=0.01, d_lr=1e-3):
    cfg = dict(generator=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=seg_lr)),
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
    cfg = tiny_model_cfg(adaptations=output_space_cfg())
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


def count_backbone_batches(model):
    """A list that receives the batch size of every backbone forward, and the hook's handle."""
    sizes = []
    handle = model.segmentor.backbone.register_forward_pre_hook(
        lambda m, args: sizes.append(args[0].shape[0]))
    return sizes, handle


def test_warmup_is_source_only_and_skips_target_forward(message_hub_iter):
    model = build(output_space_cfg(), warmup_iters=5)
    optim = wrappers(model)
    sizes, handle = count_backbone_batches(model)
    disc_before = snapshot(model.discriminators)
    seg_before = snapshot(model.segmentor)
    message_hub_iter(4)
    batch = uda_batch()
    batch['source'] = make_batch(n=3)  # tells the domains apart by batch size
    log_vars = model.train_step(batch, optim)
    handle.remove()
    assert sizes == [3]
    assert not changed(disc_before, model.discriminators)
    assert changed(seg_before, model.segmentor)
    assert set(log_vars) == {'src.loss', 'src.decode.loss_ce', 'src.decode.acc_seg',
                             'src.aux.loss_ce', 'src.aux.acc_seg', 'nonfinite_steps'}


def test_warmup_batches_without_target_images(message_hub_iter):
    """UDAWarmupBatchSampler's warm-up batches carry no target; afterwards one is required."""
    model = build(output_space_cfg(), warmup_iters=5)
    optim = wrappers(model)
    message_hub_iter(4)
    assert 'src.loss' in model.train_step(dict(source=make_batch()), optim)
    message_hub_iter(5)
    with pytest.raises(KeyError, match='past model.warmup_iters=5.*no target'):
        model.train_step(dict(source=make_batch()), optim)


def test_adaptation_step_updates_both_and_logs_prefixed(message_hub_iter):
    model = build(output_space_cfg(levels=('logits', 'aux_logits'), weights=(1e-3, 2e-4)),
                  warmup_iters=5)
    optim = wrappers(model)
    assert isinstance(optim, OptimWrapperDict) and set(optim.keys()) == {
        'generator', 'discriminator'}
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
    step = optim['generator'].step

    def spy():
        seen['d_grads'] = [p.grad for p in model.discriminators.parameters()]
        seen['g_grad'] = sum(p.grad.abs().sum() for p in model.generator.parameters()
                             if p.grad is not None)
        step()

    optim['generator'].step = spy
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
    losses, reps = gen.domain_forward(tgt['inputs'], tgt['data_samples'], 'target')
    preds = model.discriminators(reps)
    loss = gen.adaptations['output'].adversarial_losses(preds['output'])['loss_adv_logits']
    loss.backward()
    grads = [p.grad for p in gen.segmentor.decode_head.parameters()]
    assert all(g is not None and g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize('domain', ['src', 'tgt', True, None])
def test_a_domain_is_source_or_target(domain):
    gen = unwrap(build(output_space_cfg()).generator)
    batch = make_batch()
    with pytest.raises(ValueError, match=rf"domain must be one of \('source', 'target'\), got "
                                         rf'{re.escape(repr(domain))}'):
        gen.domain_forward(batch['inputs'], batch['data_samples'], domain)


def nan_feature_gradient(model):
    """Make the backbone's last features receive a NaN gradient (the loss stays finite)."""

    def hook(module, args, output):
        output[-1].register_hook(lambda grad: grad * float('nan'))

    return model.segmentor.backbone.register_forward_hook(hook)


def params(model):
    return {k: v.detach().clone() for k, v in model.named_parameters()}


def optimizer_state(wrapper):
    return {k: (v.clone() if torch.is_tensor(v) else v)
            for state in wrapper.optimizer.state.values() for k, v in state.items()}


def test_nonfinite_gradient_skips_the_step_then_stops(message_hub_iter):
    """A finite loss with a NaN gradient: weights and optimizer state unchanged (the BN
    statistics hold the forward's finite batch statistics), the skip counted in the running
    total, its losses kept out of the log."""
    model = build(output_space_cfg(), warmup_iters=0, max_nonfinite_steps=2)
    optim = wrappers(model, seg_lr=0.01)
    message_hub_iter(3)
    model.train_step(uda_batch(), optim)  # one good step: momentum buffers exist
    momentum = optimizer_state(optim['generator'])
    handle = nan_feature_gradient(model)
    before = params(model)
    log_vars = model.train_step(uda_batch(seed=2), optim)
    assert log_vars['nonfinite_steps'].item() == 1
    assert not any('loss' in k for k in log_vars), sorted(log_vars)
    assert params(model).keys() == before.keys()
    assert all(torch.equal(v, before[k]) for k, v in params(model).items()), \
        'a step with NaN gradients changed the weights'
    assert all(torch.isfinite(b).all() for b in model.buffers())
    after = optimizer_state(optim['generator'])
    assert all(torch.equal(momentum[k], after[k]) for k in momentum)
    with pytest.raises(FloatingPointError, match='2 consecutive steps had non-finite gradients'):
        model.train_step(uda_batch(seed=2), optim)
    assert all(torch.equal(v, before[k]) for k, v in params(model).items())
    handle.remove()
    # a finite step resets the consecutive count; the running total stays
    log_vars = model.train_step(uda_batch(), optim)
    assert log_vars['nonfinite_steps'].item() == 2 and 'src.loss' in log_vars
    assert any(not torch.equal(v, before[k]) for k, v in params(model).items())
    handle = nan_feature_gradient(model)
    log_vars = model.train_step(uda_batch(seed=2), optim)  # 1 in a row again: skipped only
    assert log_vars['nonfinite_steps'].item() == 3
    handle.remove()


def test_nonfinite_batchnorm_statistics_stop_at_once(message_hub_iter):
    """A NaN input makes the forward itself write NaN into the BN statistics: no step, and an
    error right away (a skipped step cannot undo it)."""
    model = build(output_space_cfg(), warmup_iters=0)
    optim = wrappers(model)
    batch = uda_batch()
    batch['source']['inputs'][0] = batch['source']['inputs'][0].float() * float('nan')
    before = params(model)
    message_hub_iter(3)
    with pytest.raises(FloatingPointError, match='BatchNorm statistics .* non-finite'):
        model.train_step(batch, optim)
    assert all(torch.equal(before[k], v) for k, v in params(model).items())


def test_max_nonfinite_steps_must_be_positive():
    with pytest.raises(ValueError, match='max_nonfinite_steps must be an integer >= 1'):
        build(output_space_cfg(), max_nonfinite_steps=0)


def test_gradient_accumulation_steps_every_second_iteration(message_hub_iter):
    """accumulative_counts=2 in the optimizer wrappers: both optimizers step on every second
    iteration only, with the summed gradients of the two."""
    model = build(output_space_cfg(), warmup_iters=0)
    cfg = dict(
        generator=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01),
                       accumulative_counts=2),
        discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3),
                           accumulative_counts=2))
    optim = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type='UDAOptimWrapperConstructor', optim_wrapper_cfg=cfg))(model)
    steps = {'generator': 0, 'discriminator': 0}
    for name in steps:
        optim[name].optimizer.register_step_post_hook(
            lambda opt, args, kwargs, name=name: steps.__setitem__(name, steps[name] + 1))
    optim.initialize_count_status(model, 0, 4)
    for it in range(4):
        message_hub_iter(it)
        before = params(model.segmentor)
        model.train_step(uda_batch(seed=it), optim)
        moved = any(not torch.equal(v, before[k]) for k, v in params(model.segmentor).items())
        assert moved == (it % 2 == 1), it
    assert steps == {'generator': 2, 'discriminator': 2}


def test_plain_segmentor_state_dict_loads_with_prefix():
    """A plain EncoderDecoder state dict (e.g. a source-only checkpoint) loads into the UDA
    segmentor: missing are only the discriminators."""
    plain = MODELS.build(tiny_model_cfg()['segmentor'])
    model = build(output_space_cfg())
    result = model.load_state_dict(plain.state_dict(), strict=False)
    assert result.unexpected_keys == []
    assert result.missing_keys and all(k.startswith('discriminators.')
                                       for k in result.missing_keys)
    for k, v in plain.state_dict().items():
        assert torch.equal(model.state_dict()['generator.segmentor.' + k], v), k


@pytest.mark.parametrize('adaptations', [None, {}])
def test_no_adaptations_is_an_error_naming_the_plain_configs(adaptations):
    """Source only is a plain MMSeg config, not a UDASegmentor without adaptations."""
    with pytest.raises(ValueError, match=r'model\.adaptations is .*at least one adaptation.*'
                                         r'configs/source_only/ and '
                                         r'configs/_base_/models/plain/'):
        MODELS.build(dict(tiny_model_cfg(), adaptations=adaptations))


def test_plain_batches_and_a_single_optimizer_are_refused(message_hub_iter):
    """The train step takes UDADataset batches and one optimizer wrapper per part only, also
    for adaptations without a discriminator."""
    model = build(dict(pseudo=dict(type='PseudoLabelTraining')))
    optim = wrappers(model)
    assert set(optim.keys()) == {'generator'}
    with pytest.raises(KeyError, match=r'expects dict\(source=..., target=...\).*UDADataset'):
        model.train_step(make_batch(), optim)
    single = OptimWrapper(torch.optim.SGD(model.generator.parameters(), lr=0.01))
    with pytest.raises(TypeError, match="UDAOptimWrapperConstructor.*got OptimWrapper"):
        model.train_step(dict(source=make_batch(), target=make_batch()), single)
    log_vars = model.train_step(dict(source=make_batch(), target=make_batch()), optim)
    assert 'tgt.pseudo.loss_pseudo' in log_vars


def test_optimizer_constructor_errors():
    model = build(output_space_cfg())
    seg_only = dict(generator=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01)))
    with pytest.raises(KeyError, match='no "discriminator" entry'):
        OPTIM_WRAPPER_CONSTRUCTORS.build(dict(type='UDAOptimWrapperConstructor',
                                              optim_wrapper_cfg=seg_only))(model)
    with pytest.raises(KeyError, match='unknown entries'):
        OPTIM_WRAPPER_CONSTRUCTORS.build(dict(type='UDAOptimWrapperConstructor',
                                              optim_wrapper_cfg=dict(seg_only,
                                                                     discriminators={})))


def test_the_former_optim_wrapper_key_is_refused():
    """``optim_wrapper.segmentor``, the former name of ``generator``: a config written with it,
    or a shipped one given ``--cfg-options optim_wrapper.segmentor...``, fails when its
    optimizers are built, naming both keys."""
    model = build(output_space_cfg())
    cfg = Config.fromfile(f'{REPO}/configs/demo/output_space_synthetic.py')
    assert set(build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper)).keys()) == {
        'generator', 'discriminator'}
    former = copy.deepcopy(cfg.optim_wrapper)
    former['segmentor'] = former.pop('generator')
    cfg.merge_from_dict({'optim_wrapper.segmentor.optimizer.lr': 0.1})
    for optim_wrapper in (former, cfg.optim_wrapper):
        with pytest.raises(ValueError, match=r'optim_wrapper\.segmentor is now '
                                             r'optim_wrapper\.generator'):
            build_optim_wrapper(model, optim_wrapper)


def test_checkpoint_states_of_the_former_key_are_renamed():
    """A checkpoint saved under ``optim_wrapper.segmentor`` has its optimizer and scheduler
    states read under ``generator`` (``SafeCheckpointHook.after_load_checkpoint``; the resume
    itself is in tests/test_train_uda.py); a plain MMSeg checkpoint is left as it is."""
    seg, disc, sched = dict(state={0: 1}), dict(state={}), [dict(last_epoch=4)]
    ckpt = dict(optimizer=dict(segmentor=seg, discriminator=disc),
                param_schedulers=dict(segmentor=sched, discriminator=[]), state_dict={})
    assert rename_former_parts(ckpt) == ['optimizer.segmentor -> optimizer.generator',
                                         'param_schedulers.segmentor -> '
                                         'param_schedulers.generator']
    assert ckpt['optimizer'] == dict(generator=seg, discriminator=disc)
    assert ckpt['param_schedulers'] == dict(generator=sched, discriminator=[])
    assert rename_former_parts(ckpt) == []
    plain = dict(optimizer=dict(state={}, param_groups=[]), param_schedulers=[dict()])
    loaded = copy.deepcopy(plain)
    assert rename_former_parts(loaded) == [] and loaded == plain
    with pytest.raises(KeyError, match="both 'segmentor' and 'generator'"):
        rename_former_parts(dict(optimizer=dict(segmentor=seg, generator=seg)))


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


def _guarded_step(rank: int, port: int, queue) -> None:
    import os

    import torch.distributed as dist

    from mmseg_uda.models.segmentors.step_guard import FiniteStepGuard
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    layer = torch.nn.Linear(3, 2)
    torch.nn.init.ones_(layer.weight)
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
    guard = FiniteStepGuard(optimizer, layer)
    layer(torch.ones(1, 3)).sum().backward()
    if rank == 1:
        layer.weight.grad[0, 0] = float('inf')
    optimizer.step()
    queue.put((rank, guard.skipped, torch.equal(layer.weight, torch.ones(2, 3))))
    dist.destroy_process_group()


def test_step_guard_skips_on_every_rank_when_one_rank_is_nonfinite():
    """No DDP averaging here: the guard's own reduction makes both ranks skip."""
    import torch.multiprocessing as mp

    from tests.test_launch import free_port
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    port = free_port()
    procs = [ctx.Process(target=_guarded_step, args=(r, port, queue)) for r in range(2)]
    for p in procs:
        p.start()
    results = sorted(queue.get(timeout=60) for _ in range(2))
    for p in procs:
        p.join(30)
    assert results == [(0, True, True), (1, True, True)]


def test_test_time_augmentation_wraps_the_uda_segmentor():
    """MMSeg's SegTTAModel merges the UDA segmentor's predictions of a flipped pair."""
    model = build(output_space_cfg())
    model.eval()
    tta = MODELS.build(dict(type='SegTTAModel', module=model))
    batch = make_batch(n=1)
    batch['data_samples'][0].set_metainfo(dict(img_path='a.png'))
    flipped = copy.deepcopy(batch)
    flipped['inputs'] = [x.flip(-1) for x in flipped['inputs']]
    merged = tta.test_step(dict(inputs=[batch['inputs'], flipped['inputs']],
                                data_samples=[batch['data_samples'],
                                              flipped['data_samples']]))
    assert len(merged) == 1 and merged[0].pred_sem_seg.data.shape == (1, 32, 48)
    assert model.out_channels == 4 and model.decode_head is model.segmentor.decode_head
