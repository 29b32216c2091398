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
]
model = dict(
    warmup_iters=200,
    adaptations=dict(
        output=dict(
            type='OutputSpaceAdaptation',
            levels=('logits', ),
            loss_weights=(0.001, ),
            gan_type='bce',
            # The head's own resolution (24x12 on the demo's crops, 30x23 on CamVid frames) with
            # a 3-layer discriminator: on this small model the full-resolution AdaptSegNet
            # discriminator makes each adaptation step ~4.4x the source-only step, this one
            # ~1.5x (benchmarks/bench_train_step.py).
            disc_input_size='logits',
            discriminator=dict(type='ConvDiscriminator', channels=(64, 128)),
        )),
)
