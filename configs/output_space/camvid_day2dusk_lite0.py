# Output-space adaptation (AdaptSegNet, single level, λadv 0.001) on real data, CamVid
# day -> dusk, from ImageNet: the model, schedule and evaluation of
# configs/source_only/camvid_day2dusk_lite0.py plus the 62 unlabelled dusk train frames. The
# adaptation is that of configs/output_space/camvid_day2dusk_tiny.py (discriminator at the head's
# own resolution, 12x15 here, 3 stride-2 layers) after the schedule's source-only warm-up (350).
_base_ = [
    '../_base_/models/efficientnet_lite0_deeplabv2.py',
    '../_base_/datasets/camvid_day_to_dusk.py',
    '../_base_/schedules/lite0_camvid_cpu.py',
    '../_base_/default_runtime.py',
    '../_base_/adaptations/tsai2018.py',
]
model = dict(
    warmup_iters={{_base_.uda_warmup_iters}},
    segmentor=dict(decode_head=dict(num_classes=11), auxiliary_head=dict(num_classes=11)),
    adaptations=dict(output={{_base_.ou_logits}}),
)
