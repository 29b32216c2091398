"""The reference-exact DeepLab-v2 of AdaptSegNet / Tsai et al. 2019: weight converter, stem
pooling, BatchNorm modes, ASPP branches and the paper configs' recipe."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config

from mmseg.registry import MODELS
from mmseg_uda.models.backbones import DeepLabV2ResNet, convert_deeplabv2_state_dict
from mmseg_uda.utils import segmentor_cfg
from tests.conftest import REPO, make_batch, output_space_cfg, tiny_model_cfg
from tests.test_uda_segmentor import wrappers

DEPTH = 50  # the ResNet-101 code path with 6 instead of 23 blocks in stage 3 (speed)
BLOCKS = (3, 4, 6, 3)
WIDTH = 8  # stem / first-stage width (64 in the real network)


# --------------------------------------------------------- an independent reference network
class RefBottleneck(nn.Module):
    """AdaptSegNet ``model/deeplab_multi.py`` ``Bottleneck``: stride on the 1x1 conv1, padding
    = dilation on conv2, BatchNorm with affine parameters."""

    def __init__(self, inplanes, planes, stride=1, dilation=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=dilation, dilation=dilation,
                               bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        residual = x if self.downsample is None else self.downsample(x)
        return F.relu(out + residual)


class RefDeepLabV2(nn.Module):
    """AdaptSegNet ``ResNetMulti`` (7x7 stem, ceil-mode max-pool, stages 3/4 dilated 2/4) with
    its ``Classifier_Module`` (``layer5``), at reduced width and depth."""

    def __init__(self, blocks=BLOCKS, width=WIDTH, num_classes=5):
        super().__init__()
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
        self.layer1 = self._make_layer(width, blocks[0])
        self.layer2 = self._make_layer(width * 2, blocks[1], stride=2)
        self.layer3 = self._make_layer(width * 4, blocks[2], dilation=2)
        self.layer4 = self._make_layer(width * 8, blocks[3], dilation=4)
        self.layer5 = nn.Module()
        self.layer5.conv2d_list = nn.ModuleList(
            nn.Conv2d(width * 32, num_classes, 3, padding=d, dilation=d) for d in (6, 12, 18, 24))

    def _make_layer(self, planes, blocks, stride=1, dilation=1):
        downsample = nn.Sequential(
            nn.Conv2d(self.inplanes, planes * 4, 1, stride=stride, bias=False),
            nn.BatchNorm2d(planes * 4))
        layers = [RefBottleneck(self.inplanes, planes, stride, dilation, downsample)]
        self.inplanes = planes * 4
        layers += [RefBottleneck(self.inplanes, planes, dilation=dilation)
                   for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        outs = []
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = layer(x)
            outs.append(x)
        return outs


def reference_state_dict(seed=0):
    """Random weights and BatchNorm statistics in the initialisation file's layout."""
    torch.manual_seed(seed)
    ref = RefDeepLabV2()
    with torch.no_grad():
        for module in ref.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
    state = {f'Scale.{k}': v for k, v in ref.state_dict().items()
             if not k.endswith('num_batches_tracked')}  # saved by PyTorch 0.3: none
    return ref.eval(), state


def deeplab_backbone(**kwargs):
    cfg = dict(type='DeepLabV2ResNet', depth=DEPTH, stem_channels=WIDTH, base_channels=WIDTH,
               strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4), style='caffe',
               contract_dilation=False)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_converted_weights_reproduce_the_reference_forward(tmp_path):
    ref, state = reference_state_dict()
    weights, dropped, unmatched = convert_deeplabv2_state_dict(state, DEPTH)
    assert sorted(dropped) == sorted(k for k in state if k.startswith('Scale.layer5.'))
    assert unmatched == []
    path = str(tmp_path / 'deeplabv2_mmseg.pth')
    torch.save(dict(state_dict=weights), path)
    backbone = deeplab_backbone(init_cfg=dict(type='Pretrained', checkpoint=path))
    backbone.init_weights()
    backbone.eval()
    x = torch.randn(1, 3, 40, 56)  # even sizes: the ceil-mode stem pool gives 11x15, not 10x14
    with torch.no_grad():
        expected, outputs = ref(x), backbone(x)
    assert [tuple(o.shape[-2:]) for o in outputs] == [(11, 15), (6, 8), (6, 8), (6, 8)]
    for out, exp in zip(outputs, expected):
        torch.testing.assert_close(out, exp, rtol=1e-4, atol=1e-5)
    # strictly the backbone's keys (the BatchNorm counters aside)
    own = {k for k in backbone.state_dict() if not k.endswith('num_batches_tracked')}
    assert set(weights) == own


