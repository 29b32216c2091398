# Single-level output-space adaptation (AdaptSegNet, Tsai et al. CVPR 2018) on the small CPU
# DeepLabV2 (../models/resnet18_tiny_deeplabv2.py) with the demo's CPU schedule
# (../schedules/demo_cpu.py, 600 iterations): everything of configs/demo/output_space_synthetic.py
# and configs/output_space/camvid_day2dusk_tiny.py but the data. A config lists this file and a
# dataset config as its bases (and sets the heads' num_classes where the dataset has other than
# 19 classes). λadv = 0.001, BCE GAN loss, the first 200 iterations source-only (warmup_iters).
_base_ = [
    '../models/resnet18_tiny_deeplabv2.py',
    '../schedules/demo_cpu.py',
    '../default_runtime.py',
    './tsai2018.py',
]
model = dict(
    warmup_iters=200,
    # the discriminator at the head's own resolution (24x12 on the demo's crops, 30x23 on
    # CamVid frames), ./tsai2018.py `ou_logits`
    adaptations=dict(output={{_base_.ou_logits}}),
)
