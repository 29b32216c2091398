# Output-space adaptation (AdaptSegNet, single level, λadv 0.001) on real data, CamVid
# day -> dusk: same model, schedule and evaluation as source_only/camvid_day2dusk_tiny.py, plus
# the 62 unlabelled dusk train frames. As in configs/demo/output_space_synthetic.py, the
# discriminator reads the head's own resolution (30x23 here) with 3 stride-2 layers, and the
# first 200 iterations are source-only.
_base_ = [
    '../_base_/models/resnet18_tiny_deeplabv2.py',
    '../_base_/datasets/camvid_day_to_dusk.py',
    '../_base_/schedules/demo_cpu.py',
    '../_base_/default_runtime.py',
]
model = dict(
    warmup_iters=200,
    segmentor=dict(decode_head=dict(num_classes=11), auxiliary_head=dict(num_classes=11)),
    adaptations=dict(
        output=dict(
            type='OutputSpaceAdaptation',
            levels=('logits', ),
            loss_weights=(0.001, ),
            gan_type='bce',
            disc_input_size='logits',
            discriminator=dict(type='ConvDiscriminator', channels=(64, 128)),
        )),
)