def test_converter_cli_reports_every_unmatched_key(tmp_path):
    _, state = reference_state_dict()
    state['Scale.fc.weight'] = torch.zeros(3, 2)  # e.g. an ImageNet classifier
    state['aux.weight'] = torch.zeros(1)
    src, dst = str(tmp_path / 'src.pth'), str(tmp_path / 'dst.pth')
    torch.save(state, src)
    tool = osp.join(REPO, 'tools/model_converters/deeplabv2_to_mmseg.py')
    run = subprocess.run([sys.executable, tool, src, dst, '--depth', str(DEPTH)],
                         capture_output=True, text=True)
    assert run.returncode != 0 and not osp.exists(dst)
    assert 'unmatched source key: Scale.fc.weight (3, 2)' in run.stdout
    assert 'unmatched source key: aux.weight (1,)' in run.stdout
    assert 'dropped the classifier: 8 keys' in run.stdout
    missing = {k: v for k, v in state.items() if k != 'Scale.layer2.0.conv1.weight'}
    with pytest.raises(ValueError, match=r"lacks 1 backbone keys.*layer2\.0\.conv1\.weight"):
        convert_deeplabv2_state_dict(missing, DEPTH)


def test_backbone_argument_errors():
    with pytest.raises(ValueError, match="bn_mode must be one of.*'train'"):
        deeplab_backbone(bn_mode='train')
    with pytest.raises(ValueError, match='sets norm_eval from bn_mode'):
        deeplab_backbone(norm_eval=False)
    with pytest.raises(ValueError, match='freezes the BatchNorm affine'):
        deeplab_backbone(norm_cfg=dict(type='BN', requires_grad=True))
    with pytest.raises(ValueError, match='depth 50, 101 or 152'):
        convert_deeplabv2_state_dict({}, 18)


# --------------------------------------------------------------------------------- BatchNorm
def uda_model(bn_mode):
    cfg = tiny_model_cfg(adaptations=output_space_cfg(), warmup_iters=0)
    backbone = cfg['segmentor']['backbone']
    backbone.pop('norm_eval')
    backbone.update(type='DeepLabV2ResNet', bn_mode=bn_mode)
    backbone['norm_cfg'] = dict(type='BN', requires_grad=False)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def bn_state(backbone):
    stats, affine = {}, {}
    for name, module in backbone.named_modules():
        if isinstance(module, nn.BatchNorm2d):
            stats[name] = (module.running_mean.clone(), module.running_var.clone())
            affine[name] = (module.weight.clone(), module.bias.clone())
    return stats, affine


