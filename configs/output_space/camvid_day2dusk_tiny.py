# Output-space adaptation (AdaptSegNet, single level, λadv 0.001) on real data, CamVid
# day -> dusk: same model, schedule and evaluation as source_only/camvid_day2dusk_tiny.py, plus
# the 62 unlabelled dusk train frames. As in configs/demo/output_space_synthetic.py, the
# discriminator reads the head's own resolution (30x23 here) with 3 stride-2 layers, and the
# first 200 iterations are source-only.
# Model, schedule, warm-up and adaptation: ../_base_/adaptations/tsai2018_resnet18_tiny.py.
_base_ = [
    '../_base_/adaptations/tsai2018_resnet18_tiny.py',
    '../_base_/datasets/camvid_day_to_dusk.py',
]
model = dict(
    segmentor=dict(decode_head=dict(num_classes=11), auxiliary_head=dict(num_classes=11)))