@pytest.mark.parametrize('bn_mode', ['frozen_affine', 'frozen'])
def test_bn_mode_in_a_uda_train_step(bn_mode, message_hub_iter):
    """frozen_affine: the target forward updates the running statistics (as in AdaptSegNet),
    the affine parameters never move; frozen: nothing changes."""
    model = uda_model(bn_mode)
    model.train()
    backbone = model.segmentor.backbone
    bns = [m for m in backbone.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(not p.requires_grad for m in bns for p in m.parameters())
    assert all(m.training == (bn_mode == 'frozen_affine') for m in bns)
    batch = dict(source=make_batch(seed=0), target=make_batch(labels=False, seed=1))
    target_inputs = model.data_preprocessor(batch['target'], True)['inputs']
    calls = []  # (is the target batch, running statistics before, after)

    def record(module, args, output):
        calls.append((torch.equal(args[0], target_inputs), before.pop(), bn_state(module)[0]))

    before = []
    pre = backbone.register_forward_pre_hook(lambda m, a: before.append(bn_state(m)[0]))
    post = backbone.register_forward_hook(record)
    stats0, affine0 = bn_state(backbone)
    conv0 = backbone.conv1.weight.clone()
    message_hub_iter(1)
    model.train_step(batch, wrappers(model))
    pre.remove()
    post.remove()
    target_calls = [c for c in calls if c[0]]
    assert len(target_calls) == 1, 'one target forward through the backbone'
    _, stats_before, stats_after = target_calls[0]
    moved = {n for n in stats_before if not torch.equal(stats_before[n][0], stats_after[n][0])}
    assert moved == (set(stats_before) if bn_mode == 'frozen_affine' else set())
    stats1, affine1 = bn_state(backbone)
    assert all(torch.equal(affine0[n][i], affine1[n][i]) for n in affine0 for i in (0, 1))
    assert not torch.equal(conv0, backbone.conv1.weight), 'the convolutions do train'
    if bn_mode == 'frozen':
        assert all(torch.equal(stats0[n][0], stats1[n][0]) for n in stats0)


# ------------------------------------------------------------------------------------- ASPP
def test_two_branch_aspp_is_the_reference_classifier():
    """AdaptSegNet's Classifier_Module returns inside its loop: branch(6) + branch(12)."""
    head = MODELS.build(dict(type='DeepLabV2Head', in_channels=8, in_index=0, num_classes=3,
                             dilations=(6, 12)))
    convs = list(head.aspp)
    x = torch.randn(1, 8, 30, 30)
    with torch.no_grad():
        expected = convs[0](x) + convs[1](x)
        torch.testing.assert_close(head([x]), expected)
    assert [c.dilation for c in convs] == [(6, 6), (12, 12)]


# ----------------------------------------------------------------------- the paper configs
PAPER_CONFIGS = [
    'source_only/gta2cs_deeplabv2_r101_1xb1.py',
    'output_space/gta2cs_deeplabv2_r101_1xb1.py',
    'output_space/gta2cs_deeplabv2_r101_multilevel_1xb1.py',
    'output_space/synthia2cs_deeplabv2_r101_1xb1.py',
    'output_space/cs2robotcar_deeplabv2_r101_1xb1.py',
    'patch_align/gta2cs.py',
    'patch_align/gta2cs_1xb1.py',
    'patch_align/synthia2cs_1xb1.py',
    'patch_align/cs2robotcar_1xb1.py',
    'patch_align/gta2cs_ou_1xb1.py',
    'patch_align/gta2cs_ld_only_1xb1.py',
    'patch_align/gta2cs_adv_no_ld_1xb1.py',
]
CAFFE_MEAN = [104.00698793, 116.66876762, 122.67891434]
INIT = 'work_dirs/pretrained/deeplabv2_resnet101_coco_init_mmseg.pth'


def load(path):
    return Config.fromfile(osp.join(REPO, 'configs', path))


def optimizers(cfg: Config) -> dict:
    """The optimizer configs by part: a UDA config's generator and discriminator, a plain
    (source-only) config's one, under ''."""
    wrappers = cfg.optim_wrapper
    if 'optimizer' in wrappers:
        return {'': wrappers.optimizer}
    return {k: v.optimizer for k, v in wrappers.items() if k != 'constructor'}


@pytest.mark.parametrize('path', PAPER_CONFIGS)
def test_paper_configs_are_the_reference_recipe(path):
    cfg = load(path)
    seg = segmentor_cfg(cfg.model)
    pre = seg.data_preprocessor
    assert (pre.mean, pre.std, pre.bgr_to_rgb) == (CAFFE_MEAN, [1.0, 1.0, 1.0], False)
    bb = seg.backbone
    assert (bb.type, bb.depth, bb.style, bb.stem_pool_ceil_mode, bb.bn_mode) == (
        'DeepLabV2ResNet', 101, 'caffe', True, 'frozen_affine')
    assert (bb.strides, bb.dilations, bb.contract_dilation) == ((1, 2, 1, 1), (1, 1, 2, 4),
                                                                False)
    assert bb.init_cfg == dict(type='Pretrained', checkpoint=INIT)
    heads = [seg.decode_head] + ([seg.auxiliary_head] if seg.auxiliary_head else [])
    for head in heads:
        assert head.dilations == (6, 12) and head.align_corners is True
        assert head.loss_decode.avg_non_ignore is True
    for ad in (cfg.model.get('adaptations') or {}).values():
        if ad.type == 'OutputSpaceAdaptation':
            assert ad.align_corners is True and ad.disc_input_size == 'input'
        if ad.type == 'PatchAlignment':
            assert ad.head_pooling == 'cell' and ad.min_labelled_fraction == 0.5
    # poly over 250k iterations, stopped at 150k: the LR ends at 0.44x, for both optimizers
    (poly, ) = cfg.param_scheduler
    assert (poly.type, poly.power, poly.get('begin', 0), poly.end) == ('PolyLR', 0.9, 0, 250000)
    assert cfg.train_cfg.max_iters == 150000
    assert round((1 - cfg.train_cfg.max_iters / poly.end)**poly.power, 2) == 0.44
    generator = cfg.optim_wrapper.get('generator', cfg.optim_wrapper)  # source only: plain
    assert generator.optimizer.lr == 2.5e-4
    assert generator.paramwise_cfg.custom_keys == {'head': dict(lr_mult=10.0)}
    if cfg.model.type == 'UDASegmentor':
        assert cfg.optim_wrapper.discriminator.optimizer.lr == 1e-4
    assert cfg.train_dataloader.batch_size == 1


@pytest.mark.parametrize('path', ['source_only/gta2cs_deeplabv2_r101_4xb1.py',
                                  'output_space/gta2cs_deeplabv2_r101_4xb1.py',
                                  'patch_align/gta2cs_4xb1.py'])
def test_4xb1_configs_follow_the_scaling_rule(path):
    """4 GPUs x batch 1: a quarter of the iterations, 4x the learning rates."""
    multi, single = load(path), load(path.replace('_4xb1', '_1xb1'))
    assert multi.train_dataloader.batch_size == single.train_dataloader.batch_size == 1
    for part, optimizer in optimizers(single).items():
        assert optimizers(multi)[part].lr == 4 * optimizer.lr, part
    assert multi.param_scheduler[0].end * 4 == single.param_scheduler[0].end
    for get in (lambda c: c.train_cfg.max_iters, lambda c: c.train_cfg.val_interval,
                lambda c: c.default_hooks.checkpoint.interval,
                lambda c: c.model.get('warmup_iters', 0)):
        assert get(multi) * 4 == get(single)
    assert segmentor_cfg(multi.model) == segmentor_cfg(single.model)
    assert multi.model.get('adaptations') == single.model.get('adaptations')


def test_variants_differ_from_the_paper_config_only_where_named():
    paper = load('source_only/gta2cs_deeplabv2_r101_1xb1.py').model
    tv = load('source_only/gta2cs_deeplabv2_r101_torchvision_1xb1.py').model
    assert (tv.backbone.style, tv.backbone.stem_pool_ceil_mode) == ('pytorch', False)
    assert tv.backbone.init_cfg.checkpoint == 'torchvision://resnet101'
    assert tv.data_preprocessor.bgr_to_rgb is True and tv.data_preprocessor.std[0] == 58.395
    for key in ('decode_head', 'auxiliary_head'):
        assert tv[key] == paper[key]
    aspp4 = load('output_space/gta2cs_deeplabv2_r101_aspp4_1xb1.py').model
    assert aspp4.segmentor.decode_head.dilations == (6, 12, 18, 24)
    assert aspp4.adaptations == load('output_space/gta2cs_deeplabv2_r101_1xb1.py').model \
        .adaptations
